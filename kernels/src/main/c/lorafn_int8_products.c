/*
 * Q8_0 and Q4_0 products on 8-bit activations (llama.cpp's method), with AVX-512 VNNI, called
 * from Java through the FFM API (io.lorafn.kernels.cpu.NativeInt8Products; io.lorafn.kernels.cpu.Int8Products is the reference).
 *
 * Why: the exact products decode every weight to F32 and multiply-add in F32. Q4_0 at batch 1 and every format
 * at batch 8 are bound by that arithmetic, not by memory. Here one vpdpbusd multiplies 64 weight bytes by 64
 * activation bytes and sums them in fours into sixteen 32-bit lanes, exactly; only the per-block scaling is
 * floating point.
 *
 * Both formats are stored in tiles of 16 interleaved rows (io.lorafn.kernels.WeightFormat, lorafn_tiles.h), one
 * row per 32-bit lane: vpdpbusd multiplies each row's four weights of a word by the same four activation bytes
 * (broadcast), so a block of 16 rows costs eight vpdpbusd, and its scaling is one vector for all 16 rows. A
 * block's weights are decoded once for every sequence of a batch.
 *
 * The result, defined in Int8Products: activations are quantized per block of 32 (QuantizedActivations: dx =
 * max|x| / 127, q = rint(x / dx)); for each block b in order, s_b = the exact sum of w·q over its 32 weights
 * (w the Q8_0 byte, or the Q4_0 nibble - 8), and acc = fma(dw_b·dx_b, (float) s_b, acc) from acc = 0; the row's
 * value is acc. Integer sums are exact, so a batched product gives each sequence the bits of its solo product.
 *
 * vpdpbusd multiplies unsigned by signed bytes: the weights are the unsigned side (a Q8_0 byte plus 128, which
 * flips its top bit; a Q4_0 nibble as it is, w + 8), and each lane starts from minus that offset times the block's
 * sum of activation bytes (block_sums), which keeps every sum exact.
 */
#include <immintrin.h>
#include <stdint.h>

#include "lorafn_tiles.h"

#define INT8_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,f16c,fma")))
#define INLINE static inline __attribute__((always_inline)) INT8_TARGET

#define MAX_GROUP 8

/* The integer sums of one block of a tile for one sequence: weights[k] the unsigned weights of columns 4k..4k+3, x4 the block's activation bytes in eight words. */
INLINE __m512i tile_sums(const __m512i weights[8], const int32_t *x4, int32_t start) {
    __m512i s0 = _mm512_set1_epi32(start), s1 = _mm512_setzero_si512();
    for (int c = 0; c < 4; c++) {
        s0 = _mm512_dpbusd_epi32(s0, weights[c], _mm512_set1_epi32(x4[c]));
        s1 = _mm512_dpbusd_epi32(s1, weights[4 + c], _mm512_set1_epi32(x4[4 + c]));
    }
    return _mm512_add_epi32(s0, s1);
}

/*
 * The 16 rows' weights of one block as the unsigned side, weights[k] holding columns 4k..4k+3: Q8_0's eight words
 * with their top bits flipped; Q4_0's four words' low nibbles (columns 4c..) then their high ones (16 + 4c..).
 */
INLINE void unsigned_weights(const uint8_t *words, int q8, __m512i weights[8]) {
    if (q8) {
        for (int k = 0; k < 8; k++) {
            weights[k] = _mm512_xor_si512(_mm512_loadu_si512(words + 64 * k), _mm512_set1_epi8((char) 0x80));
        }
        return;
    }
    const __m512i low = _mm512_set1_epi8(0x0F);
    for (int c = 0; c < 4; c++) {
        __m512i q = _mm512_loadu_si512(words + 64 * c);
        weights[c] = _mm512_and_si512(q, low);
        weights[4 + c] = _mm512_and_si512(_mm512_srli_epi16(q, 4), low);
    }
}

