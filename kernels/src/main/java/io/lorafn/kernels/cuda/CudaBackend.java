package io.lorafn.kernels.cuda;

import static jcuda.driver.JCudaDriver.cuCtxCreate;
import static jcuda.driver.JCudaDriver.cuCtxDestroy;
import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetAttribute;
import static jcuda.driver.JCudaDriver.cuDeviceGetCount;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuInit;
import static jcuda.driver.JCudaDriver.cuIpcCloseMemHandle;
import static jcuda.driver.JCudaDriver.cuIpcOpenMemHandle;
import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemGetInfo;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;

import io.lorafn.kernels.Backend;
import io.lorafn.kernels.LoraSegment;
import io.lorafn.kernels.WeightFormat;
import io.lorafn.kernels.WeightMatrix;
import io.lorafn.kernels.cpu.CpuBackend;
import io.lorafn.kernels.cuda.DeviceBuffers.Slot;
import io.lorafn.kernels.cuda.LoraArguments.Field;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import jcuda.Pointer;
import jcuda.Sizeof;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUipcMem_flags;
import jcuda.driver.CUmodule;
import jcuda.driver.JCudaDriver;

/**
 * The products on a CUDA device, through JCuda's driver API and the PTX the build compiled from
 * {@code lorafn_kernels.cu}. A weight matrix is uploaded the first time it is used and kept (the base
 * model's image goes to the device once); activations go up and results come down per call. Q8_0 and
 * BF16 weights run on the device; F32 and Q4_0, the embedding lookup and the engine's per-head work run on the CPU
 * backend beside it, with the threads the caller asked for. One scheduler thread calls it, and each call makes its
 * context current.
 */
public final class CudaBackend implements Backend {
    /** Warps a block: BF16 rows, and the warps that share a Q8_0 tile (TILE_WARPS in the kernel source). */
    private static final int WARPS = 8;
    private static final int MAX_BATCH = 16;

    private final int ordinal;
    private static final System.Logger LOG = System.getLogger(CudaBackend.class.getName());
    private final String deviceName;
    private CUcontext context;
    private CUfunction q8, bf16, shrink, expand;
    private final CpuBackend cpu; // F32 and Q4_0 products, the embedding lookup, and the engine's per-head work (forEach)
    private final Map<MemorySegment, CUdeviceptr> uploaded = new IdentityHashMap<>();
    private final DeviceBuffers buffers = new DeviceBuffers();
    private MemorySegment sharedHost; // the host image whose device copy another process holds
    private byte[] sharedHandle;
    private CUdeviceptr sharedBase;

    private CudaBackend(int ordinal, String deviceName, CpuBackend cpu) {
        this.ordinal = ordinal;
        this.deviceName = deviceName;
        this.cpu = cpu;
        attach();
    }

    /** A context on the device and the kernels loaded in it. */
    private void attach() {
        CUdevice device = new CUdevice();
        cuDeviceGet(device, ordinal);
        int[] major = {0}, minor = {0};
        cuDeviceGetAttribute(major, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device);
        cuDeviceGetAttribute(minor, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device);
        context = new CUcontext();
        cuCtxCreate(context, 0, device);
        CUmodule module = loadKernels(major[0], minor[0]);
        q8 = function(module, "q8_0_matmul");
        bf16 = function(module, "bf16_matmul");
        shrink = function(module, "sgmv_shrink");
        expand = function(module, "sgmv_expand");
    }

    /**
     * Lets go of the device, as a CRaC checkpoint needs (a checkpoint cannot hold a GPU context): every
     * device buffer is freed and the context destroyed. {@link #resume} attaches again; weights go back up
     * on their next use.
     */
    public synchronized void suspend() {
        cuCtxSetCurrent(context);
        if (sharedBase != null) {
            cuIpcCloseMemHandle(sharedBase);
            sharedBase = null;
        }
        uploaded.values().forEach(JCudaDriver::cuMemFree);
        uploaded.clear();
        buffers.release();
        cuCtxDestroy(context);
        context = null;
    }

