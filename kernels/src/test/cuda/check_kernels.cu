// Runs lorafn's CUDA kernels on a GPU against the CPU backend's outputs (GoldenData writes them):
//   nvcc -O2 -arch=sm_80 -gencode ... -cudart static -o check_kernels check_kernels.cu
//   ./check_kernels DIR        exit 0 when every kernel agrees within tolerance
// The kernels are the very source the build compiles to PTX (included below).
#include "../../main/cuda/lorafn_kernels.cu"
#include "cuda_check.h"
#include "golden_files.h"
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

template <typename T> static T *upload(const std::vector<char> &host) {
    void *d;
    CHECK(cudaMalloc(&d, host.size()));
    CHECK(cudaMemcpy(d, host.data(), host.size(), cudaMemcpyHostToDevice));
    return (T *) d;
}

template <typename T> static T *upload(const std::vector<T> &host) {
    void *d;
    CHECK(cudaMalloc(&d, host.size() * sizeof(T)));
    CHECK(cudaMemcpy(d, host.data(), host.size() * sizeof(T), cudaMemcpyHostToDevice));
    return (T *) d;
}

static std::vector<float> download(const float *d, size_t n) {
    std::vector<float> h(n);
    CHECK(cudaMemcpy(h.data(), d, n * sizeof(float), cudaMemcpyDeviceToHost));
    return h;
}

static int failures = 0;

static void compare(const char *what, const std::vector<float> &gpu, const std::vector<char> &cpuBytes, float tolerance) {
    const float *cpu = (const float *) cpuBytes.data();
    size_t n = cpuBytes.size() / 4;
    double worst = 0;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        double err = std::fabs((double) gpu[i] - cpu[i]) / (1.0 + std::fabs((double) cpu[i]));
        if (err > worst) { worst = err; at = i; }
    }
    bool ok = worst <= tolerance && n == gpu.size();
    failures += ok ? 0 : 1;
    std::printf("%-22s %s  %zu values, worst relative error %.3g at %zu (gpu %.7g, cpu %.7g), tolerance %.1g\n", what, ok ? "OK  " : "FAIL",
                n, worst, at, gpu[at], cpu[at], tolerance);
}

