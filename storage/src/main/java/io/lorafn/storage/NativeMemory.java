package io.lorafn.storage;

import io.lorafn.kernels.MemoryAdvice;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;

/**
 * Large native buffers (adapter weights, transposed matrices) straight from {@code mmap}, advised to use
 * transparent huge pages. {@code Arena.allocate} zero-fills with a pass of its own and faults in 4 KiB
 * pages: making a 45 MB adapter hot spent half its time there. Anonymous mappings are already zero,
 * and with 2 MiB pages a 45 MB buffer takes 23 faults instead of 11,000. The buffer is unmapped when
 * {@code owner} closes (or, for an automatic arena, when the garbage collector frees it), or kept for
 * reuse by {@link #allocateUninitialized} (up to {@code lorafn.native.pool.bytes}, 512 MiB by default).
 * Where mmap is not available, this falls back to {@code owner.allocate}.
 */
public final class NativeMemory {
    /** Below this a plain arena allocation is as good. */
    private static final long MIN_MAPPED_BYTES = 4L << 20;
    private static final int PROT_READ_WRITE = 0x3, MAP_PRIVATE_ANONYMOUS = 0x22;
    private static final MethodHandle MMAP, MUNMAP;

    static {
        MethodHandle mmap = null, munmap = null;
        try {
            Linker linker = Linker.nativeLinker();
            SymbolLookup libc = linker.defaultLookup();
            mmap = linker.downcallHandle(libc.find("mmap").orElseThrow(), FunctionDescriptor.of(ValueLayout.ADDRESS,
                    ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                    ValueLayout.JAVA_LONG));
            munmap = linker.downcallHandle(libc.find("munmap").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
        } catch (RuntimeException | Error e) { // not Linux, or native access denied: plain allocation
            mmap = null;
        }
        MMAP = mmap;
        MUNMAP = munmap;
    }

    /** Mappings kept for reuse after their owner closed, by exact size: adapters of one shape share sizes. */
    private static final Map<Long, Deque<Long>> FREE = new HashMap<>();
    private static final long MAX_POOLED_BYTES = Long.getLong("lorafn.native.pool.bytes", 512L << 20);
    private static long pooledBytes;

    private NativeMemory() {
    }

    /**
     * Like {@link #allocate}, but the contents are undefined: for buffers the caller overwrites in full.
     * A mapping whose owner has closed is reused for the next request of the same size, which skips the
     * kernel's page faults and zeroing (a 22 MB slab: about 3 ms).
     */
    public static MemorySegment allocateUninitialized(long bytes, Arena owner) {
        if (MMAP == null || bytes < MIN_MAPPED_BYTES) {
            return allocate(bytes, owner);
        }
        Long address;
        synchronized (FREE) {
            Deque<Long> free = FREE.get(bytes);
            address = free == null ? null : free.pollFirst();
            if (address != null) {
                pooledBytes -= bytes;
            }
        }
        if (address == null) {
            return allocate(bytes, owner);
        }
        return MemorySegment.ofAddress(address).reinterpret(bytes, owner, NativeMemory::release);
    }

    /** {@code bytes} of zeroed native memory, 4096-aligned when mapped, 64-aligned otherwise, owned by {@code owner}. */
    public static MemorySegment allocate(long bytes, Arena owner) {
        if (MMAP == null || bytes < MIN_MAPPED_BYTES || !System.getProperty("os.name", "").startsWith("Linux")) {
            return owner.allocate(Math.max(bytes, 1), 64).asSlice(0, bytes);
        }
        try {
            MemorySegment address = (MemorySegment) MMAP.invokeExact(MemorySegment.NULL, bytes, PROT_READ_WRITE,
                    MAP_PRIVATE_ANONYMOUS, -1, 0L);
            if (address.address() == -1L) {
                return owner.allocate(bytes, 64);
            }
            MemoryAdvice.hugePages(address.reinterpret(bytes)); // advice only: failure is harmless
            return address.reinterpret(bytes, owner, NativeMemory::release);
        } catch (Throwable t) {
            return owner.allocate(bytes, 64);
        }
    }

    /** Keeps the mapping for reuse while the pool has room, else unmaps it. */
    private static void release(MemorySegment segment) {
        synchronized (FREE) {
            if (pooledBytes + segment.byteSize() <= MAX_POOLED_BYTES) {
                FREE.computeIfAbsent(segment.byteSize(), k -> new ArrayDeque<>()).addFirst(segment.address());
                pooledBytes += segment.byteSize();
                return;
            }
        }
        unmap(segment);
    }

    private static void unmap(MemorySegment segment) {
        try {
            int ignored = (int) MUNMAP.invokeExact(segment, segment.byteSize());
        } catch (Throwable t) {
            throw new IllegalStateException("munmap failed", t);
        }
    }
}
