package io.lorafn.storage.peft;

import io.lorafn.kernels.WeightMatrix;
import io.lorafn.kernels.cpu.CpuBackend;
import io.lorafn.storage.NativeMemory;
import io.lorafn.storage.StorageException;
import io.lorafn.storage.hf.ModelConfig;
import io.lorafn.storage.hf.Projection;
import io.lorafn.storage.safetensors.SafetensorsFile;
import io.lorafn.storage.safetensors.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A PEFT LoRA adapter validated against one base model. Everything that could make the adapter
 * compute garbage is refused here, with the file and tensor named: ranks that disagree with each other
 * or with the config, dimensions of another model, non-finite values, unknown tensors.
 */
public final class LoraAdapter implements AutoCloseable {
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;
    public static final String CONFIG_FILE = "adapter_config.json";
    public static final String WEIGHTS_FILE = "adapter_model.safetensors";
    private static final Pattern TENSOR_NAME = Pattern.compile(
            "base_model\\.model\\.model\\.layers\\.(\\d+)\\.(self_attn|mlp)\\.(\\w+)\\.lora_([AB])(?:\\.default)?\\.weight");

    private final Path dir;
    private final AdapterConfig config;
    private final SafetensorsFile file; // null once every matrix was narrowed into the slab
    private final Arena converted;
    private final LoraModule[][] modules; // [layer][projection.ordinal()], null where not adapted
    private final int moduleCount;

    private LoraAdapter(Path dir, AdapterConfig config, SafetensorsFile file, Arena converted, LoraModule[][] modules, int count) {
        this.dir = dir;
        this.config = config;
        this.file = file;
        this.converted = converted;
        this.modules = modules;
        this.moduleCount = count;
    }

    public static LoraAdapter load(Path dir, ModelConfig model) {
        AdapterConfig config = AdapterConfig.read(dir.resolve(CONFIG_FILE));
        return build(dir, config, SafetensorsFile.open(dir.resolve(WEIGHTS_FILE)), model, true);
    }

    /**
     * An adapter from its two files' bytes, as fetched from the object store. {@code label} (the object
     * prefix) names it in errors; the matrices are views over {@code weights} (copied to native memory first
     * if it is a heap segment), which must stay unchanged.
     */
    public static LoraAdapter fromBytes(Path label, byte[] configJson, MemorySegment weights, ModelConfig model) {
        return fromBytes(label, configJson, weights, model, true);
    }

    /**
     * {@link #fromBytes} for bytes whose sha256 matched a registry manifest, written only after a push
     * validated every value: the structure is still checked, the scan of every value for NaN and Inf is
     * not repeated each time the adapter becomes hot.
     */
    public static LoraAdapter fromVerifiedBytes(Path label, byte[] configJson, MemorySegment weights, ModelConfig model) {
        return fromBytes(label, configJson, weights, model, false);
    }

    private static LoraAdapter fromBytes(Path label, byte[] configJson, MemorySegment weights, ModelConfig model, boolean scanValues) {
        AdapterConfig config = AdapterConfig.parse(label.resolve(CONFIG_FILE),
                new String(configJson, java.nio.charset.StandardCharsets.UTF_8));
        MemorySegment nativeWeights = weights;
        if (!weights.isNative()) { // vector loads from heap byte[] segments run scalar code: see ObjectStore.fetchOffHeap
            nativeWeights = NativeMemory.allocate(weights.byteSize(), Arena.ofAuto());
            nativeWeights.copyFrom(weights);
        }
        return build(label, config, SafetensorsFile.fromMemory(label.resolve(WEIGHTS_FILE), nativeWeights), model, scanValues);
    }

