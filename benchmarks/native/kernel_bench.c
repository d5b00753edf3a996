/*
 * The C products alone, outside the JVM: how fast one or two threads run each product on the 1b preset's
 * matrix shapes, from memory or from the caches, and what one core's vector units allow. The engine's
 * figures (`lorafn bench decode`) are the ones that count; this explains them, and is what the C-model
 * figures in benchmarks/RESULTS.md were measured with. Built and run by kernel-bench.sh, against the
 * kernels' own sources and compiler flags.
 *
 *   kernel_bench probe                         one core: clock, 512-bit FMA rate, and which instruction mixes issue together
 *   kernel_bench alternate [REPS [KERNEL...]] two threads, batch 1: a read pass, then each kernel's product followed by a
 *                                              read pass (by default the 8-bit Q4_0 and Q8_0), REPS times over 1 GiB; each
 *                                              product's GB/s against the mean of the passes either side (this host's
 *                                              bandwidth moves)
 *   kernel_bench KERNEL ROWS COLS BATCH THREADS [MB]
 *       KERNEL: q8_0 | bf16 | q4_0 (F32 activations) | q8_0-int8 | q4_0-int8 (8-bit activations) | bf16-bf16 (BF16
 *               weights and activations, AVX512_BF16)
 *       MB: the weight bytes to stream (default 256: from memory); a small value (4) keeps the matrix in L3.
 * Prints GB/s of weights, G multiply-adds/s and weight-products per cycle (at the probed clock), and a hash of
 * the outputs, so that two builds can be checked for the same bits.
 */
#include <immintrin.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void lf_bf16_matvec(const uint8_t *w, int64_t row_bytes, int32_t rows, const float *x, int32_t n, float *out);
void lf_q8_0_matmul(const uint8_t *w, int64_t tile_bytes, int32_t first, int32_t rows, const float *x, int32_t n, int32_t batch,
                    float *out, int32_t out_stride);
int32_t lf_bf16_matmul(const uint8_t *w, int64_t row_bytes, int32_t rows, const float *x, int32_t n, int32_t batch, float *out,
                       int32_t out_stride);
void lf_q4_0_matmul(const uint8_t *w, int64_t tile_bytes, int32_t first, int32_t rows, const float *x, int32_t n, int32_t batch,
                    float *out, int32_t out_stride);
/* weak: the AVX2 build has no BF16-activation product (known_kernel refuses bf16-bf16 there) */
__attribute__((weak)) void lf_bf16_matmul_bf16x(const uint8_t *w, int64_t row_bytes, int32_t rows, const uint16_t *x, int32_t n, int32_t batch, float *out,
                          int32_t out_stride);
void lf_q8_0_matmul_int8(const uint8_t *w, int64_t tile_bytes, int32_t first, int32_t rows, const int8_t *xq, const int32_t *block_sums,
                         const float *block_scales, int32_t n, int32_t batch, float *out, int32_t out_stride, const int64_t *side,
                         int32_t side_ranges);
void lf_q4_0_matmul_int8(const uint8_t *w, int64_t tile_bytes, int32_t first, int32_t rows, const int8_t *xq, const int32_t *block_sums,
                         const float *block_scales, int32_t n, int32_t batch, float *out, int32_t out_stride, const int64_t *side,
                         int32_t side_ranges);

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* ---- one core: clock and issue rates ---- */

static double clock_ghz(void) {
    long n = 1000000000;
    double t0 = now();
    for (long i = 0; i < n; i++) {
        __asm__ volatile("imul $3, %%rax, %%rax" ::: "rax"); /* a dependent chain, 3 cycles each */
    }
    return 3.0 * n / (now() - t0) / 1e9;
}