    /** After {@link #suspend}: a new context, the kernels loaded again. */
    public synchronized void resume() {
        if (context == null) {
            attach();
            if (sharedHost != null) {
                openShared();
            }
        }
    }

    /**
     * Computes on the device copy of {@code hostImage} that a holder process exported ({@link DeviceImage}):
     * a weight matrix inside the image is then an offset into that copy, never uploaded by this process.
     */
    public synchronized void shareImage(MemorySegment hostImage, byte[] ipcHandle) {
        sharedHost = hostImage;
        sharedHandle = ipcHandle.clone();
        cuCtxSetCurrent(context);
        openShared();
    }

    private void openShared() {
        sharedBase = new CUdeviceptr();
        cuIpcOpenMemHandle(sharedBase, IpcHandles.handle(sharedHandle), CUipcMem_flags.CU_IPC_MEM_LAZY_ENABLE_PEER_ACCESS);
    }

    /** Bytes this process has uploaded itself (weights outside a shared image, adapters). */
    public synchronized long uploadedBytes() {
        return uploaded.keySet().stream().mapToLong(MemorySegment::byteSize).sum();
    }

    /**
     * The backend on device {@code ordinal}. Throws with the reason when there is none: no JCuda natives or
     * no driver ({@link UnsatisfiedLinkError}), no device, or no PTX in this build.
     */
    public static CudaBackend open(int ordinal) {
        return open(ordinal, 0);
    }

    /**
     * @param neededBytes device memory the weights will take; less free than that is refused (the caller
     *                    falls back to the CPU) rather than failing mid-call
     */
    public static CudaBackend open(int ordinal, long neededBytes) {
        return open(ordinal, neededBytes, 1);
    }

    /**
     * @param cpuThreads threads of the CPU backend beside the device (0: one per core), which computes what the device
     *                   does not: with one thread, a Q4_0 image's products and the attention heads ran on a single core
     *                   of a machine that has many
     */
    public static CudaBackend open(int ordinal, long neededBytes, int cpuThreads) {
        int count = deviceCount();
        if (count <= ordinal) {
            throw new IllegalStateException("no CUDA device " + ordinal + " (" + count + " found)");
        }
        CUdevice device = new CUdevice();
        cuDeviceGet(device, ordinal);
        byte[] name = new byte[256];
        cuDeviceGetName(name, name.length, device);
        int[] major = {0};
        cuDeviceGetAttribute(major, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device);
        CpuBackend cpu = cpuThreads > 0 ? new CpuBackend(cpuThreads) : CpuBackend.withDefaultThreads();
        CudaBackend backend;
        try {
            backend = new CudaBackend(ordinal, new String(name, 0, indexOf(name, (byte) 0)).trim() + ", compute capability " + major[0], cpu);
        } catch (RuntimeException | Error e) { // no context or no kernels: the CPU backend's threads must not outlive it
            cpu.close();
            throw e;
        }
        long[] free = {0}, total = {0};
        cuMemGetInfo(free, total);
        if (free[0] < neededBytes) {
            backend.close();
            throw new IllegalStateException(String.format("not enough device memory: %d MiB free of %d, the weights need %d MiB",
                    free[0] >> 20, total[0] >> 20, neededBytes >> 20));
        }
        return backend;
    }

    /**
     * The build's PTX where it fits the device (sm_90 from compute capability 9, sm_80 from 8), else the
     * source compiled by NVRTC for this device; one log line says which and why. The property
     * {@code lorafn.cuda.nvrtc=always} skips the built PTX (to check the fallback on a device the PTX fits).
     */
    private CUmodule loadKernels(int major, int minor) {
        String why;
        byte[] built = "always".equals(System.getProperty("lorafn.cuda.nvrtc")) || major < 8 ? null : ptx(major >= 9 ? "sm_90" : "sm_80");
        if (built != null) {
            try {
                CUmodule module = new CUmodule();
                cuModuleLoadData(module, built);
                return module;
            } catch (jcuda.CudaException e) { // an older driver than the PTX, say
                why = "the built PTX did not load: " + e.getMessage();
            }
        } else {
            why = major < 8 ? "the built PTX is for sm_80 and newer, this device is " + major + "." + minor
                    : "always".equals(System.getProperty("lorafn.cuda.nvrtc")) ? "lorafn.cuda.nvrtc=always"
                    : "this build has no PTX (it was built without nvcc)";
        }
        byte[] compiled = Nvrtc.compile(Nvrtc.source(), major, minor);
        LOG.log(System.Logger.Level.INFO, "cuda kernels: compiled by NVRTC for compute_" + major + minor + " (" + why + ")");
        CUmodule module = new CUmodule();
        cuModuleLoadData(module, compiled);
        return module;
    }

