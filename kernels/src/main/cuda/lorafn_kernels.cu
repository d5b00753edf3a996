// lorafn's CUDA kernels: the same contracts as the CPU backend (io.lorafn.kernels.Backend), on the
// resident image's formats. Compiled to PTX for sm_80 and sm_90 by the build when nvcc is present, and
// loaded through JCuda (cuModuleLoadData); where no built PTX fits, compiled at run time by NVRTC. Every kernel is extern "C" so its PTX name is its C name.
//
// Layouts (as in the image, little-endian):
//   Q8_0: blocks of 32 values {F16 scale d, 32 signed bytes q}, x = d * q, in tiles of 16 rows (WeightFormat):
//         per pair of blocks 1088 bytes, a 64-byte line of scales (row l's at 4l, the second block's at 4l + 2),
//         then each block's eight 64-byte words (row l's bytes 4c..4c+3 at 64c + 4l); rows of tile t start at
//         t * tile_bytes, tile_bytes = 1088 * ceil(blocks / 2).
//   BF16: per row, cols values of 2 bytes (the upper half of an F32).
//   LoRA: A is rank x in and B is stored transposed, rank x out, both F32 or BF16 (a_format/b_format:
//         0 = F32, 1 = BF16), as LoraSegment passes them.
#if defined(__CUDACC_RTC__) || defined(LORAFN_NO_HEADERS) // the second: to check this branch with nvcc
// Compiled at run time by NVRTC (a device the build's PTX does not fit), which has no C headers: the
// few integer types and the F16 conversion the kernels use are declared here.
typedef signed char int8_t;
typedef unsigned char uint8_t;
typedef unsigned short uint16_t;
typedef unsigned int uint32_t;
typedef decltype(sizeof(0)) size_t;
#ifndef INFINITY
#define INFINITY __int_as_float(0x7f800000)
#endif
struct __half { unsigned short bits; };
__device__ __forceinline__ float __half2float(__half h) {
    float f;
    asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h.bits));
    return f;
}
#else
#ifndef LORAFN_HOST_SHIM // the CPU check (kernels/src/test/cuda/host_shim.h) brings its own __half
#include <cuda_fp16.h>
#endif
#include <stdint.h>
#endif

#define WARP 32

__device__ __forceinline__ float bf16_to_float(uint16_t v) {
    return __uint_as_float(((uint32_t) v) << 16);
}

__device__ __forceinline__ float warp_sum(float v) {
    for (int offset = WARP / 2; offset > 0; offset >>= 1) {
        v += __shfl_down_sync(0xffffffffu, v, offset);
    }
    return v;
}

// The sum of v over the block, in thread 0 (elsewhere meaningless): each warp's sum, then warp 0 adds those from
// `partial`, a float per warp (blockDim.x a multiple of WARP, at most WARP warps). Every thread of the block calls it.
__device__ __forceinline__ float block_sum(float v, float *partial) {
    v = warp_sum(v);
    if (threadIdx.x % WARP == 0) {
        partial[threadIdx.x / WARP] = v;
    }
    __syncthreads();
    float total = 0.0f;
    if (threadIdx.x < WARP) {
        total = warp_sum(threadIdx.x < blockDim.x / WARP ? partial[threadIdx.x] : 0.0f);
    }
    return total;
}

// Reduces each sequence's per-lane partial dot across the warp; lane 0 writes out[b * rows + row].
__device__ __forceinline__ void store_row_sums(const float *acc, int batch, int lane, float *out, int rows, int row) {
    for (int b = 0; b < batch; b++) {
        float s = warp_sum(acc[b]);
        if (lane == 0) {
            out[(size_t) b * rows + row] = s;
        }
    }
}

// Q8_0 weight byte i of a word, the word's bytes already flipped (q ^ 0x80): the byte as the low mantissa bits of
// 2^23, less 2^23 + 128. Exact, and a byte permute and a subtraction where an integer-to-float conversion runs at an
// eighth of the FMA rate (the conversions held the first tile kernel to a third of the memory bandwidth).
__device__ __forceinline__ float q8_weight(unsigned flipped, int i) {
    return __int_as_float((int) __byte_perm(flipped, 0x4B000000u, 0x7440 + i)) - 8388736.0f;
}

