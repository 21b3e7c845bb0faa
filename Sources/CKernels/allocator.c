#include "CKernels.h"
#include <stdlib.h>  // defines __GLIBC__ on glibc (stddef.h, the compiler's, does not)

#if defined(__GLIBC__)
#include <malloc.h>
#endif

// glibc serves a block above its mmap threshold (at most 32 MiB, and every block a thread's own
// arena cannot hold: those arenas are 64 MiB heaps) with a fresh mmap, and unmaps it on free. A tool
// that decodes bag after bag of tens of MiB then pays the kernel's page faults and zeroing for every
// bag, every epoch (7 % of hmil-train's CPU on 2 k–20 k-instance bags, issue 12). One arena, no mmap
// below 1 GiB and no trimming keep freed blocks in the heap for the next bag of similar size.
void hmil_reuse_freed_blocks(void) {
#if defined(__GLIBC__)
    mallopt(M_ARENA_MAX, 1);
    mallopt(M_MMAP_THRESHOLD, 1 << 30);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
}
