#include "CKernels.h"
#include <immintrin.h>
#include <string.h>

// The gate g = tanh(a)·sigmoid(b) of gated attention, and its backward, row by row: the same
// IEEE operations in the same order as Shared's vexp/vtanh/vsigmoid and gateForward/gateBackward
// (SIMD8<Float>, which a baseline x86-64 build runs as two 4-wide halves), on 8-wide AVX registers.
// No fused multiply-adds: Swift does not contract a·b + c, so neither may this file.
#pragma clang fp contract(off)

__attribute__((target("avx2"))) static inline __m256 pick(__m256 where, __m256 yes, __m256 no) {
    return _mm256_blendv_ps(no, yes, where);
}

__attribute__((target("avx2"))) static inline __m256 vexp8(__m256 input) {
    const __m256 low = _mm256_set1_ps(-87.3f), high = _mm256_set1_ps(88.3f), magic = _mm256_set1_ps(12582912.0f);
    __m256 x = pick(_mm256_cmp_ps(input, low, _CMP_LT_OQ), low, input);
    x = pick(_mm256_cmp_ps(x, high, _CMP_GT_OQ), high, x);
    __m256 shifted = _mm256_add_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504f)), magic);
    __m256 n = _mm256_sub_ps(shifted, magic);
    __m256 r = _mm256_sub_ps(x, _mm256_mul_ps(n, _mm256_set1_ps(0.693359375f)));
    r = _mm256_sub_ps(r, _mm256_mul_ps(n, _mm256_set1_ps(-2.1219444e-4f)));
    __m256 r2 = _mm256_mul_ps(r, r);
    __m256 p = _mm256_set1_ps(1.98756915e-4f);
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(1.39819995e-3f));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(8.3334519e-3f));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(4.16657959e-2f));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(1.66666655e-1f));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(5.00000012e-1f));
    __m256 er = _mm256_add_ps(_mm256_add_ps(_mm256_mul_ps(p, r2), r), _mm256_set1_ps(1.0f));
    __m256i integer = _mm256_sub_epi32(_mm256_castps_si256(shifted), _mm256_set1_epi32(0x4B400000));
    __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(integer, _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(er, _mm256_castsi256_ps(bits));
}

__attribute__((target("avx2"))) static inline __m256 negate(__m256 x) {
    return _mm256_xor_ps(x, _mm256_set1_ps(-0.0f));
}

__attribute__((target("avx2"))) static inline __m256 vsigmoid8(__m256 x) {
    const __m256 one = _mm256_set1_ps(1.0f);
    return _mm256_div_ps(one, _mm256_add_ps(one, vexp8(negate(x))));
}

__attribute__((target("avx2"))) static inline __m256 vtanh8(__m256 x) {
    __m256 negative = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ);
    __m256 ax = pick(negative, negate(x), x);
    __m256 z = _mm256_mul_ps(x, x);
    __m256 p = _mm256_set1_ps(-5.70498872e-3f);
    p = _mm256_add_ps(_mm256_mul_ps(p, z), _mm256_set1_ps(2.06390888e-2f));
    p = _mm256_sub_ps(_mm256_mul_ps(p, z), _mm256_set1_ps(5.37397156e-2f));
    p = _mm256_add_ps(_mm256_mul_ps(p, z), _mm256_set1_ps(1.33314422e-1f));
    p = _mm256_sub_ps(_mm256_mul_ps(p, z), _mm256_set1_ps(3.33332819e-1f));
    __m256 small = _mm256_add_ps(_mm256_mul_ps(_mm256_mul_ps(p, z), x), x);
    const __m256 one = _mm256_set1_ps(1.0f), two = _mm256_set1_ps(2.0f);
    __m256 large = _mm256_sub_ps(one, _mm256_div_ps(two, _mm256_add_ps(vexp8(_mm256_mul_ps(two, ax)), one)));
    __m256 sign = pick(negative, negate(large), large);
    return pick(_mm256_cmp_ps(ax, _mm256_set1_ps(0.625f), _CMP_LT_OQ), small, sign);
}

