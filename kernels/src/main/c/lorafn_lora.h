/*
 * LoRA's entry points and its expand, once for both builds of the C products (lorafn_cpu_kernels.c,
 * lorafn_cpu_kernels_avx2.c); each build's shrink is its own (lora_shrink, defined before this is included). The
 * expand: y[o] += scale · Σ_k u[k]·t[k][o], t's rank rows of n F32 or BF16 values. For each output, multiply-adds over k
 * ascending from zero, then one multiply-add into y (the Java path's expand, then VectorMath.addScaled): a lane
 * per output, so any vector width gives those bits. Blocks of four vectors of outputs read the rank rows side by
 * side, so the sums stay in registers; expanding row after row re-read and re-wrote the whole output rank times
 * (1b, 8 distinct rank-16 adapters at batch 8: 255 -> 235 us a hand-off). The hardware prefetcher follows the rank
 * streams: prefetching 2 KiB ahead in each changed nothing.
 *
 * The including file defines LORA_BITS (its vectors' width: 512 or 256) and lora_vec_load(t, i, bf16) (a vector's
 * worth of an F32 or BF16 row from i); the other vector operations are that width's intrinsics.
 */
#ifndef LORAFN_LORA_H
#define LORAFN_LORA_H

#include <immintrin.h>
#include <math.h>
#include <stdint.h>

#define LORA_PASTE(a, b, c) a##b##c
#define LORA_NAME(a, bits, c) LORA_PASTE(a, bits, c)
#define LORA_VEC LORA_NAME(__m, LORA_BITS, )
#define LORA_LANES (LORA_BITS / 32)
#define lora_vec_zero LORA_NAME(_mm, LORA_BITS, _setzero_ps)
#define lora_vec_set1 LORA_NAME(_mm, LORA_BITS, _set1_ps)
#define lora_vec_fma LORA_NAME(_mm, LORA_BITS, _fmadd_ps)
#define lora_vec_loadu LORA_NAME(_mm, LORA_BITS, _loadu_ps)
#define lora_vec_store LORA_NAME(_mm, LORA_BITS, _storeu_ps)

/* Element i of an adapter matrix's rows as a float (F32 as it is, BF16 as the top half of one). */
static inline float lora_load1(const void *t, int64_t i, int bf16) {
    if (!bf16) {
        return ((const float *) t)[i];
    }
    union { uint32_t u; float f; } v = { (uint32_t) ((const uint16_t *) t)[i] << 16 };
    return v.f;
}

/* Outputs [from, to) of rank rows `stride` values long: a window's outputs get the same bits as the whole row's. */
static inline __attribute__((always_inline)) void lora_expand_add(const void *t, int bf16, int32_t rank, const float *u, int64_t stride,
                                                                  int32_t from, int32_t to, float scale, float *y) {
    const int32_t l = LORA_LANES;
    LORA_VEC s = lora_vec_set1(scale);
    int32_t o = from;
    for (; o + 4 * l <= to; o += 4 * l) {
        LORA_VEC a0 = lora_vec_zero(), a1 = a0, a2 = a0, a3 = a0;
        for (int32_t k = 0; k < rank; k++) {
            int64_t row = k * stride + o;
            LORA_VEC uk = lora_vec_set1(u[k]);
            a0 = lora_vec_fma(lora_vec_load(t, row, bf16), uk, a0);
            a1 = lora_vec_fma(lora_vec_load(t, row + l, bf16), uk, a1);
            a2 = lora_vec_fma(lora_vec_load(t, row + 2 * l, bf16), uk, a2);
            a3 = lora_vec_fma(lora_vec_load(t, row + 3 * l, bf16), uk, a3);
        }
        lora_vec_store(y + o, lora_vec_fma(a0, s, lora_vec_loadu(y + o)));
        lora_vec_store(y + o + l, lora_vec_fma(a1, s, lora_vec_loadu(y + o + l)));
        lora_vec_store(y + o + 2 * l, lora_vec_fma(a2, s, lora_vec_loadu(y + o + 2 * l)));
        lora_vec_store(y + o + 3 * l, lora_vec_fma(a3, s, lora_vec_loadu(y + o + 3 * l)));
    }
    for (; o + l <= to; o += l) {
        LORA_VEC a = lora_vec_zero();
        for (int32_t k = 0; k < rank; k++) {
            a = lora_vec_fma(lora_vec_load(t, k * stride + o, bf16), lora_vec_set1(u[k]), a);
        }
        lora_vec_store(y + o, lora_vec_fma(a, s, lora_vec_loadu(y + o)));
    }
    for (; o < to; o++) {
        float a = 0.0f;
        for (int32_t k = 0; k < rank; k++) {
            a = fmaf(lora_load1(t, k * stride + o, bf16), u[k], a);
        }
        y[o] = fmaf(a, scale, y[o]);
    }
}

void lf_f32_lora_shrink(const float *a, int32_t rank, const float *x, int32_t n, float *shrunk) {
    lora_shrink(a, 0, rank, x, n, shrunk);
}

void lf_bf16_lora_shrink(const uint8_t *a, int32_t rank, const float *x, int32_t n, float *shrunk) {
    lora_shrink(a, 1, rank, x, n, shrunk);
}

/* Outputs [from, to) of rows n long (CpuBackend's fused expand runs a window of rows after their base product). */
void lf_f32_lora_expand_add(const float *t, int32_t rank, const float *u, int32_t n, int32_t from, int32_t to, float scale, float *y) {
    lora_expand_add(t, 0, rank, u, n, from, to, scale, y);
}

void lf_bf16_lora_expand_add(const uint8_t *t, int32_t rank, const float *u, int32_t n, int32_t from, int32_t to, float scale, float *y) {
    lora_expand_add(t, 1, rank, u, n, from, to, scale, y);
}

#endif
