// zstd (Debian: libzstd-dev). Static-linking-only API is not used: only the stable interface.
#include <zstd.h>
#include <zstd_errors.h>