// One block of 32 columns into a lane's four rows: the lane holds columns 4g..4g+3 of rows first..first+3 (words[j]
// for row first + j) and the block's scale of each row (d[j]).
__device__ __forceinline__ void q8_0_block(uint4 words, const float d[4], const float *x, int cols, int batch, float acc[4][16]) {
    unsigned flipped[4] = {words.x ^ 0x80808080u, words.y ^ 0x80808080u, words.z ^ 0x80808080u, words.w ^ 0x80808080u};
    float wv[4][4];
#pragma unroll
    for (int j = 0; j < 4; j++) {
#pragma unroll
        for (int i = 0; i < 4; i++) {
            wv[j][i] = q8_weight(flipped[j], i);
        }
    }
#pragma unroll
    for (int b = 0; b < 16; b++) {
        if (b >= batch) {
            break;
        }
        float4 xv = *reinterpret_cast<const float4 *>(x + (size_t) b * cols);
#pragma unroll
        for (int j = 0; j < 4; j++) {
            acc[j][b] += d[j] * (wv[j][0] * xv.x + wv[j][1] * xv.y + wv[j][2] * xv.z + wv[j][3] * xv.w);
        }
    }
}

__device__ __forceinline__ float half_bits_to_float(unsigned bits) {
    __half h;
    *reinterpret_cast<unsigned short *>(&h) = (unsigned short) bits;
    return __half2float(h);
}

// A lane's share of a pair of blocks: the scales of its rows (first..first+3: d of block 0 | d of block 1) and its 16
// bytes of each block (an unpaired last block's bytes are zero padding).
__device__ __forceinline__ void q8_0_load_pair(const uint8_t *pair, int lane, uint4 &scales, uint4 &q0, uint4 &q1) {
    scales = *reinterpret_cast<const uint4 *>(pair + 16 * (lane % 4));
    q0 = *reinterpret_cast<const uint4 *>(pair + 64 + 16 * lane);
    q1 = *reinterpret_cast<const uint4 *>(pair + 576 + 16 * lane);
}

// out[b * rows + r] = dot(W row r, x[b]) for b < batch, every weight read once for all the batch's sequences (the
// batched product's contract); x is batch x cols, F32, batch <= 16. A block of TILE_WARPS warps per tile of 16 rows:
// each lane reads 16 contiguous bytes of a block (the warp, the block's 512 bytes in one coalesced load), which hold
// four columns of four rows; the warps split the tile's block pairs, each loading its next pair before it multiplies
// the current one; lanes that share rows sum by shuffles, the warps through shared memory. (One warp per row read
// four bytes of each of eight lines a load: 2-7% of an H200's bandwidth.)
// Launch: grid (ceil(rows / 16)), block (32 * TILE_WARPS).
#define TILE_WARPS 8
extern "C" __global__ void q8_0_matmul(const uint8_t *w, const float *x, float *out, int rows, int cols, int batch) {
    __shared__ float partial[TILE_WARPS][16][16]; // warp, row of the tile, sequence
    int warp = threadIdx.x / WARP, lane = threadIdx.x % WARP;
    int blocks = cols / 32, pairs = (blocks + 1) / 2;
    const uint8_t *tile = w + (size_t) blockIdx.x * 1088 * pairs;
    int group = lane / 4, first = 4 * (lane % 4); // this lane's columns (4 group .. 4 group + 3 of a block) and rows
    float acc[4][16];
#pragma unroll
    for (int j = 0; j < 4; j++) {
#pragma unroll
        for (int b = 0; b < 16; b++) {
            acc[j][b] = 0.0f;
        }
    }
    uint4 scales = {0, 0, 0, 0}, q0 = scales, q1 = scales;
    int p = warp;
    if (p < pairs) {
        q8_0_load_pair(tile + (size_t) p * 1088, lane, scales, q0, q1);
    }
    for (; p < pairs; p += TILE_WARPS) {
        uint4 nextScales = scales, next0 = q0, next1 = q1;
        if (p + TILE_WARPS < pairs) {
            q8_0_load_pair(tile + (size_t) (p + TILE_WARPS) * 1088, lane, nextScales, next0, next1);
        }
        unsigned sw[4] = {scales.x, scales.y, scales.z, scales.w};
        float d0[4], d1[4];
#pragma unroll
        for (int j = 0; j < 4; j++) {
            d0[j] = half_bits_to_float(sw[j] & 0xffffu);
            d1[j] = half_bits_to_float(sw[j] >> 16);
        }
        q8_0_block(q0, d0, x + (2 * p) * 32 + 4 * group, cols, batch, acc);
        if (2 * p + 1 < blocks) {
            q8_0_block(q1, d1, x + (2 * p + 1) * 32 + 4 * group, cols, batch, acc);
        }
        scales = nextScales;
        q0 = next0;
        q1 = next1;
    }
#pragma unroll
    for (int j = 0; j < 4; j++) {
#pragma unroll
        for (int b = 0; b < 16; b++) {
            if (b >= batch) {
                break;
            }
            float v = acc[j][b];
            v += __shfl_xor_sync(0xffffffffu, v, 4);
            v += __shfl_xor_sync(0xffffffffu, v, 8);
            v += __shfl_xor_sync(0xffffffffu, v, 16);
            if (lane < 4) {
                partial[warp][first + j][b] = v;
            }
        }
    }
    __syncthreads();
    for (int i = threadIdx.x; i < 16 * batch; i += blockDim.x) {
        int row = i % 16, b = i / 16, r = blockIdx.x * 16 + row;
        float sum = 0.0f;
        for (int k = 0; k < TILE_WARPS; k++) {
            sum += partial[k][row][b];
        }
        if (r < rows) {
            out[(size_t) b * rows + r] = sum;
        }
    }
}