int main(int argc, char **argv) {
    if (argc != 2) { std::fprintf(stderr, "usage: check_kernels GOLDEN_DIR\n"); return 2; }
    std::string dir = std::string(argv[1]) + "/";
    cudaDeviceProp prop;
    CHECK(cudaGetDeviceProperties(&prop, 0));
    std::printf("device: %s, compute capability %d.%d\n", prop.name, prop.major, prop.minor);

    float *x = upload<float>(read(dir + "matmul_x.bin"));
    float *out;
    CHECK(cudaMalloc(&out, (size_t) BATCH * ROWS * sizeof(float)));
    const int warps = 8;
    uint8_t *wq = upload<uint8_t>(read(dir + "matmul_w_q8_0.bin"));
    q8_0_matmul<<<(ROWS + 15) / 16, 32 * TILE_WARPS>>>(wq, x, out, ROWS, COLS, BATCH);
    CHECK(cudaDeviceSynchronize());
    compare("q8_0_matmul (batch 5)", download(out, (size_t) BATCH * ROWS), read(dir + "matmul_out_q8_0.bin"), 1e-4f);
    uint16_t *wb = upload<uint16_t>(read(dir + "matmul_w_bf16.bin"));
    bf16_matmul<<<(ROWS + warps - 1) / warps, 32 * warps>>>(wb, x, out, ROWS, COLS, BATCH);
    CHECK(cudaDeviceSynchronize());
    compare("bf16_matmul (batch 5)", download(out, (size_t) BATCH * ROWS), read(dir + "matmul_out_bf16.bin"), 1e-4f);

    std::vector<unsigned long long> aPtrs, bPtrs;
    for (int s = 0; s < 3; s++) {
        aPtrs.push_back((unsigned long long) upload<char>(read(dir + "lora_a" + std::to_string(s) + ".bin")));
        bPtrs.push_back((unsigned long long) upload<char>(read(dir + "lora_b" + std::to_string(s) + ".bin")));
    }
    int maxRank = 16;
    float *lx = upload<float>(read(dir + "lora_x.bin"));
    float *y = upload<float>(read(dir + "lora_y0.bin"));
    float *h;
    CHECK(cudaMalloc(&h, (size_t) LORA_ROWS * maxRank * sizeof(float)));
    unsigned long long *dA = upload(aPtrs), *dB = upload(bPtrs);
    int *dAf = upload(std::vector<int>(A_FORMATS, A_FORMATS + 3)), *dBf = upload(std::vector<int>(B_FORMATS, B_FORMATS + 3));
    int *dRanks = upload(std::vector<int>(RANKS, RANKS + 3)), *dRows = upload(std::vector<int>(ROW_ADAPTER, ROW_ADAPTER + LORA_ROWS));
    float *dScales = upload(std::vector<float>(SCALES, SCALES + 3));
    sgmv_shrink<<<dim3(LORA_ROWS, maxRank), 256>>>(dA, dAf, dRanks, dRows, lx, h, IN, maxRank);
    sgmv_expand<<<dim3(LORA_ROWS, (OUT + 255) / 256), 256>>>(dB, dBf, dRanks, dScales, dRows, h, y, OUT, maxRank);
    CHECK(cudaDeviceSynchronize());
    compare("sgmv (ranks 16, 8, 4)", download(y, (size_t) LORA_ROWS * OUT), read(dir + "lora_y.bin"), 1e-4f);

    float *nx = upload<float>(read(dir + "norm_x.bin")), *gain = upload<float>(read(dir + "norm_gain.bin")), *nout;
    CHECK(cudaMalloc(&nout, (size_t) NORM_ROWS * NORM_N * sizeof(float)));
    rmsnorm<<<NORM_ROWS, 256>>>(nx, gain, nout, NORM_N, 1e-5f);
    CHECK(cudaDeviceSynchronize());
    compare("rmsnorm", download(nout, (size_t) NORM_ROWS * NORM_N), read(dir + "norm_out.bin"), 1e-5f);

    float *rv = upload<float>(read(dir + "rope_in.bin")), *rc = upload<float>(read(dir + "rope_cos.bin")), *rs = upload<float>(read(dir + "rope_sin.bin"));
    rope<<<HEADS, HEAD_DIM / 2>>>(rv, rc, rs, HEAD_DIM);
    CHECK(cudaDeviceSynchronize());
    compare("rope", download(rv, (size_t) HEADS * HEAD_DIM), read(dir + "rope_out.bin"), 1e-6f);
    float *aq = upload<float>(read(dir + "attn_q.bin")), *ak = upload<float>(read(dir + "attn_keys.bin")), *av = upload<float>(read(dir + "attn_values.bin"));
    int *table = upload(std::vector<int>(BLOCK_TABLE, BLOCK_TABLE + 3));
    float *scratch, *attended;
    CHECK(cudaMalloc(&scratch, (size_t) HEADS * POSITIONS * sizeof(float)));
    CHECK(cudaMalloc(&attended, (size_t) HEADS * HEAD_DIM * sizeof(float)));
    paged_attention_decode<<<HEADS, 256>>>(aq, ak, av, table, BLOCK_POSITIONS, HEADS, KV_HEADS, HEAD_DIM, 0, POSITIONS, scratch, attended);
    CHECK(cudaDeviceSynchronize());
    compare("paged attention", download(attended, (size_t) HEADS * HEAD_DIM), read(dir + "attn_out.bin"), 1e-5f);

    float *logits = upload<float>(read(dir + "argmax_logits.bin"));
    int *best;
    CHECK(cudaMalloc(&best, ARGMAX_ROWS * sizeof(int)));
    argmax<<<ARGMAX_ROWS, 256>>>(logits, best, VOCAB);
    CHECK(cudaDeviceSynchronize());
    std::vector<int> got(ARGMAX_ROWS);
    CHECK(cudaMemcpy(got.data(), best, ARGMAX_ROWS * sizeof(int), cudaMemcpyDeviceToHost));
    std::vector<char> want = read(dir + "argmax_out.bin");
    bool same = std::memcmp(got.data(), want.data(), want.size()) == 0;
    failures += same ? 0 : 1;
    std::printf("%-22s %s  %d rows (one with a tie), gpu [%d %d %d %d]\n", "argmax", same ? "OK  " : "FAIL", ARGMAX_ROWS, got[0], got[1], got[2], got[3]);
    std::printf(failures == 0 ? "all kernels agree with the CPU backend\n" : "%d kernels disagree\n", failures);
    return failures == 0 ? 0 : 1;
}
