import Foundation

/// The memory this process may use: physical memory, or its cgroup's limit when that is lower (a
/// container, a Slurm job's cgroup). The trainer's default activation budget is a share of it.
public enum MachineMemory {
    /// Bytes: min(physical memory, the cgroup limit), read once.
    public static let limit: Int = {
        let physical = physicalBytes()
        guard let cgroup = cgroupLimit(read: { try? String(contentsOfFile: $0, encoding: .utf8) }) else { return physical }
        return min(physical, cgroup)
    }()

    /// sysconf's physical pages × page size.
    static func physicalBytes() -> Int {
        let pages = sysconf(Int32(_SC_PHYS_PAGES))
        let size = sysconf(Int32(_SC_PAGESIZE))
        return pages > 0 && size > 0 ? pages * size : 0
    }

    /// The memory limit of this process's cgroup, nil when there is none. cgroup v2: `memory.max` of
    /// the process's group (the `0::/path` line of /proc/self/cgroup), "max" meaning none; cgroup v1:
    /// `memory.limit_in_bytes` of its memory group, where "none" is a number near 2⁶³. The mount
    /// root's file is read when the group's own is not visible (a container's namespace shows "/").
    /// `read` returns a file's text or nil (tests pass a table).
    public static func cgroupLimit(read: (String) -> String?) -> Int? {
        var candidates: [String] = []
        for line in (read("/proc/self/cgroup") ?? "").split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            let path = fields[2] == "/" ? "" : String(fields[2])
            if fields[0] == "0" && fields[1].isEmpty {
                candidates.append("/sys/fs/cgroup\(path)/memory.max")
            } else if fields[1].split(separator: ",").contains("memory") {
                candidates.append("/sys/fs/cgroup/memory\(path)/memory.limit_in_bytes")
            }
        }
        candidates += ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"]
        for file in candidates {
            guard let text = read(file)?.trimmingCharacters(in: .whitespacesAndNewlines) else { continue }
            // "max" (v2) and v1's page-rounded 2⁶³ − 1 both mean no limit.
            guard let bytes = Int(text), bytes > 0, bytes < 1 << 62 else { return nil }
            return bytes
        }
        return nil
    }
}
