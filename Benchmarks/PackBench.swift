import ArgumentParser
import Dispatch
import Foundation
import Shared

#if canImport(Glibc)
    import Glibc
#endif

/// `hmil-bench pack`: pack write and read throughput (MB/s of f32 features) next to the zstd command line
/// compressing and decompressing the same record bytes at the same level, in one run; `--table` measures
/// ratio and speed over levels, byte shuffle and dtypes on two kinds of realistic features.
struct PackBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pack",
        abstract: "Pack write/read throughput against the zstd command line; --table for the compression table.")

    @Option(help: "Bags in the pack.") var bags = 16
    @Option(help: "Instances per bag.") var instances = 3000
    @Option(help: "zstd level (default: the writer's default).") var level = PackWriter.defaultCompressionLevel
    @Option(help: "Byte shuffle on (1) or off (0) (default: the writer's default).") var shuffle = PackWriter.defaultByteShuffle ? 1 : 0
    @Flag(help: "Print the compression table (levels 1, 3, 9 × shuffle × f32/f16 × two feature kinds) instead.") var table = false

    func run() throws {
        let folder = NSTemporaryDirectory() + "hmil-bench-pack-\(getpid())"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        if table {
            try printTable(in: folder)
            return
        }
        let data = SyntheticFeatures.resnetLike(bags: bags, instances: instances, seed: 1)
        print(
            "pack: \(bags) bags × \(instances) instances × \(data[0].featureDim) (ResNet50-like, \(mb(featureBytes(data))) MB f32), zstd level \(level), shuffle \(shuffle == 1 ? "on" : "off")"
        )
        print("  MB/s of f32 features by CPU time (by wall time); zstd CLI -T1 on the same record bytes, file to file")
        print(
            "       | write         write 2 thr.  zstd -\(level)      time/cli ratio | read          stream        zstd -d       time/cli")
        for dtype in [StorageDType.f16, .f32, .bf16] {
            try compare(data, dtype: dtype, in: folder)
        }
    }

    private func compare(_ data: [Bag], dtype: StorageDType, in folder: String) throws {
        let options = PackWriter.Options(dtype: dtype, compressionLevel: level, byteShuffle: shuffle == 1, tool: "hmil-bench")
        let path = folder + "/bench.hbag"
        let f32Bytes = featureBytes(data)

        let writeTime = try time {
            let writer = try PackWriter(path: path, featureDim: data[0].featureDim, options: options)
            for bag in data { try writer.append(bag) }
            try writer.finish()
        }
        let parallelTime = try time {
            let writer = try PackWriter(path: path, featureDim: data[0].featureDim, options: options)
            try appendInParallel(data, to: writer, threads: 2)
            try writer.finish()
        }
        let reader = try PackReader(path: path)
        var checksum: Float = 0
        let readTime = try time {
            for id in reader.slideIDs { checksum += try reader.readBag(id).features[0] }
        }
        let streamTime = try time {
            let stream = try reader.bags(readAhead: 2)
            while let bag = try stream.next() { checksum += bag.features[0] }
        }

        // The zstd command line on exactly the bytes the pack compresses (its records, via `zstd -dc`).
        let raw = folder + "/records.raw"
        let compressed = folder + "/records.zst"
        try zstd(["-dc", path], stdout: raw)
        let rawSize = try FileManager.default.attributesOfItem(atPath: raw)[.size] as! Int
        let cliCompress = try time { try zstd(["-\(level)", "-T1", "-q", "-f", raw, "-o", compressed]) }
        let cliDecompress = try time { try zstd(["-d", "-T1", "-q", "-f", compressed, "-o", raw]) }
        let ratio = Double(rawSize) / Double(reader.fileSize)
        print(
            "  \(dtype.rawValue.padding(toLength: 4, withPad: " ", startingAt: 0)) | "
                + "\(writeTime.rate(f32Bytes))  \(parallelTime.rate(f32Bytes))  \(cliCompress.rate(f32Bytes))  "
                + String(format: "%4.2f× %4.2f", writeTime.cpu / cliCompress.cpu, ratio) + " | "
                + "\(readTime.rate(f32Bytes))  \(streamTime.rate(f32Bytes))  \(cliDecompress.rate(f32Bytes))  "
                + String(format: "%4.2f×", readTime.cpu / cliDecompress.cpu))
        if checksum.isNaN { print("  (checksum NaN)") }
    }

    private func printTable(in folder: String) throws {
        print("pack compression table: ratio = record bytes (storage dtype) / frame bytes; MB/s of f32 features,")
        print("one thread, by CPU time (by wall time); bytes stored per feature value")
        print("  features               dtype level shuffle | ratio  write          read         | bytes/value")
        for (name, data) in [
            ("ResNet50-like 1024-d", SyntheticFeatures.resnetLike(bags: bags / 2, instances: instances, seed: 2)),
            ("foundation-like 1536-d", SyntheticFeatures.foundationLike(bags: bags / 2, instances: instances, seed: 3))
        ] {
            let f32Bytes = featureBytes(data)
            for dtype in [StorageDType.f32, .f16] {
                for level in [1, 3, 9] {
                    for shuffle in [false, true] {
                        let path = folder + "/table.hbag"
                        let options = PackWriter.Options(dtype: dtype, compressionLevel: level, byteShuffle: shuffle)
                        let writeTime = try time {
                            let writer = try PackWriter(path: path, featureDim: data[0].featureDim, options: options)
                            for bag in data { try writer.append(bag) }
                            try writer.finish()
                        }
                        let reader = try PackReader(path: path)
                        let readTime = try time { for i in 0..<reader.count { _ = try reader.readBag(at: i) } }
                        let records = reader.entries.reduce(0) { $0 + Double($1.recordSize) }
                        let frames = reader.entries.reduce(0) { $0 + Double($1.compressedSize) }
                        let featureCount = f32Bytes / 4
                        print(
                            "  " + name.padding(toLength: 23, withPad: " ", startingAt: 0)
                                + dtype.rawValue.padding(toLength: 5, withPad: " ", startingAt: 0)
                                + String(format: "%5d ", level) + (shuffle ? "on " : "off")
                                + String(format: "     | %5.2f ", records / frames)
                                + " \(writeTime.rate(f32Bytes))  \(readTime.rate(f32Bytes)) | "
                                + String(format: "%5.2f", frames / featureCount))
                    }
                }
            }
        }
    }
}

