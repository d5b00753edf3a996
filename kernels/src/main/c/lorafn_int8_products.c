/*
 * Q8_0 and Q4_0 products on 8-bit activations (llama.cpp's method), with AVX-512 VNNI, called
 * from Java through the FFM API (io.lorafn.kernels.cpu.NativeInt8Products; io.lorafn.kernels.cpu.Int8Products is the reference).
 *
 * Why: the exact products decode every weight to F32 and multiply-add in F32, about ten vector
 * instructions per 32 weights. Q4_0 at batch 1 and every format at batch 8 are bound by that arithmetic,
 * not by memory. Here one vpdpbusd multiplies 64 weight bytes by 64 activation bytes and sums them in
 * fours into sixteen 32-bit lanes, exactly; only the per-block scaling is floating point.
 *
 * Q4_0 is stored in tiles of 16 interleaved rows and has its own products and definition, further down.
 *
 * The Q8_0 result is defined so that Java computes the same bits (Int8Products is the reference):
 *   - activations are quantized per block of 32 (QuantizedActivations): dx = max|x| / 127, q = rint(x / dx),
 *     stored as signed bytes, with dx repeated for each of the block's eight lanes of four;
 *   - lane l of block b is the exact integer s = sum of w_j q_j for j = 4l .. 4l+3 (w_j the weight's byte);
 *   - blocks go in pairs into one 16-lane accumulator: block 2p into lanes 0-7, block 2p+1 into lanes 8-15,
 *     acc = fma(dw·dx, (float) s, acc), pairs in column order (a last unpaired block touches lanes 0-7 only);
 *   - the row's value is t_0 + t_1 + ... + t_7, left to right, with t_l = acc_l + acc_{l+8}.
 * Integer sums are exact, so the lanes hold the same values whichever way they were computed, and a batched
 * product gives each sequence the bits of its solo product.
 *
 * vpdpbusd multiplies unsigned by signed bytes, so one side is offset to be unsigned and each lane starts
 * from minus the offset times the other side's lane sum, which keeps every sum exact:
 *   - one sequence: the weights are the unsigned side (a byte plus 128) and the
 *     lanes start from the activations' sums (QuantizedActivations computes them once per sequence), so a
 *     pair costs its decoding plus one vpdpbusd, a conversion, a multiply and a multiply-add;
 *   - several: the activations are the unsigned side (q + 128) and the lanes start from the weights' sums,
 *     computed once per weight pair and shared by every sequence, which then costs the same four instructions.
 *     Their activations are interleaved pair by pair ([pair][sequence][64 bytes]), so one pointer and
 *     constant offsets reach every sequence.
 */
#include <immintrin.h>
#include <stdint.h>
#include <stdlib.h>

#include "lorafn_thread_buffers.h"
#include "lorafn_q4_tiles.h"

#define INT8_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,f16c,fma")))
#define INLINE static inline __attribute__((always_inline)) INT8_TARGET

#ifndef Q8_INT8_AHEAD
#define Q8_INT8_AHEAD 16384
#endif

/* Two blocks of weights as a product wants them: their bytes, each lane's start (batched only), the scales. */
typedef struct {
    __m512i weights;   /* block A's 32 bytes, then block B's */
    __m512i start;
    __m512 scale;      /* dw of A in lanes 0-7, of B in lanes 8-15 */
} weight_pair;

/*
 * The F16 scales of the Q8_0 block pair at w, block A's in lanes 0-7 and B's (34 bytes on) in lanes 8-15: two
 * broadcasts, one masked. A 36-byte load and a word permute did the same at about a tenth more per pair (one
 * thread, 1b rows from L3: 31.7 -> 34.8 GB/s, the same bits).
 */
INLINE __m512 two_scales(const uint8_t *w) {
    __m256i halves = _mm256_mask_set1_epi16(_mm256_set1_epi16(*(const short *) w), 0xFF00, *(const short *) (w + 34));
    return _mm512_cvtph_ps(halves);
}

