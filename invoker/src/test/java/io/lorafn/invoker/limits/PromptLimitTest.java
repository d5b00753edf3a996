package io.lorafn.invoker.limits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafn.storage.Progress;
import io.lorafn.storage.hf.tokenizer.Tokenizer;
import io.lorafn.storage.safetensors.DType;
import io.lorafn.storage.synth.ModelPreset;
import io.lorafn.storage.synth.SyntheticModel;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The prompt limit counts tokens as the worker will, and only when the bytes could exceed it. */
class PromptLimitTest {
    @TempDir
    static Path dir;
    static Tokenizer tokenizer;
    static Vertx vertx;

    @BeforeAll
    static void load() {
        SyntheticModel.write(dir, ModelPreset.named("tiny"), DType.F32, 1, 0, Progress.NONE);
        tokenizer = Tokenizer.load(dir.resolve("tokenizer.json"));
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void close() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    static OptionalInt excess(PromptLimit limit, String prompt) throws Exception {
        return limit.excess(vertx, prompt).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void aPromptOverTheLimitReportsItsExactTokenCount() throws Exception {
        String prompt = "the quick brown fox jumps over the lazy dog ".repeat(20);
        int tokens = tokenizer.encode(prompt, true).length;
        assertEquals(OptionalInt.of(tokens), excess(new PromptLimit(tokenizer, tokens - 1), prompt));
        assertEquals(OptionalInt.empty(), excess(new PromptLimit(tokenizer, tokens), prompt), "exactly at the limit is allowed");
    }

    @Test
    void shortPromptsPassWithoutCountingAndNoTokenizerMeansNoLimit() throws Exception {
        assertEquals(OptionalInt.empty(), excess(new PromptLimit(tokenizer, 64), "hello"));
        assertEquals(OptionalInt.empty(), excess(new PromptLimit(null, 1), "x".repeat(10_000)));
        String multiByte = "é".repeat(40); // 80 bytes: counted, since bytes may exceed the limit
        int tokens = tokenizer.encode(multiByte, true).length;
        assertTrue(tokens > 10);
        assertEquals(OptionalInt.of(tokens), excess(new PromptLimit(tokenizer, 10), multiByte));
    }
}
