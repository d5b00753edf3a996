// The CUDA kernels' source run on the CPU through host_shim.h, against the Java CPU backend's outputs
// (GoldenData): the check that runs on every machine, GPU or not.
//   g++ -std=c++20 -O1 -pthread -DLORAFN_HOST_SHIM -o shim_check shim_check.cpp && ./shim_check GOLDEN_DIR
#include "host_shim.h"
#include "../../main/cuda/lorafn_kernels.cu"
#include "golden_files.h"
#include <cstdio>
#include <cstdlib>
#include <string>



static int failures = 0;

static void compare(const char *what, const float *got, const std::vector<char> &cpuBytes, double tolerance) {
    const float *cpu = (const float *) cpuBytes.data();
    size_t n = cpuBytes.size() / 4;
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        worst = std::max(worst, std::fabs((double) got[i] - cpu[i]) / (1.0 + std::fabs((double) cpu[i])));
    }
    bool ok = worst <= tolerance;
    failures += ok ? 0 : 1;
    std::printf("%-22s %s  %zu values, worst relative error %.3g\n", what, ok ? "OK  " : "FAIL", n, worst);
}

int main(int argc, char **argv) {
    if (argc != 2) { std::fprintf(stderr, "usage: shim_check GOLDEN_DIR\n"); return 2; }
    std::string dir = std::string(argv[1]) + "/";
    std::vector<char> x = read(dir + "matmul_x.bin");
    std::vector<float> out((size_t) BATCH * ROWS);
    std::vector<char> wq = read(dir + "matmul_w_q8_0.bin"), wb = read(dir + "matmul_w_bf16.bin");
    const int warps = 8;
    launch(dim3((ROWS + 15) / 16), dim3(32 * TILE_WARPS), [&] {
        q8_0_matmul((const uint8_t *) wq.data(), (const float *) x.data(), out.data(), ROWS, COLS, BATCH); });
    compare("q8_0_matmul (batch 5)", out.data(), read(dir + "matmul_out_q8_0.bin"), 1e-4);
    launch(dim3((ROWS + warps - 1) / warps), dim3(32 * warps), [&] {
        bf16_matmul((const uint16_t *) wb.data(), (const float *) x.data(), out.data(), ROWS, COLS, BATCH); });
    compare("bf16_matmul (batch 5)", out.data(), read(dir + "matmul_out_bf16.bin"), 1e-4);

    std::vector<std::vector<char>> as, bs;
    std::vector<unsigned long long> aPtrs, bPtrs;
    for (int s = 0; s < 3; s++) {
        as.push_back(read(dir + "lora_a" + std::to_string(s) + ".bin"));
        bs.push_back(read(dir + "lora_b" + std::to_string(s) + ".bin"));
    }
    for (int s = 0; s < 3; s++) {
        aPtrs.push_back((unsigned long long) as[s].data());
        bPtrs.push_back((unsigned long long) bs[s].data());
    }
    const int maxRank = 16;
    std::vector<char> lx = read(dir + "lora_x.bin"), y0 = read(dir + "lora_y0.bin");
    std::vector<float> y((float *) y0.data(), (float *) y0.data() + LORA_ROWS * OUT), h((size_t) LORA_ROWS * maxRank);
    launch(dim3(LORA_ROWS, maxRank), dim3(256), [&] {
        sgmv_shrink(aPtrs.data(), A_FORMATS, RANKS, ROW_ADAPTER, (const float *) lx.data(), h.data(), IN, maxRank); });
    launch(dim3(LORA_ROWS, (OUT + 255) / 256), dim3(256), [&] {
        sgmv_expand(bPtrs.data(), B_FORMATS, RANKS, SCALES, ROW_ADAPTER, h.data(), y.data(), OUT, maxRank); });
    compare("sgmv (ranks 16, 8, 4)", y.data(), read(dir + "lora_y.bin"), 1e-4);

    std::vector<char> nx = read(dir + "norm_x.bin"), gain = read(dir + "norm_gain.bin");
    std::vector<float> normed((size_t) NORM_ROWS * NORM_N);
    launch(dim3(NORM_ROWS), dim3(256), [&] { rmsnorm((const float *) nx.data(), (const float *) gain.data(), normed.data(), NORM_N, 1e-5f); });
    compare("rmsnorm", normed.data(), read(dir + "norm_out.bin"), 1e-5);

    std::vector<char> rq = read(dir + "rope_in.bin"), rc = read(dir + "rope_cos.bin"), rs = read(dir + "rope_sin.bin");
    std::vector<float> rotated((float *) rq.data(), (float *) rq.data() + HEADS * HEAD_DIM);
    launch(dim3(HEADS), dim3(HEAD_DIM / 2), [&] { rope(rotated.data(), (const float *) rc.data(), (const float *) rs.data(), HEAD_DIM); });
    compare("rope", rotated.data(), read(dir + "rope_out.bin"), 1e-6);

    std::vector<char> aq = read(dir + "attn_q.bin"), ak = read(dir + "attn_keys.bin"), av = read(dir + "attn_values.bin");
    std::vector<float> scratch((size_t) HEADS * POSITIONS), attended((size_t) HEADS * HEAD_DIM);
    launch(dim3(HEADS), dim3(256), [&] {
        paged_attention_decode((const float *) aq.data(), (const float *) ak.data(), (const float *) av.data(), BLOCK_TABLE, BLOCK_POSITIONS,
                               HEADS, KV_HEADS, HEAD_DIM, 0, POSITIONS, scratch.data(), attended.data()); });
    compare("paged attention", attended.data(), read(dir + "attn_out.bin"), 1e-5);

    std::vector<char> logits = read(dir + "argmax_logits.bin");
    std::vector<int> best(ARGMAX_ROWS);
    launch(dim3(ARGMAX_ROWS), dim3(256), [&] { argmax((const float *) logits.data(), best.data(), VOCAB); });
    std::vector<char> want = read(dir + "argmax_out.bin");
    bool same = std::memcmp(best.data(), want.data(), want.size()) == 0;
    failures += same ? 0 : 1;
    std::printf("%-22s %s  %d rows (one with a tie)\n", "argmax", same ? "OK  " : "FAIL", ARGMAX_ROWS);
    std::printf(failures == 0 ? "all kernels agree with the CPU backend\n" : "%d kernels disagree\n", failures);
    return failures == 0 ? 0 : 1;
}