INLINE __m512 one_scale(const uint8_t *w) {
    return _mm512_set1_ps(_cvtsh_ss(*(const uint16_t *) w));
}

/* -128 times the sum of each lane's four signed weights. */
INLINE __m512i weight_start(__m512i weights) {
    __m512i sums = _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_set1_epi8((char) 0x80), weights);
    return _mm512_sub_epi32(_mm512_setzero_si512(), sums);
}

/* Q8_0 blocks are 34 bytes: an F16 scale, then 32 signed bytes. */
INLINE __m512i q8_bytes(const uint8_t *w) {
    return _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *) (w + 2))),
                              _mm256_loadu_si256((const __m256i *) (w + 36)), 1);
}

INLINE weight_pair q8_unsigned(const uint8_t *w) {
    weight_pair p = {_mm512_xor_si512(q8_bytes(w), _mm512_set1_epi8((char) 0x80)), _mm512_setzero_si512(), two_scales(w)};
    return p;
}

INLINE weight_pair q8_unsigned_single(const uint8_t *w) {
    __m512i q = _mm512_zextsi256_si512(_mm256_xor_si256(_mm256_loadu_si256((const __m256i *) (w + 2)), _mm256_set1_epi8((char) 0x80)));
    weight_pair p = {q, _mm512_setzero_si512(), one_scale(w)};
    return p;
}

INLINE weight_pair q8_signed(const uint8_t *w) {
    __m512i q = q8_bytes(w);
    weight_pair p = {q, weight_start(q), two_scales(w)};
    return p;
}

INLINE weight_pair q8_signed_single(const uint8_t *w) {
    __m512i q = _mm512_zextsi256_si512(_mm256_loadu_si256((const __m256i *) (w + 2)));
    weight_pair p = {q, weight_start(q), one_scale(w)};
    return p;
}

typedef weight_pair (*pair_reader)(const uint8_t *w);

INLINE __m512 scaled_add(__m512 scale, const float *dxv, __m512i s, __m512 acc) {
    return _mm512_fmadd_ps(_mm512_mul_ps(scale, _mm512_loadu_ps(dxv)), _mm512_cvtepi32_ps(s), acc);
}

INLINE float fold16(__m512 acc) {
    float t[8];
    _mm256_storeu_ps(t, _mm256_add_ps(_mm512_castps512_ps256(acc), _mm512_extractf32x8_ps(acc, 1)));
    return t[0] + t[1] + t[2] + t[3] + t[4] + t[5] + t[6] + t[7];
}

/*
 * Two rows · one sequence (w1 may equal w0 for a last odd row): xq its signed bytes, start its lanes' starts for
 * this format, dxv its lane scales. Two rows at once share each load of the sequence's bytes, starts and
 * scales, and keep two streams of weights in flight.
 */
