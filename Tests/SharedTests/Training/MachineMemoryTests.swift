import Shared
import XCTest

/// The memory limit the default activation budget is a share of: physical memory, or the cgroup's
/// limit (v2 or v1) of the process's own group when lower.
final class MachineMemoryTests: XCTestCase {
    func testCgroupV2LimitOfTheOwnGroup() {
        let files = [
            "/proc/self/cgroup": "0::/slurm/job_7\n",
            "/sys/fs/cgroup/slurm/job_7/memory.max": "8589934592\n",
            "/sys/fs/cgroup/memory.max": "max\n"
        ]
        XCTAssertEqual(MachineMemory.cgroupLimit(read: { files[$0] }), 8 << 30)
    }

    func testCgroupV2MaxIsNoLimit() {
        let files = ["/proc/self/cgroup": "0::/\n", "/sys/fs/cgroup/memory.max": "max\n"]
        XCTAssertNil(MachineMemory.cgroupLimit(read: { files[$0] }))
    }

    /// A container's namespace shows its group as "/": the mount root's file is its own.
    func testCgroupV2InAContainerReadsTheRoot() {
        let files = ["/proc/self/cgroup": "0::/\n", "/sys/fs/cgroup/memory.max": "2147483648"]
        XCTAssertEqual(MachineMemory.cgroupLimit(read: { files[$0] }), 2 << 30)
    }

    func testCgroupV1LimitAndItsUnlimitedValue() {
        let limited = [
            "/proc/self/cgroup": "5:cpuset:/\n4:memory:/job\n0::/\n",
            "/sys/fs/cgroup/memory/job/memory.limit_in_bytes": "4294967296\n"
        ]
        XCTAssertEqual(MachineMemory.cgroupLimit(read: { limited[$0] }), 4 << 30)
        let unlimited = [
            "/proc/self/cgroup": "4:memory:/job\n",
            "/sys/fs/cgroup/memory/job/memory.limit_in_bytes": "9223372036854771712\n"
        ]
        XCTAssertNil(MachineMemory.cgroupLimit(read: { unlimited[$0] }))
    }

    func testNoCgroupFilesIsNoLimit() {
        XCTAssertNil(MachineMemory.cgroupLimit(read: { _ in nil }))
    }

    func testTheLimitIsPositiveAndTheDefaultBudgetAQuarterOfIt() {
        XCTAssertGreaterThan(MachineMemory.limit, 0)
        XCTAssertEqual(Trainer.defaultMemoryBudget, MachineMemory.limit / 4)
    }
}
