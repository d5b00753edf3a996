package io.lorafn.storage.peft;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lorafn.kernels.WeightMatrix;
import io.lorafn.kernels.cpu.CpuBackend;
import io.lorafn.storage.Progress;
import io.lorafn.storage.StorageException;
import io.lorafn.storage.hf.ModelDirectory;
import io.lorafn.storage.hf.Projection;
import io.lorafn.storage.safetensors.DType;
import io.lorafn.storage.safetensors.SafetensorsWriter;
import io.lorafn.storage.safetensors.SafetensorsWriter.Entry;
import io.lorafn.storage.safetensors.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Folds an adapter into its base: every adapted weight becomes {@code W + s·B·A}; the rest is copied. */
public final class AdapterMerge {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> SIDE_FILES = List.of("tokenizer.json", "tokenizer_config.json",
            "special_tokens_map.json", "generation_config.json");

    private AdapterMerge() {
    }

    /** @param dtype the output dtype, or null to keep each tensor's own */
    public static void merge(ModelDirectory model, LoraAdapter adapter, Path out, DType dtype, Progress progress) {
        try {
            Files.createDirectories(out);
            List<Entry> entries = new ArrayList<>();
            for (Tensor t : model.tensors().values()) {
                entries.add(new Entry(t.name(), dtype == null ? t.dtype() : dtype, t.shape()));
            }
            progress.start("merge", entries.size());
            try (SafetensorsWriter w = new SafetensorsWriter(out.resolve("model.safetensors"), entries, Map.of("format", "pt"))) {
                for (Tensor t : model.tensors().values()) {
                    LoraModule m = moduleFor(adapter, t.name(), model.config().numHiddenLayers());
                    if (m == null) {
                        copy(t, w);
                    } else {
                        writeMerged(t, m, w);
                    }
                    progress.advance(1);
                }
            }
            ObjectNode config = (ObjectNode) JSON.readTree(model.dir().resolve("config.json").toFile());
            if (dtype != null) {
                config.put("torch_dtype", switch (dtype) {
                    case BF16 -> "bfloat16";
                    case F16 -> "float16";
                    default -> "float32";
                });
            }
            JSON.writerWithDefaultPrettyPrinter().writeValue(out.resolve("config.json").toFile(), config);
            for (String f : SIDE_FILES) {
                Path src = model.dir().resolve(f);
                if (Files.exists(src)) {
                    Files.copy(src, out.resolve(f), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            progress.done();
        } catch (IOException e) {
            throw new StorageException("FILE_UNWRITABLE", out + ": " + e.getMessage(), e);
        }
    }

    private static LoraModule moduleFor(LoraAdapter adapter, String tensorName, int layers) {
        for (int l = 0; l < layers; l++) {
            for (Projection p : Projection.values()) {
                if (p.weightName(l).equals(tensorName)) {
                    return adapter.module(l, p);
                }
            }
        }
        return null;
    }

    private static void copy(Tensor t, SafetensorsWriter w) {
        float[] chunk = new float[1 << 16];
        long n = t.elementCount();
        for (long done = 0; done < n; ) {
            int k = (int) Math.min(chunk.length, n - done);
            for (int i = 0; i < k; i++) {
                chunk[i] = t.getFloat(done + i);
            }
            w.write(chunk, 0, k);
            done += k;
        }
    }

    private static void writeMerged(Tensor weight, LoraModule m, SafetensorsWriter w) {
        int out = weight.dim(0), in = weight.dim(1), r = m.rank();
        float[] a = toFloats(m.a());
        float[] b = toFloats(m.b());
        float[] row = new float[in];
        float[] delta = new float[in];
        for (int o = 0; o < out; o++) {
            java.util.Arrays.fill(delta, 0f);
            for (int k = 0; k < r; k++) {
                float bk = b[o * r + k];
                for (int i = 0; i < in; i++) {
                    delta[i] += bk * a[k * in + i];
                }
            }
            weight.toFloats((long) o * in, row);
            for (int i = 0; i < in; i++) {
                row[i] += m.scale() * delta[i];
            }
            w.write(row);
        }
    }

    static float[] toFloats(WeightMatrix m) {
        float[] out = new float[m.rows() * m.cols()];
        float[] row = new float[m.cols()];
        for (int r = 0; r < m.rows(); r++) {
            CpuBackend.decodeRow(m, r, row);
            System.arraycopy(row, 0, out, r * m.cols(), m.cols());
        }
        return out;
    }
}