// The same for BF16 weights, one warp per output row: each lane reads eight weights (16 bytes) at a time where the
// rows allow it (two bytes a lane left the loads too small to keep the memory busy).
// Launch: grid (ceil(rows / warps_per_block)), block (32 * warps_per_block).
extern "C" __global__ void bf16_matmul(const uint16_t *w, const float *x, float *out, int rows, int cols, int batch) {
    int warp = threadIdx.x / WARP, lane = threadIdx.x % WARP;
    int row = blockIdx.x * (blockDim.x / WARP) + warp;
    if (row >= rows) {
        return;
    }
    const uint16_t *wrow = w + (size_t) row * cols;
    float acc[16] = {0.0f}; // one partial dot per sequence, batch <= 16
    int wide = cols % 8 == 0 ? cols : 0; // rows and x rows 16-byte aligned
    for (int col = 8 * lane; col < wide; col += 8 * WARP) {
        uint4 v = *reinterpret_cast<const uint4 *>(wrow + col);
        unsigned words[4] = {v.x, v.y, v.z, v.w};
        float wv[8];
#pragma unroll
        for (int i = 0; i < 4; i++) {
            wv[2 * i] = __uint_as_float(words[i] << 16);
            wv[2 * i + 1] = __uint_as_float(words[i] & 0xffff0000u);
        }
#pragma unroll
        for (int b = 0; b < 16; b++) {
            if (b >= batch) {
                break;
            }
            float4 xa = *reinterpret_cast<const float4 *>(x + (size_t) b * cols + col);
            float4 xb = *reinterpret_cast<const float4 *>(x + (size_t) b * cols + col + 4);
            acc[b] += wv[0] * xa.x + wv[1] * xa.y + wv[2] * xa.z + wv[3] * xa.w + wv[4] * xb.x + wv[5] * xb.y + wv[6] * xb.z + wv[7] * xb.w;
        }
    }
    for (int col = wide + lane; col < cols; col += WARP) {
        float wv = bf16_to_float(wrow[col]);
        for (int b = 0; b < batch; b++) {
            acc[b] += wv * x[(size_t) b * cols + col];
        }
    }
    store_row_sums(acc, batch, lane, out, rows, row);
}

