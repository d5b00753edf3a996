package io.lorafn.invoker.activations;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafn.pool.RealRedis;
import io.lorafn.pool.contract.ResultChunk;
import io.lorafn.pool.contract.Usage;
import io.lorafn.pool.queue.ReplyChannel;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** One reader per invoker routes interleaved chunks of many calls, in order, on a real redis-server. */
class ReplyRouterTest extends RealRedis {
    static ResultChunk last(String id, int seq) {
        return new ResultChunk(id, seq, "", true, "stop", new Usage(1, seq), null, false, null);
    }

    @Test
    void chunksOfInterleavedCallsReachTheirOwnRequestsInOrder() throws Exception {
        ReplyRouter router = new ReplyRouter(vertx, redis, "inv-a").start();
        Thread.sleep(100); // the reader is blocked on the stream before anything is written
        List<ResultChunk> a = new CopyOnWriteArrayList<>(), b = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> aDone = new CompletableFuture<>(), bDone = new CompletableFuture<>();
        router.register("act-a", c -> { a.add(c); if (c.last()) aDone.complete(null); });
        router.register("act-b", c -> { b.add(c); if (c.last()) bDone.complete(null); });
        ReplyChannel channel = new ReplyChannel(redis);
        for (int i = 0; i < 5; i++) {
            await(channel.publish("inv-a", ResultChunk.text("act-a", i, "a" + i)));
            await(channel.publish("inv-a", ResultChunk.text("act-b", i, "b" + i)));
        }
        await(channel.publish("inv-a", ResultChunk.text("act-gone", 0, "nobody waits"))); // a client that left
        await(channel.publish("inv-a", last("act-a", 5)));
        await(channel.publish("inv-a", last("act-b", 5)));
        aDone.get(10, TimeUnit.SECONDS);
        bDone.get(10, TimeUnit.SECONDS);
        assertEquals(List.of("a0", "a1", "a2", "a3", "a4", ""), a.stream().map(ResultChunk::text).toList());
        assertEquals(List.of("b0", "b1", "b2", "b3", "b4", ""), b.stream().map(ResultChunk::text).toList());
        assertEquals(1, router.unrouted());
        router.close();
    }

    @Test
    void chunksArrivingOutOfOrderAreHeldUntilTheirTurn() throws Exception {
        ReplyRouter router = new ReplyRouter(vertx, redis, "inv-b").start();
        Thread.sleep(100);
        List<Integer> seen = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> done = new CompletableFuture<>();
        router.register("act-x", c -> { seen.add(c.seq()); if (c.last()) done.complete(null); });
        ReplyChannel channel = new ReplyChannel(redis);
        await(channel.publish("inv-b", last("act-x", 2)));
        await(channel.publish("inv-b", ResultChunk.text("act-x", 1, "y")));
        await(channel.publish("inv-b", ResultChunk.text("act-x", 0, "x")));
        done.get(10, TimeUnit.SECONDS);
        assertEquals(List.of(0, 1, 2), seen);
        assertTrue(router.unrouted() == 0);
        router.close();
    }

    @Test
    void aRerunOfACallLeftByADeadWorkerRepeatsNothingTheClientAlreadyHas() throws Exception {
        ReplyRouter router = new ReplyRouter(vertx, redis, "inv-c").start();
        Thread.sleep(100);
        List<String> seen = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> done = new CompletableFuture<>();
        router.register("act-r", c -> { seen.add(c.text()); if (c.last()) done.complete(null); });
        ReplyChannel channel = new ReplyChannel(redis);
        await(channel.publish("inv-c", ResultChunk.text("act-r", 0, "a")));
        await(channel.publish("inv-c", ResultChunk.text("act-r", 1, "b"))); // then the worker dies
        for (int i = 0; i < 4; i++) { // the rerun, same seed: the same pieces from the start
            await(channel.publish("inv-c", ResultChunk.text("act-r", i, "abcd".substring(i, i + 1))));
        }
        await(channel.publish("inv-c", last("act-r", 4)));
        done.get(10, TimeUnit.SECONDS);
        assertEquals(List.of("a", "b", "c", "d", ""), seen);
        router.close();
    }

    @Test
    void aRerunThatFailsBeforeCatchingUpStillEndsTheStream() throws Exception {
        ReplyRouter router = new ReplyRouter(vertx, redis, "inv-d").start();
        Thread.sleep(100);
        List<ResultChunk> seen = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> done = new CompletableFuture<>();
        router.register("act-f", c -> { seen.add(c); if (c.last()) done.complete(null); });
        ReplyChannel channel = new ReplyChannel(redis);
        await(channel.publish("inv-d", ResultChunk.text("act-f", 0, "a")));
        await(channel.publish("inv-d", ResultChunk.text("act-f", 1, "b")));
        await(channel.publish("inv-d", ResultChunk.failed("act-f", 0,
                new io.lorafn.pool.contract.ErrorInfo("DEADLINE_EXCEEDED", "late"), null)));
        done.get(10, TimeUnit.SECONDS);
        assertEquals(3, seen.size());
        assertEquals("DEADLINE_EXCEEDED", seen.get(2).error().code());
        router.close();
    }
}