#define FMA(r) "vfmadd231ps %%zmm30, %%zmm31, %%zmm" #r "\n"
#define CVT(r) "vcvtdq2ps %%zmm28, %%zmm" #r "\n"
#define MUL(r) "vmulps %%zmm29, %%zmm28, %%zmm" #r "\n"
#define PERM(r) "vpermps %%zmm29, %%zmm28, %%zmm" #r "\n"
#define SHIFT(r) "vpsrld $4, %%zmm28, %%zmm" #r "\n"
#define ADD(r) "vaddps %%zmm29, %%zmm28, %%zmm" #r "\n"
#define SEXT(r) "vpmovsxbd %%xmm28, %%zmm" #r "\n"
#define TERN(r) "vpternlogd $0xf8, %%zmm29, %%zmm28, %%zmm" #r "\n"
#define AND(r) "vpandd %%zmm29, %%zmm28, %%zmm" #r "\n"
/* an FMA whose other factor is a float broadcast from memory ({1to16}), as the C tile products compile theirs */
#define FMAB(r) "vfmadd231ps 4*" #r "(%0)%{1to16%}, %%zmm31, %%zmm" #r "\n"
#define CLOBBERS "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11"
#define MIX(name, body) { \
        long it = 100000000; double t0 = now(); \
        for (long i = 0; i < it; i++) { __asm__ volatile(body :: "r"(operands) : CLOBBERS); } \
        printf("  %-46s %5.2f cycles\n", name, (now() - t0) * ghz * 1e9 / it); }

static void probe(void) {
    static float operands[16] __attribute__((aligned(64)));
    double ghz = clock_ghz();
    printf("clock: %.2f GHz (dependent imul chain)\n", ghz);
    long it = 300000000;
    double t0 = now();
    for (long i = 0; i < it; i++) {
        __asm__ volatile(FMA(0) FMA(1) FMA(2) FMA(3) FMA(4) FMA(5) FMA(6) FMA(7) FMA(8) FMA(9) FMA(10) FMA(11) ::: CLOBBERS);
    }
    double fmas = it * 12.0 / (now() - t0);
    printf("512-bit FMA: %.2f G/s one thread = %.2f a cycle = %.1f G multiply-adds/s\n", fmas / 1e9, fmas / ghz / 1e9, 16 * fmas / 1e9);
    printf("one iteration of (independent instructions, 512-bit):\n");
    MIX("4 FMA", FMA(0) FMA(1) FMA(2) FMA(3))
    MIX("4 FMA + 4 shift + 4 permute", FMA(0) SHIFT(4) PERM(8) FMA(1) SHIFT(5) PERM(9) FMA(2) SHIFT(6) PERM(10) FMA(3) SHIFT(7) PERM(11))
    MIX("4 FMA + 4 convert", FMA(0) CVT(4) FMA(1) CVT(5) FMA(2) CVT(6) FMA(3) CVT(7))
    MIX("4 FMA + 4 multiply", FMA(0) MUL(4) FMA(1) MUL(5) FMA(2) MUL(6) FMA(3) MUL(7))
    MIX("4 FMA + 4 add", FMA(0) ADD(4) FMA(1) ADD(5) FMA(2) ADD(6) FMA(3) ADD(7))
    MIX("4 FMA + 4 ternary-logic + 4 add", FMA(0) TERN(4) ADD(8) FMA(1) TERN(5) ADD(9) FMA(2) TERN(6) ADD(10) FMA(3) TERN(7) ADD(11))
    MIX("8 FMA + 1 sign-extend + 1 convert + 1 multiply", FMA(0) FMA(1) FMA(2) FMA(3) FMA(4) FMA(5) FMA(6) FMA(7) SEXT(8) CVT(9) MUL(10))
    /* ways to turn 16 nibbles into 16 floats beside their FMAs (exact Q4_0, sixteenth session) */
    MIX("4 FMA + 4 permute", FMA(0) PERM(4) FMA(1) PERM(5) FMA(2) PERM(6) FMA(3) PERM(7))
    MIX("4 FMA + 4 shift", FMA(0) SHIFT(4) FMA(1) SHIFT(5) FMA(2) SHIFT(6) FMA(3) SHIFT(7))
    MIX("4 FMA + 4 ternary-logic", FMA(0) TERN(4) FMA(1) TERN(5) FMA(2) TERN(6) FMA(3) TERN(7))
    MIX("4 FMA + 4 shift + 4 ternary-logic", FMA(0) SHIFT(4) TERN(8) FMA(1) SHIFT(5) TERN(9) FMA(2) SHIFT(6) TERN(10) FMA(3) SHIFT(7) TERN(11))
    MIX("4 FMA + 4 and + 4 convert", FMA(0) AND(4) CVT(8) FMA(1) AND(5) CVT(9) FMA(2) AND(6) CVT(10) FMA(3) AND(7) CVT(11))
    MIX("4 FMA (broadcast operand) + 4 shift + 4 permute", FMAB(0) SHIFT(4) PERM(8) FMAB(1) SHIFT(5) PERM(9) FMAB(2) SHIFT(6) PERM(10) FMAB(3) SHIFT(7) PERM(11))
}