// Forward of 8 lanes from and to memory; `ma`/`mb` NULL for no dropout.
__attribute__((target("avx2"))) static inline void gate_forward8(float *a, float *b, float *g, const float *ma,
                                                                 const float *mb) {
    __m256 t = vtanh8(_mm256_loadu_ps(a)), s = vsigmoid8(_mm256_loadu_ps(b));
    _mm256_storeu_ps(a, t);
    _mm256_storeu_ps(b, s);
    if (ma)
        _mm256_storeu_ps(g, _mm256_mul_ps(_mm256_mul_ps(_mm256_mul_ps(t, _mm256_loadu_ps(ma)), s), _mm256_loadu_ps(mb)));
    else
        _mm256_storeu_ps(g, _mm256_mul_ps(t, s));
}

__attribute__((target("avx2"))) static void gate_forward_avx2(float *a, float *b, float *g, const float *ma,
                                                              const float *mb, size_t count) {
    size_t j = 0;
    for (; j + 8 <= count; j += 8) gate_forward8(a + j, b + j, g + j, ma ? ma + j : NULL, mb ? mb + j : NULL);
    if (j == count) return;
    // The tail through padded vectors, as Swift's fastTanh/fastSigmoid run one lane of a vector.
    size_t lanes = count - j;
    float pa[8] = {0}, pb[8] = {0}, pg[8], pma[8] = {0}, pmb[8] = {0};
    memcpy(pa, a + j, lanes * sizeof(float));
    memcpy(pb, b + j, lanes * sizeof(float));
    if (ma) {
        memcpy(pma, ma + j, lanes * sizeof(float));
        memcpy(pmb, mb + j, lanes * sizeof(float));
    }
    gate_forward8(pa, pb, pg, ma ? pma : NULL, ma ? pmb : NULL);
    memcpy(a + j, pa, lanes * sizeof(float));
    memcpy(b + j, pb, lanes * sizeof(float));
    memcpy(g + j, pg, lanes * sizeof(float));
}

__attribute__((target("avx2"))) static void gate_backward_avx2(float *a, float *b, const float *g, const float *ma,
                                                               const float *mb, size_t count) {
    const __m256 one = _mm256_set1_ps(1.0f);
    size_t j = 0;
    for (; j + 8 <= count; j += 8) {
        __m256 t = _mm256_loadu_ps(a + j), s = _mm256_loadu_ps(b + j), dg = _mm256_loadu_ps(g + j);
        if (ma) dg = _mm256_mul_ps(_mm256_mul_ps(dg, _mm256_loadu_ps(ma + j)), _mm256_loadu_ps(mb + j));
        else dg = _mm256_mul_ps(_mm256_mul_ps(dg, one), one);
        _mm256_storeu_ps(a + j, _mm256_mul_ps(_mm256_mul_ps(dg, s), _mm256_sub_ps(one, _mm256_mul_ps(t, t))));
        _mm256_storeu_ps(b + j, _mm256_mul_ps(_mm256_mul_ps(_mm256_mul_ps(dg, t), s), _mm256_sub_ps(one, s)));
    }
    // Swift's scalar tail multiplies the two masks first.
    for (; j < count; j++) {
        float t = a[j], s = b[j], dg = g[j];
        if (ma) dg *= ma[j] * mb[j];
        a[j] = dg * s * (1 - t * t);
        b[j] = dg * t * s * (1 - s);
    }
}

int hmil_gate_forward(float *a, float *b, float *g, const float *masks, size_t rows, size_t cols, size_t strideA,
                      size_t strideB, size_t strideG, size_t strideMasks) {
    if (!hmil_kernels_vectorised()) return 0;
    for (size_t i = 0; i < rows; i++) {
        const float *ma = masks ? masks + i * strideMasks : NULL;
        gate_forward_avx2(a + i * strideA, b + i * strideB, g + i * strideG, ma, ma ? ma + cols : NULL, cols);
    }
    return 1;
}

int hmil_gate_backward(float *a, float *b, const float *g, const float *masks, size_t rows, size_t cols, size_t strideA,
                       size_t strideB, size_t strideG, size_t strideMasks) {
    if (!hmil_kernels_vectorised()) return 0;
    for (size_t i = 0; i < rows; i++) {
        const float *ma = masks ? masks + i * strideMasks : NULL;
        gate_backward_avx2(a + i * strideA, b + i * strideB, g + i * strideG, ma, ma ? ma + cols : NULL, cols);
    }
    return 1;
}