    private static LoraAdapter build(Path dir, AdapterConfig config, SafetensorsFile file, ModelConfig model, boolean scanValues) {
        if (config.fanInFanOut()) {
            // PEFT does the same for nn.Linear targets: the flag is for Conv1D layers (GPT-2), which Llama has none of.
            System.getLogger(LoraAdapter.class.getName()).log(System.Logger.Level.WARNING,
                    dir + ": fan_in_fan_out is true but Llama projections are nn.Linear; ignoring it as PEFT does");
        }
        Path weights = dir.resolve(WEIGHTS_FILE);
        boolean narrow = LoraDtype.configured() == LoraDtype.BF16;
        Arena converted = Arena.ofShared();
        try {
            Map<String, Tensor[]> pairs = new LinkedHashMap<>();
            for (Tensor t : file.tensors().values()) {
                Matcher m = TENSOR_NAME.matcher(t.name());
                if (!m.matches()) {
                    throw new StorageException("ADAPTER_UNSUPPORTED_TENSOR", weights + ": tensor '" + t.name()
                            + "' is not a LoRA A or B matrix of a Llama projection");
                }
                String module = "model.layers." + m.group(1) + "." + m.group(2) + "." + m.group(3);
                pairs.computeIfAbsent(module, k -> new Tensor[2])[m.group(4).equals("A") ? 0 : 1] = t;
            }
            if (pairs.isEmpty()) {
                throw new StorageException("ADAPTER_EMPTY", weights + ": has no LoRA tensors");
            }
            LoraModule[][] modules = new LoraModule[model.numHiddenLayers()][Projection.values().length];
            // One native allocation for every transposed B and widened F16 matrix: each allocation zeroes its
            // memory, and 224 separate ones were a third of the time an adapter takes to become hot.
            SegmentAllocator slab = SegmentAllocator.slicingAllocator(NativeMemory.allocateUninitialized(convertedBytes(pairs, narrow),
                    converted));
            for (Map.Entry<String, Tensor[]> e : pairs.entrySet()) {
                LoraModule lm = validate(weights, config, model, e.getKey(), e.getValue(), slab, scanValues, narrow);
                modules[lm.layer()][lm.projection().ordinal()] = lm;
            }
            // narrowed, every matrix is a copy in the slab unless some tensor was BF16 already: then the file can go
            boolean fileUnused = narrow && pairs.values().stream().flatMap(java.util.Arrays::stream)
                    .noneMatch(t -> t.dtype() == io.lorafn.storage.safetensors.DType.BF16);
            if (fileUnused) {
                file.close();
            }
            return new LoraAdapter(dir, config, fileUnused ? null : file, converted, modules, pairs.size());
        } catch (RuntimeException e) {
            file.close();
            converted.close();
            throw e;
        }
    }

    /**
     * Bytes the slab needs: B transposed for every module, A and B widened where they are F16 (or narrowed where they are
     * not BF16 and {@code narrow}), 64-byte aligned.
     */
    private static long convertedBytes(Map<String, Tensor[]> pairs, boolean narrow) {
        long total = 0;
        for (Tensor[] ab : pairs.values()) {
            for (int i = 0; i < 2; i++) {
                Tensor t = ab[i];
                if (t == null) {
                    continue;
                }
                if (narrow) {
                    long asBf16 = 2 * t.elementCount() + 64;
                    total += (t.dtype() == io.lorafn.storage.safetensors.DType.BF16 ? 0 : asBf16) + (i == 1 ? asBf16 : 0);
                    continue;
                }
                long asF32 = 4 * t.elementCount() + 64;
                boolean f16 = t.dtype() == io.lorafn.storage.safetensors.DType.F16;
                total += f16 ? asF32 : 0;
                if (i == 1) {
                    total += f16 ? asF32 : t.data().byteSize() + 64;
                }
            }
        }
        return total;
    }

    private static LoraModule validate(Path weights, AdapterConfig config, ModelConfig model, String module, Tensor[] ab,
                                       SegmentAllocator converted, boolean scanValues, boolean narrow) {
        String[] parts = module.split("\\.");
        int layer = Integer.parseInt(parts[2]);
        Projection proj = Projection.byModuleName(parts[4]).filter(p -> p.modulePath(layer).equals(module))
                .orElseThrow(() -> new StorageException("ADAPTER_UNSUPPORTED_TENSOR", weights + ": module '" + module
                        + "' is not a Llama projection"));
        if (layer >= model.numHiddenLayers()) {
            throw new StorageException("ADAPTER_SHAPE_MISMATCH", weights + ": module '" + module + "' is in layer " + layer
                    + " but the base model has " + model.numHiddenLayers() + " layers");
        }
        Tensor a = ab[0], b = ab[1];
        if (a == null || b == null) {
            throw new StorageException("ADAPTER_INCOMPLETE", weights + ": module '" + module + "' has lora_"
                    + (a == null ? "A" : "B") + " missing");
        }
        if (!config.targets(module)) {
            throw new StorageException("ADAPTER_TARGET_MISMATCH", weights + ": module '" + module
                    + "' has weights but is not selected by target_modules in adapter_config.json");
        }
        for (Tensor t : ab) {
            if (t.shape().length != 2) {
                throw new StorageException("ADAPTER_SHAPE_MISMATCH", weights + ": tensor '" + t.name() + "' has shape "
                        + t.shapeText() + "; LoRA matrices are 2-D");
            }
            if (!t.dtype().isWeightType()) {
                throw new StorageException("ADAPTER_UNSUPPORTED_DTYPE", weights + ": tensor '" + t.name() + "' is " + t.dtype()
                        + "; LoRA matrices must be F32, F16 or BF16");
            }
        }
        int rank = config.rankFor(module);
        if (a.dim(0) != b.dim(1)) {
            throw new StorageException("ADAPTER_RANK_MISMATCH", weights + ": tensor '" + a.name() + "' has rank " + a.dim(0)
                    + " but '" + b.name() + "' has rank " + b.dim(1));
        }
        if (a.dim(0) != rank) {
            throw new StorageException("ADAPTER_RANK_MISMATCH", weights + ": tensor '" + a.name() + "' has rank " + a.dim(0)
                    + " but adapter_config.json gives rank " + rank + " for '" + module + "'");
        }
        int in = proj.inFeatures(model), out = proj.outFeatures(model);
        if (a.dim(1) != in || b.dim(0) != out) {
            throw new StorageException("ADAPTER_SHAPE_MISMATCH", weights + ": module '" + module + "' maps " + a.dim(1) + " -> "
                    + b.dim(0) + " features but the base model's " + proj.moduleName() + " maps " + in + " -> " + out
                    + "; the adapter was made for another model");
        }
        if (scanValues) {
            checkFinite(weights, a);
            checkFinite(weights, b);
        }
        WeightMatrix aMatrix = narrow ? a.asBf16Matrix(converted) : a.asMatrix(converted);
        WeightMatrix bMatrix = narrow ? b.asBf16Matrix(converted) : b.asMatrix(converted);
        return new LoraModule(layer, proj, rank, (float) config.scaleFor(module), aMatrix, bMatrix, transpose(bMatrix, converted));
    }

