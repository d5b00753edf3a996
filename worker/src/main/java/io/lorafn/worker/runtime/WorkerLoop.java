package io.lorafn.worker.runtime;

import io.lorafn.pool.queue.WorkerStream;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The worker's intake: reads its stream in the consumer group, never holding more calls than it has
 * batch slots, runs each through {@link CallRunner}, and acks a call only once its result is written.
 * It also takes over calls that another consumer of the stream left pending, such as a previous process
 * under the same worker id that died: those idle for {@code reclaimIdleMs}, or, while this loop is
 * younger than that, those idle for longer than this loop has existed. A call delivered before this loop
 * started cannot be this loop's, so a restarted worker takes back its predecessor's calls at once.
 */
public final class WorkerLoop implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(WorkerLoop.class.getName());

    private final WorkerStream stream;
    private final String consumer;
    private final CallRunner runner;
    private final Semaphore slots;
    private final AtomicInteger running = new AtomicInteger();
    private final long reclaimIdleMs;
    private final Thread thread;
    private volatile boolean open = true;

    public WorkerLoop(WorkerStream stream, String consumer, CallRunner runner, int slots, long reclaimIdleMs) {
        this.stream = stream;
        this.consumer = consumer;
        this.runner = runner;
        this.slots = new Semaphore(slots);
        this.reclaimIdleMs = reclaimIdleMs;
        this.thread = Thread.ofPlatform().name("lorafn-worker-intake-" + consumer).daemon().unstarted(this::loop);
    }

    public WorkerLoop start() {
        thread.start();
        return this;
    }

    private void loop() {
        long startedAt = System.currentTimeMillis();
        long nextReclaim = 0;
        try {
            stream.ensureGroup().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.log(System.Logger.Level.ERROR, "cannot create the consumer group: " + e);
            return;
        }
        while (open) {
            int held = 0;
            try {
                slots.acquire();
                held = 1;
                int free = 1 + slots.drainPermits();
                held = free;
                List<WorkerStream.Delivery> calls;
                if (System.currentTimeMillis() >= nextReclaim) {
                    long age = System.currentTimeMillis() - startedAt;
                    calls = stream.reclaim(consumer, Math.min(reclaimIdleMs, age), free).toCompletionStage().toCompletableFuture()
                            .get(30, TimeUnit.SECONDS);
                    // a full batch may have left more of a predecessor's calls behind: look again at once
                    nextReclaim = calls.size() == free ? 0 : System.currentTimeMillis() + Math.max(100, Math.min(reclaimIdleMs / 2, 1000));
                    if (calls.isEmpty()) {
                        calls = read(free);
                    }
                } else {
                    calls = read(free);
                }
                slots.release(free - calls.size());
                held = 0;
                for (WorkerStream.Delivery d : calls) {
                    running.incrementAndGet();
                    runner.run(d.call()).whenComplete((record, error) -> stream.ack(d.entryId()).onComplete(done -> {
                        running.decrementAndGet();
                        slots.release();
                    }));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception e) {
                LOG.log(System.Logger.Level.WARNING, "worker intake: " + e + "; retrying");
                slots.release(held);
                sleepQuietly(200);
            }
        }
    }

    private List<WorkerStream.Delivery> read(int count) throws Exception {
        return stream.read(consumer, count, 500).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    /** Calls taken and not yet acked. */
    public int inFlight() {
        return running.get();
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        open = false;
        thread.interrupt();
    }
}
