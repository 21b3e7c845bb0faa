import Foundation
import Shared
import XCTest

/// The options JSON that checkpoints (`config` metadata) and state.json (`options`, the resume check)
/// carry is byte for byte what hmil wrote while the options were strings (Fixtures/training/options/README.md):
/// old checkpoints decode to the same options, and an old run resumes.
final class TrainingOptionsJSONTests: XCTestCase {
    func fixture(_ name: String) throws -> String {
        let url = try XCTUnwrap(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures/training/options"))
        return String(decoding: try Data(contentsOf: url), as: UTF8.self)
    }

    func encoded(_ options: TrainingOptions) throws -> String {
        String(decoding: try DocumentIO.encode(options), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func testTheDefaultsAreWrittenAsBefore() throws {
        XCTAssertEqual(try encoded(TrainingOptions()), try fixture("default"))
    }

    func testEveryFieldIsReadAndWrittenAsBefore() throws {
        let text = try fixture("every_field")
        let options = try DocumentIO.decode(TrainingOptions.self, from: Data(text.utf8), source: "every_field.json")
        XCTAssertEqual(options.preset, .reference)
        XCTAssertEqual(options.scorer, .perClass)
        XCTAssertEqual(options.embedding, .shared)
        XCTAssertEqual(options.optimizer, .sgd)
        XCTAssertEqual(options.selectionMetric, .valCoarseAUC)
        XCTAssertEqual(options.bagAlignment, .reference)
        XCTAssertEqual(options.curriculum, .linear)
        XCTAssertEqual(options.coarseGate, .learned)
        XCTAssertEqual(options.finePrior, .coarseDetached)
        XCTAssertEqual(try encoded(options), text)
    }

    func testABMILWithEachChoiceIsReadAndWrittenAsBefore() throws {
        let text = try fixture("abmil")
        let options = try DocumentIO.decode(TrainingOptions.self, from: Data(text.utf8), source: "abmil.json")
        XCTAssertEqual(options.model, .abmil)
        XCTAssertEqual(options.scorer, .shared)
        XCTAssertEqual(options.embedding, .released)
        XCTAssertEqual(options.selectionMetric, .last)
        XCTAssertEqual(options.bagAlignment, .nll)
        XCTAssertEqual(options.curriculum, .quadratic)
        XCTAssertEqual(try encoded(options), text)
    }
}
