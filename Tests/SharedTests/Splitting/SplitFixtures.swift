import Foundation
import Shared

/// Paths of the splitting fixtures (committed under `Fixtures/Splitting/`), and small helpers.
enum SplitFixtures {
    static func path(_ relative: String) -> String {
        FixturePaths.path("Splitting/" + relative)
    }

    static func text(_ relative: String) throws -> String {
        try String(contentsOfFile: path(relative), encoding: .utf8)
    }

    /// One coarse class over the given fine classes: CLAM's labels become hmil's fine labels.
    static func flat(_ fine: [String]) -> Hierarchy {
        Hierarchy(coarse: ["all"], fine: fine, parent: Dictionary(uniqueKeysWithValues: fine.map { ($0, "all") }))
    }

    static let bracs = Hierarchy(
        coarse: ["benign", "atypical", "malignant"],
        fine: ["N", "PB", "UDH", "FEA", "ADH", "DCIS", "IC"],
        parent: [
            "N": "benign", "PB": "benign", "UDH": "benign", "FEA": "atypical",
            "ADH": "atypical", "DCIS": "malignant", "IC": "malignant"
        ])

    /// Writes `contents` to a new temporary file and returns its path.
    static func temporaryFile(_ contents: String, name: String = "file.csv") throws -> String {
        let folder = try FixturePaths.temporaryFolder()
        let path = folder + "/" + name
        try contents.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
