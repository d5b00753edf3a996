package io.lorafn.bench.decode;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafn.bench.BandwidthProbe;
import io.lorafn.storage.Progress;
import io.lorafn.storage.safetensors.DType;
import io.lorafn.storage.synth.ModelPreset;
import io.lorafn.storage.synth.SyntheticModel;
import io.lorafn.storage.peft.LoraAdapter;
import io.lorafn.worker.engine.LoadedModel;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DecodeBenchTest {
    @TempDir
    Path root;

    @Test
    void everyTimedRunGetsTheBandwidthReadBesideIt() {
        Path dir = root.resolve("tiny");
        SyntheticModel.write(dir, ModelPreset.named("tiny"), DType.F32, 1, 0, Progress.NONE);
        AtomicInteger progress = new AtomicInteger();
        try (LoadedModel m = LoadedModel.open(dir, 1); BandwidthProbe probe = new BandwidthProbe(64L << 20, 1)) {
            assertTrue(DecodeBench.warmUp(m.engine(), new LoraAdapter[2], 2_000_000_000L).rounds() >= 1);
            PairedRuns runs = DecodeBench.run(m.engine(), new LoraAdapter[2], 4, 3, probe, 1, progress::incrementAndGet);
            assertEquals(3, runs.tokensPerS().length);
            assertEquals(3, progress.get(), "three timed runs");
            for (int i = 0; i < 3; i++) {
                assertTrue(runs.tokensPerS()[i] > 0, "run " + i);
                assertTrue(runs.bandwidthGbS()[i] > 0.1, "reading " + i + ": " + runs.bandwidthGbS()[i]);
            }
            long perToken = DecodeBench.bytesPerStep(m.engine(), new LoraAdapter[2]) / 2;
            assertEquals(m.engine().weights().bytesPerToken() / 2, perToken);
            assertTrue(runs.medianFraction(perToken) > 0);
        }
    }

    @Test
    void withoutAProbeTheBandwidthIsUnknownAndTheJsonSaysNull() {
        Path dir = root.resolve("tiny-gpu");
        SyntheticModel.write(dir, ModelPreset.named("tiny"), DType.F32, 1, 0, Progress.NONE);
        try (LoadedModel m = LoadedModel.open(dir, 1)) {
            PairedRuns runs = DecodeBench.run(m.engine(), new LoraAdapter[1], 2, 2, null, 1, () -> { });
            assertTrue(runs.tokensPerS()[0] > 0 && runs.tokensPerS()[1] > 0);
            assertTrue(Double.isNaN(runs.medianBandwidthGbS()) && Double.isNaN(runs.medianFraction(1000)));
            String json = new DecodeResult("cuda (a device)", "q8_0", "f32", 1, "none", 0, "none", runs.medianTokensPerS(), 1000,
                    runs.medianBandwidthGbS(), runs.minBandwidthGbS(), runs.maxBandwidthGbS(), runs.medianFraction(1000), Double.NaN).toJson();
            var node = assertDoesNotThrow(() -> new com.fasterxml.jackson.databind.ObjectMapper().readTree(json), json);
            for (String field : new String[] {"bandwidth_gb_s", "bandwidth_gb_s_range", "bandwidth_fraction", "huge_page_share"}) {
                assertTrue(node.get(field).isNull(), field + " in " + json);
            }
            assertTrue(node.get("tokens_per_s").asDouble() > 0, json);
        }
    }

    @Test
    void aProbeReadsItsBufferAgainAndAgain() {
        try (BandwidthProbe probe = new BandwidthProbe(32L << 20, 2)) {
            double first = probe.pass(), median = probe.median(3);
            assertTrue(first > 0.1 && median > 0.1, first + ", " + median + " GB/s");
        }
    }
}
