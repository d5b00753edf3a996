package io.lorafn.kernels;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Advice to the Linux kernel about weight memory, through libc. Decode streams every weight once per token,
 * and on a virtual machine a 4 KiB page costs a two-level page walk per TLB miss: the 1b Q8_0 products read
 * an image cached in 4 KiB pages at 17.7 GB/s, and the same bytes cached in 2 MiB folios at 27.9 GB/s
 * (C kernels, 2 threads, same run). With {@code MADV_HUGEPAGE} on a file mapping, a page-cache miss reads the
 * file in 2 MiB folios and maps them with 2 MiB entries; every process that maps the file then shares them.
 * Pages already in the page cache keep their size until the kernel evicts them. Elsewhere than Linux, or
 * where libc refuses, the advice does nothing and says so by returning false.
 */
public final class MemoryAdvice {
    private static final int MADV_HUGEPAGE = 14;
    private static final int MADV_COLLAPSE = 25;
    private static final long PAGE = 4096;
    private static final MethodHandle MADVISE;

    static {
        MethodHandle madvise = null;
        if (System.getProperty("os.name", "").equals("Linux")) {
            try {
                Linker linker = Linker.nativeLinker();
                madvise = linker.downcallHandle(linker.defaultLookup().findOrThrow("madvise"),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
            } catch (RuntimeException | LinkageError e) {
                madvise = null; // no usable libc: advice is an optimisation, never a requirement
            }
        }
        MADVISE = madvise;
    }

    private MemoryAdvice() {
    }

    /** Asks for 2 MiB pages under {@code memory}: a file mapping or native memory. */
    public static boolean hugePages(MemorySegment memory) {
        return advise(memory, MADV_HUGEPAGE);
    }

    /**
     * Moves memory already touched (native memory the JDK zeroed, say) into 2 MiB pages now: a copy, for
     * buffers a benchmark reads, not for a restore's path. Linux 6.1 or newer.
     */
    public static boolean collapseIntoHugePages(MemorySegment memory) {
        return advise(memory, MADV_HUGEPAGE) && advise(memory, MADV_COLLAPSE);
    }

    private static boolean advise(MemorySegment memory, int advice) {
        if (MADVISE == null || !memory.isNative() || memory.byteSize() == 0) {
            return false;
        }
        long start = memory.address() & -PAGE;
        long end = memory.address() + memory.byteSize();
        try {
            return (int) MADVISE.invokeExact(MemorySegment.ofAddress(start), end - start, advice) == 0;
        } catch (Throwable t) {
            return false;
        }
    }
}
