import CHDF5
import Foundation

/// One HDF5 attribute's value, as h5py writes them: numbers (a scalar or a small array, any integer or
/// float type, converted to Double by HDF5) or text (a variable- or fixed-length string).
enum HDF5Attribute: Equatable {
    case numbers([Double])
    case text(String)

    /// The single number of a scalar attribute (or a one-element array).
    var number: Double? {
        if case .numbers(let values) = self, values.count == 1 { return values[0] }
        return nil
    }
}

extension HDF5Library {
    /// Most elements an attribute may have to be read; the geometry attributes are scalars or pairs.
    static let maximumAttributeElements = 64
    /// Longest string attribute read.
    static let maximumAttributeText = 4096

    /// The attributes `names` of the object `object` ("/" for the file's root, or a dataset path) that exist,
    /// by name. Call inside `HDF5Library.locked`. Attributes of other types (compound, references) are an error.
    static func attributes(file: hid_t, object: String, names: [String]) throws -> [String: HDF5Attribute] {
        var found: [String: HDF5Attribute] = [:]
        for name in names where H5Aexists_by_name(file, object, name, 0) > 0 {
            let attribute = try check(H5Aopen_by_name(file, object, name, 0, 0), "cannot open attribute '\(name)' of '\(object)'")
            defer { H5Aclose(attribute) }
            found[name] = try read(attribute, label: "attribute '\(name)' of '\(object)'")
        }
        return found
    }

    private static func read(_ attribute: hid_t, label: String) throws -> HDF5Attribute {
        let type = try check(H5Aget_type(attribute), "cannot read the type of \(label)")
        defer { H5Tclose(type) }
        let space = try check(H5Aget_space(attribute), "cannot read the shape of \(label)")
        defer { H5Sclose(space) }
        let count = Int(H5Sget_simple_extent_npoints(space))
        guard (1...maximumAttributeElements).contains(count) else {
            throw FeatureFileProblem("\(label) has \(count) elements, expected a scalar or a short array")
        }
        switch H5Tget_class(type) {
        case H5T_INTEGER, H5T_FLOAT:
            var values = [Double](repeating: 0, count: count)
            try check(H5Aread(attribute, hmil_h5t_native_double(), &values), "cannot read \(label)")
            return .numbers(values)
        case H5T_STRING:
            guard count == 1 else { throw FeatureFileProblem("\(label) is an array of \(count) strings, expected one") }
            return .text(try readText(attribute, type: type, label: label))
        default:
            throw FeatureFileProblem("\(label) is neither a number nor a string")
        }
    }

    /// A scalar string attribute, variable-length (h5py's `str`) or fixed-length (numpy `bytes_`).
    private static func readText(_ attribute: hid_t, type: hid_t, label: String) throws -> String {
        let memoryType = try check(H5Tcopy(hmil_h5t_c_s1()), "cannot read \(label)")
        defer { H5Tclose(memoryType) }
        H5Tset_cset(memoryType, H5Tget_cset(type))
        if H5Tis_variable_str(type) > 0 {
            H5Tset_size(memoryType, -1 /* H5T_VARIABLE = SIZE_MAX, a macro Swift cannot import */)
            var pointer: UnsafeMutablePointer<CChar>?
            try check(H5Aread(attribute, memoryType, &pointer), "cannot read \(label)")
            guard let pointer else { return "" }
            defer { H5free_memory(pointer) }
            let length = strnlen(pointer, maximumAttributeText + 1)
            guard length <= maximumAttributeText else { throw FeatureFileProblem("\(label) is longer than \(maximumAttributeText) bytes") }
            return String(decoding: UnsafeRawBufferPointer(start: pointer, count: length), as: UTF8.self)
        }
        let size = H5Tget_size(type)
        guard (1...maximumAttributeText).contains(size) else { throw FeatureFileProblem("\(label) is a string of \(size) bytes") }
        // Read in the file's own string type: converting to C's NUL-terminated type would drop the last
        // character of a NUL-padded string that fills its size (numpy's bytes_, e.g. b"um" in 2 bytes).
        var bytes = [UInt8](repeating: 0, count: size)
        try check(H5Aread(attribute, type, &bytes), "cannot read \(label)")
        // Fixed-length strings are NUL-padded (or NUL-terminated, or space-padded by Fortran writers).
        let text = bytes.prefix { $0 != 0 }
        return String(decoding: text, as: UTF8.self).trimmingCharacters(in: .whitespaces)
    }
}
