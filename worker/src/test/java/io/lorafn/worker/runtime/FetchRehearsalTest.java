package io.lorafn.worker.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafn.storage.StorageException;
import io.lorafn.storage.registry.AdapterRef;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Rehearsals wait for an adapter and for an idle worker, stop after their rounds, and stop on a failure. */
class FetchRehearsalTest {
    private static final AdapterRef REF = new AdapterRef("acme", "support", "1");

    @Test
    void roundsRunOnlyWhileNoCallIsInFlight() throws Exception {
        AtomicInteger busy = new AtomicInteger(1);
        AtomicReference<Optional<AdapterRef>> held = new AtomicReference<>(Optional.empty());
        List<AdapterRef> rehearsed = new CopyOnWriteArrayList<>();
        Thread t = FetchRehearsal.start(held::get, rehearsed::add, busy::get, 3);
        Thread.sleep(200);
        held.set(Optional.of(REF)); // an adapter, but a call in flight
        Thread.sleep(300);
        assertEquals(0, rehearsed.size());
        busy.set(0);
        t.join(10_000);
        assertEquals(List.of(REF, REF, REF), rehearsed);
    }

    @Test
    void aFailedRoundEndsTheRehearsalsQuietly() throws Exception {
        AtomicInteger tries = new AtomicInteger();
        Thread t = FetchRehearsal.start(() -> Optional.of(REF), r -> {
            tries.incrementAndGet();
            throw new StorageException("ADAPTER_NOT_FOUND", "erased");
        }, () -> 0, 4);
        t.join(10_000);
        assertEquals(1, tries.get());
    }

    @Test
    void zeroRoundsStartNothingAndBadSettingsAreRefused() {
        assertNull(FetchRehearsal.start(() -> Optional.of(REF), r -> { }, () -> 0, 0));
        String before = System.getProperty(FetchRehearsal.PROPERTY);
        try {
            System.setProperty(FetchRehearsal.PROPERTY, "2");
            assertEquals(2, FetchRehearsal.configuredRounds());
            System.setProperty(FetchRehearsal.PROPERTY, "many");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, FetchRehearsal::configuredRounds);
            assertTrue(e.getMessage().contains("many"));
        } finally {
            if (before == null) {
                System.clearProperty(FetchRehearsal.PROPERTY);
            } else {
                System.setProperty(FetchRehearsal.PROPERTY, before);
            }
        }
    }
}
