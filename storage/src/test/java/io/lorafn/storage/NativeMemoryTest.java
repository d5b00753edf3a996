package io.lorafn.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

class NativeMemoryTest {
    private static final long SIZE = 6L << 20; // above the mapping threshold

    @Test
    void aFreshMappingIsZeroedAndUsable() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment m = NativeMemory.allocate(SIZE + 3, a);
            assertEquals(SIZE + 3, m.byteSize());
            assertTrue(m.isNative());
            assertEquals(0, m.get(ValueLayout.JAVA_BYTE, SIZE + 2));
            m.fill((byte) 7);
        }
    }

    @Test
    void aClosedOwnersMappingIsReusedAndTheOldViewIsDead() {
        MemorySegment old;
        long address;
        try (Arena a = Arena.ofShared()) {
            old = NativeMemory.allocateUninitialized(SIZE + 64, a);
            old.fill((byte) 1);
            address = old.address();
        }
        MemorySegment dead = old;
        assertThrows(IllegalStateException.class, () -> dead.get(ValueLayout.JAVA_BYTE, 0), "views die with their owner");
        try (Arena b = Arena.ofShared()) {
            MemorySegment reused = NativeMemory.allocateUninitialized(SIZE + 64, b);
            assertEquals(address, reused.address(), "the same mapping, without new page faults");
            reused.fill((byte) 2);
        }
    }
}
