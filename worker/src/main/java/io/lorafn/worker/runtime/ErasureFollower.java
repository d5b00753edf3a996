package io.lorafn.worker.runtime;

import io.lorafn.pool.queue.ErasureFeed;
import io.lorafn.storage.registry.AdapterName;
import io.lorafn.worker.adapters.AdapterCache;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Applies the adapter erasures every worker receives ({@link ErasureFeed}) to this worker's tiers. It
 * starts after the newest erasure at start-up (the tiers are empty then) and reads on from the last one
 * it applied, so a lost connection costs a delay, never an erasure.
 */
final class ErasureFollower implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ErasureFollower.class.getName());

    private final ErasureFeed feed;
    private final AdapterCache adapters;
    private final Thread thread;
    private volatile boolean open = true;
    private volatile String after;

    ErasureFollower(ErasureFeed feed, AdapterCache adapters) {
        this.feed = feed;
        this.adapters = adapters;
        this.thread = Thread.ofPlatform().name("lorafn-erasures").daemon().unstarted(this::follow);
    }

    /** Starts following; erasures published after this returns are applied. */
    ErasureFollower start() throws Exception {
        after = feed.newest().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        thread.start();
        return this;
    }

    private void follow() {
        while (open) {
            try {
                List<ErasureFeed.Entry> entries = feed.read(after, 1000).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
                for (ErasureFeed.Entry e : entries) {
                    adapters.evict(new AdapterName(e.erasure().tenant(), e.erasure().adapterName()));
                    LOG.log(System.Logger.Level.INFO, "erased adapter " + e.erasure().tenant() + "/" + e.erasure().adapterName() + " from every tier");
                    after = e.id();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception e) {
                if (open) {
                    LOG.log(System.Logger.Level.WARNING, "reading erasures: " + e + "; retrying");
                    try {
                        Thread.sleep(500);
                    } catch (InterruptedException ie) {
                        return;
                    }
                }
            }
        }
    }

    @Override
    public void close() {
        open = false;
        thread.interrupt();
    }
}
