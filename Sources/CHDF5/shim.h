// HDF5 C library (Debian: libhdf5-dev, serial build). Include path comes from pkg-config hdf5.
#include <hdf5.h>