__device__ __forceinline__ float load(const void *m, int format, size_t i) {
    return format == 0 ? ((const float *) m)[i] : bf16_to_float(((const uint16_t *) m)[i]);
}

// SGMV shrink, Punica's layout: the batch's rows carry an adapter index (row_adapter[r], -1 for none);
// adapter s has its own rank (ranks[s]) and its A at a_ptrs[s] (rank x in, a_formats[s]).
// h[r * max_rank + k] = dot(A_s row k, x[r]). One block of 256 threads per (row, k), its warps' sums added in
// shared memory (block_sum); rows without an adapter are skipped. A warp per (row, k), as first written, left a
// batch-1 step 16 warps per shrink, each walking its row alone: on the H200 a 1b step with one adapter decoded at
// 100 tokens/s against 238 without (RESULTS.md, fifteenth session). Launch: grid (batch, max_rank), block (256).
extern "C" __global__ void sgmv_shrink(const unsigned long long *a_ptrs, const int *a_formats, const int *ranks, const int *row_adapter,
                                       const float *x, float *h, int in, int max_rank) {
    __shared__ float partial[256 / WARP];
    int r = blockIdx.x, k = blockIdx.y;
    int s = row_adapter[r];
    if (s < 0 || k >= ranks[s]) { // the whole block leaves together: s and k are the block's
        return;
    }
    const void *a = (const void *) a_ptrs[s];
    float acc = 0.0f;
    for (int i = threadIdx.x; i < in; i += blockDim.x) {
        acc += load(a, a_formats[s], (size_t) k * in + i) * x[(size_t) r * in + i];
    }
    float total = block_sum(acc, partial);
    if (threadIdx.x == 0) {
        h[(size_t) r * max_rank + k] = total;
    }
}

// SGMV expand: y[r][o] += scale_s * sum_k B^T_s[k][o] * h[r][k], B stored transposed (rank x out), so a
// thread per output column reads B^T coalesced. Launch: grid (batch, ceil(out / 256)), block (256).
extern "C" __global__ void sgmv_expand(const unsigned long long *b_ptrs, const int *b_formats, const int *ranks, const float *scales,
                                       const int *row_adapter, const float *h, float *y, int out, int max_rank) {
    int r = blockIdx.x, o = blockIdx.y * blockDim.x + threadIdx.x;
    int s = row_adapter[r];
    if (s < 0 || o >= out) {
        return;
    }
    const void *bt = (const void *) b_ptrs[s];
    float acc = 0.0f;
    for (int k = 0; k < ranks[s]; k++) {
        acc += load(bt, b_formats[s], (size_t) k * out + o) * h[(size_t) r * max_rank + k];
    }
    y[(size_t) r * out + o] += scales[s] * acc;
}

// RMSNorm of each row: out = x / sqrt(mean(x^2) + eps) * gain. One block per row. Launch: grid (rows), block (256).
extern "C" __global__ void rmsnorm(const float *x, const float *gain, float *out, int n, float eps) {
    __shared__ float partial[256 / WARP];
    const float *row = x + (size_t) blockIdx.x * n;
    float acc = 0.0f;
    for (int i = threadIdx.x; i < n; i += blockDim.x) {
        acc += row[i] * row[i];
    }
    float total = block_sum(acc, partial);
    if (threadIdx.x == 0) {
        partial[0] = rsqrtf(total / n + eps);
    }
    __syncthreads();
    float inv = partial[0];
    for (int i = threadIdx.x; i < n; i += blockDim.x) {
        out[(size_t) blockIdx.x * n + i] = row[i] * inv * gain[i];
    }
}

// RoPE on each head of a row, rotating the pairs (i, i + headDim/2) as Llama does (VectorMath.rope):
// a thread per pair. Launch: grid (heads), block (headDim / 2).
extern "C" __global__ void rope(float *vec, const float *cos_table, const float *sin_table, int head_dim) {
    int half = head_dim / 2, i = threadIdx.x;
    if (i >= half) {
        return;
    }
    float *head = vec + (size_t) blockIdx.x * head_dim;
    float a = head[i], b = head[i + half];
    head[i] = a * cos_table[i] - b * sin_table[i];
    head[i + half] = b * cos_table[i] + a * sin_table[i];
}

