package io.lorafn.kernels.cuda;

import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;

import java.util.EnumMap;
import java.util.Map;
import jcuda.NativePointerObject;
import jcuda.Pointer;
import jcuda.Sizeof;
import jcuda.driver.CUdeviceptr;

/**
 * A call's inputs and outputs on the device, in buffers kept from call to call and grown when a call needs more.
 * Allocating and freeing them per call, as the backend first did, cost more than the products themselves: a
 * {@code cuMemFree} waits for the device, and a 1b decode step makes over a hundred calls (RESULTS.md, fourteenth
 * session). Not thread-safe: the backend's synchronized methods use it.
 */
final class DeviceBuffers {
    /** What a buffer holds. */
    enum Slot { INPUT, OUTPUT, ADAPTER_POINTERS, ADAPTER_ARGUMENTS, SHRUNK }

    private final Map<Slot, CUdeviceptr> buffers = new EnumMap<>(Slot.class);
    private final Map<Slot, Long> capacities = new EnumMap<>(Slot.class);

    /** Slot's buffer, at least {@code bytes} long; its contents are undefined. */
    CUdeviceptr get(Slot slot, long bytes) {
        long needed = Math.max(bytes, 4);
        if (capacities.getOrDefault(slot, 0L) < needed) {
            CUdeviceptr old = buffers.remove(slot);
            if (old != null) {
                cuMemFree(old);
            }
            long capacity = Math.max(needed, 2 * capacities.getOrDefault(slot, 0L)); // doubling: few reallocations as batches grow
            CUdeviceptr p = new CUdeviceptr();
            cuMemAlloc(p, capacity);
            buffers.put(slot, p);
            capacities.put(slot, capacity);
        }
        return buffers.get(slot);
    }

    CUdeviceptr upload(Slot slot, float[] host) {
        CUdeviceptr p = get(slot, (long) host.length * Sizeof.FLOAT);
        cuMemcpyHtoD(p, Pointer.to(host), (long) host.length * Sizeof.FLOAT);
        return p;
    }

    CUdeviceptr upload(Slot slot, int[] host) {
        CUdeviceptr p = get(slot, (long) host.length * Sizeof.INT);
        cuMemcpyHtoD(p, Pointer.to(host), (long) host.length * Sizeof.INT);
        return p;
    }

    CUdeviceptr upload(Slot slot, NativePointerObject[] devicePointers) {
        CUdeviceptr p = get(slot, (long) devicePointers.length * Sizeof.POINTER);
        cuMemcpyHtoD(p, Pointer.to(devicePointers), (long) devicePointers.length * Sizeof.POINTER);
        return p;
    }

    /** Frees every buffer (before the context goes); later calls allocate again. */
    void release() {
        buffers.values().forEach(p -> cuMemFree(p));
        buffers.clear();
        capacities.clear();
    }
}