    /** CUDA devices the driver sees; throws where JCuda's natives or the driver cannot load. */
    public static int deviceCount() {
        JCudaDriver.setExceptionsEnabled(true);
        cuInit(0);
        int[] count = {0};
        cuDeviceGetCount(count);
        return count[0];
    }

    /** The build's PTX for {@code arch}, NUL-terminated as cuModuleLoadData wants it; null when the build has none. */
    private static byte[] ptx(String arch) {
        try (InputStream in = CudaBackend.class.getResourceAsStream("/cuda/lorafn_kernels." + arch + ".ptx")) {
            if (in == null) {
                return null;
            }
            byte[] text = in.readAllBytes();
            return Arrays.copyOf(text, text.length + 1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static CUfunction function(CUmodule module, String name) {
        CUfunction f = new CUfunction();
        cuModuleGetFunction(f, module, name);
        return f;
    }

    @Override
    public String name() {
        return "cuda (" + deviceName + ")";
    }

    /** The CPU backend's threads beside the device. */
    @Override
    public int threads() {
        return cpu.threads();
    }

    /** The engine's per-head work (attention) on the CPU backend's threads. */
    @Override
    public void forEach(int tasks, java.util.function.IntConsumer task) {
        cpu.forEach(tasks, task);
    }

    @Override
    public synchronized void matmul(WeightMatrix w, float[][] x, float[][] out, int batch) {
        if (!onDevice(w.format())) {
            cpu.matmul(w, x, out, batch);
            return;
        }
        cuCtxSetCurrent(context);
        for (int from = 0; from < batch; from += MAX_BATCH) {
            int n = Math.min(MAX_BATCH, batch - from);
            CUdeviceptr dx = buffers.upload(Slot.INPUT, packed(Arrays.copyOfRange(x, from, from + n), n, w.cols()));
            CUdeviceptr dout = buffers.get(Slot.OUTPUT, (long) n * w.rows() * Sizeof.FLOAT);
            launchProduct(w, dx, dout, n);
            float[] result = new float[n * w.rows()];
            cuMemcpyDtoH(Pointer.to(result), dout, (long) result.length * Sizeof.FLOAT);
            for (int b = 0; b < n; b++) {
                System.arraycopy(result, b * w.rows(), out[from + b], 0, w.rows());
            }
        }
    }

    /** Q8_0 and BF16 products run on the device; the other formats on the CPU beside it. */
    private static boolean onDevice(WeightFormat format) {
        return format == WeightFormat.Q8_0 || format == WeightFormat.BF16;
    }

    /** Queues {@code out = w · x} for {@code n ≤ 16} sequences, x and out on the device ({@code n × cols}, {@code n × rows}). */
    private void launchProduct(WeightMatrix w, CUdeviceptr dx, CUdeviceptr dout, int n) {
        boolean tiles = w.format() == WeightFormat.Q8_0; // a block per tile, else a warp per row
        int blocks = tiles ? (w.rows() + WeightFormat.TILE_ROWS - 1) / WeightFormat.TILE_ROWS : (w.rows() + WARPS - 1) / WARPS;
        launch(tiles ? q8 : bf16, blocks, 1, 32 * WARPS, Pointer.to(Pointer.to(resident(w.data())), Pointer.to(dx), Pointer.to(dout),
                Pointer.to(new int[] {w.rows()}), Pointer.to(new int[] {w.cols()}), Pointer.to(new int[] {n})));
    }

    /**
     * The group's input goes up once, every product writes its results into one device buffer, the adapters add into
     * those results there, and they come down in one copy: a round trip per group of projections where matmul then
     * addLora took one per matrix and two more per adapted output. Matrices the CPU computes (F32, Q4_0), inputs of
     * different lengths and batches past the kernels' 16 go the default way.
     */
    @Override
    public synchronized void projectEach(List<WeightMatrix> ws, List<List<LoraSegment>> lora, float[][] x, List<float[][]> outs, int batch) {
        int cols = ws.get(0).cols();
        if (batch > MAX_BATCH || ws.stream().anyMatch(w -> !onDevice(w.format()) || w.cols() != cols)) {
            Backend.super.projectEach(ws, lora, x, outs, batch);
            return;
        }
        cuCtxSetCurrent(context);
        CUdeviceptr dx = buffers.upload(Slot.INPUT, packed(x, batch, cols));
        StagedLora adapters = stageLora(lora, batch); // before the products: its copies would wait for them
        long[] first = new long[ws.size() + 1]; // output i's results start at float first[i] · batch
        for (int i = 0; i < ws.size(); i++) {
            first[i + 1] = first[i] + ws.get(i).rows();
        }
        CUdeviceptr dout = buffers.get(Slot.OUTPUT, first[ws.size()] * batch * Sizeof.FLOAT);
        CUdeviceptr[] dys = new CUdeviceptr[ws.size()];
        int[] rows = new int[ws.size()];
        for (int i = 0; i < ws.size(); i++) {
            dys[i] = dout.withByteOffset(first[i] * batch * Sizeof.FLOAT);
            rows[i] = ws.get(i).rows();
            launchProduct(ws.get(i), dx, dys[i], batch);
        }
        launchLora(adapters, dx, dys, batch, cols, rows);
        float[] result = new float[(int) (first[ws.size()] * batch)];
        cuMemcpyDtoH(Pointer.to(result), dout, (long) result.length * Sizeof.FLOAT);
        for (int i = 0; i < ws.size(); i++) {
            for (int b = 0; b < batch; b++) {
                System.arraycopy(result, (int) (first[i] * batch) + b * rows[i], outs.get(i)[b], 0, rows[i]);
            }
        }
    }

    @Override
    public synchronized void addLora(List<LoraSegment> segments, float[][] x, float[][] y) {
        if (segments.isEmpty()) {
            return;
        }
        cuCtxSetCurrent(context);
        int rows = x.length, in = x[0].length, out = y[0].length;
        CUdeviceptr dx = buffers.upload(Slot.INPUT, packed(x, rows, in)), dy = buffers.upload(Slot.OUTPUT, packed(y, rows, out));
        StagedLora adapters = stageLora(List.of(segments), rows);
        launchLora(adapters, dx, new CUdeviceptr[] {dy}, rows, in, new int[] {out});
        int[] rowSegment = adapters.args().rowSegment(0);
        float[] ys = new float[rows * out];
        cuMemcpyDtoH(Pointer.to(ys), dy, (long) ys.length * Sizeof.FLOAT);
        for (int r = 0; r < rows; r++) {
            if (rowSegment[r] >= 0) {
                System.arraycopy(ys, r * out, y[r], 0, out);
            }
        }
    }

    /**
     * SGMV's arguments for each output's segments (none for an empty list), packed ({@link LoraArguments}) and on the
     * device in two copies. Staged before a call's products are queued: a copy from pageable memory waits for every
     * queued kernel, so after them it held the host until they had run, and the adapters' launches no longer overlapped
     * the products.
     */
    private record StagedLora(LoraArguments args, CUdeviceptr pointers, CUdeviceptr ints) {
    }

    private StagedLora stageLora(List<List<LoraSegment>> outputs, int rows) {
        LoraArguments args = LoraArguments.of(outputs, rows, this::resident);
        if (args.maxRank() == 0) {
            return new StagedLora(args, null, null);
        }
        return new StagedLora(args, buffers.upload(Slot.ADAPTER_POINTERS, args.pointers()), buffers.upload(Slot.ADAPTER_ARGUMENTS, args.ints()));
    }

    /**
     * Queues SGMV's shrink and expand for each staged output: {@code y[r] += scale · B·(A·x[r])} for the rows of each
     * segment, x and every y on the device ({@code rows × in}, {@code rows × outs[i]}). The outputs' launches share the
     * shrunk rows' buffer, which the stream's order keeps apart.
     */
    private void launchLora(StagedLora staged, CUdeviceptr dx, CUdeviceptr[] dys, int rows, int in, int[] outs) {
        LoraArguments args = staged.args();
        if (args.maxRank() == 0) {
            return;
        }
        CUdeviceptr pointers = staged.pointers(), ints = staged.ints();
        CUdeviceptr dh = buffers.get(Slot.SHRUNK, (long) rows * args.maxRank() * Sizeof.FLOAT);
        for (int i = 0; i < dys.length; i++) {
            if (!args.adapted(i)) {
                continue;
            }
            int rank = args.maxRank(i);
            CUdeviceptr a = pointers.withByteOffset(args.aPointersAt(i)), b = pointers.withByteOffset(args.bPointersAt(i));
            CUdeviceptr aFormats = ints.withByteOffset(args.intsAt(i, Field.A_FORMATS)), bFormats = ints.withByteOffset(args.intsAt(i, Field.B_FORMATS));
            CUdeviceptr ranks = ints.withByteOffset(args.intsAt(i, Field.RANKS)), scales = ints.withByteOffset(args.intsAt(i, Field.SCALES));
            CUdeviceptr rowSegments = ints.withByteOffset(args.intsAt(i, Field.ROW_SEGMENTS));
            launch(shrink, rows, rank, 256, Pointer.to(Pointer.to(a), Pointer.to(aFormats), Pointer.to(ranks), Pointer.to(rowSegments),
                    Pointer.to(dx), Pointer.to(dh), Pointer.to(new int[] {in}), Pointer.to(new int[] {rank})));
            launch(expand, rows, (outs[i] + 255) / 256, 256, Pointer.to(Pointer.to(b), Pointer.to(bFormats), Pointer.to(ranks), Pointer.to(scales),
                    Pointer.to(rowSegments), Pointer.to(dh), Pointer.to(dys[i]), Pointer.to(new int[] {outs[i]}), Pointer.to(new int[] {rank})));
        }
    }

    /** The first {@code rows} of {@code x}, {@code cols} each, one after another. */
    private static float[] packed(float[][] x, int rows, int cols) {
        float[] xs = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(x[r], 0, xs, r * cols, cols);
        }
        return xs;
    }

    @Override
    public void dequantizeRow(WeightMatrix w, int row, float[] out) {
        cpu.dequantizeRow(w, row, out);
    }

    /** The device copy of a host matrix, uploaded on first use and kept while this backend lives. */
    private CUdeviceptr resident(MemorySegment data) {
        if (sharedBase != null && data.address() >= sharedHost.address()
                && data.address() + data.byteSize() <= sharedHost.address() + sharedHost.byteSize()) {
            return sharedBase.withByteOffset(data.address() - sharedHost.address());
        }
        return uploaded.computeIfAbsent(data, d -> {
            CUdeviceptr p = alloc(d.byteSize());
            cuMemcpyHtoD(p, Pointer.to(d.asByteBuffer()), d.byteSize());
            return p;
        });
    }

    private static CUdeviceptr alloc(long bytes) {
        CUdeviceptr p = new CUdeviceptr();
        cuMemAlloc(p, Math.max(bytes, 4));
        return p;
    }

    /**
     * Queues a kernel on the default stream. No wait here: the copy back that follows waits for it, and a copy from
     * pageable host memory into a buffer waits for the work before it, so a reused buffer is never overwritten while
     * a kernel reads it.
     */
    private static void launch(CUfunction f, int gridX, int gridY, int block, Pointer params) {
        cuLaunchKernel(f, gridX, gridY, 1, block, 1, 1, 0, null, params, null);
    }

    private static int indexOf(byte[] a, byte v) {
        for (int i = 0; i < a.length; i++) {
            if (a[i] == v) {
                return i;
            }
        }
        return a.length;
    }

    @Override
    public synchronized void close() {
        if (context != null) {
            suspend();
        }
        cpu.close();
    }
}