/* One tile for a group of sequences (a constant once inlined, so the accumulators stay in registers). */
INLINE void tile_group(const uint8_t *tile, int q8, int32_t blocks, const int8_t *xq, const int32_t *block_sums,
                       const float *block_scales, int32_t n, const int32_t group, side_prefetch *side, __m512 acc[MAX_GROUP]) {
    int32_t pair = q8 ? TILE_Q8_PAIR : TILE_Q4_PAIR, offset = q8 ? 128 : 8;
    for (int32_t s = 0; s < group; s++) {
        acc[s] = _mm512_setzero_ps();
    }
    for (int32_t b = 0; b < blocks; b++) {
        if (group > 1) { /* a group of one is batch 1 (or a batch's last sequence, its tile already read) */
            tile_prefetch(tile, pair, b);
            side_prefetch_step(side);
        }
        __m512i weights[8];
        unsigned_weights(tile_words(tile, pair, b), q8, weights);
        __m512 dw = tile_scales(tile, pair, b);
        for (int32_t s = 0; s < group; s++) {
            __m512i sums = tile_sums(weights, (const int32_t *) (xq + (int64_t) s * n + 32 * b), -offset * block_sums[s * blocks + b]);
            __m512 scale = _mm512_mul_ps(dw, _mm512_set1_ps(block_scales[(int64_t) s * (n / 32) + b]));
            acc[s] = _mm512_fmadd_ps(scale, _mm512_cvtepi32_ps(sums), acc[s]);
        }
    }
}

/*
 * out[s·out_stride + r - first] = row r · sequence s for rows [first, first + rows) of the tiles at w (tile_bytes
 * apart, the first holding row first; out_stride unused at batch 1): xq n signed bytes a sequence, block_sums
 * each block's sum of them, block_scales each block's dx, the sequences one after another. Up to eight
 * sequences at a time; each gets the bits of its solo product. Batches of several sequences also prefetch the
 * `side_ranges` (address, bytes) pairs at `side` (side_prefetch) as they go.
 */
INLINE void tiles(const uint8_t *w, int q8, int64_t tile_bytes, int32_t first, int32_t rows, const int8_t *xq, const int32_t *block_sums,
                  const float *block_scales, int32_t n, int32_t batch, float *out, int32_t out_stride, const int64_t *side,
                  int32_t side_ranges) {
    int32_t blocks = n / 32;
    int64_t tile_count = (first + rows + 15) / 16 - first / 16;
    side_prefetch others = side_prefetch_start(side, batch > 1 ? side_ranges : 0, tile_count * blocks);
    for (int32_t t = first / 16; 16 * t < first + rows; t++) {
        int32_t from, to;
        const uint8_t *tile = tile_at(w, tile_bytes, first, rows, t, &from, &to);
        for (int32_t s0 = 0; s0 < batch; s0 += MAX_GROUP) {
            int32_t group = batch - s0 < MAX_GROUP ? batch - s0 : MAX_GROUP;
            const int8_t *xs = xq + (int64_t) s0 * n;
            const int32_t *sums = block_sums + (int64_t) s0 * blocks;
            const float *ls = block_scales + (int64_t) s0 * (n / 32);
            __m512 acc[MAX_GROUP];
            switch (group) {
                case 1: tile_group(tile, q8, blocks, xs, sums, ls, n, 1, NULL, acc); break; /* batch 1, or a last sequence: no prefetching */
                case 2: tile_group(tile, q8, blocks, xs, sums, ls, n, 2, &others, acc); break;
                case 3: tile_group(tile, q8, blocks, xs, sums, ls, n, 3, &others, acc); break;
                case 4: tile_group(tile, q8, blocks, xs, sums, ls, n, 4, &others, acc); break;
                case 5: tile_group(tile, q8, blocks, xs, sums, ls, n, 5, &others, acc); break;
                case 6: tile_group(tile, q8, blocks, xs, sums, ls, n, 6, &others, acc); break;
                case 7: tile_group(tile, q8, blocks, xs, sums, ls, n, 7, &others, acc); break;
                default: tile_group(tile, q8, blocks, xs, sums, ls, n, 8, &others, acc); break;
            }
            for (int32_t s = 0; s < group; s++) {
                store_lanes(acc[s], from, to, out + (int64_t) (s0 + s) * out_stride + 16 * t + from - first);
            }
        }
    }
}

