import Foundation

/// A document that names files (packs, checkpoints, pictures). The paths in it follow the usual rule
/// (DESIGN §1), so a document works whichever folder a tool runs in (a Slurm job, a make recipe):
///
/// - a relative path in a document read from a file is relative to that file's folder;
/// - in a document read from stdin, relative to the working directory;
/// - each copy a tool writes carries paths that are correct from where that copy lives: the copy on
///   stdout relative to the working directory (the next tool of the pipe runs there), the copy saved in
///   `--out` relative to that folder. An absolute path stays absolute.
///
/// In memory, between reading and writing, relative paths are relative to the working directory.
public protocol PathCarrying {
    /// The document with `change` applied to every path it holds.
    func mappingPaths(_ change: (String) -> String) -> Self
}

extension PathCarrying {
    /// The document as read from `source` (a file path; nil or "-" is stdin), with its relative paths
    /// made relative to the working directory.
    public func resolvingPaths(readFrom source: String?) -> Self {
        let folder = source.flatMap { $0 == "-" ? nil : ($0 as NSString).deletingLastPathComponent } ?? ""
        return mappingPaths { DocumentPath.resolve($0, inFolder: folder) }
    }

    /// The copy to save in `folder`: relative paths relative to that folder.
    public func savedIn(_ folder: String) -> Self {
        mappingPaths { DocumentPath.relative($0, toFolder: folder) }
    }
}

/// Relative paths between the working directory and a document's folder, computed lexically ("a/../b"
/// is "b"), as a shell user reads them.
public enum DocumentPath {
    /// `path`, written in a document in `folder` (relative to the working directory; "" for it), as a
    /// path from the working directory.
    public static func resolve(_ path: String, inFolder folder: String) -> String {
        if path.hasPrefix("/") || folder.isEmpty { return normalized(path) }
        return normalized(folder + "/" + path)
    }

    /// `path` (from the working directory, or absolute) as written in a document saved in `folder`.
    public static func relative(_ path: String, toFolder folder: String) -> String {
        if path.hasPrefix("/") { return path }
        let here = FileManager.default.currentDirectoryPath
        let target = components(normalized(absolute(path, from: here)))
        let base = components(normalized(absolute(folder, from: here)))
        var shared = 0
        while shared < min(target.count, base.count) && target[shared] == base[shared] { shared += 1 }
        let steps = Array(repeating: "..", count: base.count - shared) + target[shared...]
        return steps.isEmpty ? "." : steps.joined(separator: "/")
    }

    /// `path` without "." parts, doubled slashes and "x/.." pairs; a relative path keeps its leading "..".
    public static func normalized(_ path: String) -> String {
        let isAbsolute = path.hasPrefix("/")
        var parts: [Substring] = []
        for part in path.split(separator: "/") where part != "." {
            if part == "..", let last = parts.last, last != ".." {
                parts.removeLast()
            } else if part == ".." && isAbsolute {
                continue  // "/.." is "/"
            } else {
                parts.append(part)
            }
        }
        let joined = parts.joined(separator: "/")
        return isAbsolute ? "/" + joined : (joined.isEmpty ? "." : joined)
    }

    private static func absolute(_ path: String, from folder: String) -> String {
        path.hasPrefix("/") ? path : folder + "/" + path
    }

    private static func components(_ path: String) -> [Substring] {
        path.split(separator: "/")
    }
}

extension DocumentIO {
    /// Reads and decodes a document from a file, or stdin when `path` is nil or "-"; its relative paths
    /// come back relative to the working directory (`PathCarrying`). Also returns the name to report.
    public static func read<T: Decodable & PathCarrying>(
        _ type: T.Type, from path: String?,
        what: String = "input document"
    ) throws -> (document: T, source: String) {
        let source = path.flatMap { $0 == "-" ? nil : $0 } ?? "stdin"
        let document = try decode(type, from: readInput(path, what: what), source: source)
        return (document.resolvingPaths(readFrom: path), source)
    }

    /// As `emit` for any document, with each copy's paths correct from where it lives: the copy in
    /// `folder` relative to it, the one on stdout relative to the working directory.
    public static func emit<T: Encodable & PathCarrying>(_ value: T, saveIn folder: String?, as name: String) throws {
        if let folder {
            try AtomicFile.write(encode(value.savedIn(folder)), to: folder + "/" + name)
        }
        try StandardOutput.write(encode(value))
    }
}

extension PipelineDocument: PathCarrying {
    /// The packs, the checkpoints, and the files an evaluation names (prediction files, instance labels,
    /// the external dataset document).
    public func mappingPaths(_ change: (String) -> String) -> PipelineDocument {
        var document = self
        document.packs = packs?.map {
            var pack = $0
            pack.path = change(pack.path)
            return pack
        }
        document.models = models?.map {
            var model = $0
            model.checkpoint = change(model.checkpoint)
            return model
        }
        if var evaluation {
            evaluation.inputs = evaluation.inputs?.map(change)
            evaluation.instanceLabels = evaluation.instanceLabels.map(change)
            if let dataset = evaluation.external?.dataset { evaluation.external!.dataset = change(dataset) }
            document.evaluation = evaluation
        }
        return document
    }
}
