// Small C kernels for the loops Swift cannot vectorise with fused multiply-adds on a baseline x86-64
// target: each picks at run time an AVX2+FMA path where the CPU has one, and gives bit for bit the
// result of its scalar path (the same IEEE operations in the same order, fmaf where Swift uses
// addingProduct), so results never depend on the machine. And the one allocator setting Swift cannot
// reach (glibc's mallopt is not in its Glibc module).
#ifndef HMIL_CKERNELS_H
#define HMIL_CKERNELS_H

#include <stddef.h>

/// One Adam update of `count` values, as Shared.Adam documents it (torch's single-tensor path):
///   decoupled:  p ← p·shrink                      (AdamW; when weight decay is on)
///   else:       g ← fma(decay, p, grad)           (L2; when weight decay is on)
///   m ← fma(lerp, g − m, m);  v ← fma(oneMinusBeta2·g, g, v·beta2)
///   p ← p + (negStep·m) / (√v / correction2 + eps)
/// weightDecayMode: 0 none, 1 L2 into the gradient, 2 decoupled.
void hmil_adam_step(float *p, const float *grad, float *m, float *v, size_t count,
                    float negStep, float correction2, float eps, float lerp, float beta2, float oneMinusBeta2,
                    int weightDecayMode, float decay, float shrink);

/// 1 when the AVX2+FMA paths run on this CPU (for tests and benchmarks to say which path they checked).
int hmil_kernels_vectorised(void);

/// The scalar path of hmil_adam_step whatever the CPU (tests compare the two bit for bit).
void hmil_adam_step_scalar(float *p, const float *grad, float *m, float *v, size_t count,
                           float negStep, float correction2, float eps, float lerp, float beta2, float oneMinusBeta2,
                           int weightDecayMode, float decay, float shrink);

/// Shared's gateForward on a rows×cols matrix (row strides in floats): a ← tanh(a), b ← sigmoid(b),
/// g ← a·b, or (a·m_a)·b·m_b with dropout masks (rows×2·cols, the a half then the b half; NULL for
/// none); bit for bit the Swift loop, on 8-wide AVX. Returns 0, touching nothing, where the CPU has no
/// AVX2 (the caller runs its Swift loop).
int hmil_gate_forward(float *a, float *b, float *g, const float *masks, size_t rows, size_t cols, size_t strideA,
                      size_t strideB, size_t strideG, size_t strideMasks);

/// Shared's gateBackward likewise: from dg (g) and the forward's tanh (a) and sigmoid (b) values,
/// a ← ∂L/∂a, b ← ∂L/∂b. Returns 0 without AVX2, as above.
int hmil_gate_backward(float *a, float *b, const float *g, const float *masks, size_t rows, size_t cols, size_t strideA,
                       size_t strideB, size_t strideG, size_t strideMasks);

/// Makes the C allocator keep freed blocks for reuse rather than return them to the kernel: one arena,
/// no mmap below 1 GiB, no trimming (allocator.c says why). Call once, before any thread starts. No-op
/// outside glibc.
void hmil_reuse_freed_blocks(void);

#endif
