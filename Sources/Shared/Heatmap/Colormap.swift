/// The colour of a normalised score in [0, 1]: matplotlib's "jet" (dark blue → cyan → yellow → dark red),
/// the colour map of CLAM's heatmaps, so maps read as users of CLAM expect (red = most attended).
/// Piecewise linear as matplotlib defines it (`_jet_data`); scores outside [0, 1] are clamped.
public enum Colormap {
    public static func jet(_ score: Double) -> (r: UInt8, g: UInt8, b: UInt8) {
        let t = score.isNaN ? 0 : min(1, max(0, score))
        // matplotlib: red (0, 0) (0.35, 0) (0.66, 1) (0.89, 1) (1, 0.5); green (0, 0) (0.125, 0) (0.375, 1)
        // (0.64, 1) (0.91, 0) (1, 0); blue (0, 0.5) (0.11, 1) (0.34, 1) (0.65, 0) (1, 0).
        let r = ramp(t, [(0, 0), (0.35, 0), (0.66, 1), (0.89, 1), (1, 0.5)])
        let g = ramp(t, [(0, 0), (0.125, 0), (0.375, 1), (0.64, 1), (0.91, 0), (1, 0)])
        let b = ramp(t, [(0, 0.5), (0.11, 1), (0.34, 1), (0.65, 0), (1, 0)])
        return (byte(r), byte(g), byte(b))
    }

    /// 256 entries of `jet`, for drawing without recomputing the ramps per pixel.
    public static let jetTable: [(r: UInt8, g: UInt8, b: UInt8)] = (0..<256).map { jet(Double($0) / 255) }

    private static func ramp(_ t: Double, _ points: [(x: Double, y: Double)]) -> Double {
        for i in 1..<points.count where t <= points[i].x {
            let (a, b) = (points[i - 1], points[i])
            return b.x == a.x ? b.y : a.y + (b.y - a.y) * (t - a.x) / (b.x - a.x)
        }
        return points[points.count - 1].y
    }

    private static func byte(_ value: Double) -> UInt8 { UInt8((value * 255).rounded()) }
}