INLINE void two_rows_dot(pair_reader pair, pair_reader single, int32_t block_bytes, int32_t ahead, const uint8_t *w0,
                         const uint8_t *w1, const int8_t *xq, const int32_t *start, const float *dxv, int32_t blocks,
                         float *out0, float *out1) {
    __m512 acc0 = _mm512_setzero_ps(), acc1 = acc0;
    int32_t b = 0;
    for (; b + 1 < blocks; b += 2, w0 += 2 * block_bytes, w1 += 2 * block_bytes) {
        _mm_prefetch((const char *) w0 + ahead, _MM_HINT_T0);
        _mm_prefetch((const char *) w1 + ahead, _MM_HINT_T0);
        /* and into L2 twice as far: 8-bit Q8_0 batch 1 went from 0.68-0.71 to 0.80-0.82 of the bandwidth (1b,
           three alternating runs); the same hint did nothing for the exact Q8_0 kernel */
        _mm_prefetch((const char *) w0 + 2 * ahead, _MM_HINT_T2);
        _mm_prefetch((const char *) w1 + 2 * ahead, _MM_HINT_T2);
        weight_pair p = pair(w0), r = pair(w1);
        __m512i x = _mm512_loadu_si512(xq + 32 * b), s0 = _mm512_loadu_si512(start + 8 * b);
        __m512 dx = _mm512_loadu_ps(dxv + 8 * b);
        acc0 = _mm512_fmadd_ps(_mm512_mul_ps(p.scale, dx), _mm512_cvtepi32_ps(_mm512_dpbusd_epi32(s0, p.weights, x)), acc0);
        acc1 = _mm512_fmadd_ps(_mm512_mul_ps(r.scale, dx), _mm512_cvtepi32_ps(_mm512_dpbusd_epi32(s0, r.weights, x)), acc1);
    }
    if (b < blocks) { /* a last unpaired block: lanes 8-15 keep their value */
        weight_pair p = single(w0), r = single(w1);
        __m512i x = _mm512_maskz_loadu_epi8(0xFFFFFFFFULL, xq + 32 * b), s0 = _mm512_maskz_loadu_epi32(0x00FF, start + 8 * b);
        __m512 dx = _mm512_maskz_loadu_ps(0x00FF, dxv + 8 * b);
        acc0 = _mm512_mask3_fmadd_ps(_mm512_mul_ps(p.scale, dx), _mm512_cvtepi32_ps(_mm512_dpbusd_epi32(s0, p.weights, x)), acc0, 0x00FF);
        acc1 = _mm512_mask3_fmadd_ps(_mm512_mul_ps(r.scale, dx), _mm512_cvtepi32_ps(_mm512_dpbusd_epi32(s0, r.weights, x)), acc1, 0x00FF);
    }
    *out0 = fold16(acc0);
    *out1 = fold16(acc1);
}

INLINE void matvec(pair_reader pair, pair_reader single, int32_t block_bytes, int32_t ahead, const uint8_t *w, int64_t row_bytes,
                   int32_t rows, const int8_t *xq, const int32_t *start, const float *dxv, int32_t n, float *out) {
    float spare;
    for (int32_t r = 0; r < rows; r += 2) {
        const uint8_t *w0 = w + r * row_bytes;
        int last = r + 1 == rows;
        two_rows_dot(pair, single, block_bytes, ahead, w0, last ? w0 : w0 + row_bytes, xq, start, dxv, n / 32, out + r,
                     last ? &spare : out + r + 1);
    }
}

/* Each thread's accumulators for the batched product; grown, never shrunk. */
static __thread void *accumulators;
static __thread size_t accumulator_capacity;

INT8_TARGET static __m512 *accumulator_buffer(int32_t count) {
    return grown_buffer(&accumulators, &accumulator_capacity, (size_t) count * sizeof(__m512));
}

/*
 * Several sequences: each pair of weight blocks is read and prepared once and multiplied with every
 * sequence. Rows go four at a time over KB_PAIRS pairs at a time, so the sequences' activations for those
 * columns stay in L1 while the four rows pass over them, two rows sharing each load of a sequence's bytes and
 * scales (one row per load ran at 52 G multiply-adds/s per core, two at 58); each (row, sequence) keeps one
 * accumulator, which adds its pairs in column order as the solo product does. Up to eight sequences at a time,
 * their accumulators in registers for the length of a column block (the group size a constant once inlined).
 * xu: [pair][sequence][64 unsigned bytes]; dxv: [pair][sequence][16 lane scales]; an unpaired last block is
 * padded with zero scales and its second half is never added.
 */
