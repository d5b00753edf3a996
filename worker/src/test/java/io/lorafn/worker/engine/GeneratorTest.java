package io.lorafn.worker.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lorafn.storage.safetensors.DType;
import io.lorafn.worker.WorkerException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GeneratorTest {
    @TempDir
    static Path root;
    static Path model;

    @BeforeAll
    static void writeModel() {
        model = TestModels.model(root, "gen", TestModels.tiny(), DType.BF16, 41);
    }

    private static GenerationRequest request(int maxTokens, List<String> stop, SamplingParams sampling) {
        return new GenerationRequest(new int[] {5, 6, 7, 8}, null, maxTokens, stop, sampling);
    }

    @Test
    void greedyGenerationFollowsTheArgmaxOfEachStep() {
        try (LoadedModel m = LoadedModel.open(model, 2)) {
            GenerationResult r = m.generator().generate(request(8, List.of(), SamplingParams.GREEDY), TokenSink.NONE, () -> false);
            assertEquals(FinishReason.LENGTH, r.finishReason());
            KvCache cache = m.engine().newCache(16);
            List<BatchRow> prompt = new ArrayList<>();
            int[] p = {5, 6, 7, 8};
            for (int i = 0; i < p.length; i++) {
                prompt.add(new BatchRow(cache, p[i], i, null, i == p.length - 1));
            }
            float[] logits = m.engine().forward(prompt)[p.length - 1];
            for (int t = 0; t < 8; t++) {
                int token = Sampler.argmax(logits);
                assertEquals(token, r.tokens()[t], "token " + t);
                logits = m.engine().forward(List.of(new BatchRow(cache, token, p.length + t, null, true)))[0];
            }
            int[] textTokens = java.util.Arrays.stream(r.tokens()).filter(id -> !m.tokenizer().isSpecial(id)).toArray();
            assertEquals(m.tokenizer().decode(textTokens), r.text(), "special tokens are not text");
        }
    }

    @Test
    void seededSamplingReproducesAndDifferentSeedsDiffer() {
        try (LoadedModel m = LoadedModel.open(model, 2)) {
            int[] a = m.generator().generate(request(16, List.of(), new SamplingParams(1.0, 0, 1.0, 7)), TokenSink.NONE, () -> false).tokens();
            int[] b = m.generator().generate(request(16, List.of(), new SamplingParams(1.0, 0, 1.0, 7)), TokenSink.NONE, () -> false).tokens();
            int[] c = m.generator().generate(request(16, List.of(), new SamplingParams(1.0, 0, 1.0, 8)), TokenSink.NONE, () -> false).tokens();
            assertArrayEquals(a, b);
            assertFalse(java.util.Arrays.equals(a, c));
            int[] greedy = m.generator().generate(request(16, List.of(), SamplingParams.GREEDY), TokenSink.NONE, () -> false).tokens();
            int[] topOne = m.generator().generate(request(16, List.of(), new SamplingParams(1.5, 1, 1.0, 3)), TokenSink.NONE, () -> false).tokens();
            int[] tinyNucleus = m.generator().generate(request(16, List.of(), new SamplingParams(0.7, 0, 1e-6, 4)), TokenSink.NONE, () -> false).tokens();
            assertArrayEquals(greedy, topOne, "top_k=1 is greedy");
            assertArrayEquals(greedy, tinyNucleus, "top_p near 0 keeps only the most likely token");
        }
    }

    @Test
    void stopSequenceEndsGenerationAndIsNeverStreamed() {
        try (LoadedModel m = LoadedModel.open(model, 2)) {
            String full = m.generator().generate(request(24, List.of(), SamplingParams.GREEDY), TokenSink.NONE, () -> false).text();
            assertTrue(full.length() > 12, "need some text to cut: '" + full + "'");
            String stop = full.substring(8, 11);
            StringBuilder streamed = new StringBuilder();
            GenerationResult r = m.generator().generate(request(24, List.of(stop), SamplingParams.GREEDY),
                    (id, text) -> streamed.append(text), () -> false);
            assertEquals(FinishReason.STOP, r.finishReason());
            assertEquals(full.substring(0, full.indexOf(stop)), r.text());
            assertEquals(r.text(), streamed.toString());
        }
    }

    @Test
    void eosTokenEndsGenerationWithStop() throws Exception {
        int third;
        try (LoadedModel m = LoadedModel.open(model, 2)) {
            third = m.generator().generate(request(6, List.of(), SamplingParams.GREEDY), TokenSink.NONE, () -> false).tokens()[2];
        }
        Path eosModel = TestModels.model(root, "eos", TestModels.tiny(), DType.BF16, 41);
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = (ObjectNode) json.readTree(eosModel.resolve("config.json").toFile());
        config.putArray("eos_token_id").add(third);
        json.writeValue(eosModel.resolve("config.json").toFile(), config);
        try (LoadedModel m = LoadedModel.open(eosModel, 2)) {
            GenerationResult r = m.generator().generate(request(6, List.of(), SamplingParams.GREEDY), TokenSink.NONE, () -> false);
            assertEquals(FinishReason.STOP, r.finishReason());
            assertTrue(r.tokens().length <= 2, "stopped at or before the EOS token: " + r.tokens().length);
        }
    }

    @Test
    void cancelledGenerationStopsBetweenSteps() {
        try (LoadedModel m = LoadedModel.open(model, 2)) {
            AtomicInteger seen = new AtomicInteger();
            GenerationResult r = m.generator().generate(request(50, List.of(), SamplingParams.GREEDY),
                    (id, text) -> seen.incrementAndGet(), () -> seen.get() >= 3);
            assertEquals(FinishReason.CANCELLED, r.finishReason());
            assertEquals(3, r.tokens().length);
        }
    }

    @Test
    void promptLongerThanTheContextIsRefused() {
        try (LoadedModel m = LoadedModel.open(model, 2)) {
            int[] prompt = new int[m.engine().config().maxPositionEmbeddings()];
            WorkerException e = assertThrows(WorkerException.class, () -> m.generator().generate(
                    new GenerationRequest(prompt, null, 4, List.of(), SamplingParams.GREEDY), TokenSink.NONE, () -> false));
            assertEquals("PROMPT_TOO_LONG", e.code());
        }
    }

    @Test
    void badSamplingParametersAreRefused() {
        assertEquals("BAD_SAMPLING", assertThrows(WorkerException.class, () -> new SamplingParams(-1, 0, 1, 0)).code());
        assertEquals("BAD_SAMPLING", assertThrows(WorkerException.class, () -> new SamplingParams(1, 0, 0, 0)).code());
        assertEquals("BAD_MAX_TOKENS", assertThrows(WorkerException.class, () -> request(0, List.of(), SamplingParams.GREEDY)).code());
    }
}
