import ArgumentParser
import Foundation
import Shared

/// `hmil-bench packtool`: packs a folder of CLAM-layout `.pt` files (one N×D float32 tensor per
/// slide, as CLAM's `pt_files/`) with f16 storage, and reports the input rate next to `cat` of the
/// same files in the same run (the disk/page-cache bound) and the zstd command line on the same bytes,
/// with CPU time beside wall time (the machine is shared), plus the pack/raw size ratio.
struct PackToolBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "packtool",
        abstract: "hmil-pack throughput on CLAM-layout .pt files, next to cat of the same files.")

    @Option(help: "Slides to generate.")
    var slides = 200
    @Option(help: "Instances per slide.")
    var instances = 8000
    @Option(help: "Feature dim.")
    var dim = 1024
    @Option(help: "Threads for packing.")
    var jobs = 2
    @Option(help: "zstd level of the pack.")
    var level = PackWriter.defaultCompressionLevel
    @Option(help: "Scratch folder (default: a temporary folder, removed afterwards).")
    var folder: String?

    func run() throws {
        let root = folder ?? FileManager.default.temporaryDirectory.appendingPathComponent("hmil-bench-packtool-\(getpid())").path
        let features = root + "/feats/pt_files"
        try FileManager.default.createDirectory(atPath: features, withIntermediateDirectories: true)
        defer { if folder == nil { try? FileManager.default.removeItem(atPath: root) } }

        // Post-ReLU-like features (half exact zeros, half |normal|), as CNN/ViT encoders give.
        var rng = SeededGenerator(seed: 42)
        var values = [Float](repeating: 0, count: instances * dim)
        var paths: [String] = []
        for i in 0..<slides {
            for k in values.indices { values[k] = Float(max(0, rng.nextNormal())) }
            let path = features + "/slide_\(i).pt"
            try Data(TorchZipFixture.tensorFile(values, rows: instances, cols: dim, archive: "slide_\(i)"))
                .write(to: URL(fileURLWithPath: path))
            paths.append(path)
        }
        let rawBytes = paths.reduce(0) { $0 + ((try? FeatureFileBytes.fileSize($1)) ?? 0) }
        let megabytes = Double(rawBytes) / 1e6

        // cat of the same files (they are in the page cache after being written, as for the pack), and
        // the zstd command line compressing them at the pack's level on `jobs` threads.
        let cat = try Self.command("/bin/cat", paths)
        let zstdRaw = try Self.command("/usr/bin/zstd", ["-\(level)", "-T\(jobs)", "-q", "-c"] + paths)

        let hierarchy = Hierarchy(coarse: ["a"], fine: ["x"], parent: ["x": "a"])
        let ids = (0..<slides).map { "slide_\($0)" }
        let plan = PipelineDocument(
            format: PipelineDocument.splitFormat, hierarchy: hierarchy, scheme: "kfold", seed: 1,
            slides: ids.map { SlideRecord(slideID: $0, caseID: $0, label: "x") },
            folds: [FoldRecord(fold: 0, train: ids, val: [], test: [])])
        let cpuBefore = Self.processCPUSeconds()
        let packStart = Date()
        let (_, report) = try PackJob.run(
            plan,
            options: .init(
                featureFolders: [root + "/feats"], outFolder: root + "/work",
                dtype: .f16, jobs: jobs, level: level, quiet: true))
        let packSeconds = Date().timeIntervalSince(packStart)
        let packCPU = Self.processCPUSeconds() - cpuBefore

        // The zstd command line on exactly the f16 records the pack compresses (`zstd -dc` of the pack):
        // the compression work hmil-pack cannot avoid, on the same threads.
        let records = root + "/records.raw"
        _ = try Self.command("/usr/bin/zstd", ["-dc", root + "/work/" + PackJob.packName], stdout: records)
        let zstdRecords = try Self.command("/usr/bin/zstd", ["-\(level)", "-T\(jobs)", "-q", "-c", records])
        let recordBytes = (try? FeatureFileBytes.fileSize(records)) ?? 0
        try? FileManager.default.removeItem(atPath: records)

        func line(_ name: String, _ seconds: Double, _ cpu: Double, _ note: String = "") -> String {
            "  " + name.padding(toLength: 32, withPad: " ", startingAt: 0)
                + String(
                    format: "%7.0f MB/s wall (%6.2f s) %7.0f MB/CPU-s (%5.2f CPU-s, %4.2f cores)", megabytes / seconds, seconds,
                    megabytes / cpu, cpu, cpu / seconds) + note
        }
        print(
            String(
                format: "packtool: %d slides × %d × %d f32 = %.0f MB of .pt; rates in MB of .pt input", slides, instances, dim, megabytes))
        print(line("cat", cat.wall, cat.cpu))
        print(line("zstd -\(level) -T\(jobs) of the .pt files", zstdRaw.wall, zstdRaw.cpu))
        print(
            line(
                "zstd -\(level) -T\(jobs) of the f16 records", zstdRecords.wall, zstdRecords.cpu,
                String(format: "  (%.0f MB of records)", Double(recordBytes) / 1e6)))
        print(line("hmil-pack f16, \(jobs) jobs", packSeconds, packCPU, String(format: "  = %.2f × cat wall", cat.wall / packSeconds)))
        try stageBreakdown(paths: Array(paths.prefix(3)), bytesEach: Double(rawBytes) / Double(slides) / 1e6)
        print(String(format: "  pack/raw size  %.3f  (%d bytes pack)", Double(report.packBytes) / Double(rawBytes), report.packBytes))

        // Re-run with nothing changed: the pack is left as it is.
        let again = Date()
        let (_, second) = try PackJob.run(
            plan,
            options: .init(
                featureFolders: [root + "/feats"], outFolder: root + "/work",
                dtype: .f16, jobs: jobs, level: level, quiet: true))
        print(
            String(
                format: "  re-run, unchanged inputs: %.3f s (pack untouched: %@)", Date().timeIntervalSince(again),
                second.unchanged ? "yes" : "no"))
    }
}

