package io.lorafn.kernels;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalDouble;

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
    private static final int POSIX_FADV_DONTNEED = 4;
    private static final MethodHandle MADVISE, OPEN, FADVISE, CLOSE;

    static {
        MethodHandle madvise = null, open = null, fadvise = null, close = null;
        if (System.getProperty("os.name", "").equals("Linux")) {
            try {
                Linker linker = Linker.nativeLinker();
                var libc = linker.defaultLookup();
                madvise = linker.downcallHandle(libc.findOrThrow("madvise"),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
                open = linker.downcallHandle(libc.findOrThrow("open"),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT),
                        Linker.Option.firstVariadicArg(2));
                fadvise = linker.downcallHandle(libc.findOrThrow("posix_fadvise"),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
                close = linker.downcallHandle(libc.findOrThrow("close"), FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
            } catch (RuntimeException | LinkageError e) {
                madvise = open = fadvise = close = null; // no usable libc: advice is an optimisation, never a requirement
            }
        }
        MADVISE = madvise;
        OPEN = open;
        FADVISE = fadvise;
        CLOSE = close;
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

    /**
     * Drops a file's clean pages from the page cache ({@code posix_fadvise(DONTNEED)}), so that the next read
     * through a {@link #hugePages} mapping brings it back in 2 MiB folios. For an image just written and
     * synced: writing leaves it cached in 4 KiB pages, and a snapshot's workers, mapping it right after its
     * build, decoded from those (a quarter of the 1b image: 0.73 of the bandwidth, 0.84 once dropped).
     */
    public static boolean dropCachedPages(Path file) {
        if (OPEN == null) {
            return false;
        }
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            int fd = (int) OPEN.invokeExact(arena.allocateFrom(file.toAbsolutePath().toString()), 0 /* O_RDONLY */, 0);
            if (fd < 0) {
                return false;
            }
            int advised = (int) FADVISE.invokeExact(fd, 0L, 0L, POSIX_FADV_DONTNEED);
            int closed = (int) CLOSE.invokeExact(fd);
            return advised == 0 && closed == 0;
        } catch (Throwable t) {
            return false;
        }
    }

    /**
     * The share of {@code memory}'s resident bytes this process maps with 2 MiB entries (file or anonymous), from
     * {@code /proc/self/smaps}; empty elsewhere than Linux or where nothing of it is resident. An image mapped with
     * {@link #hugePages} can still sit in 4 KiB pages when the page cache held it in small folios before (a tool read it
     * through a plain mapping, say); this is how a benchmark or an operator sees that. Reads only what was touched:
     * call it after a pass over the memory.
     */
    public static OptionalDouble hugePageShare(MemorySegment memory) {
        Path smaps = Path.of("/proc/self/smaps");
        if (!memory.isNative() || memory.byteSize() == 0 || !Files.isReadable(smaps)) {
            return OptionalDouble.empty();
        }
        try {
            return hugePageShare(Files.readAllLines(smaps), memory.address(), memory.address() + memory.byteSize());
        } catch (IOException | RuntimeException e) {
            return OptionalDouble.empty();
        }
    }

    /** Over the mappings in {@code smaps} (its lines) that overlap [start, end): 2 MiB-mapped kB over resident kB. */
    static OptionalDouble hugePageShare(List<String> smaps, long start, long end) {
        long resident = 0, huge = 0;
        boolean inside = false;
        for (String line : smaps) {
            int dash = line.indexOf('-'), space = line.indexOf(' ');
            if (dash > 0 && space > dash && isHex(line, 0, dash)) { // a mapping's first line: "from-to perms ..."
                long from = Long.parseUnsignedLong(line, 0, dash, 16), to = Long.parseUnsignedLong(line, dash + 1, space, 16);
                inside = Long.compareUnsigned(from, end) < 0 && Long.compareUnsigned(to, start) > 0;
            } else if (inside) {
                resident += kilobytes(line, "Rss:");
                huge += kilobytes(line, "FilePmdMapped:") + kilobytes(line, "AnonHugePages:") + kilobytes(line, "ShmemPmdMapped:");
            }
        }
        return resident == 0 ? OptionalDouble.empty() : OptionalDouble.of((double) huge / resident);
    }

    private static boolean isHex(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            if (Character.digit(s.charAt(i), 16) < 0) {
                return false;
            }
        }
        return to > from;
    }

    /** The kB of an smaps line that starts with {@code field}, else 0. */
    private static long kilobytes(String line, String field) {
        if (!line.startsWith(field)) {
            return 0;
        }
        String v = line.substring(field.length()).trim();
        int space = v.indexOf(' ');
        return Long.parseLong(space < 0 ? v : v.substring(0, space));
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
