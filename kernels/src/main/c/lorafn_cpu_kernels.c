/*
 * The CPU backend's matrix-vector products for the quantized and BF16 formats, in C with AVX-512
 * intrinsics, called from Java through the FFM API (io.lorafn.kernels.cpu.NativeProducts).
 *
 * Why C at all: decode at batch 1 is bound by how many cache misses are in flight. Java has no
 * prefetch instruction; its best substitute (loading a byte ahead) reached 0.55 of the measured read
 * bandwidth over Q8_0 rows. Here one prefetch per block keeps the misses in flight.
 *
 * The BF16 and LoRA functions sum in exactly the order of the Vector API kernels (RowKernel): 256-bit vector k of
 * a row (floats 8k..8k+7) goes into accumulator k mod 4, here held as the low and high halves of two
 * 512-bit accumulators (even = [a0|a1], odd = [a2|a3]); then (a0 + a1) + (a2 + a3), lanes left to right.
 * A weight is decoded (q·d) before its multiply-add, as there. So both backends give the same bits and
 * a sequence's result never depends on which path or batch computed it. Build with -ffp-contract=off.
 *
 * The BF16 matvec computes out[r] = dot(row r, x) for rows [0, rows), row r at w + r·row_bytes; its
 * matmul does the same for several sequences (batch > 1), each output keeping its own accumulators in the
 * solo order and so its solo bits. Q8_0 and Q4_0, stored in tiles of 16 interleaved rows, have their own
 * products and summation order (at the end).
 */
#include <immintrin.h>
#include <stdint.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lorafn_thread_buffers.h"
#include "lorafn_tiles.h"

/* Bytes ahead of the block being computed; tuned on the 1b shapes (rows of 2048 and 8192), 2 threads. */
#ifndef BF16_AHEAD
#define BF16_AHEAD 2048
#endif
/* and into L2 twice as far: one thread streaming a 268 MB matrix, 19-20 -> 23 GB/s on Zen 4 */
#ifndef BF16_FAR
#define BF16_FAR 4096
#endif

static inline float fold(__m512 even, __m512 odd) {
    __m256 e = _mm256_add_ps(_mm512_castps512_ps256(even), _mm512_extractf32x8_ps(even, 1));
    __m256 o = _mm256_add_ps(_mm512_castps512_ps256(odd), _mm512_extractf32x8_ps(odd, 1));
    float s[8];
    _mm256_storeu_ps(s, _mm256_add_ps(e, o));
    return s[0] + s[1] + s[2] + s[3] + s[4] + s[5] + s[6] + s[7];
}

static inline __m512 bf16x16(const uint8_t *p) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *) p)), 16));
}

/* BF16: the top half of an F32. Rows of any length: 32 at a time, then 8 at a time into a0, then one by one. */
static float bf16_dot(const uint8_t *w, const float *x, int32_t n) {
    __m512 even = _mm512_setzero_ps(), odd = even;
    int32_t i = 0;
    for (; i + 32 <= n; i += 32) {
        if (BF16_AHEAD) _mm_prefetch((const char *) w + 2 * i + BF16_AHEAD, _MM_HINT_T0);
        if (BF16_FAR) _mm_prefetch((const char *) w + 2 * i + BF16_FAR, _MM_HINT_T2);
        even = _mm512_fmadd_ps(bf16x16(w + 2 * i), _mm512_loadu_ps(x + i), even);
        odd = _mm512_fmadd_ps(bf16x16(w + 2 * i + 32), _mm512_loadu_ps(x + i + 16), odd);
    }
    __m256 a0 = _mm512_castps512_ps256(even), a1 = _mm512_extractf32x8_ps(even, 1);
    __m256 a2 = _mm512_castps512_ps256(odd), a3 = _mm512_extractf32x8_ps(odd, 1);
    for (; i + 8 <= n; i += 8) {
        __m256i h = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *) (w + 2 * i)));
        a0 = _mm256_fmadd_ps(_mm256_castsi256_ps(_mm256_slli_epi32(h, 16)), _mm256_loadu_ps(x + i), a0);
    }
    float s[8];
    _mm256_storeu_ps(s, _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
    float sum = s[0] + s[1] + s[2] + s[3] + s[4] + s[5] + s[6] + s[7];
    for (; i < n; i++) {
        union { uint32_t u; float f; } v = { (uint32_t) *(const uint16_t *) (w + 2 * i) << 16 };
        sum += v.f * x[i];
    }
    return sum;
}

