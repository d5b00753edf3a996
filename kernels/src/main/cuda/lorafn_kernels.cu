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

// Reduces each sequence's per-lane partial dot across the warp; lane 0 writes out[b * rows + row].
__device__ __forceinline__ void store_row_sums(const float *acc, int batch, int lane, float *out, int rows, int row) {
    for (int b = 0; b < batch; b++) {
        float s = warp_sum(acc[b]);
        if (lane == 0) {
            out[(size_t) b * rows + row] = s;
        }
    }
}

// out[b * rows + r] = dot(W row r, x[b]) for b < batch: one warp per output row, every weight block
// read once for all the batch's sequences (the batched product's contract). x is batch x cols, F32.
// Launch: grid (ceil(rows / warps_per_block)), block (32 * warps_per_block); batch <= 16.
extern "C" __global__ void q8_0_matmul(const uint8_t *w, const float *x, float *out, int rows, int cols, int batch) {
    int warp = threadIdx.x / WARP, lane = threadIdx.x % WARP;
    int row = blockIdx.x * (blockDim.x / WARP) + warp;
    if (row >= rows) {
        return;
    }
    const int blocks = cols / 32;
    const uint8_t *tile = w + (size_t) (row / 16) * 1088 * ((blocks + 1) / 2) + 4 * (row % 16); // this row's lane of its tile
    float acc[16] = {0.0f}; // one partial dot per sequence, batch <= 16
    for (int blk = 0; blk < blocks; blk++) {
        const uint8_t *pair = tile + (size_t) (blk / 2) * 1088;
        float d = __half2float(*reinterpret_cast<const __half *>(pair + 2 * (blk % 2))); // 2-byte aligned
        float wv = d * (float) (int8_t) pair[64 + 512 * (blk % 2) + 64 * (lane / 4) + lane % 4];
        int col = blk * 32 + lane;
        for (int b = 0; b < batch; b++) {
            acc[b] += wv * x[(size_t) b * cols + col];
        }
    }
    store_row_sums(acc, batch, lane, out, rows, row);
}

// The same for BF16 weights.
extern "C" __global__ void bf16_matmul(const uint16_t *w, const float *x, float *out, int rows, int cols, int batch) {
    int warp = threadIdx.x / WARP, lane = threadIdx.x % WARP;
    int row = blockIdx.x * (blockDim.x / WARP) + warp;
    if (row >= rows) {
        return;
    }
    const uint16_t *wrow = w + (size_t) row * cols;
    float acc[16] = {0.0f}; // one partial dot per sequence, batch <= 16
    for (int col = lane; col < cols; col += WARP) {
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
// h[r * max_rank + k] = dot(A_s row k, x[r]). One warp per (row, k); rows without an adapter are skipped.
// Launch: grid (batch, max_rank), block (32).
extern "C" __global__ void sgmv_shrink(const unsigned long long *a_ptrs, const int *a_formats, const int *ranks, const int *row_adapter,
                                       const float *x, float *h, int in, int max_rank) {
    int r = blockIdx.x, k = blockIdx.y, lane = threadIdx.x;
    int s = row_adapter[r];
    if (s < 0 || k >= ranks[s]) {
        return;
    }
    const void *a = (const void *) a_ptrs[s];
    float acc = 0.0f;
    for (int i = lane; i < in; i += WARP) {
        acc += load(a, a_formats[s], (size_t) k * in + i) * x[(size_t) r * in + i];
    }
    acc = warp_sum(acc);
    if (lane == 0) {
        h[(size_t) r * max_rank + k] = acc;
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
    acc = warp_sum(acc);
    if (threadIdx.x % WARP == 0) {
        partial[threadIdx.x / WARP] = acc;
    }
    __syncthreads();
    if (threadIdx.x < WARP) {
        float v = threadIdx.x < blockDim.x / WARP ? partial[threadIdx.x] : 0.0f;
        v = warp_sum(v);
        if (threadIdx.x == 0) {
            partial[0] = rsqrtf(v / n + eps);
        }
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