#define ROWS 4
#ifndef KB_PAIRS
#define KB_PAIRS 8
#endif
#define MAX_GROUP 8
INLINE void row_block(pair_reader pair, pair_reader single, int32_t block_bytes, const uint8_t *w0,
                      int64_t row_bytes, int32_t p0, int32_t end, int32_t blocks, const uint8_t *xu, const float *dxv,
                      int32_t batch, const int32_t group, __m512 *acc0, __m512 *acc1) {
    __m512 a[MAX_GROUP], b[MAX_GROUP];
    const uint8_t *w1 = w0 + row_bytes;
    for (int32_t s = 0; s < group; s++) {
        a[s] = acc0[s];
        b[s] = acc1[s];
    }
    for (int32_t q = p0; q < end; q++, w0 += 2 * block_bytes, w1 += 2 * block_bytes) {
        const uint8_t *x = xu + (int64_t) q * batch * 64;
        const float *d = dxv + (int64_t) q * batch * 16;
        if (2 * q + 1 < blocks) {
            /* the same columns of the next group of rows: within a row the group reads only KB_PAIRS pairs at
               a time, so prefetching ahead in the row left each group's first columns cold (46 -> 60 G
               multiply-adds/s per core on a matrix larger than the caches); two lines, as a Q8_0 pair is 68 bytes */
            _mm_prefetch((const char *) w0 + ROWS * row_bytes, _MM_HINT_T0);
            _mm_prefetch((const char *) w0 + ROWS * row_bytes + 63, _MM_HINT_T0);
            _mm_prefetch((const char *) w1 + ROWS * row_bytes, _MM_HINT_T0);
            _mm_prefetch((const char *) w1 + ROWS * row_bytes + 63, _MM_HINT_T0);
            weight_pair p = pair(w0), r = pair(w1);
            for (int32_t s = 0; s < group; s++) {
                __m512i xs = _mm512_loadu_si512(x + 64 * s);
                __m512 dx = _mm512_loadu_ps(d + 16 * s);
                a[s] = _mm512_fmadd_ps(_mm512_mul_ps(p.scale, dx), _mm512_cvtepi32_ps(_mm512_dpbusd_epi32(p.start, xs, p.weights)), a[s]);
                b[s] = _mm512_fmadd_ps(_mm512_mul_ps(r.scale, dx), _mm512_cvtepi32_ps(_mm512_dpbusd_epi32(r.start, xs, r.weights)), b[s]);
            }
        } else {
            weight_pair p = single(w0), r = single(w1);
            for (int32_t s = 0; s < group; s++) {
                __m512i xs = _mm512_loadu_si512(x + 64 * s);
                __m512 dx = _mm512_loadu_ps(d + 16 * s);
                a[s] = _mm512_mask3_fmadd_ps(_mm512_mul_ps(p.scale, dx), _mm512_cvtepi32_ps(_mm512_dpbusd_epi32(p.start, xs, p.weights)), a[s], 0x00FF);
                b[s] = _mm512_mask3_fmadd_ps(_mm512_mul_ps(r.scale, dx), _mm512_cvtepi32_ps(_mm512_dpbusd_epi32(r.start, xs, r.weights)), b[s], 0x00FF);
            }
        }
    }
    for (int32_t s = 0; s < group; s++) {
        acc0[s] = a[s];
        acc1[s] = b[s];
    }
}

/* Rows r .. r+height-1 (height even, or the last row paired with itself and its results dropped). */
INLINE void group_rows(pair_reader pair, pair_reader single, int32_t block_bytes, const uint8_t *w, int64_t row_bytes,
                       int32_t r, int32_t height, const uint8_t *xu, const float *dxv, int32_t n, int32_t batch,
                       const int32_t group, __m512 *acc) {
    int32_t blocks = n / 32, pairs = (blocks + 1) / 2;
    for (int32_t p0 = 0; p0 < pairs; p0 += KB_PAIRS) {
        int32_t end = p0 + KB_PAIRS < pairs ? p0 + KB_PAIRS : pairs;
        for (int32_t k = 0; k < height; k += 2) {
            int64_t second = k + 1 < height ? row_bytes : 0;
            row_block(pair, single, block_bytes, w + (r + k) * row_bytes + (int64_t) p0 * 2 * block_bytes, second, p0, end, blocks,
                      xu, dxv, batch, group, acc + k * MAX_GROUP, acc + (k + 1) * MAX_GROUP);
        }
    }
}

