import Foundation
import Shared
import XCTest

/// Holds the study's statistics to scipy: the Student-t quantile, the t-interval of a mean difference
/// and the Wilcoxon signed-rank p-value on hand-made and random cases with ties and zeros.
/// Golden file: Fixtures/metrics/paired_statistics.json, written by Tests/Parity/paired_statistics_reference.py.
final class PairedStatisticsTests: XCTestCase {
    struct Golden: Decodable {
        var scipy: String
        var cases: [Case]
        var t_quantiles: [Quantile]
    }

    struct Case: Decodable {
        var name: String
        var differences: [Double]
        var mean: Double
        var std: Double?
        var ci95: [Double]?
        var wilcoxon_statistic: Double?
        var wilcoxon_p: Double?
        var method: String
    }

    struct Quantile: Decodable {
        var p: Double
        var df: Double
        var t: Double
    }

    static let golden: Golden = {
        let url = FixturePaths.url("metrics/paired_statistics.json")
        return try! JSONDecoder().decode(Golden.self, from: Data(contentsOf: url))
    }()

    func testStudentTQuantilesMatchScipy() {
        for q in Self.golden.t_quantiles {
            let t = StudentT.quantile(q.p, degreesOfFreedom: q.df)
            XCTAssertEqual(t, q.t, accuracy: 1e-10 * max(1, abs(q.t)), "t.ppf(\(q.p), \(q.df))")
            XCTAssertEqual(StudentT.cdf(q.t, degreesOfFreedom: q.df), q.p, accuracy: 1e-12, "t.cdf at t.ppf(\(q.p), \(q.df))")
        }
    }

    func testWilcoxonMatchesScipyInEveryBranch() {
        var methods = Set<String>()
        for c in Self.golden.cases {
            let test = WilcoxonSignedRank(differences: c.differences)
            XCTAssertEqual(test.method.rawValue, c.method, c.name)
            methods.insert(test.method.rawValue)
            XCTAssertEqual(test.statistic, c.wilcoxon_statistic ?? .nan, accuracy: 1e-9, c.name)
            switch (test.pValue, c.wilcoxon_p) {
            case (nil, nil): break
            case (let p?, let expected?): XCTAssertEqual(p, expected, accuracy: 1e-12, c.name)
            case (let p, let expected): XCTFail("\(c.name): p \(String(describing: p)), scipy \(String(describing: expected))")
            }
        }
        XCTAssertEqual(methods, ["exact", "sign_flips", "normal"], "the golden file covers every branch")
    }

    func testPairedDifferenceMatchesNumpyAndScipy() {
        for c in Self.golden.cases {
            let paired = PairedDifference(differences: c.differences)
            XCTAssertEqual(paired.n, c.differences.count, c.name)
            XCTAssertEqual(paired.mean!, c.mean, accuracy: 1e-14, c.name)
            XCTAssertEqual(paired.std == nil, c.std == nil, c.name)
            if let std = c.std { XCTAssertEqual(paired.std!, std, accuracy: 1e-13, c.name) }
            XCTAssertEqual(paired.ci95 == nil, c.ci95 == nil, c.name)
            if let ci = c.ci95, let mine = paired.ci95 {
                XCTAssertEqual(mine[0], ci[0], accuracy: 1e-11, c.name)
                XCTAssertEqual(mine[1], ci[1], accuracy: 1e-11, c.name)
            }
            XCTAssertEqual(paired.wilcoxonP == nil, c.wilcoxon_p == nil, c.name)
            XCTAssertEqual(paired.wins + paired.losses + paired.ties, c.differences.count, c.name)
            XCTAssertEqual(paired.ties, c.differences.filter { $0 == 0 }.count, c.name)
        }
    }

    func testNoDifferencesHaveNoStatistics() {
        let paired = PairedDifference(differences: [])
        XCTAssertEqual(paired.n, 0)
        XCTAssertNil(paired.mean)
        XCTAssertNil(paired.ci95)
        XCTAssertNil(paired.wilcoxonP)
        XCTAssertNil(WilcoxonSignedRank(differences: []).pValue)
    }

    func testSampleSummaryIsMeanAndSampleStd() {
        let summary = SampleSummary([0.7, 0.8, 0.9])
        XCTAssertEqual(summary.mean!, 0.8, accuracy: 1e-15)
        XCTAssertEqual(summary.std!, 0.1, accuracy: 1e-15)
        XCTAssertNil(SampleSummary([0.5]).std)
        XCTAssertNil(SampleSummary([]).mean)
    }
}
