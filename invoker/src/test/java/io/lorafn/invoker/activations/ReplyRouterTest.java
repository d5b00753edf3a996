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
}