/* ---- the products ---- */

typedef struct {
    const char *kernel;
    const uint8_t *w;
    int64_t stride;       /* row bytes (BF16), or tile bytes */
    int64_t copy_bytes;   /* the matrix is repeated `copies` times, one copy after another */
    int32_t copies, first, rows, n, batch, iterations;
    const float *x;
    const int8_t *xq;
    const int32_t *sums;
    const float *dxv;
    const uint16_t *xb;   /* x rounded to BF16, for bf16-bf16 */
    float *out;
    int32_t out_stride;
} slice;

/* The kernels product() runs; a name outside them is refused, not run as some other kernel. */
static const char *const KERNELS[] = {"q8_0", "bf16", "bf16-bf16", "q4_0", "q8_0-int8", "q4_0-int8"};

static int known_kernel(const char *name) {
    if (!strcmp(name, "bf16-bf16") && !lf_bf16_matmul_bf16x) return 0;
    for (size_t k = 0; k < sizeof KERNELS / sizeof KERNELS[0]; k++) {
        if (!strcmp(name, KERNELS[k])) return 1;
    }
    return 0;
}

static void product(const slice *s, const uint8_t *w) {
    const char *k = s->kernel;
    if (!strcmp(k, "q8_0")) {
        lf_q8_0_matmul(w, s->stride, s->first, s->rows, s->x, s->n, s->batch, s->out, s->out_stride);
    } else if (!strcmp(k, "bf16")) {
        if (s->batch == 1) lf_bf16_matvec(w, s->stride, s->rows, s->x, s->n, s->out);
        else lf_bf16_matmul(w, s->stride, s->rows, s->x, s->n, s->batch, s->out, s->out_stride);
    } else if (!strcmp(k, "bf16-bf16")) {
        lf_bf16_matmul_bf16x(w, s->stride, s->rows, s->xb, s->n, s->batch, s->out, s->out_stride);
    } else if (!strcmp(k, "q4_0")) {
        lf_q4_0_matmul(w, s->stride, s->first, s->rows, s->x, s->n, s->batch, s->out, s->out_stride);
    } else if (!strcmp(k, "q4_0-int8")) { /* sequences one after another: n bytes, n/32 block sums and n/32 block scales each */
        lf_q4_0_matmul_int8(w, s->stride, s->first, s->rows, s->xq, s->sums, s->dxv, s->n, s->batch, s->out, s->out_stride, NULL, 0);
    } else {
        lf_q8_0_matmul_int8(w, s->stride, s->first, s->rows, s->xq, s->sums, s->dxv, s->n, s->batch, s->out, s->out_stride, NULL, 0);
    }
}

/* Every copy in turn, `iterations` times: a copy is back in memory by the time it comes round again. */
static void *run_slice(void *p) {
    const slice *s = p;
    for (int it = 0; it < s->iterations; it++) {
        for (int32_t c = 0; c < s->copies; c++) {
            product(s, s->w + c * s->copy_bytes);
        }
    }
    return NULL;
}

/*
 * The whole matrix's slice cut into one per thread (1 or 2): each a contiguous share of the rows, as the engine's threads
 * split a product; the tiled formats' second share starts on a whole tile.
 */
static void split_rows(slice whole, int threads, slice s[2]) {
    int bf16 = !strncmp(whole.kernel, "bf16", 4);
    int32_t rows = whole.rows, half = bf16 ? rows / 2 : rows / 32 * 16;
    for (int k = 0; k < threads; k++) {
        int32_t from = threads == 1 ? 0 : k * half;
        s[k] = whole;
        s[k].w = whole.w + (bf16 ? (int64_t) from * whole.stride : (int64_t) from / 16 * whole.stride); /* stride: a row, or a tile */
        s[k].first = bf16 ? 0 : from;
        s[k].rows = threads == 1 ? rows : (k == 0 ? half : rows - half);
        s[k].out = whole.out + from;
    }
}

