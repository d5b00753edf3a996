package io.lorafn.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class KernelThreadsTest {
    /** Every slice of every job runs exactly once, whichever thread claims it, with jobs back to back and after pauses. */
    @Test
    void everySliceRunsExactlyOnce() throws Exception {
        for (int helpers = 1; helpers <= 3; helpers++) {
            try (KernelThreads gang = new KernelThreads(helpers)) {
                int slices = helpers + 1, jobs = 5_000;
                AtomicIntegerArray runs = new AtomicIntegerArray(jobs * slices);
                for (int j = 0; j < jobs; j++) {
                    int job = j;
                    if (j % 1000 == 999) {
                        Thread.sleep(2); // helpers park: the next job wakes them, or the caller takes their slices
                    }
                    gang.run(slice -> {
                        runs.incrementAndGet(job * slices + slice);
                        if (job % 7 == 0) { // uneven slices, so helpers are sometimes still busy
                            Thread.onSpinWait();
                        }
                    });
                }
                for (int i = 0; i < jobs * slices; i++) {
                    assertEquals(1, runs.get(i), "job " + i / slices + " slice " + i % slices + " with " + helpers + " helpers");
                }
            }
        }
    }

    /** A parked helper wakes later than the caller finishes an empty slice of its own: the caller then runs the helper's slice. */
    @Test
    void theCallerTakesASliceWhoseHelperHasNotStarted() throws Exception {
        try (KernelThreads gang = new KernelThreads(1)) {
            Thread caller = Thread.currentThread();
            int takenByCaller = 0;
            for (int attempt = 0; attempt < 50; attempt++) {
                Thread.sleep(2); // longer than the helper spins: it parks
                Thread[] ranSliceOne = new Thread[1];
                gang.run(slice -> {
                    if (slice == 1) {
                        ranSliceOne[0] = Thread.currentThread();
                    }
                });
                takenByCaller += ranSliceOne[0] == caller ? 1 : 0;
            }
            assertTrue(takenByCaller > 0, "the caller never ran a parked helper's slice in 50 jobs");
        }
    }

    /** A failure in a slice reaches the caller whichever thread ran it, and the gang keeps working afterwards. */
    @Test
    void aFailingSliceFailsTheJobWhicheverThreadRanIt() {
        try (KernelThreads gang = new KernelThreads(1)) {
            for (int i = 0; i < 200; i++) {
                assertThrows(RuntimeException.class, () -> gang.run(slice -> {
                    if (slice == 1) {
                        throw new IllegalArgumentException("slice 1 failed");
                    }
                }));
            }
            AtomicIntegerArray ran = new AtomicIntegerArray(2);
            gang.run(ran::incrementAndGet);
            assertEquals(1, ran.get(0));
            assertEquals(1, ran.get(1));
        }
    }
}
