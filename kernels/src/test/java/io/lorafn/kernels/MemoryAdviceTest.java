package io.lorafn.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
    void heapMemoryTakesNoAdvice() {
        assertFalse(MemoryAdvice.hugePages(MemorySegment.ofArray(new byte[8192])));
        assertFalse(MemoryAdvice.hugePages(MemorySegment.NULL));
    }
}
