import Foundation

/// What a checkpoint records besides the weights (its safetensors `__metadata__`, all strings):
///   format    "hmil.checkpoint/1"
///   model     "hmil" | "abmil"
///   options   the model options as JSON (HMILOptions / ABMILOptions)
///   hierarchy the label hierarchy as JSON (DESIGN §2.1), when known
///   config    the training configuration as JSON text (owned by the trainer; stored verbatim)
///   epoch     the epoch the weights are from, when known
public struct CheckpointMetadata: Equatable, Sendable {
    public var hierarchy: Hierarchy?
    public var trainingConfig: String?
    public var epoch: Int?

    public init(hierarchy: Hierarchy? = nil, trainingConfig: String? = nil, epoch: Int? = nil) {
        self.hierarchy = hierarchy
        self.trainingConfig = trainingConfig
        self.epoch = epoch
    }
}

/// Model checkpoints as safetensors files with the official PyTorch state_dict names (DESIGN §2.6),
/// so `safetensors.torch.load_file` + `load_state_dict` reads them. Loading checks every name,
/// shape and dtype against the model and says what is wrong.
public enum Checkpoint {
    public static let format = "hmil.checkpoint/1"

    /// The file's bytes: every parameter (state_dict order) as F32, plus the metadata.
    public static func encode(_ model: MILModel, metadata: CheckpointMetadata) -> Data {
        let tensors = model.parameters.parameters.map {
            SafetensorsWriter.Tensor(name: $0.name, shape: $0.shape, values: $0.value)
        }
        var meta = ["format": format, "model": model.configuration.kind.rawValue, "options": optionsJSON(model.configuration)]
        if let h = metadata.hierarchy { meta["hierarchy"] = jsonText(h) }
        if let c = metadata.trainingConfig { meta["config"] = c }
        if let e = metadata.epoch { meta["epoch"] = String(e) }
        return SafetensorsWriter.encode(tensors, metadata: meta)
    }

    /// Writes the checkpoint atomically.
    public static func save(_ model: MILModel, metadata: CheckpointMetadata, to path: String) throws {
        try AtomicFile.write(encode(model, metadata: metadata), to: path)
    }

    /// Rebuilds the model the file describes (kind and options from its metadata) and loads it.
    public static func load(path: String) throws -> (model: MILModel, metadata: CheckpointMetadata) {
        let file = try SafetensorsFile.read(path: path)
        let configuration = try self.configuration(of: file, path: path)
        let model: MILModel
        switch configuration {
        case .hmil(let o): model = HMILModel(options: o)
        case .abmil(let o): model = ABMILModel(options: o)
        }
        let metadata = try load(file, into: model, path: path)
        return (model, metadata)
    }

    /// Loads the file's weights into an existing model (e.g. a checkpoint written by PyTorch without
    /// hmil's metadata): every parameter must be present as F32 with its shape, and nothing else.
    @discardableResult
    public static func load(path: String, into model: MILModel) throws -> CheckpointMetadata {
        try load(try SafetensorsFile.read(path: path), into: model, path: path)
    }

    /// The model kind and options a checkpoint's metadata records.
    public static func configuration(of file: SafetensorsFile, path: String) throws -> ModelConfiguration {
        guard let name = file.metadata["model"], let optionsText = file.metadata["options"] else {
            throw ToolError(
                "checkpoint has no model description in its metadata", at: path,
                hint: "hmil checkpoints record \"model\" and \"options\"; for a foreign file build the model and load into it")
        }
        guard let kind = ModelKind(rawValue: name) else {
            throw ToolError("checkpoint names an unknown model kind '\(name)'", at: path, hint: "expected \(ModelKind.names)")
        }
        let decoder = JSONDecoder()
        // An option this hmil does not know changes the model in a way it cannot rebuild (e.g. a coarse gate
        // read by an hmil-eval from before gates): refuse rather than predict with another model.
        if let object = try? JSONSerialization.jsonObject(with: Data(optionsText.utf8)) as? [String: Any] {
            let known = kind == .abmil ? ABMILOptions.knownKeys : HMILOptions.knownKeys
            if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
                throw ToolError(
                    "checkpoint's model has an option this hmil does not know: '\(unknown)'", at: path,
                    hint: "it was written by a newer hmil; use that version")
            }
        }
        do {
            switch kind {
            case .hmil:
                let options = try decoder.decode(HMILOptions.self, from: Data(optionsText.utf8))
                if let problem = options.problem {
                    throw ToolError("checkpoint's model options are inconsistent: \(problem)", at: path)
                }
                return .hmil(options)
            case .abmil: return .abmil(try decoder.decode(ABMILOptions.self, from: Data(optionsText.utf8)))
            }
        } catch let error as ToolError {
            throw error
        } catch {
            throw ToolError("checkpoint's model options are not valid JSON for \(kind): \(error)", at: path)
        }
    }

    private static func load(_ file: SafetensorsFile, into model: MILModel, path: String) throws -> CheckpointMetadata {
        var problems: [String] = []
        let expected = Set(model.parameters.parameters.map(\.name))
        for p in model.parameters.parameters {
            guard let t = file.info(p.name) else {
                problems.append("missing tensor '\(p.name)' \(p.shape)")
                continue
            }
            if t.dtype != .f32 { problems.append("tensor '\(p.name)' is \(t.dtype.rawValue), expected F32") }
            if t.shape != p.shape { problems.append("tensor '\(p.name)' has shape \(t.shape), expected \(p.shape)") }
        }
        for t in file.tensors where !expected.contains(t.name) {
            problems.append("unexpected tensor '\(t.name)'")
        }
        if !problems.isEmpty {
            let shown = problems.prefix(4).joined(separator: "; ")
            let more = problems.count > 4 ? " (and \(problems.count - 4) more)" : ""
            throw ToolError(
                "checkpoint does not match the \(describe(model.configuration)): \(shown)\(more)", at: path,
                hint: "use the checkpoint with the model options it was trained with")
        }
        for p in model.parameters.parameters {
            p.value = try file.floats(p.name)
        }
        model.prepare()

        var metadata = CheckpointMetadata()
        if let text = file.metadata["hierarchy"] {
            do {
                metadata.hierarchy = try JSONDecoder().decode(Hierarchy.self, from: Data(text.utf8))
            } catch {
                throw ToolError("checkpoint's hierarchy metadata is not a valid hierarchy", at: path)
            }
        }
        metadata.trainingConfig = file.metadata["config"]
        if let text = file.metadata["epoch"] {
            guard let epoch = Int(text) else { throw ToolError("checkpoint's epoch '\(text)' is not an integer", at: path) }
            metadata.epoch = epoch
        }
        return metadata
    }

    private static func describe(_ c: ModelConfiguration) -> String {
        switch c {
        case .hmil(let o):
            var variants = ""
            if o.coarseGate != .none { variants += ", coarse gate \(o.coarseGate.rawValue)" }
            if o.finePrior != .none { variants += ", fine prior \(o.finePrior.rawValue) λ \(o.finePriorWeight)" }
            return
                "hmil model (D \(o.featureDim), Kc \(o.coarseClasses), Kf \(o.fineClasses), scorer \(o.scorer.rawValue), embedding \(o.embedding.rawValue)\(variants))"
        case .abmil(let o):
            return "abmil model (D \(o.featureDim), K \(o.classes))"
        }
    }

    static func optionsJSON(_ c: ModelConfiguration) -> String {
        switch c {
        case .hmil(let o): return jsonText(o)
        case .abmil(let o): return jsonText(o)
        }
    }

    private static func jsonText<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try! encoder.encode(value), as: UTF8.self)
    }
}
