import Foundation

/// Paths of the committed fixture files (SharedTests copies `Fixtures/` into its bundle), and a fresh
/// temporary folder: the one copy of each for every SharedTests folder.
enum FixturePaths {
    static func path(_ relative: String) -> String {
        Bundle.module.resourceURL!.appendingPathComponent("Fixtures/" + relative).path
    }

    static func url(_ relative: String) -> URL { URL(fileURLWithPath: path(relative)) }

    static func features(_ name: String) -> String { path("features/" + name) }

    static func bytes(_ relative: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path(relative))))
    }

    /// A fresh temporary folder for one test.
    static func temporaryFolder() throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("hmil-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }
}