INLINE int32_t batched(pair_reader pair, pair_reader single, int32_t block_bytes,
                       const uint8_t *w, int64_t row_bytes, int32_t rows, const uint8_t *xu, const float *dxv,
                       int32_t n, int32_t batch, float *out, int32_t out_stride) {
    __m512 *acc = accumulator_buffer(ROWS * MAX_GROUP);
    if (acc == NULL) {
        return -1;
    }
    for (int32_t r = 0; r < rows; r += ROWS) {
        int32_t height = rows - r < ROWS ? rows - r : ROWS;
        for (int32_t s0 = 0; s0 < batch; s0 += MAX_GROUP) {
            int32_t group = batch - s0 < MAX_GROUP ? batch - s0 : MAX_GROUP;
            for (int32_t k = 0; k < ROWS * MAX_GROUP; k++) {
                acc[k] = _mm512_setzero_ps();
            }
            const uint8_t *xs = xu + (int64_t) s0 * 64;
            const float *ds = dxv + (int64_t) s0 * 16;
            switch (group) { /* a constant group size lets the compiler keep the accumulators in registers */
                case 1: group_rows(pair, single, block_bytes, w, row_bytes, r, height, xs, ds, n, batch, 1, acc); break;
                case 2: group_rows(pair, single, block_bytes, w, row_bytes, r, height, xs, ds, n, batch, 2, acc); break;
                case 3: group_rows(pair, single, block_bytes, w, row_bytes, r, height, xs, ds, n, batch, 3, acc); break;
                case 4: group_rows(pair, single, block_bytes, w, row_bytes, r, height, xs, ds, n, batch, 4, acc); break;
                case 5: group_rows(pair, single, block_bytes, w, row_bytes, r, height, xs, ds, n, batch, 5, acc); break;
                case 6: group_rows(pair, single, block_bytes, w, row_bytes, r, height, xs, ds, n, batch, 6, acc); break;
                case 7: group_rows(pair, single, block_bytes, w, row_bytes, r, height, xs, ds, n, batch, 7, acc); break;
                default: group_rows(pair, single, block_bytes, w, row_bytes, r, height, xs, ds, n, batch, 8, acc); break;
            }
            for (int32_t k = 0; k < height; k++) {
                for (int32_t s = 0; s < group; s++) {
                    out[(int64_t) (s0 + s) * out_stride + r + k] = fold16(acc[k * MAX_GROUP + s]);
                }
            }
        }
    }
    return 0;
}

/*
 * out[r] = row r · x for rows [0, rows) at w + r·row_bytes: xq n signed bytes; start, dxv n/4 lane starts
 * (for this format) and lane scales; n a multiple of 32.
 */
INT8_TARGET void lf_q8_0_matvec_int8(const uint8_t *w, int64_t row_bytes, int32_t rows, const int8_t *xq, const int32_t *start,
                                     const float *dxv, int32_t n, float *out) {
    size_t part = ((size_t) n + 63) & ~(size_t) 63; /* n bytes, n/4 starts and n/4 scales: n bytes each */
    uint8_t *room = aligned_input_room(3 * part);
    xq = aligned_input(xq, (size_t) n, room, 0);
    start = aligned_input(start, (size_t) n, room, part);
    dxv = aligned_input(dxv, (size_t) n, room, 2 * part);
    matvec(q8_unsigned, q8_unsigned_single, 34, Q8_INT8_AHEAD, w, row_bytes, rows, xq, start, dxv, n, out);
}

/*
 * out[s·out_stride + r] = row r · sequence s for batch sequences, interleaved as above (xu, dxv).
 * Returns 0, or -1 where the accumulators could not be allocated.
 */
