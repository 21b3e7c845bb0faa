// OpenSlide (Debian: libopenslide-dev), the whole-slide image reader: SVS, NDPI, MRXS, SCN, generic tiled
// TIFF, … Include path comes from pkg-config openslide. Only the stable C API is used.
#include <openslide.h>