/* Element i of a row of F32 values, or of BF16 ones (an F32's top half), 16 at a time. */
static inline __m512 load16(const void *row, int64_t i, int bf16) {
    return bf16 ? bf16x16((const uint8_t *) row + 2 * i) : _mm512_loadu_ps((const float *) row + i);
}

/*
 * Eight rows (row_bytes apart) side by side, each in the shared order (dense_dot's, or bf16_dot's: the same with
 * n a multiple of 32), so each row's bits: x is loaded once for the eight, and eight streams are in flight; far > 0
 * reads each row that far ahead into L2. BF16 batch 1 uses it past 2048 columns, where x (32 KB at 8192) no longer
 * sits in L1 beside the weights and row by row came back from L2 for every row: one thread over rows of 8192 from
 * memory (the 1b down projection) 14-15 -> 23-24 GB/s, with far = 4 KB (an L1 hint per stream as well was slower;
 * over rows of 2048 the loop was slower than bf16_dot, 17-19 against 24 GB/s). LoRA's shrink uses it for A's rows.
 */
static inline __attribute__((always_inline)) void dots_by_eight(const void *rows, int64_t row_bytes, int bf16, const float *x,
                                                               int32_t n, int32_t far, float *out) {
    __m512 even[8], odd[8];
    for (int k = 0; k < 8; k++) {
        even[k] = odd[k] = _mm512_setzero_ps();
    }
    for (int32_t i = 0; i < n; i += 32) {
        __m512 x0 = _mm512_loadu_ps(x + i), x1 = _mm512_loadu_ps(x + i + 16);
        for (int k = 0; k < 8; k++) {
            const uint8_t *row = (const uint8_t *) rows + k * row_bytes;
            if (far) {
                _mm_prefetch((const char *) row + (bf16 ? 2 : 4) * (int64_t) i + far, _MM_HINT_T2);
            }
            even[k] = _mm512_fmadd_ps(load16(row, i, bf16), x0, even[k]);
            odd[k] = _mm512_fmadd_ps(load16(row, i + 16, bf16), x1, odd[k]);
        }
    }
    for (int k = 0; k < 8; k++) {
        out[k] = fold(even[k], odd[k]);
    }
}

void lf_bf16_matvec(const uint8_t *w, int64_t row_bytes, int32_t rows, const float *x, int32_t n, float *out) {
    x = aligned_input(x, (size_t) n * sizeof(float), aligned_input_room((size_t) n * sizeof(float)), 0);
    int32_t r = 0;
    if (n > 2048 && n % 32 == 0) {
        for (; r + 8 <= rows; r += 8) {
            dots_by_eight(w + r * row_bytes, row_bytes, 1, x, n, 4096, out + r);
        }
    }
    for (; r < rows; r++) {
        out[r] = bf16_dot(w + r * row_bytes, x, n);
    }
}

/* The batched path's decoder for rows left over: columns of a row into floats, prefetching like the fused loop. */
static void bf16_decode(const uint8_t *w, int32_t col, float *out, int32_t n) {
    w += 2 * col;
    for (int32_t i = 0; i < n; i += 32) {
        if (BF16_AHEAD) _mm_prefetch((const char *) w + 2 * i + BF16_AHEAD, _MM_HINT_T0);
        _mm512_storeu_ps(out + i, bf16x16(w + 2 * i));
        _mm512_storeu_ps(out + i + 16, bf16x16(w + 2 * i + 32));
    }
}

/* dot(w, x) in the shared order; n a multiple of 32; ahead > 0 prefetches w's two lines that far ahead (for rows read from memory). */
static inline float dense_dot_ahead(const float *w, const float *x, int32_t n, int32_t ahead) {
    __m512 even = _mm512_setzero_ps(), odd = even;
    for (int32_t i = 0; i < n; i += 32) {
        if (ahead) {
            _mm_prefetch((const char *) (w + i) + ahead, _MM_HINT_T0);
            _mm_prefetch((const char *) (w + i) + ahead + 64, _MM_HINT_T0);
        }
        even = _mm512_fmadd_ps(_mm512_loadu_ps(w + i), _mm512_loadu_ps(x + i), even);
        odd = _mm512_fmadd_ps(_mm512_loadu_ps(w + i + 16), _mm512_loadu_ps(x + i + 16), odd);
    }
    return fold(even, odd);
}

