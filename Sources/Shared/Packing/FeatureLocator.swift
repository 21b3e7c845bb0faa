import Foundation

/// Finds each slide's feature file by `slide_id` in the given folders, in order. Inside each folder
/// it looks at the folder itself, CLAM's `pt_files/` and `h5_files/`, and TRIDENT's
/// `features_<encoder>/`; within one place, extensions are preferred in `FeatureFiles.extensions`
/// order (`.pt` before `.h5`, as CLAM writes both). Each folder is listed once, not stat-ed per slide.
public struct FeatureLocator {
    public let folders: [String]
    private var found: [String: String] = [:]

    public init(folders: [String]) throws {
        self.folders = folders
        var found: [String: String] = [:]
        let fm = FileManager.default
        for folder in folders {
            var isFolder: ObjCBool = false
            guard fm.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
                throw ToolError("feature folder does not exist", at: folder, hint: "check --features")
            }
            let children = (try? fm.contentsOfDirectory(atPath: folder)) ?? []
            let encoders = children.filter { $0.hasPrefix("features_") }.sorted()
            guard encoders.count <= 1 else {
                throw ToolError(
                    "several TRIDENT encoder folders (\(encoders.joined(separator: ", ")))", at: folder,
                    hint: "pass the one you want to --features, e.g. \(folder)/\(encoders[0])")
            }
            for place in [folder, folder + "/pt_files", folder + "/h5_files"] + encoders.map({ folder + "/" + $0 }) {
                guard let names = try? fm.contentsOfDirectory(atPath: place) else { continue }
                var here: [String: (rank: Int, path: String)] = [:]
                for name in names {
                    let url = URL(fileURLWithPath: name)
                    let ext = url.pathExtension.lowercased()
                    guard let rank = FeatureFiles.extensions.firstIndex(where: { $0.ext == ext }) else { continue }
                    let id = url.deletingPathExtension().lastPathComponent
                    if let existing = here[id], existing.rank <= rank { continue }
                    here[id] = (rank, place + "/" + name)
                }
                for (id, match) in here where found[id] == nil { found[id] = match.path }
            }
        }
        self.found = found
    }

    /// The feature file of `slideID`, or nil when no folder has one.
    public func path(of slideID: String) -> String? { found[slideID] }
}
