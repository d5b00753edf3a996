package io.lorafn.invoker.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code lorafn pool get|set}: the warm pool's knobs and workers, through a running invoker's operator API. */
@Command(name = "pool", mixinStandardHelpOptions = true, subcommands = {PoolCommand.Get.class, PoolCommand.Set.class},
        description = "Reads or tunes the warm pool of a running stack (GET /v1/admin/pool, PUT /v1/admin/pool/config).")
public final class PoolCommand {
    /** Where the invoker is and the operator's key. */
    static class Target {
        @Option(names = "--url", description = "The invoker (default: $LORAFN_URL, else http://127.0.0.1:8080).")
        String url;

        @Option(names = "--admin-key", description = "The operator key (default: $LORAFN_ADMIN_KEY).")
        String adminKey;

        HttpResponse<String> send(String method, String path, String body) throws Exception {
            String base = url != null ? url : System.getenv().getOrDefault("LORAFN_URL", "http://127.0.0.1:8080");
            String key = adminKey != null ? adminKey : System.getenv("LORAFN_ADMIN_KEY");
            if (key == null || key.isBlank()) {
                throw new IllegalArgumentException("the operator key is needed: --admin-key or LORAFN_ADMIN_KEY");
            }
            HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(base.replaceAll("/+$", "") + path)).timeout(Duration.ofSeconds(30))
                    .header("Authorization", "Bearer " + key).method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofString(body));
            HttpResponse<String> res;
            try (HttpClient http = HttpClient.newHttpClient()) {
                res = http.send(r.build(), HttpResponse.BodyHandlers.ofString());
            } catch (java.net.ConnectException e) {
                throw new IllegalArgumentException("no invoker answers at " + base + " (is the stack up?)");
            }
            if (res.statusCode() != 200) {
                String message = res.body();
                try {
                    JsonObject error = new JsonObject(res.body()).getJsonObject("error");
                    message = error.getString("code") + ": " + error.getString("message");
                } catch (RuntimeException e) {
                    // not our error format: print the body as it came
                }
                throw new IllegalArgumentException("the invoker answered " + res.statusCode() + ": " + message);
            }
            return res;
        }
    }

    @Command(name = "get", mixinStandardHelpOptions = true, description = "Prints the pool's knobs and its workers; --json for the API's answer.")
    static final class Get extends Target implements Callable<Integer> {
        @Option(names = "--json", description = "Print the JSON answer as it is.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            JsonObject pool = new JsonObject(send("GET", "/v1/admin/pool", null).body());
            if (json) {
                System.out.println(pool.encodePrettily());
                return 0;
            }
            pool.getJsonObject("config").forEach(e -> System.out.printf("%-20s %s%n", e.getKey(), e.getValue()));
            JsonArray workers = pool.getJsonArray("workers");
            System.out.printf("%n%-8s %-10s %-9s %-10s %-10s %s%n", "worker", "state", "free", "restore", "node", "hot adapters");
            for (int i = 0; i < workers.size(); i++) {
                JsonObject w = workers.getJsonObject(i);
                System.out.printf("%-8s %-10s %-9s %-10s %-10s %s%n", w.getString("id"), w.getString("state"),
                        w.getInteger("free_slots") + "/" + w.getInteger("slots"), w.getLong("restore_ms") + " ms", w.getString("node"),
                        String.join(",", w.getJsonArray("hot_adapters").stream().map(Object::toString).toList()));
            }
            if (workers.isEmpty()) {
                System.out.println("(no workers: the pool is at zero)");
            }
            return 0;
        }
    }

    @Command(name = "set", mixinStandardHelpOptions = true,
            description = {"Changes some knobs while the pool runs, e.g. 'lorafn pool set min_warm=0 idle_timeout_s=5'.",
                    "Knobs: min_warm, max_workers, prewarm, idle_timeout_s, target_concurrency."})
    static final class Set extends Target implements Callable<Integer> {
        @Parameters(arity = "1..*", paramLabel = "KNOB=VALUE", description = "Knobs to change.")
        List<String> settings;

        @Override
        public Integer call() throws Exception {
            Map<String, Object> changes = new LinkedHashMap<>();
            for (String s : settings) {
                int eq = s.indexOf('=');
                if (eq < 1) {
                    throw new IllegalArgumentException("'" + s + "' is not KNOB=VALUE");
                }
                String value = s.substring(eq + 1);
                changes.put(s.substring(0, eq), value.matches("-?\\d+(\\.\\d+)?") ? (Object) Double.parseDouble(value) : value);
            }
            JsonObject answer = new JsonObject(send("PUT", "/v1/admin/pool/config", new JsonObject(changes).encode()).body());
            answer.getJsonObject("config").forEach(e -> System.out.printf("%-20s %s%n", e.getKey(), e.getValue()));
            return 0;
        }
    }
}