INT8_TARGET int32_t lf_q8_0_matmul_int8(const uint8_t *w, int64_t row_bytes, int32_t rows, const uint8_t *xu, const float *dxv,
                                        int32_t n, int32_t batch, float *out, int32_t out_stride) {
    return batched(q8_signed, q8_signed_single, 34, w, row_bytes, rows, xu, dxv, n, batch, out, out_stride);
}

/*
 * Q4_0 in tiles of 16 rows (io.lorafn.kernels.WeightFormat), one row per 32-bit lane: vpdpbusd multiplies each
 * row's four nibbles of a word by the same four activation bytes (broadcast), so a block of 16 rows costs
 * four loads, eight nibble extractions and eight vpdpbusd, and its scaling is one vector for all 16 rows.
 * Rows one after another cost the same per 64 weights of one row; this computes at several times the
 * memory bandwidth, so the product streams.
 *
 * The result, defined in Int8Products: for each block b in order, s_b = the exact sum of (q - 8)·x_q over its
 * 32 weights, and acc = fma(dw_b·dx_b, (float) s_b, acc) from acc = 0; the row's value is acc. The nibbles
 * are the unsigned side; each lane starts from -8 times the block's sum of activation bytes (block_starts).
 */
/* The integer sums of one block of a tile for one sequence: words the block's four 64-byte words, x4 its activation bytes in eight words. */
INLINE __m512i q4_tile_sums(const __m512i nibbles[8], const int32_t *x4, int32_t start) {
    __m512i s0 = _mm512_set1_epi32(start), s1 = _mm512_setzero_si512();
    for (int c = 0; c < 4; c++) {
        s0 = _mm512_dpbusd_epi32(s0, nibbles[c], _mm512_set1_epi32(x4[c]));
        s1 = _mm512_dpbusd_epi32(s1, nibbles[4 + c], _mm512_set1_epi32(x4[4 + c]));
    }
    return _mm512_add_epi32(s0, s1);
}

/* The 16 rows' nibbles of one block: for word c, the low nibbles (weights 4c..4c+3) then, at 4 + c, the high ones (16 + 4c..). */
INLINE void q4_tile_nibbles(const uint8_t *words, __m512i nibbles[8]) {
    const __m512i low = _mm512_set1_epi8(0x0F);
    for (int c = 0; c < 4; c++) {
        __m512i q = _mm512_loadu_si512(words + 64 * c);
        nibbles[c] = _mm512_and_si512(q, low);
        nibbles[4 + c] = _mm512_and_si512(_mm512_srli_epi16(q, 4), low);
    }
}

/* One tile for a group of sequences (a constant once inlined, so the accumulators stay in registers). */
INLINE void q4_tile_group(const uint8_t *tile, int32_t blocks, const int8_t *xq, const int32_t *block_starts,
                          const float *lane_scales, int32_t n, const int32_t group, __m512 acc[MAX_GROUP]) {
    for (int32_t s = 0; s < group; s++) {
        acc[s] = _mm512_setzero_ps();
    }
    for (int32_t b = 0; b < blocks; b++) {
        if (group > 1) { /* a group of one is batch 1 (or a batch's last sequence, its tile already read) */
            q4_tile_prefetch(tile, b);
        }
        __m512i nibbles[8];
        q4_tile_nibbles(q4_tile_words(tile, b), nibbles);
        __m512 dw = q4_tile_scales(tile, b);
        for (int32_t s = 0; s < group; s++) {
            __m512i sums = q4_tile_sums(nibbles, (const int32_t *) (xq + (int64_t) s * n + 32 * b), block_starts[s * blocks + b]);
            __m512 scale = _mm512_mul_ps(dw, _mm512_set1_ps(lane_scales[(int64_t) s * (n / 4) + 8 * b]));
            acc[s] = _mm512_fmadd_ps(scale, _mm512_cvtepi32_ps(sums), acc[s]);
        }
    }
}