static uint32_t next_random(uint64_t *state) {
    *state = *state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t) (*state >> 33);
}

/* F16 bits of a scale in [2^-8, 2^-7): small, normal and varied, as real Q8_0 and Q4_0 scales are. */
static uint16_t random_scale(uint64_t *state) {
    return (uint16_t) (0x1C00 + (next_random(state) & 0x3FF));
}

static int products(int argc, char **argv) {
    const char *kernel = argv[1];
    int32_t rows = atoi(argv[2]), n = atoi(argv[3]), batch = atoi(argv[4]), threads = atoi(argv[5]);
    double megabytes = argc > 6 ? atof(argv[6]) : 256;
    int q4 = !strcmp(kernel, "q4_0") || !strcmp(kernel, "q4_0-int8"), bf16 = !strncmp(kernel, "bf16", 4);
    if (!known_kernel(kernel) || rows <= 0 || n <= 0 || n % 64 || batch < 1
        || threads < 1 || threads > 2 || (!bf16 && rows % 32)) {
        fprintf(stderr, "usage: kernel_bench q8_0|bf16|bf16-bf16|q4_0|q8_0-int8|q4_0-int8 ROWS COLS BATCH THREADS(1-2) [MB]  (COLS a multiple of 64; "
                        "Q8_0 and Q4_0 ROWS a multiple of 32)\n       kernel_bench probe\n");
        return 2;
    }
    /* a tile's pair of blocks is 16 rows' worth of two blocks, so with COLS a multiple of 64 a tile is 16 rows' bytes */
    int64_t row_bytes = bf16 ? 2 * (int64_t) n : (int64_t) n / 32 * (q4 ? 18 : 34), pair = q4 ? 576 : 1088;
    /* repeat the matrix until it holds about `megabytes`: one copy after another, as an image's layers lie */
    int64_t copies = (int64_t) (megabytes * 1e6 / (row_bytes * rows));
    if (copies < 1) copies = 1;
    int64_t matrix_bytes = row_bytes * rows, total = matrix_bytes * copies;
    uint8_t *w = aligned_alloc(2 << 20, (total + (2 << 20) - 1) / (2 << 20) * (2 << 20));
    uint64_t state = 42;
    for (int64_t i = 0; i < total; i += 4) {
        uint32_t v = next_random(&state);
        memcpy(w + i, &v, total - i < 4 ? total - i : 4);
    }
    if (bf16) { /* weights in [-2, 2): keep each value's exponent small */
        for (int64_t i = 1; i < total; i += 2) w[i] = (uint8_t) ((w[i] & 0x80) | 0x3F);
    } else { /* tiles: per pair of blocks a 64-byte line of 16 rows' two F16 scales, then the blocks' words */
        for (int64_t t = 0; t < total; t += pair) {
            for (int l = 0; l < 32; l++) {
                uint16_t h = random_scale(&state);
                memcpy(w + t + 2 * l, &h, 2);
            }
        }
    }
    float *x = aligned_alloc(64, (size_t) batch * n * sizeof(float));
    for (int64_t i = 0; i < (int64_t) batch * n; i++) x[i] = (float) ((int32_t) next_random(&state) >> 8) / (1 << 23);
    uint16_t *xb = aligned_alloc(64, (size_t) batch * n * sizeof(uint16_t));
    for (int64_t i = 0; i < (int64_t) batch * n; i++) { /* to nearest even (the x are finite) */
        uint32_t bits;
        memcpy(&bits, x + i, 4);
        xb[i] = (uint16_t) ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
    }
    int8_t *xq = aligned_alloc(64, (size_t) batch * n);
    int32_t *sums = aligned_alloc(64, (size_t) batch * n / 32 * sizeof(int32_t));
    float *dxv = aligned_alloc(64, (size_t) batch * n / 32 * sizeof(float));
    for (int64_t i = 0; i < (int64_t) batch * n; i++) xq[i] = (int8_t) (next_random(&state) % 255 - 127);
    for (int64_t b = 0; b < (int64_t) batch * n / 32; b++) {
        sums[b] = 0;
        for (int j = 0; j < 32; j++) sums[b] += xq[32 * b + j];
    }
    for (int64_t i = 0; i < (int64_t) batch * n / 32; i++) dxv[i] = 0.01f + (float) (next_random(&state) % 100) / 10000;
    float *out = aligned_alloc(64, (size_t) batch * rows * sizeof(float));
    double ghz = clock_ghz();
    int iterations = (int) (2e9 / ((double) copies * rows * n * batch)); /* about a second's work per timing */
    if (iterations < 1) iterations = 1;
    slice s[2];
    split_rows((slice) {kernel, w, bf16 ? row_bytes : row_bytes * 16, matrix_bytes, (int32_t) copies, 0, rows, n, batch, iterations, x,
                        xq, sums, dxv, xb, out, rows}, threads, s);
    double best = 1e30;
    for (int rep = 0; rep < 5; rep++) {
        pthread_t tid[2];
        double t0 = now();
        for (int k = 0; k < threads; k++) pthread_create(&tid[k], NULL, run_slice, &s[k]);
        for (int k = 0; k < threads; k++) pthread_join(tid[k], NULL);
        double dt = now() - t0;
        if (dt < best) best = dt;
    }
    double passes = (double) copies * iterations;
    uint64_t hash = 1469598103934665603ull;
    for (int64_t i = 0; i < (int64_t) batch * rows; i++) {
        uint32_t bits;
        memcpy(&bits, out + i, 4);
        hash = (hash ^ bits) * 1099511628211ull;
    }
    double madds = passes * rows * (double) n * batch / best;
    printf("%s rows=%d cols=%d batch=%d threads=%d, %.0f MB streamed: %.1f GB/s of weights, %.1f G multiply-adds/s, "
           "%.2f a cycle a thread (%.2f GHz); hash %016llx\n",
           kernel, rows, n, batch, threads, total / 1e6, passes * matrix_bytes / best / 1e9, madds / 1e9, madds / threads / ghz / 1e9, ghz,
           (unsigned long long) hash);
    return 0;
}

