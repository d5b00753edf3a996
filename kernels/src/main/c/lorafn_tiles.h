/*
 * Q8_0 and Q4_0 tiles (io.lorafn.kernels.WeightFormat): 16 rows interleaved, one per 32-bit lane. Per pair of
 * blocks: a 64-byte line of the rows' F16 scales (the pair's first block in the low half of each word, its
 * second in the high half), then each block's 64-byte words, word c of row l at 64c + 4l: eight words of four
 * signed bytes for Q8_0 (TILE_Q8_PAIR bytes a pair), four of eight nibbles for Q4_0 (TILE_Q4_PAIR). The
 * addressing, scales, prefetching and partial-tile stores that the exact (lorafn_cpu_kernels.c) and the 8-bit
 * (lorafn_int8_products.c) tile products share; `pair` is always one of the two constants, so each inlined
 * copy has its own offsets.
 */
#ifndef LORAFN_TILES_H
#define LORAFN_TILES_H

#include <immintrin.h>
#include <stdint.h>

#define TILE_INLINE static inline __attribute__((always_inline))

#define TILE_Q8_PAIR 1088 /* 64 + 2 × 8 words */
#define TILE_Q4_PAIR 576  /* 64 + 2 × 4 words */

/* Batched products read into L1 two pairs ahead, and into L2 eight pairs ahead: the second hint added 4-6% over
   the mapped 1b Q4_0 image in chunks of 9.4 MB, 2 threads (T1 and T2 alike; 2-32 KiB tried, 4.5 KiB best; 9 KiB was
   worse in the engine); without either, 8-bit batch 8 fell from 270-326 to 168-176 G multiply-adds/s (Zen 4,
   kernel-bench.sh). Batch 1 does without them: a thread reads its tiles as one sequential stream, which the
   hardware prefetcher follows better alone (Zen 4, gate/up's shape from memory, two threads: 8-bit 33.2, 41.7,
   33.8 -> 45.9, 47.7, 30.3 GB/s, exact 28.8, 33.8, 30.4 -> 35.3, 34.5, 31.1). */
#ifndef TILE_AHEAD_PAIRS
#define TILE_AHEAD_PAIRS 2
#endif
#ifndef TILE_FAR_PAIRS
#define TILE_FAR_PAIRS 8
#endif

/*
 * The exact products' order over a block (lorafn_cpu_kernels.c): weight k of chain c is column 4c + chain_offsets[k], and
 * in a Q4_0 word it sits q4_shifts[k] bits from the right. Unused by the 8-bit products, which sum in integers.
 */
__attribute__((unused)) static const int chain_offsets[8] = {0, 1, 2, 3, 16, 17, 18, 19};
__attribute__((unused)) static const int q4_shifts[8] = {0, 8, 16, 24, 4, 12, 20, 28};

/* Block b's words. */
TILE_INLINE const uint8_t *tile_words(const uint8_t *tile, int32_t pair, int32_t b) {
    return tile + pair * (b >> 1) + 64 + (pair - 64) / 2 * (b & 1);
}

#ifdef __AVX512F__ /* (the AVX2 build, lorafn_cpu_kernels_avx2.c, takes a tile in halves of 8 rows) */
/* The 16 rows' scales of block b, as floats. */
TILE_INLINE __m512 tile_scales(const uint8_t *tile, int32_t pair, int32_t b) {
    __m512i line = _mm512_loadu_si512(tile + pair * (b >> 1));
    if (b & 1) {
        line = _mm512_srli_epi32(line, 16);
    }
    return _mm512_cvtph_ps(_mm512_cvtepi32_epi16(line));
}
#endif

/* At the first block of each pair: the pair's lines that far ahead, into L1 and into L2. */
TILE_INLINE void tile_prefetch(const uint8_t *tile, int32_t pair, int32_t b) {
    if ((b & 1) == 0) {
        const char *at = (const char *) tile + pair * (b >> 1);
        for (int k = 0; k < pair / 64; k++) {
            _mm_prefetch(at + TILE_AHEAD_PAIRS * pair + 64 * k, _MM_HINT_T0);
            _mm_prefetch(at + TILE_FAR_PAIRS * pair + 64 * k, _MM_HINT_T2);
        }
    }
}

/*
 * Other data brought into L2 while a batched product runs (io.lorafn.kernels.cpu.FusedLora): the adapters' A for
 * the shrinks that follow, and the rows of B that the chunk's LoRA expand reads right after it. At batch 8 the 8-bit
 * products are bound by arithmetic and leave half the memory bandwidth idle, while the shrink and expand, run on their
 * own, are bound by their misses. `ranges` holds (address, bytes) pairs; each step of the product (a block of a tile)
 * prefetches its share of their lines, so the misses spread over the whole product. Not free: on one thread, gate's
 * shape, the product slowed by about half of what the expand then saved (RESULTS.md, seventeenth session). The
 * hint hardly matters: T0, T1, T2 and NTA were within 2% there.
 */
typedef struct {
    const int64_t *ranges;
    int32_t count, next; /* ranges, and the next one to start */
    int32_t per_step;    /* lines a step */
    const char *at, *end;
} side_prefetch;

/* Spreads the lines of `count` ranges over `steps` steps. */
TILE_INLINE side_prefetch side_prefetch_start(const int64_t *ranges, int32_t count, int64_t steps) {
    side_prefetch p = { ranges, count, 0, 0, NULL, NULL };
    int64_t lines = 0;
    for (int32_t i = 0; i < count; i++) {
        int64_t start = ranges[2 * i], end = start + ranges[2 * i + 1];
        lines += end > start ? (end - (start & ~(int64_t) 63) + 63) / 64 : 0;
    }
    p.per_step = lines == 0 || steps <= 0 ? 0 : (int32_t) ((lines + steps - 1) / steps);
    return p;
}

/* One step's lines, into L2. */
TILE_INLINE void side_prefetch_step(side_prefetch *p) {
    for (int32_t j = 0; j < p->per_step; j++) {
        while (p->at >= p->end) {
            if (p->next >= p->count) {
                p->per_step = 0;
                return;
            }
            int64_t start = p->ranges[2 * p->next], bytes = p->ranges[2 * p->next + 1];
            p->next++;
            p->at = (const char *) (intptr_t) (start & ~(int64_t) 63);
            p->end = (const char *) (intptr_t) (start + bytes);
        }
        _mm_prefetch(p->at, _MM_HINT_T1);
        p->at += 64;
    }
}

/*
 * Tile t of the tiles at w (tile_bytes apart, the first holding row first), and which of its lanes [*from, *to)
 * hold rows of [first, first + rows).
 */
TILE_INLINE const uint8_t *tile_at(const uint8_t *w, int64_t tile_bytes, int32_t first, int32_t rows, int32_t t, int32_t *from,
                                   int32_t *to) {
    *from = first > 16 * t ? first - 16 * t : 0;
    *to = first + rows < 16 * t + 16 ? first + rows - 16 * t : 16;
    return w + (t - first / 16) * tile_bytes;
}

#ifdef __AVX512F__
/* Lanes [from, to) of a tile's 16 results into out[l - from]. */
TILE_INLINE void store_lanes(__m512 v, int32_t from, int32_t to, float *out) {
    float lanes[16];
    _mm512_storeu_ps(lanes, v);
    for (int32_t l = from; l < to; l++) {
        out[l - from] = lanes[l];
    }
}
#endif

#endif