extension PackToolBench {
    /// Thread CPU time of each stage on a few slides, single-threaded, as the pack job runs them: what
    /// bounds the rate per core. "read" is mapping, zip CRC-32, pickle and the finiteness check (the
    /// features stay in the mapped file); "encode" is f16 conversion with byte shuffle plus zstd.
    func stageBreakdown(paths: [String], bytesEach: Double) throws {
        let writer = try PackWriter(
            path: NSTemporaryDirectory() + "/hmil-bench-stage-\(getpid()).hbag", featureDim: dim,
            options: .init(dtype: .f16, compressionLevel: level))
        var read = 0.0
        var encode = 0.0
        for (i, path) in paths.enumerated() {
            let t0 = Self.threadCPUSeconds()
            var t1 = t0
            _ = try FeatureFiles.withBag(path, slideID: "s\(i)") { bag in
                t1 = Self.threadCPUSeconds()
                return try writer.encode(bag)
            }
            let t2 = Self.threadCPUSeconds()
            read += t1 - t0
            encode += t2 - t1
        }
        let n = Double(paths.count)
        print(
            String(
                format: "  per core: read .pt %.0f MB/s (%.0f ms/slide), f16+zstd %.0f MB/s of input (%.0f ms/slide)",
                bytesEach * n / read, read / n * 1000, bytesEach * n / encode, encode / n * 1000))
    }

    /// Runs a command with stdout to /dev/null (or a file); wall time and the child's CPU time.
    static func command(_ executable: String, _ arguments: [String], stdout: String? = nil) throws -> (wall: Double, cpu: Double) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let stdout { _ = FileManager.default.createFile(atPath: stdout, contents: nil) }
        process.standardOutput = FileHandle(forWritingAtPath: stdout ?? "/dev/null")
        let before = childCPUSeconds()
        let start = Date()
        try process.run()
        process.waitUntilExit()
        let wall = Date().timeIntervalSince(start)
        guard process.terminationStatus == 0 else { throw ToolError("\(executable) failed (status \(process.terminationStatus))") }
        return (wall, childCPUSeconds() - before)
    }

    static func childCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_CHILDREN.rawValue), &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    static func threadCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    static func processCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }
}

/// Writes the zip layout `torch.save(tensor)` produces for one float32 matrix (data.pkl, byteorder,
/// data/0, version; entries stored, data 64-byte aligned), so the benchmark needs no Python.
enum TorchZipFixture {
    static func tensorFile(_ values: [Float], rows: Int, cols: Int, archive: String) -> [UInt8] {
        var pickle: [UInt8] = [0x80, 0x02]
        func global(_ module: String, _ name: String) { pickle += [0x63] + Array("\(module)\n\(name)\n".utf8) }
        func text(_ s: String) { pickle += [0x58] + le32(UInt32(s.utf8.count)) + Array(s.utf8) }
        func int(_ v: Int) { pickle += [0x4A] + le32(UInt32(truncatingIfNeeded: v)) }
        global("torch._utils", "_rebuild_tensor_v2")
        pickle += [0x28, 0x28]
        text("storage")
        global("torch", "FloatStorage")
        text("0")
        text("cpu")
        int(rows * cols)
        pickle += [0x74, 0x51]
        int(0)
        int(rows)
        int(cols)
        pickle += [0x86]
        int(cols)
        int(1)
        pickle += [0x86, 0x89]
        global("collections", "OrderedDict")
        pickle += [0x29, 0x52, 0x74, 0x52, 0x2E]
        let data = values.withUnsafeBytes { Array($0) }
        return zip([
            ("\(archive)/data.pkl", pickle), ("\(archive)/byteorder", Array("little".utf8)),
            ("\(archive)/data/0", data), ("\(archive)/version", Array("3\n".utf8))
        ])
    }

    private static func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF)] }
    private static func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * $0)) & 0xFF) } }

    private static let table: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    private static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes { crc = table[Int((crc ^ UInt32(b)) & 0xFF)] ^ (crc >> 8) }
        return ~crc
    }

    private static func zip(_ entries: [(String, [UInt8])]) -> [UInt8] {
        var out: [UInt8] = []
        var central: [UInt8] = []
        for (name, data) in entries {
            let offset = out.count
            let crc = crc32(data)
            let nameBytes = Array(name.utf8)
            // Pad with an extra field so the data starts on a 64-byte boundary, as torch does.
            let unpadded = offset + 30 + nameBytes.count + 4
            let padding = (64 - unpadded % 64) % 64
            let extra = le16(0x4246) + le16(padding) + [UInt8](repeating: 0x5A, count: padding)
            let sizes = le32(crc) + le32(UInt32(data.count)) + le32(UInt32(data.count))
            out += le32(0x0403_4B50) + le16(20) + le16(0) + le16(0) + le16(0) + le16(0) + sizes
            out += le16(nameBytes.count) + le16(extra.count) + nameBytes + extra + data
            central += le32(0x0201_4B50) + le16(20) + le16(20) + le16(0) + le16(0) + le16(0) + le16(0) + sizes
            central += le16(nameBytes.count) + le16(0) + le16(0) + le16(0) + le16(0) + le32(0) + le32(UInt32(offset)) + nameBytes
        }
        let centralOffset = out.count
        out += central
        out += le32(0x0605_4B50) + le16(0) + le16(0) + le16(entries.count) + le16(entries.count)
        out += le32(UInt32(central.count)) + le32(UInt32(centralOffset)) + le16(0)
        return out
    }
}
