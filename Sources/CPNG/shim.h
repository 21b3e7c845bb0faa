// libpng (Debian: libpng-dev). Include path comes from pkg-config libpng. Only libpng's "simplified API"
// (png_image_*) is used: it reports errors through png_image.message instead of longjmp, which Swift
// cannot catch.
#include <png.h>
