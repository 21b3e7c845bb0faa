import Foundation

/// Plots a person can open in any browser, written as plain SVG text (no plotting dependency):
/// ROC curves per class, and a confusion matrix with counts in the cells and the cell colour showing
/// the row-normalised share (recall on the diagonal). Coordinates are rounded to 0.01 px so the files
/// are small and byte-identical across runs.
public enum SVGPlots {
    /// Colour-blind-safe palette (Okabe–Ito), cycled when there are more classes.
    static let palette = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]

    public struct ROCSeries {
        public var name: String
        /// nil when the class's ROC is undefined (it does not occur in the labels); shown in the legend.
        public var curve: ROCCurve?

        public init(name: String, curve: ROCCurve?) {
            self.name = name
            self.curve = curve
        }
    }

    /// One ROC chart: false-positive rate across, true-positive rate up, one line per class, the chance diagonal.
    public static func roc(title: String, series: [ROCSeries]) -> String {
        let plot = (x: 70.0, y: 50.0, size: 400.0)
        let legendX = plot.x + plot.size + 30
        let width = legendX + 230
        let height = max(plot.y + plot.size + 70, plot.y + 30 + Double(series.count) * 22)
        func px(_ fpr: Double) -> Double { plot.x + fpr * plot.size }
        func py(_ tpr: Double) -> Double { plot.y + (1 - tpr) * plot.size }

        var svg = header(width: width, height: height)
        svg += text(title, x: width / 2, y: 28, size: 16, anchor: "middle", weight: "bold")
        svg += axes(x: plot.x, y: plot.y, size: plot.size)
        for i in 0...5 {
            let v = Double(i) / 5
            let label = String(format: "%.1f", v)
            svg += line(px(v), plot.y + plot.size, px(v), plot.y + plot.size + 5, stroke: "#333")
            svg += text(label, x: px(v), y: plot.y + plot.size + 20, size: 12, anchor: "middle")
            svg += line(plot.x - 5, py(v), plot.x, py(v), stroke: "#333")
            svg += text(label, x: plot.x - 9, y: py(v) + 4, size: 12, anchor: "end")
            if i > 0 && i < 5 {
                svg += line(px(v), plot.y, px(v), plot.y + plot.size, stroke: "#e5e5e5")
                svg += line(plot.x, py(v), plot.x + plot.size, py(v), stroke: "#e5e5e5")
            }
        }
        svg += text(
            "False positive rate (1 − specificity)", x: plot.x + plot.size / 2, y: plot.y + plot.size + 45, size: 13, anchor: "middle")
        svg +=
            "<text x=\"\(n(plot.x - 45))\" y=\"\(n(plot.y + plot.size / 2))\" font-size=\"13\" text-anchor=\"middle\" "
            + "transform=\"rotate(-90 \(n(plot.x - 45)) \(n(plot.y + plot.size / 2)))\">True positive rate (sensitivity)</text>\n"
        svg +=
            "<line x1=\"\(n(px(0)))\" y1=\"\(n(py(0)))\" x2=\"\(n(px(1)))\" y2=\"\(n(py(1)))\" stroke=\"#999\" stroke-dasharray=\"5,4\"/>\n"

        for (i, s) in series.enumerated() {
            let colour = palette[i % palette.count]
            let legendY = plot.y + 10 + Double(i) * 22
            if let curve = s.curve {
                let points = zip(curve.falsePositiveRate, curve.truePositiveRate).map { "\(n(px($0))),\(n(py($1)))" }
                svg += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\" points=\"\(points.joined(separator: " "))\"/>\n"
                svg += line(legendX, legendY, legendX + 24, legendY, stroke: colour, width: 3)
                svg += text("\(s.name) (AUC \(String(format: "%.3f", curve.area)))", x: legendX + 30, y: legendY + 4, size: 12)
            } else {
                svg += line(legendX, legendY, legendX + 24, legendY, stroke: colour, width: 3, dash: "2,3")
                svg += text("\(s.name) (not in labels: no ROC)", x: legendX + 30, y: legendY + 4, size: 12, fill: "#666")
            }
        }
        svg += text("chance", x: legendX + 30, y: plot.y + 14 + Double(series.count) * 22, size: 12, fill: "#666")
        svg += line(
            legendX, plot.y + 10 + Double(series.count) * 22, legendX + 24, plot.y + 10 + Double(series.count) * 22,
            stroke: "#999", dash: "5,4")
        return svg + "</svg>\n"
    }

    /// A confusion matrix: rows true class, columns predicted; each cell shows the count and the row share,
    /// and is shaded by the row share (so classes of different sizes compare).  counts: [K][K]
    public static func confusion(title: String, classes: [String], counts: [[Int]]) -> String {
        let k = classes.count
        precondition(counts.count == k && counts.allSatisfy { $0.count == k }, "counts are [K][K]")
        let longest = Double(classes.map(\.count).max() ?? 1)
        let cell = max(44.0, min(80.0, 480.0 / Double(k)))
        let left = 60 + longest * 7.5
        let top = 60.0
        let gridSize = cell * Double(k)
        let bottom = top + gridSize + 30 + longest * 6
        let width = left + gridSize + 130
        let height = bottom + 20

        var svg = header(width: width, height: height)
        svg += text(title, x: width / 2, y: 26, size: 16, anchor: "middle", weight: "bold")
        for row in 0..<k {
            let support = counts[row].reduce(0, +)
            for column in 0..<k {
                let share = support > 0 ? Double(counts[row][column]) / Double(support) : 0
                let x = left + Double(column) * cell
                let y = top + Double(row) * cell
                svg +=
                    "<rect x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(cell))\" height=\"\(n(cell))\" fill=\"\(shade(share))\" stroke=\"#fff\"/>\n"
                let ink = share > 0.55 ? "#fff" : "#111"
                svg += text(
                    "\(counts[row][column])", x: x + cell / 2, y: y + cell / 2, size: 14, anchor: "middle", fill: ink, weight: "bold")
                if support > 0 {
                    svg += text(
                        String(format: "%.0f%%", share * 100), x: x + cell / 2, y: y + cell / 2 + 15, size: 10, anchor: "middle", fill: ink)
                }
            }
            svg += text(classes[row], x: left - 8, y: top + (Double(row) + 0.5) * cell + 4, size: 12, anchor: "end")
        }
        for column in 0..<k {
            let x = left + (Double(column) + 0.5) * cell
            let y = top + gridSize + 12
            svg +=
                "<text x=\"\(n(x))\" y=\"\(n(y))\" font-size=\"12\" text-anchor=\"end\" transform=\"rotate(-45 \(n(x)) \(n(y)))\">"
                + escape(classes[column]) + "</text>\n"
        }
        svg += text("Predicted class", x: left + gridSize / 2, y: bottom + 8, size: 13, anchor: "middle")
        svg +=
            "<text x=\"16\" y=\"\(n(top + gridSize / 2))\" font-size=\"13\" text-anchor=\"middle\" "
            + "transform=\"rotate(-90 16 \(n(top + gridSize / 2)))\">True class</text>\n"
        // Colour scale: share of the true class's bags.
        let scaleX = left + gridSize + 40
        for step in 0..<10 {
            let share = 1 - Double(step) / 9
            svg +=
                "<rect x=\"\(n(scaleX))\" y=\"\(n(top + Double(step) * gridSize / 10))\" width=\"16\" height=\"\(n(gridSize / 10 + 0.5))\" fill=\"\(shade(share))\"/>\n"
        }
        svg += text("100%", x: scaleX + 22, y: top + 10, size: 11)
        svg += text("0%", x: scaleX + 22, y: top + gridSize - 2, size: 11)
        svg +=
            "<text x=\"\(n(scaleX + 60))\" y=\"\(n(top + gridSize / 2))\" font-size=\"11\" text-anchor=\"middle\" "
            + "transform=\"rotate(90 \(n(scaleX + 60)) \(n(top + gridSize / 2)))\">share of true class</text>\n"
        return svg + "</svg>\n"
    }

    // MARK: - Drawing helpers

    static func header(width: Double, height: Double) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(n(width))\" height=\"\(n(height))\" viewBox=\"0 0 \(n(width)) \(n(height))\" "
            + "font-family=\"Helvetica, Arial, sans-serif\">\n<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n"
    }

    static func axes(x: Double, y: Double, size: Double) -> String {
        "<rect x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(size))\" height=\"\(n(size))\" fill=\"none\" stroke=\"#333\"/>\n"
    }

    static func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String, width: Double = 1, dash: String? = nil)
        -> String
    {
        "<line x1=\"\(n(x1))\" y1=\"\(n(y1))\" x2=\"\(n(x2))\" y2=\"\(n(y2))\" stroke=\"\(stroke)\" stroke-width=\"\(n(width))\""
            + (dash.map { " stroke-dasharray=\"\($0)\"" } ?? "") + "/>\n"
    }

    static func text(
        _ content: String, x: Double, y: Double, size: Int, anchor: String = "start", fill: String = "#111",
        weight: String = "normal"
    ) -> String {
        "<text x=\"\(n(x))\" y=\"\(n(y))\" font-size=\"\(size)\" text-anchor=\"\(anchor)\" fill=\"\(fill)\""
            + (weight == "normal" ? "" : " font-weight=\"\(weight)\"") + ">\(escape(content))</text>\n"
    }

    /// White → dark blue by share in [0, 1].
    static func shade(_ share: Double) -> String {
        let t = min(max(share, 0), 1)
        let (r, g, b) = (255 - t * (255 - 8), 255 - t * (255 - 48), 255 - t * (255 - 107))
        return String(format: "#%02X%02X%02X", Int(r.rounded()), Int(g.rounded()), Int(b.rounded()))
    }

    /// A coordinate with at most two decimals and no trailing zeros.
    static func n(_ value: Double) -> String {
        let rounded = (value * 100).rounded() / 100
        return rounded == rounded.rounded()
            ? String(Int(rounded))
            : String(format: "%.2f", rounded)
                .replacingOccurrences(of: #"0$"#, with: "", options: .regularExpression)
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
