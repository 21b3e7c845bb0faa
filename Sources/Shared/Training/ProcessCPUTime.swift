#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// CPU seconds this process has used so far, user + system, over all its threads (getrusage
/// RUSAGE_SELF). Training records it per fold (`cpu_seconds` of the models document) because wall time
/// on a shared machine says little about what a configuration costs.
public enum ProcessCPUTime {
    // Glibc imports RUSAGE_SELF as an enum case, getrusage wants its raw value.
    #if canImport(Glibc)
        private static let selfOnly = __rusage_who_t(RUSAGE_SELF.rawValue)
    #else
        private static let selfOnly = RUSAGE_SELF
    #endif

    public static func seconds() -> Double {
        var usage = rusage()
        guard getrusage(selfOnly, &usage) == 0 else { return 0 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    private static func seconds(_ time: timeval) -> Double {
        Double(time.tv_sec) + Double(time.tv_usec) / 1_000_000
    }
}
