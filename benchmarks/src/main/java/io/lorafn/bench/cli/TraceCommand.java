package io.lorafn.bench.cli;

import io.lorafn.bench.sim.TraceExport;
import io.lorafn.bench.sim.TraceFile;
import io.lorafn.pool.contract.ActivationRecord;
import io.lorafn.pool.redis.RedisClients;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code lorafn trace}: traces of a running stack, for the pool simulator. */
@Command(name = "trace", mixinStandardHelpOptions = true, subcommands = TraceCommand.Export.class,
        description = "Traces of a running stack's calls (activation records), for 'lorafn pool simulate'.")
public final class TraceCommand {
    @Command(name = "export", mixinStandardHelpOptions = true, description = {
            "Writes the finished calls a running stack keeps in Redis (each call's activation record, kept for a day) as a trace:",
            "JSON lines in arrival order, without the generated text."})
    public static final class Export implements Callable<Integer> {
        @Option(names = "--redis-url", description = "The stack's Redis (default: $LORAFN_REDIS_URL, else redis://127.0.0.1:6379).")
        String redisUrl;

        @Option(names = "--since-ms", defaultValue = "0", description = "Only calls accepted at or after this time (epoch ms).")
        long sinceMs;

        @Option(names = "--out", required = true, description = "The trace file to write.")
        Path out;

        @Override
        public Integer call() throws Exception {
            String url = redisUrl != null ? redisUrl : System.getenv().getOrDefault("LORAFN_REDIS_URL", "redis://127.0.0.1:6379");
            Vertx vertx = Vertx.vertx();
            try {
                List<ActivationRecord> records = TraceExport.finishedSince(RedisClients.api(vertx, url), sinceMs);
                TraceFile.write(records, out);
                System.out.println(out + ": " + records.size() + " calls");
                return 0;
            } finally {
                vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            }
        }
    }
}