INT8_TARGET void lf_q8_0_matmul_int8(const uint8_t *w, int64_t tile_bytes, int32_t first, int32_t rows, const int8_t *xq,
                                     const int32_t *block_sums, const float *block_scales, int32_t n, int32_t batch, float *out,
                                     int32_t out_stride, const int64_t *side, int32_t side_ranges) {
    tiles(w, 1, tile_bytes, first, rows, xq, block_sums, block_scales, n, batch, out, out_stride, side, side_ranges);
}

INT8_TARGET void lf_q4_0_matmul_int8(const uint8_t *w, int64_t tile_bytes, int32_t first, int32_t rows, const int8_t *xq,
                                     const int32_t *block_sums, const float *block_scales, int32_t n, int32_t batch, float *out,
                                     int32_t out_stride, const int64_t *side, int32_t side_ranges) {
    tiles(w, 0, tile_bytes, first, rows, xq, block_sums, block_scales, n, batch, out, out_stride, side, side_ranges);
}

/*
 * QuantizedActivations.quantize in C: for each block of 32 of x (n a multiple of 32), dx = max|x| / 127,
 * q = rint(x / dx) clamped to ±127 (rint through the default rounding mode, nearest even, as Java's
 * Math.rint), each block's scale (dx) and sum of q.
 */
INT8_TARGET void lf_quantize_activations(const float *x, int32_t n, int8_t *values, float *block_scales, int32_t *block_sums) {
    const __m512i limit = _mm512_set1_epi32(127);
    for (int32_t i = 0; i < n; i += 32) {
        __m512 lo = _mm512_loadu_ps(x + i), hi = _mm512_loadu_ps(x + i + 16);
        float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(lo), _mm512_abs_ps(hi)));
        float dx = amax / 127.0f;
        float inverse = dx != 0.0f ? 1.0f / dx : 0.0f;
        __m512 scale = _mm512_set1_ps(inverse);
        __m512i qlo = _mm512_cvt_roundps_epi32(_mm512_mul_ps(lo, scale), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        __m512i qhi = _mm512_cvt_roundps_epi32(_mm512_mul_ps(hi, scale), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        qlo = _mm512_max_epi32(_mm512_min_epi32(qlo, limit), _mm512_sub_epi32(_mm512_setzero_si512(), limit));
        qhi = _mm512_max_epi32(_mm512_min_epi32(qhi, limit), _mm512_sub_epi32(_mm512_setzero_si512(), limit));
        __m256i q = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm512_cvtepi32_epi8(qlo)), _mm512_cvtepi32_epi8(qhi), 1);
        _mm256_storeu_si256((__m256i *) (values + i), q);
        block_scales[i / 32] = dx;
        block_sums[i / 32] = _mm512_reduce_add_epi32(_mm512_add_epi32(qlo, qhi));
    }
}

/*
 * BF16 weights with activations rounded to BF16 (llama.cpp's vec_dot_type for BF16), with AVX512_BF16's vdpbf16ps:
 * 32 multiply-adds an instruction and no decoding, where the exact BF16 products decode each weight to F32 and spend an
 * FMA on each. Bf16Dot (Java) defines the bits: per (row, sequence) one accumulator of 16 lanes, from zero, through the
 * row's 32-column chunks in order, lane l adding chunk column 2l+1's product, rounded to nearest even, then column
 * 2l's, rounded, with denormal inputs and results flushed to zero (the instruction's own rounding, checked on Zen 4:
 * RESULTS.md, fifteenth session); then the lanes folded in a fixed order (fold16). Rows go four at a time and sequences
 * two at a time, so that each load feeds several instructions; each (row, sequence) keeps its order, so a batch
 * gives every sequence its solo bits. Callers check the CPU has avx512_bf16.
 */
