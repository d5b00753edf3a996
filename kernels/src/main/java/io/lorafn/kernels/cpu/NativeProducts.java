package io.lorafn.kernels.cpu;

import io.lorafn.kernels.WeightFormat;
import io.lorafn.kernels.WeightMatrix;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.Set;

/**
 * The Q8_0, Q4_0 and BF16 products in C ({@code src/main/c/}), called through the FFM API. They sum in exactly
 * the Vector API kernels' order, so either path gives the same bits; the C ones are faster because they can
 * prefetch (decode at batch 1 is bound by the cache misses in flight, and Java has no prefetch instruction) and
 * decode weights in fewer instructions than C2 makes of the Vector API. The build compiles the library twice
 * where gcc is installed ({@link Build}): one for x86-64 CPUs with AVX-512, one for those with AVX2 only. This
 * class loads the one this CPU runs; everywhere else the Vector API kernels compute, with one log line.
 *
 * <p>Calls are critical downcalls with heap access: activations and outputs are passed as the Java arrays
 * themselves, no copies. Each call is one thread's slice of one product (at most a few milliseconds), so
 * holding off the GC for its length costs nothing.
 */
final class NativeProducts {
    private static final System.Logger LOG = System.getLogger(NativeProducts.class.getName());
    /**
     * {@code auto} (the native kernels where they can run), {@code native} (required), {@code avx2} (the AVX2
     * build even where AVX-512 is present: tests and comparisons), or {@code vector}; from this system property,
     * else the environment variable {@code LORAFN_CPU_KERNELS}.
     */
    static final String MODE_PROPERTY = "lorafn.cpu.kernels";

    /** The library's builds, in order of preference: the first this CPU runs is loaded. Flags as /proc/cpuinfo names them. */
    enum Build {
        /** {@code -march=x86-64-v4}; its 8-bit products need AVX-512 VNNI (vpdpbusd) besides. */
        AVX512("AVX-512", "liblorafn_cpu_kernels.so", Set.of("avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl",
                "avx2", "fma", "f16c", "bmi1", "bmi2", "movbe", "abm"), Set.of("avx512_vnni")),
        /** {@code -march=x86-64-v3} ({@code lorafn_cpu_kernels_avx2.c}); its 8-bit products use vpmaddubsw. */
        AVX2("AVX2", "liblorafn_cpu_kernels_avx2.so", Set.of("avx", "avx2", "fma", "f16c", "bmi1", "bmi2", "movbe", "abm"), Set.of());

        final String label;
        final String file;
        final Set<String> requiredFlags;
        final Set<String> int8Flags;

        Build(String label, String file, Set<String> requiredFlags, Set<String> int8Flags) {
            this.label = label;
            this.file = file;
            this.requiredFlags = requiredFlags;
            this.int8Flags = int8Flags;
        }

        String resource() {
            return "/native/linux-x86_64/" + file;
        }
    }

    /** This CPU's flags, read once: choosing the build, checking it and choosing the 8-bit products' all ask. */
    static final Set<String> CPU_FLAGS = readCpuFlags();

    /** The loaded library, or null where the Vector API computes; {@link #UNAVAILABLE} says why. */
    static final NativeProducts LOADED;
    static final String UNAVAILABLE;

    static {
        NativeProducts loaded = null;
        String why;
        String mode = System.getProperty(MODE_PROPERTY, System.getenv().getOrDefault("LORAFN_CPU_KERNELS", "auto")).toLowerCase(Locale.ROOT);
        if (mode.equals("vector")) {
            why = MODE_PROPERTY + "=vector";
        } else if (!Set.of("auto", "native", "avx2").contains(mode)) {
            throw new IllegalArgumentException(MODE_PROPERTY + " must be auto, native, avx2 or vector, not '" + mode + "'");
        } else {
            Build build = mode.equals("avx2") || !CPU_FLAGS.containsAll(Build.AVX512.requiredFlags) ? Build.AVX2 : Build.AVX512;
            why = unsupportedReason(build);
            if (why == null) {
                try {
                    loaded = new NativeProducts(build, extractLibrary(build));
                } catch (RuntimeException | LinkageError e) {
                    why = "the library did not load: " + e;
                }
            }
            if (loaded == null && !mode.equals("auto")) {
                throw new IllegalStateException(MODE_PROPERTY + "=" + mode + ", but " + why);
            }
        }
        LOADED = loaded;
        UNAVAILABLE = why;
        LOG.log(System.Logger.Level.INFO, loaded != null ? "cpu kernels: native (" + loaded.build.label + " build, through FFM)"
                : "cpu kernels: Vector API (" + why + ")");
    }