/* dot(decoded row, x) in the shared order; n a multiple of 32. */
static float dense_dot(const float *w, const float *x, int32_t n) {
    return dense_dot_ahead(w, x, n, 0);
}

/* Decodes columns [col, col + n) of the row at w; col and n multiples of 32. */
typedef void (*row_decoder)(const uint8_t *w, int32_t col, float *out, int32_t n);

/* Each thread's buffer for decoded blocks and accumulators; grown, never shrunk (a thread sees a few shapes). */
static __thread void *decoded;
static __thread size_t decoded_capacity;

static float *decode_buffer(int64_t floats) {
    return grown_buffer(&decoded, &decoded_capacity, (size_t) floats * sizeof(float));
}

/* Rows [from, rows) for every sequence, each decoded whole into whole_row (n floats) and dotted in the shared order. */
static void rows_one_by_one(row_decoder decode, const uint8_t *w, int64_t row_bytes, int32_t from, int32_t rows, const float *x,
                            int32_t n, int32_t batch, float *whole_row, float *out, int32_t out_stride) {
    for (int32_t r = from; r < rows; r++) {
        decode(w + r * row_bytes, 0, whole_row, n);
        for (int32_t b = 0; b < batch; b++) {
            out[(int64_t) b * out_stride + r] = dense_dot(whole_row, x + (int64_t) b * n, n);
        }
    }
}

/*
 * BF16 for several sequences, without a decode buffer: a 32-bit lane of BF16 weights holds two F32 values' top
 * halves, so one 64-byte load of 32 weights gives columns 0, 2, .., 30 by a shift left and 1, 3, .., 31 by a
 * mask, an operation per 16 weights, done again for each pair of sequences instead of stored once and
 * loaded back. Each sequence's columns are permuted alike once a call (evens, then odds, in each 32); each
 * accumulator lane still adds one column's products in column order, and the lanes go back in place before
 * the fold, so every output has its solo bits. The next four rows are prefetched into L2 a line per row per
 * 32 columns while the first pair of sequences runs. Against decoding into an L1 buffer (as Q8_0 rows once
 * did): 1b BF16 decode at batch 8 on a Zen 4, 48-52 -> 72 tok/s.
 */
#define BF16_BLOCK 512
static inline __attribute__((always_inline)) __m512 bf16_even_columns(__m512i v) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(v, 16));
}

static inline __attribute__((always_inline)) __m512 bf16_odd_columns(__m512i v) {
    return _mm512_castsi512_ps(_mm512_and_si512(v, _mm512_set1_epi32((int) 0xFFFF0000u)));
}