/* ---- the 8-bit products against the read bandwidth of the same moments ---- */

#define ALT_ROWS 8192 /* gate/up's shape */
#define ALT_COLS 2048

/* A read pass over one thread's half of the buffer with 256-bit loads, as the JVM's BandwidthProbe reads. */
typedef struct {
    const uint8_t *from, *to;
    volatile uint32_t sink;
} read_half;

static void *read_pass(void *p) {
    read_half *r = p;
    __m256i acc = _mm256_setzero_si256();
    for (const uint8_t *at = r->from; at < r->to; at += 128) {
        acc = _mm256_xor_si256(acc, _mm256_load_si256((const __m256i *) at));
        acc = _mm256_xor_si256(acc, _mm256_load_si256((const __m256i *) (at + 32)));
        acc = _mm256_xor_si256(acc, _mm256_load_si256((const __m256i *) (at + 64)));
        acc = _mm256_xor_si256(acc, _mm256_load_si256((const __m256i *) (at + 96)));
    }
    r->sink = (uint32_t) _mm256_extract_epi32(acc, 0);
    return NULL;
}

/* GB/s of a two-thread read pass over the buffer. */
static double read_gb_s(const uint8_t *buffer, int64_t bytes) {
    pthread_t tid[2];
    read_half halves[2] = {{buffer, buffer + bytes / 2, 0}, {buffer + bytes / 2, buffer + bytes, 0}};
    double t0 = now();
    for (int k = 0; k < 2; k++) pthread_create(&tid[k], NULL, read_pass, &halves[k]);
    for (int k = 0; k < 2; k++) pthread_join(tid[k], NULL);
    return bytes / (now() - t0) / 1e9;
}

/* The inputs of every kernel alternate() may run: ALT_COLS activations as floats, BF16, and 8 bits. */
typedef struct {
    float *x;
    uint16_t *xb;
    int8_t *xq;
    int32_t *sums;
    float *dxv;
    float *out;
} alt_inputs;