/*
 * out[s·out_stride + r - first] = row r · sequence s, the bits of that sequence alone (lf_q4_0_matvec_int8 is this
 * product with one sequence; each block's nibbles are decoded once for all of them): xq, block_starts and
 * lane_scales hold the sequences one after another. Returns 0.
 */
INT8_TARGET int32_t lf_q4_0_matmul_int8(const uint8_t *w, int64_t tile_bytes, int32_t first, int32_t rows, const int8_t *xq,
                                        const int32_t *block_starts, const float *lane_scales, int32_t n, int32_t batch,
                                        float *out, int32_t out_stride) {
    int32_t blocks = n / 32;
    for (int32_t t = first / 16; 16 * t < first + rows; t++) {
        int32_t from, to;
        const uint8_t *tile = q4_tile(w, tile_bytes, first, rows, t, &from, &to);
        for (int32_t s0 = 0; s0 < batch; s0 += MAX_GROUP) {
            int32_t group = batch - s0 < MAX_GROUP ? batch - s0 : MAX_GROUP;
            const int8_t *xs = xq + (int64_t) s0 * n;
            const int32_t *st = block_starts + (int64_t) s0 * blocks;
            const float *ls = lane_scales + (int64_t) s0 * (n / 4);
            __m512 acc[MAX_GROUP];
            switch (group) {
                case 1: q4_tile_group(tile, blocks, xs, st, ls, n, 1, acc); break;
                case 2: q4_tile_group(tile, blocks, xs, st, ls, n, 2, acc); break;
                case 3: q4_tile_group(tile, blocks, xs, st, ls, n, 3, acc); break;
                case 4: q4_tile_group(tile, blocks, xs, st, ls, n, 4, acc); break;
                case 5: q4_tile_group(tile, blocks, xs, st, ls, n, 5, acc); break;
                case 6: q4_tile_group(tile, blocks, xs, st, ls, n, 6, acc); break;
                case 7: q4_tile_group(tile, blocks, xs, st, ls, n, 7, acc); break;
                default: q4_tile_group(tile, blocks, xs, st, ls, n, 8, acc); break;
            }
            for (int32_t s = 0; s < group; s++) {
                q4_store_lanes(acc[s], from, to, out + (int64_t) (s0 + s) * out_stride + 16 * t + from - first);
            }
        }
    }
    return 0;
}

/*
 * out[r - first] = row r · x for rows [first, first + rows) of the tiles at w (tile_bytes apart, row r in tile
 * r / 16): xq n signed bytes, block_starts -8 times each block's sum of them, lane_scales dx per lane of four.
 */
INT8_TARGET void lf_q4_0_matvec_int8(const uint8_t *w, int64_t tile_bytes, int32_t first, int32_t rows, const int8_t *xq,
                                     const int32_t *block_starts, const float *lane_scales, int32_t n, float *out) {
    lf_q4_0_matmul_int8(w, tile_bytes, first, rows, xq, block_starts, lane_scales, n, 1, out, 0); /* a group of one */
}

/*
 * QuantizedActivations.quantize in C: for each block of 32 of x (n a multiple of 32), dx = max|x| / 127,
 * q = rint(x / dx) clamped to ±127 (rint through the default rounding mode, nearest even, as Java's
 * Math.rint), each lane's scale, each block's start for Q4_0 (-8 times its sum) and each lane's for Q8_0 (-128 times its sum).
 */
INT8_TARGET void lf_quantize_activations(const float *x, int32_t n, int8_t *values, float *lane_scales, int32_t *q4_starts,
                                         int32_t *q8_starts) {
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
        __m256i sums = _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_set1_epi8(1), q);
        _mm256_storeu_ps(lane_scales + i / 4, _mm256_set1_ps(dx));
        q4_starts[i / 32] = -8 * _mm512_reduce_add_epi32(_mm512_add_epi32(qlo, qhi));
        _mm256_storeu_si256((__m256i *) (q8_starts + i / 4), _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(sums, 7)));
    }
}