/* One column block of four rows (w0, the others row_bytes apart) for one or two (`two`) sequences' permuted columns. */
static inline __attribute__((always_inline)) void bf16_block(const uint8_t *w0, int64_t row_bytes, int32_t len, const float *xb,
                                                            const float *yb, const int two, int prefetch, __m512 *a) {
    __m512 a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3], a4 = a[4], a5 = a[5], a6 = a[6], a7 = a[7];
    __m512 e0, e1, e2, e3, e4, e5, e6, e7;
    if (two) {
        e0 = a[8]; e1 = a[9]; e2 = a[10]; e3 = a[11]; e4 = a[12]; e5 = a[13]; e6 = a[14]; e7 = a[15];
    } else {
        e0 = e1 = e2 = e3 = e4 = e5 = e6 = e7 = _mm512_setzero_ps();
    }
    for (int32_t i = 0; i < len; i += 32) {
        const uint8_t *at = w0 + 2 * (int64_t) i;
        if (prefetch) {
            for (int k = 4; k < 8; k++) {
                _mm_prefetch((const char *) at + k * row_bytes, _MM_HINT_T1);
            }
        }
        __m512 x0 = _mm512_load_ps(xb + i), x1 = _mm512_load_ps(xb + i + 16);
        __m512 y0 = two ? _mm512_load_ps(yb + i) : x0, y1 = two ? _mm512_load_ps(yb + i + 16) : x1;
        __m512i v = _mm512_loadu_si512(at);
        __m512 p = bf16_even_columns(v), q = bf16_odd_columns(v);
        a0 = _mm512_fmadd_ps(p, x0, a0); a1 = _mm512_fmadd_ps(q, x1, a1);
        if (two) { e0 = _mm512_fmadd_ps(p, y0, e0); e1 = _mm512_fmadd_ps(q, y1, e1); }
        v = _mm512_loadu_si512(at + row_bytes);
        p = bf16_even_columns(v); q = bf16_odd_columns(v);
        a2 = _mm512_fmadd_ps(p, x0, a2); a3 = _mm512_fmadd_ps(q, x1, a3);
        if (two) { e2 = _mm512_fmadd_ps(p, y0, e2); e3 = _mm512_fmadd_ps(q, y1, e3); }
        v = _mm512_loadu_si512(at + 2 * row_bytes);
        p = bf16_even_columns(v); q = bf16_odd_columns(v);
        a4 = _mm512_fmadd_ps(p, x0, a4); a5 = _mm512_fmadd_ps(q, x1, a5);
        if (two) { e4 = _mm512_fmadd_ps(p, y0, e4); e5 = _mm512_fmadd_ps(q, y1, e5); }
        v = _mm512_loadu_si512(at + 3 * row_bytes);
        p = bf16_even_columns(v); q = bf16_odd_columns(v);
        a6 = _mm512_fmadd_ps(p, x0, a6); a7 = _mm512_fmadd_ps(q, x1, a7);
        if (two) { e6 = _mm512_fmadd_ps(p, y0, e6); e7 = _mm512_fmadd_ps(q, y1, e7); }
    }
    a[0] = a0; a[1] = a1; a[2] = a2; a[3] = a3; a[4] = a4; a[5] = a5; a[6] = a6; a[7] = a7;
    if (two) {
        a[8] = e0; a[9] = e1; a[10] = e2; a[11] = e3; a[12] = e4; a[13] = e5; a[14] = e6; a[15] = e7;
    }
}

int32_t lf_bf16_matmul(const uint8_t *w, int64_t row_bytes, int32_t rows, const float *x, int32_t n, int32_t batch,
                       float *out, int32_t out_stride) {
    int64_t x_floats = (int64_t) batch * n;
    float *buffer = decode_buffer(16 + 8 * 16 * batch + (rows % 4 != 0 ? n : 0) + x_floats);
    if (buffer == NULL) {
        return -1;
    }
    __m512 *acc = (__m512 *) (((uintptr_t) buffer + 63) & ~(uintptr_t) 63);
    float *whole_row = (float *) (acc + 8 * batch);
    float *xs = whole_row + (rows % 4 != 0 ? n : 0); /* n is a multiple of 32: still 64-byte aligned */
    const __m512i evens = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    const __m512i odds = _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
    for (int64_t i = 0; i < x_floats; i += 32) {
        __m512 lo = _mm512_loadu_ps(x + i), hi = _mm512_loadu_ps(x + i + 16);
        _mm512_store_ps(xs + i, _mm512_permutex2var_ps(lo, evens, hi));
        _mm512_store_ps(xs + i + 16, _mm512_permutex2var_ps(lo, odds, hi));
    }
    /* lane l of [evens | odds] back to column l of the first 16 and of the second 16 */
    const __m512i first = _mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    const __m512i second = _mm512_set_epi32(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8);
    int32_t r = 0;
    for (; r + 3 < rows; r += 4) {
        for (int32_t k = 0; k < 8 * batch; k++) {
            acc[k] = _mm512_setzero_ps();
        }
        for (int32_t c0 = 0; c0 < n; c0 += BF16_BLOCK) {
            int32_t len = n - c0 < BF16_BLOCK ? n - c0 : BF16_BLOCK;
            const uint8_t *w0 = w + r * row_bytes + 2 * (int64_t) c0;
            int32_t b = 0;
            for (; b + 1 < batch; b += 2) {
                const float *xb = xs + (int64_t) b * n + c0;
                bf16_block(w0, row_bytes, len, xb, xb + n, 1, b == 0, acc + 8 * b);
            }
            if (b < batch) {
                bf16_block(w0, row_bytes, len, xs + (int64_t) b * n + c0, NULL, 0, b == 0, acc + 8 * b);
            }
        }
        for (int32_t b = 0; b < batch; b++) {
            for (int k = 0; k < 4; k++) {
                __m512 even = acc[8 * b + 2 * k], odd = acc[8 * b + 2 * k + 1];
                out[(int64_t) b * out_stride + r + k] = fold(_mm512_permutex2var_ps(even, first, odd), _mm512_permutex2var_ps(even, second, odd));
            }
        }
    }
    rows_one_by_one(bf16_decode, w, row_bytes, r, rows, x, n, batch, whole_row, out, out_stride);
    return 0;
}

