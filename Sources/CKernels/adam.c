#include "CKernels.h"
#include <math.h>
#include <immintrin.h>

// No contraction of a·b + c into an fma behind our back: every fused operation is written out, so the
// vector and scalar paths (and Swift's reference loop) round identically.
#pragma clang fp contract(off)

static inline void adam_element(float *p, const float *grad, float *m, float *v, size_t i,
                                float negStep, float correction2, float eps, float lerp, float beta2,
                                float oneMinusBeta2, int mode, float decay, float shrink) {
    float g = grad[i];
    if (mode == 2) p[i] *= shrink;
    else if (mode == 1) g = fmaf(decay, p[i], g);
    m[i] = fmaf(lerp, g - m[i], m[i]);
    v[i] = fmaf(oneMinusBeta2 * g, g, v[i] * beta2);
    float denominator = sqrtf(v[i]) / correction2 + eps;
    p[i] += negStep * m[i] / denominator;
}

void hmil_adam_step_scalar(float *p, const float *grad, float *m, float *v, size_t count,
                           float negStep, float correction2, float eps, float lerp, float beta2, float oneMinusBeta2,
                           int mode, float decay, float shrink) {
    for (size_t i = 0; i < count; i++)
        adam_element(p, grad, m, v, i, negStep, correction2, eps, lerp, beta2, oneMinusBeta2, mode, decay, shrink);
}

__attribute__((target("avx2,fma")))
static void adam_avx2(float *p, const float *grad, float *m, float *v, size_t count,
                      float negStep, float correction2, float eps, float lerp, float beta2, float oneMinusBeta2,
                      int mode, float decay, float shrink) {
    const __m256 vNegStep = _mm256_set1_ps(negStep), vCorrection2 = _mm256_set1_ps(correction2);
    const __m256 vEps = _mm256_set1_ps(eps), vLerp = _mm256_set1_ps(lerp), vBeta2 = _mm256_set1_ps(beta2);
    const __m256 vOneMinusBeta2 = _mm256_set1_ps(oneMinusBeta2), vDecay = _mm256_set1_ps(decay);
    const __m256 vShrink = _mm256_set1_ps(shrink);
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        __m256 pi = _mm256_loadu_ps(p + i), g = _mm256_loadu_ps(grad + i);
        __m256 mi = _mm256_loadu_ps(m + i), vi = _mm256_loadu_ps(v + i);
        if (mode == 2) pi = _mm256_mul_ps(pi, vShrink);
        else if (mode == 1) g = _mm256_fmadd_ps(vDecay, pi, g);
        mi = _mm256_fmadd_ps(vLerp, _mm256_sub_ps(g, mi), mi);
        vi = _mm256_fmadd_ps(_mm256_mul_ps(vOneMinusBeta2, g), g, _mm256_mul_ps(vi, vBeta2));
        __m256 denominator = _mm256_add_ps(_mm256_div_ps(_mm256_sqrt_ps(vi), vCorrection2), vEps);
        pi = _mm256_add_ps(pi, _mm256_div_ps(_mm256_mul_ps(vNegStep, mi), denominator));
        _mm256_storeu_ps(p + i, pi);
        _mm256_storeu_ps(m + i, mi);
        _mm256_storeu_ps(v + i, vi);
    }
    for (; i < count; i++)
        adam_element(p, grad, m, v, i, negStep, correction2, eps, lerp, beta2, oneMinusBeta2, mode, decay, shrink);
}

int hmil_kernels_vectorised(void) {
    static int known = -1;   // any thread may fill it in; every thread computes the same value
    int value = __atomic_load_n(&known, __ATOMIC_RELAXED);
    if (value < 0) {
        __builtin_cpu_init();
        value = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
        __atomic_store_n(&known, value, __ATOMIC_RELAXED);
    }
    return value;
}

void hmil_adam_step(float *p, const float *grad, float *m, float *v, size_t count,
                    float negStep, float correction2, float eps, float lerp, float beta2, float oneMinusBeta2,
                    int mode, float decay, float shrink) {
    if (hmil_kernels_vectorised())
        adam_avx2(p, grad, m, v, count, negStep, correction2, eps, lerp, beta2, oneMinusBeta2, mode, decay, shrink);
    else
        hmil_adam_step_scalar(p, grad, m, v, count, negStep, correction2, eps, lerp, beta2, oneMinusBeta2, mode, decay, shrink);
}