    final Build build;
    private final MethodHandle bf16Matvec, q8Matmul, q4Matmul, bf16Matmul;
    private final MethodHandle f32LoraShrink, bf16LoraShrink, f32LoraExpandAdd, bf16LoraExpandAdd;
    /** The 8-bit activation products ({@link #int8Build}), or null where no build's run here ({@link Int8Products} then computes in Java). */
    final NativeInt8Products int8;
    /** The build {@link #int8} comes from, or null. */
    final Build int8From;
    /** BF16 weights with BF16 activations, where this is the AVX-512 build on a CPU with AVX512_BF16; else null. */
    final Bf16Dot bf16Dot;

    private NativeProducts(Build build, Path library) {
        this.build = build;
        SymbolLookup symbols = SymbolLookup.libraryLookup(library, Arena.global());
        Linker linker = Linker.nativeLinker();
        Linker.Option heapAccess = Linker.Option.critical(true);
        FunctionDescriptor matvec = FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT,
                ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.ADDRESS);
        FunctionDescriptor matmul = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT);
        // Q8_0 and Q4_0 tiles take the tile holding the first row, the tile's bytes and the first row's lane; with one
        // sequence their products are the matrix-vector products too
        FunctionDescriptor tileMatmul = FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                ValueLayout.JAVA_INT);
        bf16Matvec = linker.downcallHandle(symbols.findOrThrow("lf_bf16_matvec"), matvec, heapAccess);
        q8Matmul = linker.downcallHandle(symbols.findOrThrow("lf_q8_0_matmul"), tileMatmul, heapAccess);
        q4Matmul = linker.downcallHandle(symbols.findOrThrow("lf_q4_0_matmul"), tileMatmul, heapAccess);
        bf16Matmul = linker.downcallHandle(symbols.findOrThrow("lf_bf16_matmul"), matmul, heapAccess);
        FunctionDescriptor shrink = FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                ValueLayout.JAVA_INT, ValueLayout.ADDRESS);
        f32LoraShrink = linker.downcallHandle(symbols.findOrThrow("lf_f32_lora_shrink"), shrink, heapAccess);
        bf16LoraShrink = linker.downcallHandle(symbols.findOrThrow("lf_bf16_lora_shrink"), shrink, heapAccess);
        FunctionDescriptor expandAdd = FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_FLOAT, ValueLayout.ADDRESS);
        f32LoraExpandAdd = linker.downcallHandle(symbols.findOrThrow("lf_f32_lora_expand_add"), expandAdd, heapAccess);
        bf16LoraExpandAdd = linker.downcallHandle(symbols.findOrThrow("lf_bf16_lora_expand_add"), expandAdd, heapAccess);
        Build int8Build = int8Build(build, CPU_FLAGS);
        int8 = int8Build == null ? null : new NativeInt8Products(int8Build == build ? symbols
                : SymbolLookup.libraryLookup(extractLibrary(int8Build), Arena.global()));
        int8From = int8Build;
        bf16Dot = build == Build.AVX512 ? Bf16Dot.where(CPU_FLAGS, symbols) : null;
    }

    /**
     * Which build's 8-bit products a CPU with these flags runs beside {@code build}: its own where the CPU has what they
     * need, else the AVX2 build's (an AVX-512 CPU without VNNI, such as Intel's Skylake-SP, would otherwise compute
     * them in Java, at about 1 tok/s on the 1b preset), else none.
     */
    static Build int8Build(Build build, Set<String> flags) {
        if (flags.containsAll(build.int8Flags)) {
            return build;
        }
        boolean avx2Runs = flags.containsAll(Build.AVX2.requiredFlags) && NativeProducts.class.getResource(Build.AVX2.resource()) != null;
        return avx2Runs ? Build.AVX2 : null;
    }

    private static Set<String> readCpuFlags() {
        try (var lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            return Set.of(lines.filter(l -> l.startsWith("flags")).findFirst()
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("").split("\\s+"));
        } catch (IOException | UncheckedIOException e) {
            return Set.of();
        }
    }

    /** Whether this CPU runs the 8-bit activation products in C. */
    boolean hasInt8Products() {
        return int8 != null;
    }

    /** Null where this machine can run the build, else why not. */
    private static String unsupportedReason(Build build) {
        String os = System.getProperty("os.name", ""), arch = System.getProperty("os.arch", "");
        if (!os.equals("Linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            return "built for Linux on x86-64, this is " + os + " on " + arch;
        }
        if (NativeProducts.class.getResource(build.resource()) == null) {
            return "this build has no native library (gcc was not found when it was built)";
        }
        Set<String> missing = new java.util.TreeSet<>(build.requiredFlags);
        missing.removeAll(CPU_FLAGS);
        return missing.isEmpty() ? null : "the CPU lacks " + String.join(", ", missing) + " (or /proc/cpuinfo is unreadable)";
    }

    /**
     * The library, unpacked once per build into {@code java.io.tmpdir} under its own hash: a worker killed
     * without running its shutdown hooks leaves nothing behind, and the next one reuses the file. A file
     * found there is loaded only if its bytes hash to its name.
     */
    static Path extractLibrary(Build build) {
        try (InputStream in = NativeProducts.class.getResourceAsStream(build.resource())) {
            byte[] bytes = in.readAllBytes();
            String hash = sha256(bytes);
            Path file = Path.of(System.getProperty("java.io.tmpdir"), "lorafn-native-" + hash.substring(0, 16), build.file);
            if (Files.isRegularFile(file) && sha256(Files.readAllBytes(file)).equals(hash)) {
                return file;
            }
            Files.createDirectories(file.getParent());
            Path partial = Files.createTempFile(file.getParent(), "partial-", ".so");
            Files.write(partial, bytes);
            Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String sha256(byte[] bytes) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether these kernels compute {@code w} for {@code batch} sequences. */
    static boolean handles(WeightMatrix w, int batch) {
        return switch (w.format()) {
            case Q8_0, Q4_0 -> true;
            case BF16 -> batch == 1 || w.cols() % 32 == 0;
            case F32 -> false; // the Vector API streams F32 at the probe's bandwidth already
        };
    }

    /** out[from..to) = rows [from, to) of w · x. */
    void matvec(WeightMatrix w, float[] x, float[] out, int from, int to) {
        checkBounds(w, x, out, from, to); // C reads and writes where it is told: the checks are here
        MemorySegment outSlice = MemorySegment.ofArray(out).asSlice(4L * from);
        try {
            if (w.format().tiled()) {
                (w.format() == WeightFormat.Q8_0 ? q8Matmul : q4Matmul).invokeExact(tileOf(w, from),
                        w.format().tileBytes(w.cols()), from % WeightFormat.TILE_ROWS, to - from, MemorySegment.ofArray(x), w.cols(), 1,
                        outSlice, 0);
            } else if (w.format() == WeightFormat.BF16) {
                bf16Matvec.invokeExact(rowsFrom(w, from), w.format().rowBytes(w.cols()), to - from, MemorySegment.ofArray(x), w.cols(),
                        outSlice);
            } else {
                throw new IllegalArgumentException("F32 is computed by the Vector API");
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * Row {@code from} onwards, as the C side reads it. Mapped weights go as a bare address: a slice of the
     * image's shared arena would make every call acquire and release that arena, and two threads doing so
     * around each downcall bounced its counter between the cores (JFR: most of a decode step's samples in
     * SharedSession.release0). The image outlives the engine that computes with it, and the rows were
     * checked against the matrix, which was checked against the mapping.
     */
    static MemorySegment rowsFrom(WeightMatrix w, int from) {
        MemorySegment data = w.data();
        return data.isNative() ? MemorySegment.ofAddress(data.address() + w.rowOffset(from)) : data.asSlice(w.rowOffset(from));
    }

    /** Whether {@link #loraShrink} takes this adapter's A (F32 or BF16, whole 32-column blocks). */
    static boolean shrinksLora(WeightMatrix a) {
        return (a.format() == WeightFormat.F32 || a.format() == WeightFormat.BF16) && a.cols() % 32 == 0;
    }

    /** Whether {@link #loraExpandAdd} takes this transposed B (F32 or BF16). */
    static boolean expandsLora(WeightMatrix bTransposed) {
        return bTransposed.format() == WeightFormat.F32 || bTransposed.format() == WeightFormat.BF16;
    }

    /** shrunk[k] = A row k · x for every row of A, in the shared order (F32Kernel's or Bf16Kernel's dot's bits). */
    void loraShrink(WeightMatrix a, float[] x, float[] shrunk) {
        if (x.length < a.cols() || shrunk.length < a.rows()) {
            throw new IllegalArgumentException(a.name() + ": " + x.length + " inputs, " + shrunk.length + " outputs for " + a.rows() + "x" + a.cols());
        }
        try {
            MethodHandle shrink = a.format() == WeightFormat.BF16 ? bf16LoraShrink : f32LoraShrink;
            shrink.invokeExact(rowsFrom(a, 0), a.rows(), MemorySegment.ofArray(x), a.cols(), MemorySegment.ofArray(shrunk));
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * y[o] += scale · Σ_k u[k] · t[k][o]: per output the multiply-adds k ascending from zero, then one multiply-add into y
     * (the bits of the Java path's expand followed by VectorMath.addScaled).
     */
    void loraExpandAdd(WeightMatrix t, float[] u, float scale, float[] y) {
        loraExpandAdd(t, u, scale, y, 0, t.cols());
    }

    /** {@link #loraExpandAdd} for outputs [from, to) only: each gets the bits the whole expand gives it. */
    void loraExpandAdd(WeightMatrix t, float[] u, float scale, float[] y, int from, int to) {
        if (u.length < t.rows() || y.length < t.cols()) {
            throw new IllegalArgumentException(t.name() + ": " + u.length + " inputs, " + y.length + " outputs for " + t.rows() + "x" + t.cols());
        }
        java.util.Objects.checkFromToIndex(from, to, t.cols());
        try {
            MethodHandle kernel = switch (t.format()) {
                case F32 -> f32LoraExpandAdd;
                case BF16 -> bf16LoraExpandAdd;
                default -> throw new IllegalArgumentException(t.name() + ": LoRA matrices are F32 or BF16 here, not " + t.format());
            };
            kernel.invokeExact(rowsFrom(t, 0), t.rows(), MemorySegment.ofArray(u), t.cols(), from, to, scale, MemorySegment.ofArray(y));
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** The tile that holds row {@code row}, as the C side reads it (see {@link #rowsFrom}). */
    static MemorySegment tileOf(WeightMatrix w, int row) {
        return rowsFrom(w, row - row % WeightFormat.TILE_ROWS); // a tile's first row starts where the tile does
    }

    private static void checkBounds(WeightMatrix w, float[] x, float[] out, int from, int to) {
        if (x.length < w.cols()) {
            throw new IllegalArgumentException(w.name() + ": an input of " + x.length + " floats for " + w.cols() + " columns");
        }
        java.util.Objects.checkFromToIndex(from, to, Math.min(w.rows(), out.length));
    }

    /** The sequences one after another, as the batched C products read them; checks every length first. */
    float[] pack(float[][] x, int batch, int n, float[] packed) {
        if (packed.length < batch * n) {
            throw new IllegalArgumentException("packing buffer too small for " + batch + " sequences");
        }
        for (int b = 0; b < batch; b++) {
            if (x[b].length < n) {
                throw new IllegalArgumentException("an input of " + x[b].length + " floats for " + n + " columns");
            }
            System.arraycopy(x[b], 0, packed, b * n, n);
        }
        return packed;
    }

    /**
     * out[b][from..to) for b < batch, from sequences {@link #pack packed}; the C side writes into
     * {@code results} (batch × (to - from)) and this copies them out. Returns false where the library could
     * not allocate its buffer (BF16); the caller then computes these rows itself.
     */
    boolean matmul(WeightMatrix w, float[] packed, int batch, float[][] out, int from, int to, float[] results) {
        int n = w.cols(), rows = to - from;
        for (int b = 0; b < batch; b++) {
            java.util.Objects.checkFromToIndex(from, to, Math.min(w.rows(), out[b].length));
        }
        if (packed.length < batch * n || results.length < batch * rows) {
            throw new IllegalArgumentException("scratch too small for " + batch + " sequences");
        }
        MemorySegment rowsAt = rowsFrom(w, from);
        long rowBytes = w.format().rowBytes(n);
        MemorySegment x = MemorySegment.ofArray(packed), y = MemorySegment.ofArray(results);
        MethodHandle kernel = switch (w.format()) {
            case Q8_0 -> q8Matmul;
            case Q4_0 -> q4Matmul;
            case BF16 -> bf16Matmul;
            case F32 -> throw new IllegalArgumentException("F32 is computed by the Vector API");
        };
        int status = 0;
        try {
            if (w.format().tiled()) {
                kernel.invokeExact(tileOf(w, from), w.format().tileBytes(n), from % WeightFormat.TILE_ROWS, rows, x, n, batch, y, rows);
            } else {
                status = (int) kernel.invokeExact(rowsAt, rowBytes, rows, x, n, batch, y, rows);
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        if (status != 0) {
            return false;
        }
        for (int b = 0; b < batch; b++) {
            System.arraycopy(results, b * rows, out[b], from, rows);
        }
        return true;
    }
}