    private static void checkFinite(Path weights, Tensor t) {
        long i = t.firstNonFinite();
        if (i >= 0) {
            throw new StorageException("ADAPTER_NON_FINITE", weights + ": tensor '" + t.name() + "' holds " + t.getFloat(i)
                    + " at flat index " + i);
        }
    }

    /** B as {@code rank × out} in B's own format, off-heap: built once when the adapter becomes hot. */
    private static WeightMatrix transpose(WeightMatrix b, SegmentAllocator arena) {
        int out = b.rows(), rank = b.cols();
        long rowBytes = b.format().rowBytes(out);
        MemorySegment t = arena.allocate(rowBytes * rank, 64);
        // Transposing permutes elements without changing them, so F32 and BF16 move as raw 4- or 2-byte
        // values, through a small tile, straight into the slab: whole-matrix decoded copies (allocated and
        // zeroed per module) were two thirds of the time an adapter took to become hot.
        int bytes = switch (b.format()) {
            case F32 -> 4;
            case BF16 -> 2;
            default -> throw new IllegalStateException(b.name() + ": LoRA matrices are F32 or BF16 here, not " + b.format());
        };
        ValueLayout.OfInt layout32 = INT;
        ValueLayout.OfShort layout16 = SHORT;
        int tileRows = 16;
        int[] tile = new int[tileRows * rank], tileT = new int[tileRows * rank];
        short[] tile16 = new short[tileRows * rank], tile16T = new short[tileRows * rank];
        for (int o0 = 0; o0 < out; o0 += tileRows) { // 16 rows of B in, 16-element runs of each B^T row out
            int n = Math.min(tileRows, out - o0);
            if (bytes == 4) {
                MemorySegment.copy(b.data(), layout32, 4L * o0 * rank, tile, 0, n * rank);
                for (int o = 0; o < n; o++) {
                    for (int k = 0; k < rank; k++) {
                        tileT[k * tileRows + o] = tile[o * rank + k];
                    }
                }
                for (int k = 0; k < rank; k++) {
                    MemorySegment.copy(tileT, k * tileRows, t, layout32, k * rowBytes + 4L * o0, n);
                }
            } else {
                MemorySegment.copy(b.data(), layout16, 2L * o0 * rank, tile16, 0, n * rank);
                for (int o = 0; o < n; o++) {
                    for (int k = 0; k < rank; k++) {
                        tile16T[k * tileRows + o] = tile16[o * rank + k];
                    }
                }
                for (int k = 0; k < rank; k++) {
                    MemorySegment.copy(tile16T, k * tileRows, t, layout16, k * rowBytes + 2L * o0, n);
                }
            }
        }
        return new WeightMatrix(b.name() + "^T", b.format(), t, rank, out);
    }

    public Path dir() {
        return dir;
    }

    public AdapterConfig config() {
        return config;
    }

    /** The adapted projection, or null where this adapter leaves the base weight alone. */
    public LoraModule module(int layer, Projection p) {
        return modules[layer][p.ordinal()];
    }

    public List<LoraModule> modules() {
        List<LoraModule> all = new java.util.ArrayList<>(moduleCount);
        for (LoraModule[] layer : modules) {
            for (LoraModule m : layer) {
                if (m != null) {
                    all.add(m);
                }
            }
        }
        return Collections.unmodifiableList(all);
    }

    public long byteSize() {
        long n = 0;
        for (LoraModule m : modules()) {
            n += m.a().byteSize() + m.b().byteSize();
        }
        return n;
    }

    /** Bytes this adapter holds while compute-ready: A and B (views or widened copies) and B transposed. */
    public long residentBytes() {
        long n = 0;
        for (LoraModule m : modules()) {
            n += m.a().byteSize() + m.b().byteSize() + m.bTransposed().byteSize();
        }
        return n;
    }

    @Override
    public void close() {
        if (file != null) {
            file.close();
        }
        converted.close();
    }
}
