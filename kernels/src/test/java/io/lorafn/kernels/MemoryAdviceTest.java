package io.lorafn.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The advice changes where pages live, never what they hold; where libc refuses, it says so. */
class MemoryAdviceTest {
    @TempDir
    Path dir;

    private static boolean linux() {
        return System.getProperty("os.name", "").equals("Linux");
    }

    @Test
    void droppingAFilesCachedPagesKeepsItsBytes() throws Exception {
        assumeTrue(linux(), "posix_fadvise is Linux advice here");
        Path file = dir.resolve("weights.img");
        byte[] bytes = new byte[3 << 20];
        new java.util.Random(7).nextBytes(bytes);
        Files.write(file, bytes, StandardOpenOption.CREATE, StandardOpenOption.SYNC);
        assertEquals(true, MemoryAdvice.dropCachedPages(file));
        try (FileChannel ch = FileChannel.open(file); Arena arena = Arena.ofConfined()) {
            MemorySegment mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, bytes.length, arena);
            MemoryAdvice.hugePages(mapped);
            assertArrayEquals(bytes, mapped.toArray(ValueLayout.JAVA_BYTE));
        }
        assertFalse(MemoryAdvice.dropCachedPages(dir.resolve("missing.img")));
    }

    @Test
    void theHugePageShareCountsOnlyTheMappingsTheMemoryOverlaps() {
        java.util.List<String> smaps = java.util.List.of(
                "7f0000000000-7f0000400000 r--s 00000000 fe:00 12 /data/model.img",
                "Size:               4096 kB",
                "Rss:                4096 kB",
                "FilePmdMapped:      2048 kB",
                "AnonHugePages:         0 kB",
                "VmFlags: rd mr me ms hg",
                "7f0000400000-7f0000600000 rw-p 00000000 00:00 0",
                "Rss:                2048 kB",
                "AnonHugePages:      2048 kB");
        assertEquals(0.5, MemoryAdvice.hugePageShare(smaps, 0x7f0000000000L, 0x7f0000400000L).orElseThrow());
        assertEquals(4096.0 / 6144, MemoryAdvice.hugePageShare(smaps, 0x7f00003ff000L, 0x7f0000401000L).orElseThrow(), 1e-12);
        assertEquals(1.0, MemoryAdvice.hugePageShare(smaps, 0x7f0000500000L, 0x7f0000500040L).orElseThrow());
        assertTrue(MemoryAdvice.hugePageShare(smaps, 0x7f0000600000L, 0x7f0000700000L).isEmpty(), "no mapping there");
    }

    @Test
    void aTouchedFileMappingHasAHugePageShare() throws Exception {
        assumeTrue(linux() && Files.isReadable(Path.of("/proc/self/smaps")), "smaps is Linux's");
        Path file = dir.resolve("weights.img");
        Files.write(file, new byte[4 << 20]);
        try (FileChannel ch = FileChannel.open(file); Arena arena = Arena.ofConfined()) {
            MemorySegment mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, 4 << 20, arena);
            MemoryAdvice.hugePages(mapped);
            long sum = 0;
            for (long o = 0; o < mapped.byteSize(); o += 4096) {
                sum += mapped.get(ValueLayout.JAVA_BYTE, o);
            }
            assertEquals(0, sum);
            double share = MemoryAdvice.hugePageShare(mapped).orElseThrow();
            assertTrue(share >= 0 && share <= 1, "share " + share);
        }
        assertTrue(MemoryAdvice.hugePageShare(MemorySegment.ofArray(new byte[8192])).isEmpty());
    }

    @Test
    void heapMemoryTakesNoAdvice() {
        assertFalse(MemoryAdvice.hugePages(MemorySegment.ofArray(new byte[8192])));
        assertFalse(MemoryAdvice.hugePages(MemorySegment.NULL));
    }
}
