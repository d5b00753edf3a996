// Runs CUDA kernel source on the CPU, for machines without a GPU: each thread of a block is a std::thread,
// a warp's shuffles and __syncthreads are barriers, so the kernels' index math and warp-synchronous
// reductions execute as they would on a device. Blocks run one after another (so __shared__ arrays, made
// static here, belong to the running block). Enough CUDA for lorafn_kernels.cu, no more.
#pragma once
#include <barrier>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#define __global__
#define __device__
#define __forceinline__ inline
#define __shared__ static

struct dim3 {
    unsigned x = 1, y = 1, z = 1;
    dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};

inline thread_local dim3 threadIdx, blockIdx;
inline dim3 blockDim, gridDim;

namespace shim {
inline std::unique_ptr<std::barrier<>> block_barrier;
inline std::vector<std::unique_ptr<std::barrier<>>> warp_barriers;
inline std::vector<float> shuffle_slots;
}

inline void __syncthreads() { shim::block_barrier->arrive_and_wait(); }

namespace shim {
// Every lane of the warp writes its value, waits for all, reads thread partner's (its own where partner is out of
// the warp or the block), waits again.
inline float exchange(float v, unsigned partner) {
    unsigned warp = threadIdx.x / 32;
    shuffle_slots[threadIdx.x] = v;
    warp_barriers[warp]->arrive_and_wait();
    float other = partner / 32 == warp && partner < blockDim.x ? shuffle_slots[partner] : v;
    warp_barriers[warp]->arrive_and_wait();
    return other;
}
}

inline float __shfl_down_sync(unsigned, float v, int offset) { return shim::exchange(v, threadIdx.x + offset); }
inline float __shfl_xor_sync(unsigned, float v, int mask) { return shim::exchange(v, threadIdx.x ^ (unsigned) mask); }

struct uint4 { unsigned x, y, z, w; };
struct float4 { float x, y, z, w; };

// Byte i of the result is byte (selector >> 4i) & 7 of the eight bytes {x, y} (PTX prmt, default mode).
inline unsigned __byte_perm(unsigned x, unsigned y, unsigned selector) {
    uint64_t bytes = (uint64_t) y << 32 | x;
    unsigned result = 0;
    for (int i = 0; i < 4; i++) {
        result |= (unsigned) ((bytes >> (8 * ((selector >> (4 * i)) & 7))) & 0xff) << (8 * i);
    }
    return result;
}

struct __half { uint16_t bits; };
inline float __half2float(__half h) {  // IEEE binary16 to binary32
    uint32_t sign = (uint32_t) (h.bits >> 15) << 31, exp = (h.bits >> 10) & 0x1f, mant = h.bits & 0x3ff, f;
    if (exp == 0) {
        if (mant == 0) {
            f = sign;
        } else {  // subnormal: normalize
            int e = -1;
            do { e++; mant <<= 1; } while ((mant & 0x400) == 0);
            f = sign | ((uint32_t) (127 - 15 - e) << 23) | ((mant & 0x3ff) << 13);
        }
    } else if (exp == 31) {
        f = sign | 0x7f800000u | (mant << 13);
    } else {
        f = sign | ((exp + 127 - 15) << 23) | (mant << 13);
    }
    float out;
    std::memcpy(&out, &f, 4);
    return out;
}
inline float __uint_as_float(uint32_t u) { float f; std::memcpy(&f, &u, 4); return f; }
inline float __int_as_float(int32_t i) { float f; std::memcpy(&f, &i, 4); return f; }
inline float rsqrtf(float v) { return 1.0f / std::sqrt(v); }
inline float fmaxf(float a, float b) { return std::fmax(a, b); }
inline float expf(float v) { return std::exp(v); }

// kernel<<<grid, block>>>(args...) becomes launch(grid, block, [&] { kernel(args...); })
inline void launch(dim3 grid, dim3 block, const std::function<void()> &body) {
    gridDim = grid;
    blockDim = block;
    unsigned threads = block.x * block.y * block.z;
    shim::shuffle_slots.assign(threads, 0.0f);
    for (unsigned bz = 0; bz < grid.z; bz++) {
        for (unsigned by = 0; by < grid.y; by++) {
            for (unsigned bx = 0; bx < grid.x; bx++) {
                shim::block_barrier = std::make_unique<std::barrier<>>(threads);
                shim::warp_barriers.clear();
                for (unsigned w = 0; w < (threads + 31) / 32; w++) {
                    unsigned lanes = std::min(32u, threads - w * 32);
                    shim::warp_barriers.push_back(std::make_unique<std::barrier<>>(lanes));
                }
                std::vector<std::thread> team;
                for (unsigned t = 0; t < threads; t++) {
                    team.emplace_back([=, &body] {
                        threadIdx = dim3(t, 0, 0);
                        blockIdx = dim3(bx, by, bz);
                        body();
                        // a thread that returned early must not leave its warp or block waiting on it
                        shim::warp_barriers[t / 32]->arrive_and_drop();
                        shim::block_barrier->arrive_and_drop();
                    });
                }
                for (auto &th : team) th.join();
            }
        }
    }
}
