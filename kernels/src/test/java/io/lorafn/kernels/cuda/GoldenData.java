package io.lorafn.kernels.cuda;

import io.lorafn.kernels.LoraSegment;
import io.lorafn.kernels.WeightFormat;
import io.lorafn.kernels.WeightMatrix;
import io.lorafn.kernels.cpu.CpuBackend;
import io.lorafn.kernels.cpu.VectorMath;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Inputs and the CPU backend's outputs for the CUDA kernels' check on a GPU ({@code kernels/src/test/cuda}):
 * raw little-endian files, so that a small CUDA program can compare without Java on the GPU machine.
 * Shapes are awkward on purpose: rows that do not fill a thread block, heterogeneous LoRA ranks and
 * formats, and rows with no adapter.
 */
public final class GoldenData {
    static final int ROWS = 300, COLS = 512, BATCH = 5;
    static final int IN = 256, OUT = 384, LORA_ROWS = 6;
    static final int[] RANKS = {16, 8, 4};
    static final WeightFormat[] A_FORMATS = {WeightFormat.F32, WeightFormat.BF16, WeightFormat.F32};
    static final WeightFormat[] B_FORMATS = {WeightFormat.F32, WeightFormat.BF16, WeightFormat.BF16};
    static final float[] SCALES = {2f, 0.5f, 1.25f};
    static final int[] ROW_ADAPTER = {0, -1, 1, 0, 2, -1};
    static final int NORM_ROWS = 3, NORM_N = 1000, ARGMAX_ROWS = 4, VOCAB = 1001;
    static final int HEADS = 4, KV_HEADS = 2, HEAD_DIM = 16, BLOCK_POSITIONS = 16, POSITIONS = 37;
    static final int[] BLOCK_TABLE = {2, 0, 1}; // logical block -> pool block, out of order on purpose

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        Files.createDirectories(dir);
        SplittableRandom random = new SplittableRandom(42);
        try (Arena arena = Arena.ofConfined(); CpuBackend cpu = new CpuBackend(1)) {
            float[][] x = random(random, BATCH, COLS, 1);
            write(dir.resolve("matmul_x.bin"), x);
            for (WeightFormat f : List.of(WeightFormat.Q8_0, WeightFormat.BF16)) {
                WeightMatrix w = CudaAgreement.matrix(random, f, ROWS, COLS, 0.1, arena);
                write(dir.resolve("matmul_w_" + f.name().toLowerCase() + ".bin"), w.data());
                float[][] out = new float[BATCH][ROWS];
                cpu.matmul(w, x, out, BATCH);
                write(dir.resolve("matmul_out_" + f.name().toLowerCase() + ".bin"), out);
            }
            float[][] lx = random(random, LORA_ROWS, IN, 1);
            float[][] y = random(random, LORA_ROWS, OUT, 1);
            write(dir.resolve("lora_x.bin"), lx);
            write(dir.resolve("lora_y0.bin"), y);
            List<LoraSegment> segments = new ArrayList<>();
            for (int s = 0; s < RANKS.length; s++) {
                WeightMatrix a = CudaAgreement.matrix(random, A_FORMATS[s], RANKS[s], IN, 0.1, arena);
                WeightMatrix bt = CudaAgreement.matrix(random, B_FORMATS[s], RANKS[s], OUT, 0.1, arena);
                write(dir.resolve("lora_a" + s + ".bin"), a.data());
                write(dir.resolve("lora_b" + s + ".bin"), bt.data());
                List<Integer> rows = new ArrayList<>();
                for (int r = 0; r < LORA_ROWS; r++) {
                    if (ROW_ADAPTER[r] == s) {
                        rows.add(r);
                    }
                }
                segments.add(new LoraSegment(a, bt, SCALES[s], rows.stream().mapToInt(Integer::intValue).toArray()));
            }
            cpu.addLora(segments, lx, y);
            write(dir.resolve("lora_y.bin"), y);
            float[][] nx = random(random, NORM_ROWS, NORM_N, 3);
            float[][] gain = random(random, 1, NORM_N, 1);
            float[][] normed = new float[NORM_ROWS][NORM_N];
            for (int r = 0; r < NORM_ROWS; r++) {
                VectorMath.rmsnorm(normed[r], nx[r], gain[0], 1e-5f);
            }
            write(dir.resolve("norm_x.bin"), nx);
            write(dir.resolve("norm_gain.bin"), gain);
            write(dir.resolve("norm_out.bin"), normed);
            float[][] q = random(random, 1, HEADS * HEAD_DIM, 1);
            float[][] cos = random(random, 1, HEAD_DIM / 2, 1), sin = random(random, 1, HEAD_DIM / 2, 1);
            write(dir.resolve("rope_in.bin"), q);
            write(dir.resolve("rope_cos.bin"), cos);
            write(dir.resolve("rope_sin.bin"), sin);
            float[] rotated = q[0].clone();
            VectorMath.rope(rotated, HEADS, HEAD_DIM, cos[0], sin[0]);
            write(dir.resolve("rope_out.bin"), new float[][] {rotated});
            float[][] keys = random(random, BLOCK_TABLE.length, BLOCK_POSITIONS * KV_HEADS * HEAD_DIM, 1);
            float[][] values = random(random, BLOCK_TABLE.length, BLOCK_POSITIONS * KV_HEADS * HEAD_DIM, 1);
            write(dir.resolve("attn_q.bin"), new float[][] {rotated});
            write(dir.resolve("attn_keys.bin"), keys);
            write(dir.resolve("attn_values.bin"), values);
            float[] attended = new float[HEADS * HEAD_DIM];
            // the device kernel reads keys position by position; the CPU's key blocks hold them dimension by dimension
            float[][] keyBlocks = new float[keys.length][keys[0].length];
            for (int b = 0; b < keys.length; b++) {
                for (int slot = 0; slot < BLOCK_POSITIONS; slot++) {
                    float[] row = java.util.Arrays.copyOfRange(keys[b], slot * KV_HEADS * HEAD_DIM, (slot + 1) * KV_HEADS * HEAD_DIM);
                    io.lorafn.kernels.cpu.Attention.storeKeys(keyBlocks[b], slot, row, KV_HEADS * HEAD_DIM, BLOCK_POSITIONS);
                }
            }
            io.lorafn.kernels.cpu.Attention.attend(rotated, keyBlocks, values, BLOCK_TABLE, BLOCK_POSITIONS, HEADS, KV_HEADS, HEAD_DIM, 0, POSITIONS,
                    new float[POSITIONS], attended);
            write(dir.resolve("attn_out.bin"), new float[][] {attended});
            float[][] logits = random(random, ARGMAX_ROWS, VOCAB, 10);
            logits[1][7] = logits[1][900] = 1000; // a tie: the lowest index wins
            int[] best = new int[ARGMAX_ROWS];
            for (int r = 0; r < ARGMAX_ROWS; r++) {
                for (int i = 1; i < VOCAB; i++) {
                    if (logits[r][i] > logits[r][best[r]]) {
                        best[r] = i;
                    }
                }
            }
            write(dir.resolve("argmax_logits.bin"), logits);
            ByteBuffer b = ByteBuffer.allocate(4 * ARGMAX_ROWS).order(ByteOrder.LITTLE_ENDIAN);
            for (int v : best) {
                b.putInt(v);
            }
            Files.write(dir.resolve("argmax_out.bin"), b.array());
        }
    }

    private static float[][] random(SplittableRandom random, int rows, int cols, double scale) {
        float[][] m = new float[rows][cols];
        for (float[] row : m) {
            for (int i = 0; i < cols; i++) {
                row[i] = (float) ((random.nextDouble() * 2 - 1) * scale);
            }
        }
        return m;
    }

    private static void write(Path file, float[][] m) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4 * m.length * m[0].length).order(ByteOrder.LITTLE_ENDIAN);
        for (float[] row : m) {
            for (float v : row) {
                b.putFloat(v);
            }
        }
        Files.write(file, b.array());
    }

    private static void write(Path file, MemorySegment data) throws IOException {
        Files.write(file, data.toArray(ValueLayout.JAVA_BYTE));
    }
}
