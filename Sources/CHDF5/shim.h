// HDF5 C library (Debian: libhdf5-dev, serial build). Include path comes from pkg-config hdf5.
#include <hdf5.h>

// HDF5's predefined type ids are macros that call H5open() and read globals, which Swift cannot
// import; these functions expose the ones hmil uses.
static inline hid_t hmil_h5t_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t hmil_h5t_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t hmil_h5t_native_int32(void) { return H5T_NATIVE_INT32; }
static inline hid_t hmil_h5t_native_int64(void) { return H5T_NATIVE_INT64; }
static inline hid_t hmil_h5t_native_uint16(void) { return H5T_NATIVE_UINT16; }
static inline hid_t hmil_h5t_ieee_f32le(void) { return H5T_IEEE_F32LE; }
static inline hid_t hmil_h5t_ieee_f16le_bits(void) { return H5T_STD_U16LE; }
static inline hid_t hmil_h5t_std_i32le(void) { return H5T_STD_I32LE; }
static inline hid_t hmil_h5t_std_i64le(void) { return H5T_STD_I64LE; }
static inline hid_t hmil_h5t_c_s1(void) { return H5T_C_S1; }
static inline hid_t hmil_h5p_dataset_create(void) { return H5P_DATASET_CREATE; }
static inline hid_t hmil_h5p_file_access(void) { return H5P_FILE_ACCESS; }
