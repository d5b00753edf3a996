/*
 * The C products for x86-64 CPUs without AVX-512 (x86-64-v3: AVX2, FMA, F16C; AMD before Zen 4, most Intel
 * client parts), built into a library of its own. The same functions as lorafn_cpu_kernels.c and
 * lorafn_int8_products.c, giving the same bits: every order those files define is per 32-bit lane or in the
 * shared 256-bit order, so 8-lane vectors compute it as it is. Without them the Java path ran the 1b Q8_0 and
 * Q4_0 products at 0.2-0.3 of the bandwidth on Zen 4 under AVX2, and 8-bit activations at about 1 tok/s
 * (RESULTS.md, thirteenth session). Where the AVX-512 build runs rows side by side (BF16 and LoRA's A at batch 1)
 * these keep one row at a time: two rows at once measured no faster here.
 *
 * A tile's 16 rows (lorafn_tiles.h) are two halves of 8 lanes, the low and high 32 bytes of each 64-byte line.
 * Each block computes both halves before the next block, so a thread still reads its tiles as one stream.
 *
 * The 8-bit products have no vpdpbusd here: vpmaddubsw multiplies unsigned by signed bytes into pairs summed in
 * 16 bits, and vpmaddwd sums the pairs into 32-bit lanes. A Q4_0 nibble (0..15) is the unsigned side as it is; a
 * Q8_0 byte goes in as its magnitude (at most 128), with its sign moved onto the activation (vpsignb). No pair
 * can pass 2·128·127 = 32512, so the 16-bit sums never saturate and every sum is the exact integer the VNNI
 * product computes.
 */
#include <immintrin.h>
#include <math.h>
#include <stdint.h>

#include "lorafn_thread_buffers.h"
#include "lorafn_tiles.h"

#define INLINE static inline __attribute__((always_inline))

#ifndef BF16_AHEAD
#define BF16_AHEAD 2048
#endif
#ifndef LORA_AHEAD
#define LORA_AHEAD 2048
#endif

/* Lanes 0..7 added left to right (Lanes.sum). */
INLINE float sum_lanes(__m256 v) {
    float s[8];
    _mm256_storeu_ps(s, v);
    return s[0] + s[1] + s[2] + s[3] + s[4] + s[5] + s[6] + s[7];
}

INLINE __m256 bf16x8(const uint8_t *p) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *) p)), 16));
}

/* Eight values of a row of F32 or of BF16 (an F32's top half). */
INLINE __m256 load8(const void *row, int64_t i, int bf16) {
    return bf16 ? bf16x8((const uint8_t *) row + 2 * i) : _mm256_loadu_ps((const float *) row + i);
}

/*
 * dot(w, x) in the shared order: 8 floats at a time into a0..a3 in turn while 32 remain, then 8 at a time into a0,
 * then (a0 + a1) + (a2 + a3) lanes left to right, then the rest one by one; ahead > 0 prefetches the row.
 */
