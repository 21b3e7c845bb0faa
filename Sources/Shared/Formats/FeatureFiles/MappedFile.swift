import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A read-only memory map of a whole file, so readers take tensors straight from the page cache
/// instead of copying the file first. Empty files map to an empty buffer.
final class MappedFile {
    let path: String
    let bytes: UnsafeRawBufferPointer
    private let address: UnsafeMutableRawPointer?

    init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw ToolError("cannot open file: \(String(cString: strerror(errno)))", at: path, hint: "check the path and permissions")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw ToolError("cannot stat file: \(String(cString: strerror(errno)))", at: path)
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw ToolError("not a regular file", at: path) }
        let size = Int(info.st_size)
        guard size > 0 else {
            address = nil
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let mapped, mapped != MAP_FAILED else {
            throw ToolError("cannot map file: \(String(cString: strerror(errno)))", at: path)
        }
        // Readers go through the whole file: from a cold cache, ask for all of it now rather than one
        // readahead window per fault. (Advice only; a failure changes nothing.)
        _ = madvise(mapped, size, MADV_WILLNEED)
        address = mapped
        bytes = UnsafeRawBufferPointer(start: mapped, count: size)
    }

    deinit {
        if let address { munmap(address, bytes.count) }
    }
}
