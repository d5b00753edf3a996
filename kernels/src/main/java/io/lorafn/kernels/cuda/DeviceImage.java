package io.lorafn.kernels.cuda;

import static jcuda.driver.JCudaDriver.cuCtxCreate;
import static jcuda.driver.JCudaDriver.cuCtxDestroy;
import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuInit;
import static jcuda.driver.JCudaDriver.cuIpcGetMemHandle;
import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUipcMemHandle;
import jcuda.driver.JCudaDriver;

/**
 * A resident image uploaded once to a GPU and exported with a CUDA IPC handle, as ServerlessLoRA shares the
 * backbone: one holder process per GPU keeps it; every worker on that GPU opens the handle
 * ({@link CudaBackend#shareImage}) and computes on the same copy, so N workers cost one copy of the base in
 * device memory. The handle is 64 bytes, written beside the image ({@link #handleFile}).
 */
public final class DeviceImage implements AutoCloseable {
    private final CUcontext context;
    private final CUdeviceptr data;
    private final long bytes;
    private final byte[] handle;

    private DeviceImage(CUcontext context, CUdeviceptr data, long bytes, byte[] handle) {
        this.context = context;
        this.data = data;
        this.bytes = bytes;
        this.handle = handle;
    }

    /** Where the holder of device {@code ordinal} leaves the handle of {@code image}. */
    public static Path handleFile(Path image, int ordinal) {
        return image.resolveSibling(image.getFileName() + ".cuda" + ordinal + ".ipc");
    }

    public static DeviceImage upload(MemorySegment image, int ordinal) {
        JCudaDriver.setExceptionsEnabled(true);
        cuInit(0);
        CUdevice device = new CUdevice();
        cuDeviceGet(device, ordinal);
        CUcontext context = new CUcontext();
        cuCtxCreate(context, 0, device);
        CUdeviceptr data = new CUdeviceptr();
        cuMemAlloc(data, image.byteSize());
        for (long at = 0; at < image.byteSize(); at += 1L << 30) { // a ByteBuffer holds under 2 GiB
            long n = Math.min(1L << 30, image.byteSize() - at);
            cuMemcpyHtoD(data.withByteOffset(at), Pointer.to(image.asSlice(at, n).asByteBuffer()), n);
        }
        CUipcMemHandle handle = new CUipcMemHandle();
        cuIpcGetMemHandle(handle, data);
        return new DeviceImage(context, data, image.byteSize(), IpcHandles.bytes(handle));
    }

    /** The IPC handle other processes open the image by. */
    public byte[] handle() {
        return handle.clone();
    }

    public long bytes() {
        return bytes;
    }

    @Override
    public void close() {
        cuCtxSetCurrent(context);
        cuMemFree(data);
        cuCtxDestroy(context);
    }
}