/*
 * Q8_0 and Q4_0 in tiles of 16 interleaved rows (io.lorafn.kernels.WeightFormat, lorafn_tiles.h), one row per
 * vector lane, so that a decoded weight vector serves 16 rows and, batched, every sequence through broadcast
 * activations. Q8_0's word c of a block (64 bytes, four of each row) holds each row's weights 4c..4c+3 as
 * signed bytes: byte k becomes a float by a shift left, an arithmetic shift right and a conversion. Q4_0's
 * word c holds weights 4c..4c+3 in its bytes' low nibbles and 16+4c..16+4c+3 in the high ones: a weight
 * becomes (q - 8) through vpermps, which reads only the low four bits of each lane, after a shift right by 8k
 * (+4). Rows one after another spent about that per weight and row pair; Q8_0 rows decoded into an L1 buffer
 * ran batch 8 at 8.7-10.6 multiply-adds a cycle a thread, bound by the buffer's stores, tiles at 14.1-14.4
 * (kernel-bench.sh, Zen 4, one thread, the 1b shapes).
 *
 * The result, defined by Q8Kernel and Q4Kernel (the Java kernels) and computed bit for bit here: for each
 * block b, per chain c = 0..3, p_c = the multiply-add chain from 0 over the weights of columns 4c .. 4c+3,
 * 16+4c .. 16+4c+3 in that order, of q·x_j (Q8_0) or (q - 8)·x_j (Q4_0), its first a product; s_b = (p_0 +
 * p_1) + (p_2 + p_3); acc = fma(d_b, s_b, acc) from acc = 0; the row's value is acc. Chain c reads Q8_0's
 * words c and c+4, and Q4_0's word c.
 */

/*
 * The 16 rows' weight k of chain c (k, c constants once inlined), as floats: a Q8_0 word's byte as q·2^24, moved to
 * the top of its lane with the rest zero (a shift for byte 0, a mask for byte 3, a byte shuffle for the others) and
 * converted; or a Q4_0 word's nibble - 8. The loops that call it must be unrolled (#pragma GCC unroll): left as
 * loops, gcc kept the byte's cases as branches and batch 1 from L2 ran at 5.2-5.7 weights a cycle instead of 9.1.
 */
static inline __attribute__((always_inline)) __m512 tile_weight(const __m512i *words, int q8, int c, int k) {
    if (q8) {
        __m512i word = words[k < 4 ? c : c + 4];
        int byte = k & 3;
        if (byte == 0) {
            word = _mm512_slli_epi32(word, 24);
        } else if (byte == 3) {
            word = _mm512_and_si512(word, _mm512_set1_epi32((int) 0xFF000000u));
        } else { /* byte j of each dword to its top, the rest zero (vpshufb indexes bytes within each 128-bit lane) */
            const int j = byte;
            const __m512i to_top = _mm512_set_epi32(
                (12 + j) << 24 | 0x808080, (8 + j) << 24 | 0x808080, (4 + j) << 24 | 0x808080, j << 24 | 0x808080,
                (12 + j) << 24 | 0x808080, (8 + j) << 24 | 0x808080, (4 + j) << 24 | 0x808080, j << 24 | 0x808080,
                (12 + j) << 24 | 0x808080, (8 + j) << 24 | 0x808080, (4 + j) << 24 | 0x808080, j << 24 | 0x808080,
                (12 + j) << 24 | 0x808080, (8 + j) << 24 | 0x808080, (4 + j) << 24 | 0x808080, j << 24 | 0x808080);
            word = _mm512_shuffle_epi8(word, to_top);
        }
        return _mm512_cvtepi32_ps(word);
    }
    const __m512 minus8to7 = _mm512_setr_ps(-8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7);
    return _mm512_permutexvar_ps(_mm512_srli_epi32(words[c], q4_shifts[k]), minus8to7);
}