/// Encodes bags on `threads` threads and appends them in order, as hmil-pack does.
func appendInParallel(_ bags: [Bag], to writer: PackWriter, threads: Int) throws {
    var start = 0
    while start < bags.count {
        let chunk = Array(bags[start..<min(bags.count, start + threads)])
        var encoded = [Result<EncodedBag, Error>?](repeating: nil, count: chunk.count)
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: chunk.count) { i in
            let result = Result { try writer.encode(chunk[i]) }
            lock.lock()
            encoded[i] = result
            lock.unlock()
        }
        for result in encoded { try writer.append(result!.get()) }
        start += threads
    }
}

private func featureBytes(_ bags: [Bag]) -> Double { Double(bags.reduce(0) { $0 + $1.features.count } * 4) }
private func mb(_ bytes: Double) -> String { String(format: "%.0f", bytes / 1e6) }

/// Wall and CPU time of one run (CPU: this process's threads plus finished child processes, so the zstd
/// command line is charged too). The machine is shared by many jobs: CPU time is the comparable figure,
/// wall time shows what waiting for a core cost.
struct Timing {
    var wall: Double
    var cpu: Double

    /// "cpu-rate (wall-rate)" in MB/s for `bytes`.
    func rate(_ bytes: Double) -> String {
        String(format: "%5.0f (%5.0f)", bytes / cpu / 1e6, bytes / wall / 1e6)
    }
}

private func cpuSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now)
    var children = rusage()
    getrusage(__rusage_who_t(RUSAGE_CHILDREN.rawValue), &children)
    let child =
        Double(children.ru_utime.tv_sec + children.ru_stime.tv_sec)
        + Double(children.ru_utime.tv_usec + children.ru_stime.tv_usec) / 1e6
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9 + child
}

/// Best of three runs by CPU time.
private func time(_ body: () throws -> Void) throws -> Timing {
    var best = Timing(wall: .infinity, cpu: .infinity)
    for _ in 0..<3 {
        let wall = DispatchTime.now().uptimeNanoseconds
        let cpu = cpuSeconds()
        try body()
        let run = Timing(wall: Double(DispatchTime.now().uptimeNanoseconds - wall) / 1e9, cpu: cpuSeconds() - cpu)
        if run.cpu < best.cpu { best = run }
    }
    return best
}

private func zstd(_ arguments: [String], stdout: String? = nil) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/zstd")
    process.arguments = arguments
    if let stdout {
        _ = FileManager.default.createFile(atPath: stdout, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdout))
    }
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw ToolError("zstd \(arguments.joined(separator: " ")) failed") }
}
