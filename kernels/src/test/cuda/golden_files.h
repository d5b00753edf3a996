// The shapes GoldenData (kernels/src/test/java/.../cuda/GoldenData.java) writes, and reading its files:
// shared by the GPU check (check_kernels.cu) and the CPU one (shim_check.cpp).
#pragma once
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

static const int ROWS = 300, COLS = 512, BATCH = 5, IN = 256, OUT = 384, LORA_ROWS = 6, NORM_ROWS = 3, NORM_N = 1000,
                 ARGMAX_ROWS = 4, VOCAB = 1001;
static const int RANKS[] = {16, 8, 4}, A_FORMATS[] = {0, 1, 0}, B_FORMATS[] = {0, 1, 1}, ROW_ADAPTER[] = {0, -1, 1, 0, 2, -1};
static const float SCALES[] = {2.0f, 0.5f, 1.25f};
static const int HEADS = 4, KV_HEADS = 2, HEAD_DIM = 16, BLOCK_POSITIONS = 16, POSITIONS = 37, BLOCK_TABLE[] = {2, 0, 1};

static std::vector<char> read(const std::string &path) {
    FILE *f = std::fopen(path.c_str(), "rb");
    if (!f) { std::fprintf(stderr, "cannot read %s\n", path.c_str()); std::exit(2); }
    std::fseek(f, 0, SEEK_END);
    long n = std::ftell(f);
    std::fseek(f, 0, SEEK_SET);
    std::vector<char> b(n);
    if (std::fread(b.data(), 1, n, f) != (size_t) n) { std::fprintf(stderr, "short read %s\n", path.c_str()); std::exit(2); }
    std::fclose(f);
    return b;
}