/* A block's words: eight for Q8_0, four for Q4_0. */
static inline __attribute__((always_inline)) void load_words(const uint8_t *at, int q8, __m512i words[8]) {
    for (int c = 0; c < (q8 ? 8 : 4); c++) {
        words[c] = _mm512_loadu_si512(at + 64 * c);
    }
}

/*
 * s_b for the 16 rows of a tile: at the block's words, x its 32 activations. The four chains advance side by
 * side, weight k of every chain before weight k + 1 of any: chain after chain, each one's eight dependent
 * multiply-adds filled the scheduler before the next could start (Q4_0, C harness, one thread, 1b shapes from
 * L3: 8.6 -> 9.0 weights a cycle). Each chain keeps its order, so the same bits.
 */
static inline __attribute__((always_inline)) __m512 block_sum(const uint8_t *at, int q8, const float *x) {
    __m512i words[8];
    __m512 p[4];
    load_words(at, q8, words);
    for (int c = 0; c < 4; c++) {
        p[c] = _mm512_mul_ps(tile_weight(words, q8, c, 0), _mm512_set1_ps(x[4 * c]));
    }
#pragma GCC unroll 8
    for (int k = 1; k < 8; k++) {
#pragma GCC unroll 4
        for (int c = 0; c < 4; c++) {
            p[c] = _mm512_fmadd_ps(tile_weight(words, q8, c, k), _mm512_set1_ps(x[4 * c + chain_offsets[k]]), p[c]);
        }
    }
    return _mm512_add_ps(_mm512_add_ps(p[0], p[1]), _mm512_add_ps(p[2], p[3]));
}

/* One tile's 16 row sums with one sequence (no software prefetch at batch 1: lorafn_tiles.h says why). */
static inline __attribute__((always_inline)) __m512 tile_dot(const uint8_t *tile, int q8, const float *x, int32_t blocks) {
    int32_t pair = q8 ? TILE_Q8_PAIR : TILE_Q4_PAIR;
    __m512 acc = _mm512_setzero_ps();
    for (int32_t b = 0; b < blocks; b++) {
        acc = _mm512_fmadd_ps(q8 ? _mm512_mul_ps(tile_scales(tile, pair, b), _mm512_set1_ps(0x1p-24f)) : tile_scales(tile, pair, b), block_sum(tile_words(tile, pair, b), q8, x + 32 * b), acc);
    }
    return acc;
}

/* p_c of chain c for four sequences, column = 32b: the chain's eight weight vectors decoded once. */
static inline __attribute__((always_inline)) void chain_sums_by_four(const __m512i *words, int q8, int c, const float *const xs[4],
                                                                    int32_t column, __m512 p[4]) {
    __m512 weights[8];
#pragma GCC unroll 8
    for (int k = 0; k < 8; k++) {
        weights[k] = tile_weight(words, q8, c, k);
    }
    for (int s = 0; s < 4; s++) {
        const float *xc = xs[s] + column + 4 * c;
        __m512 sum = _mm512_mul_ps(weights[0], _mm512_set1_ps(xc[chain_offsets[0]]));
        for (int k = 1; k < 8; k++) {
            sum = _mm512_fmadd_ps(weights[k], _mm512_set1_ps(xc[chain_offsets[k]]), sum);
        }
        p[s] = sum;
    }
}

/*
 * One tile's row sums with four sequences: each chain's eight weight vectors are decoded once and feed the four
 * sequences' multiply-adds; decoded again for every sequence, Q4_0's permutes took the FMA ports from them (1b
 * Q4_0 exact batch 8: 83 -> 95-99 tok/s). Eight sequences at once ran no faster (Q8_0, the same harness). Each
 * (row, sequence) computes p_c, s_b and acc in the order above.
 */