/* GB/s of weights of one pass of `kernel` at batch 1 over the buffer, as gate/up's shape repeated, split over two threads. */
static double product_gb_s(const char *kernel, const uint8_t *buffer, int64_t bytes, const alt_inputs *in) {
    int bf16 = !strncmp(kernel, "bf16", 4);
    int64_t row_bytes = bf16 ? 2 * ALT_COLS : ALT_COLS / 32 * (strstr(kernel, "q4") ? 18 : 34), matrix = row_bytes * ALT_ROWS;
    slice s[2];
    split_rows((slice) {kernel, buffer, bf16 ? row_bytes : 16 * row_bytes, matrix, (int32_t) (bytes / matrix), 0, ALT_ROWS, ALT_COLS, 1, 1,
                        in->x, in->xq, in->sums, in->dxv, in->xb, in->out, ALT_ROWS}, 2, s);
    pthread_t tid[2];
    double t0 = now();
    for (int k = 0; k < 2; k++) pthread_create(&tid[k], NULL, run_slice, &s[k]);
    for (int k = 0; k < 2; k++) pthread_join(tid[k], NULL);
    return (double) (bytes / matrix * matrix) / (now() - t0) / 1e9;
}

/* Each kernel's pass (batch 1, two threads), each between two read passes, REPS times. */
static int alternate(int reps, int kernels, char **names) {
    for (int k = 0; k < kernels; k++) {
        if (!known_kernel(names[k])) {
            fprintf(stderr, "kernel_bench alternate: no kernel '%s' (q8_0|bf16|bf16-bf16|q4_0|q8_0-int8|q4_0-int8)\n", names[k]);
            return 2;
        }
    }
    int64_t bytes = 1L << 30;
    uint8_t *buffer = aligned_alloc(2 << 20, bytes);
    uint64_t state = 7;
    for (int64_t i = 0; i < bytes; i += 4) {
        uint32_t v = next_random(&state);
        memcpy(buffer + i, &v, 4);
    }
    for (int64_t i = 1; i < bytes; i += 2) { /* every other byte a BF16's top: modest exponents, as in products() */
        buffer[i] = (uint8_t) ((buffer[i] & 0x80) | 0x3F);
    }
    alt_inputs in = {aligned_alloc(64, ALT_COLS * sizeof(float)), aligned_alloc(64, ALT_COLS * sizeof(uint16_t)), aligned_alloc(64, ALT_COLS),
                     aligned_alloc(64, ALT_COLS / 32 * sizeof(int32_t)), aligned_alloc(64, ALT_COLS / 32 * sizeof(float)),
                     aligned_alloc(64, ALT_ROWS * sizeof(float))};
    for (int i = 0; i < ALT_COLS; i++) {
        in.xq[i] = (int8_t) (next_random(&state) % 255 - 127);
        in.x[i] = in.xq[i] / 128.0f;
        in.xb[i] = (uint16_t) (*(uint32_t *) &in.x[i] >> 16); /* exact: a byte's value over 128 fits BF16 */
    }
    for (int b = 0; b < ALT_COLS / 32; b++) {
        in.sums[b] = 0;
        for (int j = 0; j < 32; j++) in.sums[b] += in.xq[32 * b + j];
    }
    for (int i = 0; i < ALT_COLS / 32; i++) in.dxv[i] = 0.01f;
    printf("read GB/s");
    for (int k = 0; k < kernels; k++) printf(" | %s GB/s (÷ reads either side) | read", names[k]);
    printf("\n");
    double before = read_gb_s(buffer, bytes);
    for (int r = 0; r < reps; r++) {
        printf("%.1f", before);
        for (int k = 0; k < kernels; k++) {
            double product = product_gb_s(names[k], buffer, bytes, &in), after = read_gb_s(buffer, bytes);
            printf(" | %.1f (%.2f) | %.1f", product, product / ((before + after) / 2), after);
            before = after;
        }
        printf("\n");
        fflush(stdout);
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 2 && !strcmp(argv[1], "alternate")) {
        static char *eight_bit[] = {"q4_0-int8", "q8_0-int8"};
        return argc > 3 ? alternate(atoi(argv[2]), argc - 3, argv + 3) : alternate(argc > 2 ? atoi(argv[2]) : 20, 2, eight_bit);
    }
    if (argc == 2 && !strcmp(argv[1], "probe")) {
        probe();
        return 0;
    }
    if (argc < 6) {
        fprintf(stderr, "usage: kernel_bench probe | kernel_bench alternate [REPS [KERNEL...]] | kernel_bench q8_0|bf16|bf16-bf16|q4_0|q8_0-int8|q4_0-int8 ROWS COLS BATCH THREADS [MB]\n");
        return 2;
    }
    return products(argc, argv);
}