INLINE float row_dot(const void *w, int bf16, const float *x, int32_t n, int32_t ahead) {
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    int32_t i = 0;
    for (; i + 32 <= n; i += 32) {
        if (ahead) {
            _mm_prefetch((const char *) w + (bf16 ? 2 : 4) * (int64_t) i + ahead, _MM_HINT_T0);
        }
        a0 = _mm256_fmadd_ps(load8(w, i, bf16), _mm256_loadu_ps(x + i), a0);
        a1 = _mm256_fmadd_ps(load8(w, i + 8, bf16), _mm256_loadu_ps(x + i + 8), a1);
        a2 = _mm256_fmadd_ps(load8(w, i + 16, bf16), _mm256_loadu_ps(x + i + 16), a2);
        a3 = _mm256_fmadd_ps(load8(w, i + 24, bf16), _mm256_loadu_ps(x + i + 24), a3);
    }
    for (; i + 8 <= n; i += 8) {
        a0 = _mm256_fmadd_ps(load8(w, i, bf16), _mm256_loadu_ps(x + i), a0);
    }
    float sum = sum_lanes(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
    for (; i < n; i++) {
        float wi = bf16 ? ((union { uint32_t u; float f; }) {(uint32_t) ((const uint16_t *) w)[i] << 16}).f : ((const float *) w)[i];
        sum += wi * x[i];
    }
    return sum;
}

void lf_bf16_matvec(const uint8_t *w, int64_t row_bytes, int32_t rows, const float *x, int32_t n, float *out) {
    x = aligned_input(x, (size_t) n * sizeof(float), aligned_input_room((size_t) n * sizeof(float)), 0);
    for (int32_t r = 0; r < rows; r++) {
        out[r] = row_dot(w + r * row_bytes, 1, x, n, BF16_AHEAD);
    }
}

/*
 * Several sequences, n a multiple of 32 (NativeProducts.handles), without a decode buffer: a 32-bit lane of BF16
 * weights holds two columns' top halves, so a shift left gives the even columns of 16 and a mask the odd ones, as in
 * the AVX-512 build. Each sequence's columns are permuted alike once a call (in each 16: evens, then odds), so
 * accumulator lane j of a row still adds one column's products in column order; the lanes go back in place before
 * the fold (unpermute), so every output has its solo bits. Sequences go two at a time: eight accumulators, and each
 * decoded weight vector feeds two multiply-adds.
 */
static __thread void *permuted;
static __thread size_t permuted_capacity;

/* Accumulators holding columns 0, 2, .., 14 (even) and 1, 3, .., 15 (odd) of 16, back to columns 0..7 and 8..15. */
INLINE void unpermute(__m256 even, __m256 odd, __m256 *low, __m256 *high) {
    __m256 lo = _mm256_unpacklo_ps(even, odd), hi = _mm256_unpackhi_ps(even, odd);
    *low = _mm256_permute2f128_ps(lo, hi, 0x20);
    *high = _mm256_permute2f128_ps(lo, hi, 0x31);
}

/* The fold of one output's four accumulators over permuted columns (a: 16 columns' evens and odds, then the next 16's). */
INLINE float permuted_sum(const __m256 a[4]) {
    __m256 a0, a1, a2, a3;
    unpermute(a[0], a[1], &a0, &a1);
    unpermute(a[2], a[3], &a2, &a3);
    return sum_lanes(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
}

/* One row against one or two (`two`) sequences' permuted columns; `next` (or NULL) is prefetched alongside. */
INLINE void bf16_row(const uint8_t *at, const uint8_t *next, const float *xp, const float *yp, int32_t n, const int two,
                     float *x_out, float *y_out) {
    const __m256i odd_mask = _mm256_set1_epi32((int) 0xFFFF0000u);
    __m256 a[4], e[4];
    for (int k = 0; k < 4; k++) {
        a[k] = e[k] = _mm256_setzero_ps();
    }
    for (int32_t i = 0; i < n; i += 32) {
        if (next) {
            _mm_prefetch((const char *) next + 2 * i, _MM_HINT_T1);
        }
        __m256i v0 = _mm256_loadu_si256((const __m256i *) (at + 2 * i)), v1 = _mm256_loadu_si256((const __m256i *) (at + 2 * i + 32));
        __m256 w[4] = {_mm256_castsi256_ps(_mm256_slli_epi32(v0, 16)), _mm256_castsi256_ps(_mm256_and_si256(v0, odd_mask)),
                       _mm256_castsi256_ps(_mm256_slli_epi32(v1, 16)), _mm256_castsi256_ps(_mm256_and_si256(v1, odd_mask))};
        for (int k = 0; k < 4; k++) {
            a[k] = _mm256_fmadd_ps(w[k], _mm256_load_ps(xp + i + 8 * k), a[k]);
            if (two) {
                e[k] = _mm256_fmadd_ps(w[k], _mm256_load_ps(yp + i + 8 * k), e[k]);
            }
        }
    }
    *x_out = permuted_sum(a);
    if (two) {
        *y_out = permuted_sum(e);
    }
}

int32_t lf_bf16_matmul(const uint8_t *w, int64_t row_bytes, int32_t rows, const float *x, int32_t n, int32_t batch,
                       float *out, int32_t out_stride) {
    float *xs = grown_buffer(&permuted, &permuted_capacity, (size_t) batch * n * sizeof(float));
    if (xs == NULL) {
        return -1;
    }
    for (int64_t i = 0; i < (int64_t) batch * n; i += 16) { /* in each 16 columns: the evens, then the odds */
        for (int j = 0; j < 8; j++) {
            xs[i + j] = x[i + 2 * j];
            xs[i + 8 + j] = x[i + 2 * j + 1];
        }
    }
    for (int32_t r = 0; r < rows; r++) {
        const uint8_t *at = w + r * row_bytes, *next = r + 1 < rows ? at + row_bytes : NULL;
        int32_t b = 0;
        for (; b + 1 < batch; b += 2) {
            bf16_row(at, b == 0 ? next : NULL, xs + (int64_t) b * n, xs + (int64_t) (b + 1) * n, n, 1,
                     out + (int64_t) b * out_stride + r, out + (int64_t) (b + 1) * out_stride + r);
        }
        if (b < batch) {
            bf16_row(at, b == 0 ? next : NULL, xs + (int64_t) b * n, NULL, n, 0, out + (int64_t) b * out_stride + r, NULL);
        }
    }
    return 0;
}

/* ---- Q8_0 and Q4_0 tiles, exact (lorafn_cpu_kernels.c defines the order) ---- */

/* Half h's scales of block b (8 rows), as floats. */
INLINE __m256 half_scales(const uint8_t *tile, int32_t pair, int32_t b, int h) {
    __m256i line = _mm256_loadu_si256((const __m256i *) (tile + pair * (b >> 1) + 32 * h));
    /* each dword's low (even block) or high (odd block) half, gathered into the low 8 bytes of each 128-bit lane */
    const __m256i low = _mm256_setr_epi8(0, 1, 4, 5, 8, 9, 12, 13, -1, -1, -1, -1, -1, -1, -1, -1,
                                         0, 1, 4, 5, 8, 9, 12, 13, -1, -1, -1, -1, -1, -1, -1, -1);
    const __m256i high = _mm256_setr_epi8(2, 3, 6, 7, 10, 11, 14, 15, -1, -1, -1, -1, -1, -1, -1, -1,
                                          2, 3, 6, 7, 10, 11, 14, 15, -1, -1, -1, -1, -1, -1, -1, -1);
    __m256i halves = _mm256_permute4x64_epi64(_mm256_shuffle_epi8(line, (b & 1) ? high : low), 0x08);
    return _mm256_cvtph_ps(_mm256_castsi256_si128(halves));
}

/* Lanes [from, to) of half h (rows 8h..8h+7 of the tile) into out[l - from]. */
INLINE void store_half(__m256 v, int h, int32_t from, int32_t to, float *out) {
    float lanes[8];
    _mm256_storeu_ps(lanes, v);
    for (int32_t l = from > 8 * h ? from : 8 * h; l < to && l < 8 * h + 8; l++) {
        out[l - from] = lanes[l - 8 * h];
    }
}

/* The 8 rows' weight k of chain c, as lorafn_cpu_kernels.c's tile_weight: Q8_0 as q·2^24, Q4_0 as q - 8. */
INLINE __m256 half_weight(const uint8_t *words, int q8, int c, int k) {
    if (q8) {
        __m256i word = _mm256_loadu_si256((const __m256i *) (words + 64 * (k < 4 ? c : c + 4)));
        int byte = k & 3;
        if (byte == 0) {
            word = _mm256_slli_epi32(word, 24);
        } else if (byte == 3) {
            word = _mm256_and_si256(word, _mm256_set1_epi32((int) 0xFF000000u));
        } else {
            const int j = byte;
            const __m256i to_top = _mm256_set_epi32((12 + j) << 24 | 0x808080, (8 + j) << 24 | 0x808080, (4 + j) << 24 | 0x808080,
                                                    j << 24 | 0x808080, (12 + j) << 24 | 0x808080, (8 + j) << 24 | 0x808080,
                                                    (4 + j) << 24 | 0x808080, j << 24 | 0x808080);
            word = _mm256_shuffle_epi8(word, to_top);
        }
        return _mm256_cvtepi32_ps(word);
    }
    __m256i word = _mm256_loadu_si256((const __m256i *) (words + 64 * c));
    int shift = q4_shifts[k];
    __m256i nibble = shift == 28 ? _mm256_srli_epi32(word, 28) : _mm256_and_si256(shift ? _mm256_srli_epi32(word, shift) : word, _mm256_set1_epi32(0x0F));
    return _mm256_cvtepi32_ps(_mm256_sub_epi32(nibble, _mm256_set1_epi32(8)));
}

/*
 * s_b of both halves for one sequence: the eight chains (four a half) side by side, each in its order, each
 * activation broadcast once for both halves. Two 256-bit multiply-add ports with four cycles' latency need eight
 * chains in flight; a half at a time (four) ran batch 1 at 4.3 multiply-adds a cycle from L3.
 */
INLINE void block_sums(const uint8_t *words, int q8, const float *x, __m256 sums[2]) {
    __m256 p[4][2];
    for (int c = 0; c < 4; c++) {
        __m256 xk = _mm256_set1_ps(x[4 * c]);
        p[c][0] = _mm256_mul_ps(half_weight(words, q8, c, 0), xk);
        p[c][1] = _mm256_mul_ps(half_weight(words + 32, q8, c, 0), xk);
    }
#pragma GCC unroll 8
    for (int k = 1; k < 8; k++) {
#pragma GCC unroll 4
        for (int c = 0; c < 4; c++) {
            __m256 xk = _mm256_set1_ps(x[4 * c + chain_offsets[k]]);
            p[c][0] = _mm256_fmadd_ps(half_weight(words, q8, c, k), xk, p[c][0]);
            p[c][1] = _mm256_fmadd_ps(half_weight(words + 32, q8, c, k), xk, p[c][1]);
        }
    }
    for (int h = 0; h < 2; h++) {
        sums[h] = _mm256_add_ps(_mm256_add_ps(p[0][h], p[1][h]), _mm256_add_ps(p[2][h], p[3][h]));
    }
}

/* Both halves' weights of one block, decoded once for a batch: weight k of chain c of half h at decoded[2(8c + k) + h]. */
INLINE void decode_block(const uint8_t *words, int q8, __m256 *decoded) {
#pragma GCC unroll 4
    for (int c = 0; c < 4; c++) {
#pragma GCC unroll 8
        for (int k = 0; k < 8; k++) {
            decoded[2 * (8 * c + k)] = half_weight(words, q8, c, k);
            decoded[2 * (8 * c + k) + 1] = half_weight(words + 32, q8, c, k);
        }
    }
}

/*
 * s_b of both halves for one sequence, from the decoded block (read as the multiply-adds' memory operands): each
 * activation is broadcast once for the two halves, so the eight chains' sums and the broadcast fit in registers.
 */
INLINE void decoded_block_sums(const __m256 *decoded, const float *x, __m256 sums[2]) {
    __m256 p[4][2];
#pragma GCC unroll 4
    for (int c = 0; c < 4; c++) {
        __m256 xk = _mm256_set1_ps(x[4 * c]);
        p[c][0] = _mm256_mul_ps(decoded[2 * (8 * c)], xk);
        p[c][1] = _mm256_mul_ps(decoded[2 * (8 * c) + 1], xk);
    }
#pragma GCC unroll 8
    for (int k = 1; k < 8; k++) {
#pragma GCC unroll 4
        for (int c = 0; c < 4; c++) {
            __m256 xk = _mm256_set1_ps(x[4 * c + chain_offsets[k]]);
            p[c][0] = _mm256_fmadd_ps(decoded[2 * (8 * c + k)], xk, p[c][0]);
            p[c][1] = _mm256_fmadd_ps(decoded[2 * (8 * c + k) + 1], xk, p[c][1]);
        }
    }
    for (int h = 0; h < 2; h++) {
        sums[h] = _mm256_add_ps(_mm256_add_ps(p[0][h], p[1][h]), _mm256_add_ps(p[2][h], p[3][h]));
    }
}

#define GROUP 16

INLINE void tiles(const uint8_t *w, int q8, int64_t tile_bytes, int32_t first, int32_t rows, const float *x, int32_t n,
                  int32_t batch, float *out, int32_t out_stride) {
    int32_t blocks = n / 32, pair = q8 ? TILE_Q8_PAIR : TILE_Q4_PAIR;
    for (int32_t t = first / 16; 16 * t < first + rows; t++) {
        int32_t from, to;
        const uint8_t *tile = tile_at(w, tile_bytes, first, rows, t, &from, &to);
        float *row_out = out + 16 * t + from - first;
        if (batch == 1) {
            __m256 acc[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
            for (int32_t b = 0; b < blocks; b++) {
                __m256 sums[2];
                block_sums(tile_words(tile, pair, b), q8, x + 32 * b, sums);
                for (int h = 0; h < 2; h++) {
                    __m256 d = half_scales(tile, pair, b, h);
                    if (q8) d = _mm256_mul_ps(d, _mm256_set1_ps(0x1p-24f));
                    acc[h] = _mm256_fmadd_ps(d, sums[h], acc[h]);
                }
            }
            store_half(acc[0], 0, from, to, row_out);
            store_half(acc[1], 1, from, to, row_out);
            continue;
        }
        /* several sequences, up to 16 at a time: each block decoded once into an L1 buffer (2 KB), then every sequence's
           chains over it; decoded per four sequences in registers, as the AVX-512 build does, gcc spilled most of them */
        for (int32_t s0 = 0; s0 < batch; s0 += GROUP) {
            int32_t group = batch - s0 < GROUP ? batch - s0 : GROUP;
            __m256 acc[GROUP][2];
            for (int32_t s = 0; s < group; s++) {
                acc[s][0] = acc[s][1] = _mm256_setzero_ps();
            }
            for (int32_t b = 0; b < blocks; b++) {
                if (s0 == 0) {
                    tile_prefetch(tile, pair, b);
                }
                __m256 decoded[64];
                decode_block(tile_words(tile, pair, b), q8, decoded);
                __m256 d[2];
                for (int h = 0; h < 2; h++) {
                    d[h] = half_scales(tile, pair, b, h);
                    if (q8) d[h] = _mm256_mul_ps(d[h], _mm256_set1_ps(0x1p-24f));
                }
                for (int32_t s = 0; s < group; s++) {
                    __m256 sums[2];
                    decoded_block_sums(decoded, x + (int64_t) (s0 + s) * n + 32 * b, sums);
                    acc[s][0] = _mm256_fmadd_ps(d[0], sums[0], acc[s][0]);
                    acc[s][1] = _mm256_fmadd_ps(d[1], sums[1], acc[s][1]);
                }
            }
            for (int32_t s = 0; s < group; s++) {
                float *o = row_out + (int64_t) (s0 + s) * out_stride;
                store_half(acc[s][0], 0, from, to, o);
                store_half(acc[s][1], 1, from, to, o);
            }
        }
    }
}

#include "lorafn_tile_products.h"

/* ---- LoRA (lorafn_cpu_kernels.c defines the order) ---- */

INLINE void lora_shrink(const void *a, int bf16, int32_t rank, const float *x, int32_t n, float *shrunk) {
    for (int32_t k = 0; k < rank; k++) {
        shrunk[k] = row_dot((const uint8_t *) a + (int64_t) k * n * (bf16 ? 2 : 4), bf16, x, n, LORA_AHEAD);
    }
}

#define LORA_BITS 256
#define lora_vec_load load8
#include "lorafn_lora.h"

/* ---- 8-bit activations (lorafn_int8_products.c defines the result) ---- */

#define MAX_GROUP 4

/*
 * Half h's weights of one block as the unsigned side, unsigned_side[k] holding columns 4k..4k+3: Q8_0's eight words'
 * magnitudes (their signs stay in words[k]), Q4_0's four words' low nibbles (columns 4c..) then their high ones.
 */
INLINE void half_unsigned_weights(const uint8_t *at, int q8, __m256i words[8], __m256i unsigned_side[8]) {
    const __m256i low = _mm256_set1_epi8(0x0F);
    for (int c = 0; c < (q8 ? 8 : 4); c++) {
        words[c] = _mm256_loadu_si256((const __m256i *) (at + 64 * c));
        if (q8) {
            unsigned_side[c] = _mm256_abs_epi8(words[c]);
        } else {
            unsigned_side[c] = _mm256_and_si256(words[c], low);
            unsigned_side[4 + c] = _mm256_and_si256(_mm256_srli_epi16(words[c], 4), low);
        }
    }
}

/* The exact sums of w·q over the block for one sequence (x4: its activation bytes in eight words): Q8_0's signs moved onto the activations, Q4_0 from -8·Σq. */
INLINE __m256i int8_half_sums(const __m256i words[8], const __m256i unsigned_side[8], int q8, const int32_t *x4, int32_t block_sum) {
    const __m256i ones = _mm256_set1_epi16(1);
    if (q8) {
        __m256i sum = _mm256_setzero_si256();
        for (int k = 0; k < 8; k++) {
            __m256i pairs = _mm256_maddubs_epi16(unsigned_side[k], _mm256_sign_epi8(_mm256_set1_epi32(x4[k]), words[k]));
            sum = _mm256_add_epi32(sum, _mm256_madd_epi16(pairs, ones));
        }
        return sum;
    }
    __m256i sum = _mm256_set1_epi32(-8 * block_sum);
    for (int c = 0; c < 4; c++) { /* a low and a high nibble's pairs add in 16 bits: at most 2·2·15·127 */
        __m256i pairs = _mm256_add_epi16(_mm256_maddubs_epi16(unsigned_side[c], _mm256_set1_epi32(x4[c])),
                                         _mm256_maddubs_epi16(unsigned_side[4 + c], _mm256_set1_epi32(x4[4 + c])));
        sum = _mm256_add_epi32(sum, _mm256_madd_epi16(pairs, ones));
    }
    return sum;
}

INLINE void int8_tiles(const uint8_t *w, int q8, int64_t tile_bytes, int32_t first, int32_t rows, const int8_t *xq,
                       const int32_t *block_sums, const float *block_scales, int32_t n, int32_t batch, float *out, int32_t out_stride,
                       const int64_t *side, int32_t side_ranges) {
    int32_t blocks = n / 32, pair = q8 ? TILE_Q8_PAIR : TILE_Q4_PAIR;
    int64_t tile_count = (first + rows + 15) / 16 - first / 16;
    side_prefetch others = side_prefetch_start(side, batch > 1 ? side_ranges : 0, tile_count * blocks);
    for (int32_t t = first / 16; 16 * t < first + rows; t++) {
        int32_t from, to;
        const uint8_t *tile = tile_at(w, tile_bytes, first, rows, t, &from, &to);
        float *row_out = out + 16 * t + from - first;
        for (int32_t s0 = 0; s0 < batch; s0 += MAX_GROUP) {
            int32_t group = batch - s0 < MAX_GROUP ? batch - s0 : MAX_GROUP;
            __m256 acc[2][MAX_GROUP];
            for (int h = 0; h < 2; h++) {
                for (int s = 0; s < MAX_GROUP; s++) {
                    acc[h][s] = _mm256_setzero_ps();
                }
            }
            for (int32_t b = 0; b < blocks; b++) {
                if (batch > 1 && s0 == 0) {
                    tile_prefetch(tile, pair, b);
                    side_prefetch_step(&others);
                }
                for (int h = 0; h < 2; h++) {
                    __m256i words[8], unsigned_side[8];
                    half_unsigned_weights(tile_words(tile, pair, b) + 32 * h, q8, words, unsigned_side);
                    __m256 dw = half_scales(tile, pair, b, h);
                    for (int32_t s = 0; s < group; s++) {
                        int32_t seq = s0 + s;
                        __m256i sums = int8_half_sums(words, unsigned_side, q8, (const int32_t *) (xq + (int64_t) seq * n + 32 * b),
                                                      block_sums[(int64_t) seq * blocks + b]);
                        __m256 scale = _mm256_mul_ps(dw, _mm256_set1_ps(block_scales[(int64_t) seq * (n / 32) + b]));
                        acc[h][s] = _mm256_fmadd_ps(scale, _mm256_cvtepi32_ps(sums), acc[h][s]);
                    }
                }
            }
            for (int32_t s = 0; s < group; s++) {
                float *o = row_out + (int64_t) (s0 + s) * out_stride;
                store_half(acc[0][s], 0, from, to, o);
                store_half(acc[1][s], 1, from, to, o);
            }
        }
    }
}

void lf_q8_0_matmul_int8(const uint8_t *w, int64_t tile_bytes, int32_t first, int32_t rows, const int8_t *xq, const int32_t *block_sums,
                         const float *block_scales, int32_t n, int32_t batch, float *out, int32_t out_stride, const int64_t *side,
                         int32_t side_ranges) {
    int8_tiles(w, 1, tile_bytes, first, rows, xq, block_sums, block_scales, n, batch, out, out_stride, side, side_ranges);
}

void lf_q4_0_matmul_int8(const uint8_t *w, int64_t tile_bytes, int32_t first, int32_t rows, const int8_t *xq, const int32_t *block_sums,
                         const float *block_scales, int32_t n, int32_t batch, float *out, int32_t out_stride, const int64_t *side,
                         int32_t side_ranges) {
    int8_tiles(w, 0, tile_bytes, first, rows, xq, block_sums, block_scales, n, batch, out, out_stride, side, side_ranges);
}

/* QuantizedActivations.quantize, as lorafn_int8_products.c computes it: rint through the default rounding mode. */
void lf_quantize_activations(const float *x, int32_t n, int8_t *values, float *block_scales, int32_t *block_sums) {
    const __m256 magnitude = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
    const __m256i limit = _mm256_set1_epi32(127), minus_limit = _mm256_set1_epi32(-127);
    for (int32_t i = 0; i < n; i += 32) {
        __m256 v[4], m = _mm256_setzero_ps();
        for (int j = 0; j < 4; j++) {
            v[j] = _mm256_loadu_ps(x + i + 8 * j);
            m = _mm256_max_ps(m, _mm256_and_ps(v[j], magnitude));
        }
        float lanes[8];
        _mm256_storeu_ps(lanes, m);
        float amax = lanes[0];
        for (int j = 1; j < 8; j++) {
            amax = lanes[j] > amax ? lanes[j] : amax;
        }
        float dx = amax / 127.0f;
        __m256 inverse = _mm256_set1_ps(dx != 0.0f ? 1.0f / dx : 0.0f);
        int32_t q[32], sum = 0;
        for (int j = 0; j < 4; j++) {
            __m256i r = _mm256_cvtps_epi32(_mm256_mul_ps(v[j], inverse));
            _mm256_storeu_si256((__m256i *) (q + 8 * j), _mm256_max_epi32(_mm256_min_epi32(r, limit), minus_limit));
        }
        for (int j = 0; j < 32; j++) {
            values[i + j] = (int8_t) q[j];
            sum += q[j];
        }
        block_scales[i / 32] = dx;
        block_sums[i / 32] = sum;
    }
}
