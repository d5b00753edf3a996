/*
 * The exact Q8_0 and Q4_0 tile products' entry points, which NativeProducts binds, once for both builds
 * (lorafn_cpu_kernels.c, lorafn_cpu_kernels_avx2.c): the including file has defined
 * tiles(w, q8, tile_bytes, first, rows, x, n, batch, out, out_stride) for its vector width. With one sequence
 * (batch 1) they are the formats' matrix-vector products too.
 */
#ifndef LORAFN_TILE_PRODUCTS_H
#define LORAFN_TILE_PRODUCTS_H

#include <stdint.h>

void lf_q8_0_matmul(const uint8_t *w, int64_t tile_bytes, int32_t first, int32_t rows, const float *x, int32_t n, int32_t batch,
                    float *out, int32_t out_stride) {
    tiles(w, 1, tile_bytes, first, rows, x, n, batch, out, out_stride);
}

void lf_q4_0_matmul(const uint8_t *w, int64_t tile_bytes, int32_t first, int32_t rows, const float *x, int32_t n, int32_t batch,
                    float *out, int32_t out_stride) {
    tiles(w, 0, tile_bytes, first, rows, x, n, batch, out, out_stride);
}

#endif
