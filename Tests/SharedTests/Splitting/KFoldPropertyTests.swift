import Shared
import XCTest

/// Properties of `--scheme kfold` on random label sets: disjoint parts, patients never split, every
/// patient tested exactly once, per-class test counts within one of each other, determinism by seed.
final class KFoldPropertyTests: XCTestCase {
    /// A random labelled data set: patients with 1–4 slides, labels skewed across `classes`.
    func randomSlides(seed: UInt64, patients: Int, classes: [String]) -> [LabeledSlide] {
        var generator = SeededGenerator(seed: seed)
        var slides: [LabeledSlide] = []
        for p in 0..<patients {
            let label = classes[Int(generator.nextUniform() * generator.nextUniform() * Double(classes.count))]
            let count = 1 + Int(generator.next() % 4)
            for s in 0..<count {
                slides.append(LabeledSlide(slideID: "slide_\(p)_\(s)", caseID: "patient_\(p)", label: label, line: slides.count + 2))
            }
        }
        // Shuffle rows so a patient's slides are not adjacent in the file.
        for i in stride(from: slides.count - 1, through: 1, by: -1) { slides.swapAt(i, Int(generator.next() % UInt64(i + 1))) }
        return slides
    }

    func testPropertiesHoldOnRandomLabelSets() throws {
        let hierarchy = SplitFixtures.bracs
        for trial in 0..<40 {
            let k = 2 + trial % 9
            let slides = randomSlides(seed: UInt64(trial), patients: 60 + trial * 7, classes: hierarchy.fine)
            let table = try PatientTable(slides: slides, hierarchy: hierarchy, voting: nil, source: "random")
            let options = KFoldSplitter.Options(folds: k, seed: UInt64(trial), valFrac: 0.15, allowSmallClasses: true)
            let (folds, _) = try KFoldSplitter.split(table, classes: hierarchy.fine, options: options, source: "random")
            XCTAssertEqual(folds.count, k)

            var testedIn = [Int](repeating: 0, count: table.patients.count)
            var testCount = [[Int]](repeating: [Int](repeating: 0, count: k), count: hierarchy.fine.count)
            for (f, parts) in folds.enumerated() {
                // Disjoint and complete: every slide in exactly one part of the fold.
                XCTAssertEqual((parts[0] + parts[1] + parts[2]).sorted(), Array(slides.indices), "trial \(trial) fold \(f)")
                // Grouped: all slides of a patient in the same part.
                var partOfPatient: [Int: Int] = [:]
                for (p, part) in parts.enumerated() {
                    XCTAssertEqual(part, part.sorted(), "parts list slides in file order")
                    for slide in part {
                        let patient = table.patientOfSlide[slide]
                        XCTAssertEqual(partOfPatient.updateValue(p, forKey: patient) ?? p, p, "patient split in trial \(trial)")
                    }
                }
                for (patient, part) in partOfPatient where part == 2 {
                    testedIn[patient] += 1
                    testCount[table.patients[patient].label][f] += 1
                }
                // Validation is a stratified share of the training patients.
                for (c, members) in table.patientsByClass(classes: hierarchy.fine.count).enumerated() {
                    let training = members.filter { partOfPatient[$0] != 2 }
                    let val = training.filter { partOfPatient[$0] == 1 }.count
                    let wanted = Int((Double(training.count) * 0.15).rounded(.toNearestOrEven))
                    XCTAssertEqual(val, min(wanted, max(training.count - 1, 0)), "trial \(trial) fold \(f) class \(c)")
                }
            }
            // Coverage: every patient in exactly one test part.
            XCTAssertEqual(Set(testedIn), [1], "trial \(trial)")
            // Stratification: per class, test parts differ by at most one patient; totals likewise.
            for counts in testCount { XCTAssertLessThanOrEqual(counts.max()! - counts.min()!, 1, "trial \(trial)") }
            let totals = (0..<k).map { f in testCount.reduce(0) { $0 + $1[f] } }
            XCTAssertLessThanOrEqual(totals.max()! - totals.min()!, 1, "trial \(trial)")
        }
    }

    func testSameSeedSameFoldsOtherSeedOtherFolds() throws {
        let slides = randomSlides(seed: 99, patients: 200, classes: SplitFixtures.bracs.fine)
        let table = try PatientTable(slides: slides, hierarchy: SplitFixtures.bracs, voting: nil, source: "random")
        func run(_ seed: UInt64) throws -> [[[Int]]] {
            try KFoldSplitter.split(
                table, classes: SplitFixtures.bracs.fine, options: .init(folds: 5, seed: seed, allowSmallClasses: true), source: "random"
            ).folds
        }
        XCTAssertEqual(try run(7), try run(7))
        XCTAssertNotEqual(try run(7), try run(8))
    }

    func testSmallClassIsAnErrorUnlessAllowed() throws {
        let slides = (0..<30).map { LabeledSlide(slideID: "s\($0)", caseID: "p\($0)", label: $0 < 3 ? "IC" : "N", line: $0 + 2) }
        let table = try PatientTable(slides: slides, hierarchy: SplitFixtures.bracs, voting: nil, source: "l.csv")
        XCTAssertThrowsError(
            try KFoldSplitter.split(
                table, classes: SplitFixtures.bracs.fine,
                options: .init(folds: 5), source: "l.csv")
        ) { error in
            XCTAssertEqual(
                "\(error)",
                "class 'PB' has 0 patients, fewer than the 5 folds (l.csv) — use fewer --folds, or --allow-small-classes to accept test parts without this class"
            )
        }
        let (_, warnings) = try KFoldSplitter.split(
            table, classes: SplitFixtures.bracs.fine,
            options: .init(folds: 5, allowSmallClasses: true), source: "l.csv")
        XCTAssertEqual(warnings.count, 6)
        XCTAssertEqual(warnings.last, "class 'IC' has 3 patients, fewer than the 5 folds; some test parts will have none")
    }
}
