package io.lorafn.infra;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI end to end, in-process: what a user types, what lands on stdout and stderr. */
class CliTest {
    @TempDir
    static Path root;
    static Path model;

    record Run(int exit, String out, String err) {
    }

    static Run run(String... args) {
        PrintStream savedOut = System.out, savedErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        StringWriter picoErr = new StringWriter();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            var cli = LorafnMain.commandLine();
            cli.setErr(new PrintWriter(picoErr, true));
            int exit = cli.execute(args);
            return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8) + picoErr);
        } finally {
            System.setOut(savedOut);
            System.setErr(savedErr);
        }
    }

    @BeforeAll
    static void synth() {
        model = root.resolve("tiny");
        Run r = run("synth", "model", "--preset", "tiny", "--out", model.toString(), "--seed", "5");
        assertEquals(0, r.exit(), r.err());
    }

    @Test
    void synthModelIsDeterministicBySeed() throws Exception {
        Path again = root.resolve("again");
        assertEquals(0, run("synth", "model", "--preset", "tiny", "--out", again.toString(), "--seed", "5").exit());
        for (String f : new String[] {"model.safetensors", "config.json", "tokenizer.json"}) {
            assertArrayEquals(Files.readAllBytes(model.resolve(f)), Files.readAllBytes(again.resolve(f)), f);
        }
        Path other = root.resolve("other");
        assertEquals(0, run("synth", "model", "--preset", "tiny", "--out", other.toString(), "--seed", "6").exit());
        assertTrue(!java.util.Arrays.equals(Files.readAllBytes(model.resolve("model.safetensors")),
                Files.readAllBytes(other.resolve("model.safetensors"))));
    }

    @Test
    void logitsPrintsOneVocabularyRowPerPosition() throws Exception {
        Path adapter = root.resolve("lora");
        assertEquals(0, run("synth", "adapter", "--model", model.toString(), "--rank", "4", "--alpha", "8", "--targets", "all",
                "--seed", "1", "--out", adapter.toString()).exit());
        Run r = run("logits", "--model", model.toString(), "--adapter", adapter.toString(), "--tokens", "1,2,3");
        assertEquals(0, r.exit(), r.err());
        JsonNode json = new ObjectMapper().readTree(r.out());
        assertEquals(1, json.size());
        assertEquals(3, json.get("logits").size());
        for (JsonNode row : json.get("logits")) {
            assertEquals(384, row.size());
        }
    }

    @Test
    void generateStreamsTextToStdoutAndTimingsToStderr() {
        Run r = run("generate", "--model", model.toString(), "--prompt", "Hello world", "--max-tokens", "8");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.err().contains("generated"), r.err());
        assertTrue(!r.out().contains("generated"));
    }

    @Test
    void badInputIsOneLineWithACodeAndExitTwo() throws Exception {
        Path broken = root.resolve("broken");
        Files.createDirectories(broken);
        Files.copy(model.resolve("config.json"), broken.resolve("config.json"));
        Files.write(broken.resolve("model.safetensors"), new byte[] {1, 2, 3});
        Run r = run("logits", "--model", broken.toString(), "--tokens", "1");
        assertEquals(2, r.exit());
        assertTrue(r.err().startsWith("error: SAFETENSORS_TRUNCATED: "), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }

    @Test
    void modelWithoutTokenizerServesTokenIds() throws Exception {
        Path bare = root.resolve("bare");
        Files.createDirectories(bare);
        for (String f : new String[] {"config.json", "model.safetensors"}) {
            Files.copy(model.resolve(f), bare.resolve(f));
        }
        Run ids = run("generate", "--model", bare.toString(), "--tokens", "1,2,3", "--max-tokens", "4");
        assertEquals(0, ids.exit(), ids.err());
        assertEquals(4, ids.out().strip().split(" ").length, ids.out());
        for (String id : ids.out().strip().split(" ")) {
            Integer.parseInt(id);
        }
        Run text = run("generate", "--model", bare.toString(), "--prompt", "hi");
        assertEquals(2, text.exit());
        assertTrue(text.err().startsWith("error: NO_TOKENIZER: "), text.err());
    }

    @Test
    void imageBuildInfoAndLogitsOnTheImage() throws Exception {
        Path image = root.resolve("tiny-bf16.img");
        Run built = run("image", "build", "--model", model.toString(), "--format", "bf16", "--out", image.toString());
        assertEquals(0, built.exit(), built.err());
        JsonNode info = new ObjectMapper().readTree(run("image", "info", "--image", image.toString()).out());
        assertEquals("bf16", info.get("format").asText());
        assertEquals(64, info.get("source_sha256").asText().length());
        // synth writes bf16 by default, so the bf16 image holds the same values: identical logits.
        String direct = run("logits", "--model", model.toString(), "--tokens", "5,6,7").out();
        String mapped = run("logits", "--model", model.toString(), "--image", image.toString(), "--tokens", "5,6,7").out();
        assertEquals(direct, mapped);
        Run bad = run("image", "build", "--model", model.toString(), "--format", "q3_k", "--out", image.toString());
        assertEquals(2, bad.exit());
        assertTrue(bad.err().contains("q3_k"), bad.err());
    }

    @Test
    void benchDecodePrintsOneJsonLinePerConfigurationWithTheBandwidthOfTheRun() throws Exception {
        String activationsBefore = System.getProperty("lorafn.activations");
        Run r = run("bench", "decode", "--model", model.toString(), "--format", "q8_0", "--batch", "1,2",
                "--adapters", "none,distinct", "--rank", "4", "--tokens", "2", "--runs", "1", "--activations", "q8",
                "--versus-none", "--warm-up", "0.5");
        assertEquals(0, r.exit(), r.err());
        List<String> versus = r.out().strip().lines().filter(l -> l.contains("\"versus\"")).toList();
        assertEquals(2, versus.size(), "distinct in turns with none, at batch 1 and 2: " + r.out());
        for (String line : versus) {
            JsonNode j = new ObjectMapper().readTree(line);
            assertEquals("distinct", j.get("adapters").asText(), line);
            assertEquals(j.get("tokens_per_s").asDouble() / j.get("versus_tokens_per_s").asDouble(), j.get("ratio").asDouble(), 0.25, line);
        }
        List<String> lines = r.out().strip().lines().filter(l -> !l.contains("\"versus\"")).toList();
        assertEquals(4, lines.size(), r.out());
        for (String line : lines) {
            JsonNode j = new ObjectMapper().readTree(line);
            assertEquals(j.get("adapters").asText().equals("none") ? "none" : "bf16", j.get("adapter_dtype").asText(),
                    "--lora-dtype auto (the default) narrows the F32 adapters where the activations are 8-bit: " + line);
            assertEquals("q8", j.get("activations").asText(), line);
            assertTrue(java.util.Set.of("avx512", "avx2", "vector", "cuda").contains(j.get("kernels").asText()), line);
            assertTrue(j.get("tokens_per_s").asDouble() > 0);
            assertTrue(j.get("bandwidth_gb_s").asDouble() > 0);
            double expected = j.get("tokens_per_s").asDouble() * j.get("weight_bytes_per_token").asDouble()
                    / (j.get("bandwidth_gb_s").asDouble() * 1e9);
            assertEquals(expected, j.get("bandwidth_fraction").asDouble(), 0.002);
            JsonNode share = j.get("huge_page_share"); // null only where smaps cannot be read
            assertTrue(share.isNull() || share.asDouble() >= 0 && share.asDouble() <= 1, line);
        }
        assertTrue(model.resolve("lorafn-q8_0.img").toFile().exists(), "the image is built on first use");
        assertNull(System.getProperty("lorafn.lora.dtype"), "the run leaves the process's setting as it found it");
        assertEquals(activationsBefore, System.getProperty("lorafn.activations"), "and its activations setting too");
        Run bad = run("bench", "decode", "--model", model.toString(), "--lora-dtype", "fp8");
        assertEquals(2, bad.exit());
        assertTrue(bad.err().contains("'fp8'"), bad.err());
        Run negative = run("bench", "decode", "--model", model.toString(), "--warm-up", "-1");
        assertEquals(2, negative.exit());
        assertTrue(negative.err().contains("--warm-up takes seconds, at least 0"), negative.err());
    }

    @Test
    void benchPrefillReportsItsShareOfTheMachinesMultiplyAddsForExactProducts() throws Exception {
        for (String activations : new String[] {"f32", "q8"}) {
            Run r = run("bench", "prefill", "--model", model.toString(), "--format", "q8_0", "--prompt-tokens", "8,16", "--runs", "1",
                    "--activations", activations, "--warm-up", "0.5");
            assertEquals(0, r.exit(), r.err());
            List<String> lines = r.out().strip().lines().toList();
            assertEquals(2, lines.size(), r.out());
            for (String line : lines) {
                JsonNode j = new ObjectMapper().readTree(line);
                assertEquals(activations, j.get("activations").asText(), line);
                assertTrue(j.get("prompt_tokens_per_s").asDouble() > 0, line);
                assertTrue(j.get("multiply_adds_per_token").asLong() > 0, line);
                if (activations.equals("f32")) { // exact: a fraction of the F32 multiply-adds measured beside it
                    double expected = j.get("prompt_tokens_per_s").asDouble() * j.get("multiply_adds_per_token").asDouble()
                            / (j.get("fma_g_per_s").asDouble() * 1e9);
                    assertEquals(expected, j.get("fma_fraction").asDouble(), 0.002, line);
                } else { // 8-bit products are not F32 multiply-adds: no such fraction
                    assertTrue(j.get("fma_fraction").isNull() && j.get("fma_g_per_s").isNull(), line);
                }
            }
        }
    }

    @Test
    void helpExplainsEveryCommand() {
        Run r = run("--help");
        assertEquals(0, r.exit());
        for (String cmd : new String[] {"synth", "adapter", "image", "logits", "generate", "bench"}) {
            assertTrue(r.out().contains(cmd), cmd);
        }
    }

    @Test
    void adapterRegistryCommandsWorkAgainstTheEmbeddedS3Server() throws Exception {
        Path data = root.resolve("registry-data");
        Path a1 = root.resolve("reg-a1"), a2 = root.resolve("reg-a2");
        assertEquals(0, run("synth", "adapter", "--model", model.toString(), "--out", a1.toString(), "--rank", "4").exit());
        assertEquals(0, run("synth", "adapter", "--model", model.toString(), "--out", a2.toString(), "--rank", "4", "--seed", "9").exit());
        String[] where = {"--tenant", "acme", "--name", "support", "--data", data.toString()};
        Run push1 = run(concat(new String[] {"adapter", "push", "--version", "1", "--dir", a1.toString(), "--model", model.toString()}, where));
        assertEquals(0, push1.exit(), push1.err());
        assertEquals("1", new ObjectMapper().readTree(push1.out()).path("version").asText());
        assertEquals(0, run(concat(new String[] {"adapter", "push", "--version", "2", "--dir", a2.toString(), "--model", model.toString()}, where)).exit());
        JsonNode listed = new ObjectMapper().readTree(run("adapter", "list", "--tenant", "acme", "--data", data.toString()).out());
        assertEquals("2", listed.path(0).path("latest").asText());

        Run again = run(concat(new String[] {"adapter", "push", "--version", "2", "--dir", a2.toString(), "--model", model.toString()}, where));
        assertEquals(2, again.exit());
        assertTrue(again.err().contains("error: ADAPTER_VERSION_EXISTS"), again.err());

        assertEquals(0, run(concat(new String[] {"adapter", "rollback"}, where)).exit());
        Path out = root.resolve("reg-got");
        assertEquals(0, run(concat(new String[] {"adapter", "get", "--out", out.toString()}, where)).exit());
        assertArrayEquals(Files.readAllBytes(a1.resolve("adapter_model.safetensors")), Files.readAllBytes(out.resolve("adapter_model.safetensors")));

        assertEquals(0, run(concat(new String[] {"adapter", "delete"}, where)).exit());
        Run gone = run(concat(new String[] {"adapter", "get", "--out", out.toString()}, where));
        assertEquals(2, gone.exit());
        assertTrue(gone.err().contains("error: ADAPTER_NOT_FOUND"), gone.err());
    }

    private static String[] concat(String[] a, String[] b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    @Test
    void snapshotBuildWritesTheImageAndItsManifestAfterATrainingRun() throws Exception {
        Path out = root.resolve("snapshot");
        Run r = run("snapshot", "build", "--model", model.toString(), "--format", "q8_0", "--out", out.toString(), "--threads", "1");
        assertEquals(0, r.exit(), r.err());
        io.lorafn.infra.snapshot.Snapshot snapshot = io.lorafn.infra.snapshot.Snapshot.read(out);
        assertTrue(snapshot.trainingMs() > 0, "the training worker ran");
        assertTrue(Files.size(snapshot.image()) > 0);
        assertEquals("q8_0", snapshot.format());
        assertEquals(64, snapshot.sourceSha256().length());
        assertTrue(snapshot.aotCache() == null || Files.size(snapshot.aotCache()) > 0, "an AOT cache, when the class path allowed one");
        Run crac = run("snapshot", "build", "--model", model.toString(), "--out", root.resolve("crac").toString(), "--crac");
        assertEquals(2, crac.exit(), "no CRaC on this JDK: a clear refusal, " + crac.err());
        assertTrue(crac.err().contains("no CRaC support"), crac.err());
        assertTrue(Files.exists(snapshot.image().resolveSibling(snapshot.image().getFileName() + ".tokenizer")),
                "the tokenizer compiled beside the image");

        // a snapshot carrying a checkpoint (as one built on a CRaC JDK does) restores the portable way on a JDK without CRaC
        Path checkpoint = Files.createDirectories(out.resolve("checkpoint"));
        io.lorafn.infra.snapshot.Snapshot withCheckpoint = new io.lorafn.infra.snapshot.Snapshot(snapshot.model(), snapshot.image(),
                snapshot.format(), snapshot.aotCache(), checkpoint, Runtime.version().toString(), snapshot.sourceSha256(),
                snapshot.createdAt(), snapshot.trainingMs(), io.lorafn.infra.snapshot.Snapshot.classPathStamp());
        assertEquals(null, withCheckpoint.usableCheckpoint(), "no CRaC here: the image and AOT cache are used");
        assertEquals(java.util.List.of("-XX:CRaCRestoreFrom=" + checkpoint, "io.lorafn.worker.cli.WorkerMain", "--id", "w-1"),
                io.lorafn.infra.stack.WorkerLaunch.restoreCommand(checkpoint, java.util.List.of("--id", "w-1")).subList(1, 5),
                "where CRaC is, a worker is its checkpoint restored with its own options");
    }

    @Test
    void aWorkloadRunWritesItsReportChartsAndTraceAndTheSimulatorReplaysThatTrace() throws Exception {
        Path out = root.resolve("workload");
        Run r = run("bench", "workload", "--model", model.toString(), "--rate", "4", "--duration-s", "4", "--tenants", "6", "--min-warm", "1",
                "--max-workers", "1", "--slots", "4", "--output-tokens", "fixed:4", "--out", out.toString());
        assertEquals(0, r.exit(), r.err());
        JsonNode results = new ObjectMapper().readTree(Files.readString(out.resolve("results.json")));
        int planned = results.get("workload").get("planned_calls").asInt();
        assertTrue(planned >= 5, "a Poisson process at 4/s for 4 s: " + planned);
        assertEquals(planned, results.get("calls").get("succeeded").asInt(), "every planned call was answered: " + results);
        JsonNode hits = results.get("hit_rates");
        assertEquals(1.0, hits.get("hot").asDouble() + hits.get("warm").asDouble() + hits.get("cold").asDouble(), 1e-9);
        JsonNode designs = results.get("cost").get("designs");
        assertEquals(4, designs.size());
        assertTrue(designs.get(0).get("usd").asDouble() < designs.get(2).get("usd").asDouble(),
                "the shared pool costs less than an always-on instance per tenant: " + designs);
        for (String f : List.of("report.md", "latency-cdf.png", "hit-rates.png", "pool-size.png")) {
            assertTrue(Files.size(out.resolve(f)) > 0, f);
        }
        assertEquals(planned, Files.readAllLines(out.resolve("trace.jsonl")).size(), "one trace line per call");
        JsonNode restore = results.get("memory").get("restore_ms");
        String report = Files.readString(out.resolve("report.md"));
        assertTrue(restore.isNull() ? report.contains("restore time (not measured") && designs.get(3).has("not_computed")
                : restore.asDouble() > 0 && designs.get(3).get("usd").asDouble() > 0, "a restore measured, or said not to be: " + restore);

        Path sim = root.resolve("sim");
        Run replay = run("pool", "simulate", "--trace", out.resolve("trace.jsonl").toString(), "--validate", "--min-warm", "1",
                "--max-workers", "1", "--slots", "4", "--min-warm-values", "0,1", "--prewarm-values", "0", "--idle-timeout-values", "5,30",
                "--p99-target-ms", "60000", "--out", sim.toString());
        assertEquals(0, replay.exit(), replay.err());
        JsonNode sweep = new ObjectMapper().readTree(Files.readString(sim.resolve("sweep.json")));
        assertEquals(4, sweep.get("sweep").size(), "2 min_warm x 1 prewarm x 2 idle_timeout_s");
        assertEquals(results.get("cold_starts").asLong(), sweep.get("validation").get("measured_cold_starts").asLong());
        assertTrue(sweep.get("validation").has("simulated_p99_ttft_ms"));
        assertEquals(60000, sweep.get("p99_target_ms").asDouble(), "the target the recommendation was made for");
        // a minute's p99 is met by every setting on this trace: the recommendation is the row with the fewest worker-seconds
        JsonNode recommended = sweep.get("recommended");
        assertTrue(recommended.isObject(), "a setting meets a 60 s target: " + sweep);
        assertTrue(recommended.get("p99_ttft_ms").asDouble() <= 60000);
        for (JsonNode row : sweep.get("sweep")) {
            assertTrue(row.get("p99_ttft_ms").asDouble() > 60000 || row.get("worker_seconds").asDouble() >= recommended.get("worker_seconds").asDouble(),
                    "no qualifying setting is cheaper: " + row);
        }
        assertTrue(Files.readString(sim.resolve("sweep.md")).contains("p99 TTFT <= 60000 ms"), "the table says what target it was read against");
        for (String f : List.of("sweep.md", "cold-start-rate.png", "p99-ttft.png", "idle-worker-seconds.png")) {
            assertTrue(Files.size(sim.resolve(f)) > 0, f);
        }
    }

    @Test
    void benchProjectionsPrintsTheStepsWithAndWithoutAdaptersAndTheirRatio() {
        Run r = run("bench", "projections", "--hidden", "256", "--intermediate", "512", "--kv", "64", "--layers", "2", "--pairs", "5",
                "--batch", "3", "--rank", "4");
        assertEquals(0, r.exit(), r.err());
        String json = r.out().strip();
        for (String field : List.of("\"format\": \"q4_0\"", "\"activations\": \"q8\"", "\"batch\": 3", "\"rank\": 4", "\"adapter_dtype\": \"bf16\"",
                "\"none_ms\": ", "\"distinct_ms\": ", "\"ratio\": ")) {
            assertTrue(json.contains(field), field + " in " + json);
        }
        double ratio = Double.parseDouble(json.replaceAll(".*\"ratio\": ([0-9.]+),.*", "$1"));
        assertTrue(ratio > 0 && ratio < 2, json);
        Run bad = run("bench", "projections", "--adapter-dtype", "fp8");
        assertNotEquals(0, bad.exit());
        assertTrue(bad.err().contains("--adapter-dtype is f32 or bf16"), bad.err());
    }

    @Test
    void benchJmhListsTheKernelBenchmarksWithoutRunningThem() {
        assertTrue(io.lorafn.bench.cli.JmhCommand.class.getClassLoader().getResource("META-INF/BenchmarkList") != null,
                "JMH's annotation processor wrote the benchmark list onto the class path");
        Run r = run("bench", "jmh", "-l");
        assertEquals(0, r.exit(), r.err());
        List<String> listed = r.out().lines().map(String::strip).toList();
        assertTrue(listed.contains("io.lorafn.bench.jmh.MatmulBenchmark.matmul"), r.out());
        assertTrue(listed.contains("io.lorafn.bench.jmh.LoraBenchmark.addLora"), r.out());
        assertTrue(listed.stream().noneMatch(l -> l.startsWith("org.openjdk.jmh")), "only lorafn's benchmarks: " + r.out());
    }

    @Test
    void aWorkloadRunsAgainstARunningStackThroughItsOperatorApi() throws Exception {
        try (io.lorafn.infra.stack.LocalStack stack = io.lorafn.infra.stack.LocalStack.builder(model, root.resolve("running"))
                .operatorKey("workload-operator").clusterName("lorafn-test-" + java.util.UUID.randomUUID())
                .pool(new io.lorafn.pool.scale.PoolConfig(1, 1, 0, 60, 8)).workerSlots(4).start()) {
            Path out = root.resolve("workload-remote");
            Run r = run("bench", "workload", "--model", model.toString(), "--rate", "3", "--duration-s", "3", "--tenants", "4",
                    "--output-tokens", "fixed:3", "--url", "http://127.0.0.1:" + stack.port(), "--admin-key", "workload-operator",
                    "--redis-url", stack.redisUrl(), "--out", out.toString());
            assertEquals(0, r.exit(), r.err());
            JsonNode results = new ObjectMapper().readTree(Files.readString(out.resolve("results.json")));
            int planned = results.get("workload").get("planned_calls").asInt();
            assertTrue(planned > 0);
            assertEquals(planned, results.get("calls").get("succeeded").asInt(), "tenants, adapters and functions made through the API served: "
                    + results);
            assertTrue(results.get("memory").get("worker_private_gib").asDouble() > 0, "the stack's worker runs here: its memory is measured");
            assertTrue(results.get("memory").get("image_gib").isNull(), "no --image: not guessed");
            assertTrue(Files.readString(out.resolve("report.md")).contains("Cost: not measured"));

            Path trace = root.resolve("exported.jsonl");
            Run export = run("trace", "export", "--redis-url", stack.redisUrl(), "--out", trace.toString());
            assertEquals(0, export.exit(), export.err());
            List<String> lines = Files.readAllLines(trace);
            assertEquals(planned, lines.size(), "every finished call of the stack, in arrival order");
            assertTrue(lines.stream().noneMatch(l -> l.contains("\"output\":\"")), "without the generated text");
        }
    }

    @Test
    void aDeviceHolderWithoutACudaDeviceIsAClearErrorAndLeavesNoHandle() throws Exception {
        assumeTrue(!Files.exists(Path.of("/dev/nvidiactl")), "a GPU is here: the holder would hold");
        Path image = root.resolve("holder.img");
        assertEquals(0, run("image", "build", "--model", model.toString(), "--format", "q8_0", "--out", image.toString()).exit());
        Run r = run("device-holder", "--image", image.toString());
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("no usable CUDA device 0"), r.err());
        assertTrue(!Files.exists(io.lorafn.kernels.cuda.DeviceImage.handleFile(image, 0)), "no handle for a copy that does not exist");
    }
}