static inline __attribute__((always_inline)) void tile_dot_by_four(const uint8_t *tile, int q8, const float *const xs[4], int32_t blocks,
                                                                  int prefetch, __m512 acc[4]) {
    int32_t pair = q8 ? TILE_Q8_PAIR : TILE_Q4_PAIR;
    for (int s = 0; s < 4; s++) {
        acc[s] = _mm512_setzero_ps();
    }
    for (int32_t b = 0; b < blocks; b++) {
        if (prefetch) {
            tile_prefetch(tile, pair, b);
        }
        __m512i words[8];
        load_words(tile_words(tile, pair, b), q8, words);
        __m512 p0[4], p1[4], t01[4];
        chain_sums_by_four(words, q8, 0, xs, 32 * b, p0);
        chain_sums_by_four(words, q8, 1, xs, 32 * b, p1);
        for (int s = 0; s < 4; s++) {
            t01[s] = _mm512_add_ps(p0[s], p1[s]);
        }
        chain_sums_by_four(words, q8, 2, xs, 32 * b, p0);
        chain_sums_by_four(words, q8, 3, xs, 32 * b, p1);
        __m512 d = tile_scales(tile, pair, b);
        if (q8) d = _mm512_mul_ps(d, _mm512_set1_ps(0x1p-24f));
        for (int s = 0; s < 4; s++) {
            acc[s] = _mm512_fmadd_ps(d, _mm512_add_ps(t01[s], _mm512_add_ps(p0[s], p1[s])), acc[s]);
        }
    }
}

/*
 * out[s·out_stride + r - first] = row r · sequence s for rows [first, first + rows) of the tiles at w (tile_bytes
 * apart, the first holding row first) and batch sequences of n floats one after another (out_stride unused
 * when batch is 1: lf_q8_0_matmul and lf_q4_0_matmul are also the formats' matrix-vector products). Several sequences go four at a time, a last group of fewer repeating its last sequence
 * (those results dropped); each (row, sequence) adds its blocks in order, so a sequence's result never depends
 * on the batch.
 */
static inline __attribute__((always_inline)) void tiles(const uint8_t *w, int q8, int64_t tile_bytes, int32_t first, int32_t rows,
                                                       const float *x, int32_t n, int32_t batch, float *out, int32_t out_stride) {
    int32_t blocks = n / 32;
    for (int32_t t = first / 16; 16 * t < first + rows; t++) {
        int32_t from, to;
        const uint8_t *tile = tile_at(w, tile_bytes, first, rows, t, &from, &to);
        if (batch == 1) {
            store_lanes(tile_dot(tile, q8, x, blocks), from, to, out + 16 * t + from - first);
            continue;
        }
        for (int32_t s0 = 0; s0 < batch; s0 += 4) {
            const float *xs[4];
            for (int s = 0; s < 4; s++) {
                xs[s] = x + (int64_t) (s0 + s < batch ? s0 + s : batch - 1) * n;
            }
            __m512 acc[4];
            tile_dot_by_four(tile, q8, xs, blocks, s0 == 0, acc);
            for (int s = 0; s < 4 && s0 + s < batch; s++) {
                store_lanes(acc[s], from, to, out + (int64_t) (s0 + s) * out_stride + 16 * t + from - first);
            }
        }
    }
}

#include "lorafn_tile_products.h"

/*
 * LoRA's products (adapters are small matrices read once per step, from memory like the base weights; Java
 * streamed them at about 9 GB/s per thread). Same bits as the Java path: the shrink is dense_dot (F32) or bf16_dot
 * (BF16), the shared order, of each of A's rows with x, n a multiple of 32; the expand (F32 or BF16) below.
 */
#ifndef LORA_AHEAD
#define LORA_AHEAD 2048
#endif

/*
 * Eight of A's rows at a time (dots_by_eight: 1b, 8 distinct rank-16 adapters at batch 8, 235 -> 213 us a hand-off;
 * four rows: 220), the rest one by one. BF16 adapters' A had gone row by row through the BF16 product.
 */
static inline __attribute__((always_inline)) void lora_shrink(const void *a, int bf16, int32_t rank, const float *x, int32_t n,
                                                             float *shrunk) {
    int64_t row_bytes = (int64_t) n * (bf16 ? 2 : 4);
    int32_t k = 0;
    for (; k + 8 <= rank; k += 8) {
        dots_by_eight((const uint8_t *) a + k * row_bytes, row_bytes, bf16, x, n, 0, shrunk + k);
    }
    for (; k < rank; k++) {
        shrunk[k] = bf16 ? bf16_dot((const uint8_t *) a + 2 * (int64_t) k * n, x, n)
                         : dense_dot_ahead((const float *) a + (int64_t) k * n, x, n, LORA_AHEAD);
    }
}

#define LORA_BITS 512
#define lora_vec_load load16
#include "lorafn_lora.h"