#define BF16DOT_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512bf16")))

/* Lane i + lane i+8, then i + i+4, then i + i+2, then lane 0 + lane 1 (Bf16Dot.fold). */
static inline __attribute__((always_inline)) BF16DOT_TARGET float fold16(__m512 v) {
    __m256 a = _mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
    __m128 b = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    __m128 c = _mm_add_ps(b, _mm_movehl_ps(b, b));
    return _mm_cvtss_f32(_mm_add_ss(c, _mm_shuffle_ps(c, c, 1)));
}

static inline __attribute__((always_inline)) BF16DOT_TARGET __m512bh bf16_chunk(const void *at) {
    return (__m512bh) _mm512_loadu_si512(at);
}

/*
 * Batch 1 reads each weight once for one multiply-add, so it is bound by the misses in flight rather than by the
 * instructions; it streams as the exact BF16 matvec does (lorafn_cpu_kernels.c): rows of more than 2048 columns eight
 * side by side, each stream read 4 KB ahead into L2, and shorter rows one at a time, 2 KB ahead into L1 and 4 KB into
 * L2. Against the four-row loop, at batch 1 from memory on a Zen 4 at 45-60 GB/s (kernel-bench.sh alternate, ten
 * passes each, two threads, a pass's GB/s over the mean of the read passes either side): 8192 x 2048 0.895 -> 0.92,
 * 2048 x 8192 0.875 -> 0.925. Eight rows over 2048 columns was worse (0.855), and one row over 8192 (0.78). Each row
 * keeps its one accumulator in column order: the same bits.
 */
static inline __attribute__((always_inline)) BF16DOT_TARGET void bf16x_eight_rows(const uint8_t *w0, int64_t row_bytes, const uint16_t *x0,
                                                                                int32_t n, float *out) {
    __m512 a[8];
    for (int k = 0; k < 8; k++) a[k] = _mm512_setzero_ps();
    for (int32_t i = 0; i < n; i += 32) {
        __m512bh v0 = bf16_chunk(x0 + i);
        for (int k = 0; k < 8; k++) {
            const uint8_t *at = w0 + k * row_bytes + 2 * (int64_t) i;
            _mm_prefetch((const char *) at + 4096, _MM_HINT_T2);
            a[k] = _mm512_dpbf16_ps(a[k], bf16_chunk(at), v0);
        }
    }
    for (int k = 0; k < 8; k++) out[k] = fold16(a[k]);
}

static inline __attribute__((always_inline)) BF16DOT_TARGET float bf16x_row(const uint8_t *w0, const uint16_t *x0, int32_t n) {
    __m512 a = _mm512_setzero_ps();
    for (int32_t i = 0; i < n; i += 32) {
        const uint8_t *at = w0 + 2 * (int64_t) i;
        _mm_prefetch((const char *) at + 2048, _MM_HINT_T0);
        _mm_prefetch((const char *) at + 4096, _MM_HINT_T2);
        a = _mm512_dpbf16_ps(a, bf16_chunk(at), bf16_chunk(x0 + i));
    }
    return fold16(a);
}

/* out[s·out_stride + r] = row r · sequence s for rows [0, rows) at w (row_bytes apart), x the sequences' BF16
   activations one after another (n each, a multiple of 32). */