// Decode attention over a paged KV cache (Attention.attend): one block per query head, positions
// [from, to); keys and values are pools of blocks of block_positions rows of kv_heads * head_dim floats,
// block_table maps a sequence's logical block to its pool block; grouped-query heads share a KV head.
// scratch holds heads * (to - from) floats. Launch: grid (heads), block (256).
extern "C" __global__ void paged_attention_decode(const float *q, const float *keys, const float *values, const int *block_table,
                                                  int block_positions, int heads, int kv_heads, int head_dim, int from, int to,
                                                  float *scratch, float *out) {
    __shared__ float reduce[256];
    int h = blockIdx.x, n = to - from, kv_dim = kv_heads * head_dim;
    int kv_base = (h / (heads / kv_heads)) * head_dim;
    float scale = rsqrtf((float) head_dim);
    const float *qh = q + (size_t) h * head_dim;
    float *scores = scratch + (size_t) h * n;
    float local_max = -INFINITY;
    for (int t = threadIdx.x; t < n; t += blockDim.x) {
        int position = from + t;
        const float *k = keys + ((size_t) block_table[position / block_positions] * block_positions + position % block_positions) * kv_dim + kv_base;
        float s = 0.0f;
        for (int i = 0; i < head_dim; i++) {
            s += qh[i] * k[i];
        }
        scores[t] = s * scale;
        local_max = fmaxf(local_max, scores[t]);
    }
    reduce[threadIdx.x] = local_max;
    __syncthreads();
    for (int stride = blockDim.x / 2; stride > 0; stride >>= 1) {
        if ((int) threadIdx.x < stride) {
            reduce[threadIdx.x] = fmaxf(reduce[threadIdx.x], reduce[threadIdx.x + stride]);
        }
        __syncthreads();
    }
    float max = reduce[0];
    __syncthreads();
    float local_sum = 0.0f;
    for (int t = threadIdx.x; t < n; t += blockDim.x) {
        scores[t] = expf(scores[t] - max);
        local_sum += scores[t];
    }
    reduce[threadIdx.x] = local_sum;
    __syncthreads();
    for (int stride = blockDim.x / 2; stride > 0; stride >>= 1) {
        if ((int) threadIdx.x < stride) {
            reduce[threadIdx.x] += reduce[threadIdx.x + stride];
        }
        __syncthreads();
    }
    float inv = 1.0f / reduce[0];
    for (int i = threadIdx.x; i < head_dim; i += blockDim.x) {
        float acc = 0.0f;
        for (int t = 0; t < n; t++) {
            int position = from + t;
            const float *v = values + ((size_t) block_table[position / block_positions] * block_positions + position % block_positions) * kv_dim + kv_base;
            acc += scores[t] * inv * v[i];
        }
        out[(size_t) h * head_dim + i] = acc;
    }
}

// Greedy sampling: the index of each row's largest logit (the lowest index on ties, as the CPU's argmax).
// Launch: grid (rows), block (256).
extern "C" __global__ void argmax(const float *logits, int *out, int n) {
    __shared__ float best[256];
    __shared__ int index[256];
    const float *row = logits + (size_t) blockIdx.x * n;
    float b = -INFINITY;
    int bi = 0x7fffffff;
    for (int i = threadIdx.x; i < n; i += blockDim.x) {
        if (row[i] > b) {
            b = row[i];
            bi = i;
        }
    }
    best[threadIdx.x] = b;
    index[threadIdx.x] = bi;
    __syncthreads();
    for (int stride = blockDim.x / 2; stride > 0; stride >>= 1) {
        if ((int) threadIdx.x < stride) {
            float ob = best[threadIdx.x + stride];
            int oi = index[threadIdx.x + stride];
            if (ob > best[threadIdx.x] || (ob == best[threadIdx.x] && oi < index[threadIdx.x])) {
                best[threadIdx.x] = ob;
                index[threadIdx.x] = oi;
            }
        }
        __syncthreads();
    }
    if (threadIdx.x == 0) {
        out[blockIdx.x] = index[0];
    }
}