BF16DOT_TARGET void lf_bf16_matmul_bf16x(const uint8_t *w, int64_t row_bytes, int32_t rows, const uint16_t *x, int32_t n, int32_t batch,
                                         float *out, int32_t out_stride) {
    int32_t r = 0;
    if (batch == 1) {
        if (n > 2048) {
            for (; r + 8 <= rows; r += 8) bf16x_eight_rows(w + r * row_bytes, row_bytes, x, n, out + r);
        }
        for (; r < rows; r++) out[r] = bf16x_row(w + r * row_bytes, x, n);
        return;
    }
    for (; r + 3 < rows; r += 4) {
        const uint8_t *w0 = w + r * row_bytes;
        int32_t s = 0;
        for (; s + 1 < batch; s += 2) {
            const uint16_t *x0 = x + (int64_t) s * n, *x1 = x0 + n;
            __m512 a00 = _mm512_setzero_ps(), a10 = a00, a20 = a00, a30 = a00, a01 = a00, a11 = a00, a21 = a00, a31 = a00;
            for (int32_t i = 0; i < n; i += 32) {
                if (s == 0) { /* the first pass over these rows brings the next four into L2 */
                    for (int k = 4; k < 8; k++) _mm_prefetch((const char *) w0 + k * row_bytes + 2 * (int64_t) i, _MM_HINT_T1);
                }
                __m512bh v0 = bf16_chunk(x0 + i), v1 = bf16_chunk(x1 + i);
                __m512bh k0 = bf16_chunk(w0 + 2 * (int64_t) i), k1 = bf16_chunk(w0 + row_bytes + 2 * (int64_t) i);
                __m512bh k2 = bf16_chunk(w0 + 2 * row_bytes + 2 * (int64_t) i), k3 = bf16_chunk(w0 + 3 * row_bytes + 2 * (int64_t) i);
                a00 = _mm512_dpbf16_ps(a00, k0, v0); a10 = _mm512_dpbf16_ps(a10, k1, v0);
                a20 = _mm512_dpbf16_ps(a20, k2, v0); a30 = _mm512_dpbf16_ps(a30, k3, v0);
                a01 = _mm512_dpbf16_ps(a01, k0, v1); a11 = _mm512_dpbf16_ps(a11, k1, v1);
                a21 = _mm512_dpbf16_ps(a21, k2, v1); a31 = _mm512_dpbf16_ps(a31, k3, v1);
            }
            float *o0 = out + (int64_t) s * out_stride + r, *o1 = o0 + out_stride;
            o0[0] = fold16(a00); o0[1] = fold16(a10); o0[2] = fold16(a20); o0[3] = fold16(a30);
            o1[0] = fold16(a01); o1[1] = fold16(a11); o1[2] = fold16(a21); o1[3] = fold16(a31);
        }
        for (; s < batch; s++) {
            const uint16_t *x0 = x + (int64_t) s * n;
            __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
            for (int32_t i = 0; i < n; i += 32) {
                if (s == 0) {
                    for (int k = 4; k < 8; k++) _mm_prefetch((const char *) w0 + k * row_bytes + 2 * (int64_t) i, _MM_HINT_T1);
                }
                __m512bh v0 = bf16_chunk(x0 + i);
                a0 = _mm512_dpbf16_ps(a0, bf16_chunk(w0 + 2 * (int64_t) i), v0);
                a1 = _mm512_dpbf16_ps(a1, bf16_chunk(w0 + row_bytes + 2 * (int64_t) i), v0);
                a2 = _mm512_dpbf16_ps(a2, bf16_chunk(w0 + 2 * row_bytes + 2 * (int64_t) i), v0);
                a3 = _mm512_dpbf16_ps(a3, bf16_chunk(w0 + 3 * row_bytes + 2 * (int64_t) i), v0);
            }
            float *o0 = out + (int64_t) s * out_stride + r;
            o0[0] = fold16(a0); o0[1] = fold16(a1); o0[2] = fold16(a2); o0[3] = fold16(a3);
        }
    }
    for (; r < rows; r++) {
        const uint8_t *w0 = w + r * row_bytes;
        for (int32_t s = 0; s < batch; s++) {
            const uint16_t *x0 = x + (int64_t) s * n;
            __m512 a = _mm512_setzero_ps();
            for (int32_t i = 0; i < n; i += 32) {
                a = _mm512_dpbf16_ps(a, bf16_chunk(w0 + 2 * (int64_t) i), bf16_chunk(x0 + i));
            }
            out[(int64_t) s * out_stride + r] = fold16(a);
        }
    }
}
