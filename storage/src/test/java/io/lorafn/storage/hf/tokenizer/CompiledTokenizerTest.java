package io.lorafn.storage.hf.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafn.storage.StorageException;
import io.lorafn.storage.synth.SyntheticTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The compiled form of a tokenizer.json gives the same tokenizer, and is never trusted when stale or damaged. */
class CompiledTokenizerTest {
    private static final List<String> TEXTS = List.of("", "hello world", "héllo wörld</s>", "abc abcab aabc <x> <x>>",
            "emoji 😀 and 東京\n\ttabs  and  spaces", "How do I reset my password?", "<s>hello</s> hello");

    @TempDir
    Path dir;

    @Test
    void everyFixtureAndALargeSyntheticTokenizerEncodeAndDecodeExactlyAsTheirJson() throws IOException {
        List<Path> sources = List.of(
                TokenizerFixtures.write(dir, "byte-level.json", TokenizerFixtures.tinyByteLevel(false, false)),
                TokenizerFixtures.write(dir, "byte-level-pairs.json", TokenizerFixtures.tinyByteLevel(true, true)),
                TokenizerFixtures.write(dir, "sp.json", TokenizerFixtures.sentencePiece()),
                synthetic(32000));
        for (Path json : sources) {
            Path compiled = dir.resolve(json.getFileName() + ".tokenizer");
            CompiledTokenizer.write(json, compiled);
            Tokenizer expected = Tokenizer.load(json);
            Tokenizer actual = CompiledTokenizer.read(compiled, json).orElseThrow();
            assertEquals(expected.vocabSize(), actual.vocabSize(), json.toString());
            for (String text : randomTexts(expected, 40)) {
                assertArrayEquals(expected.encode(text, true), actual.encode(text, true), json + ": " + text);
                assertArrayEquals(expected.encode(text, false), actual.encode(text, false), json + ": " + text);
            }
            int[] ids = IntStream.range(0, expected.vocabSize()).toArray();
            assertEquals(expected.decode(ids), actual.decode(ids), json.toString());
            for (int id = 0; id < expected.vocabSize(); id++) {
                assertEquals(expected.isSpecial(id), actual.isSpecial(id), json + " id " + id);
            }
            assertArrayEquals(expected.eosIds(), actual.eosIds());
            assertEquals(expected.bosId(), actual.bosId());
        }
    }

    @Test
    void aTokenizerJsonChangedSinceCompilingIsReadInstead() throws IOException {
        Path json = TokenizerFixtures.write(dir, "sp.json", TokenizerFixtures.sentencePiece());
        Path compiled = dir.resolve("sp.json.tokenizer");
        CompiledTokenizer.write(json, compiled);
        // another tokenizer under the same name: the compiled one must not answer for it
        Files.writeString(json, TokenizerFixtures.tinyByteLevel(false, false));
        Files.setLastModifiedTime(json, FileTime.fromMillis(Files.getLastModifiedTime(json).toMillis() + 5_000));
        assertTrue(CompiledTokenizer.read(compiled, json).isEmpty());
        assertArrayEquals(Tokenizer.load(json).encode("abc abc", false), CompiledTokenizer.load(json, compiled).encode("abc abc", false));
    }

    @Test
    void aDamagedOrMissingCompiledFileFallsBackToTheJson() throws IOException {
        Path json = synthetic(1000);
        Path compiled = dir.resolve("synthetic.json.tokenizer");
        assertTrue(CompiledTokenizer.read(compiled, json).isEmpty(), "missing");
        CompiledTokenizer.write(json, compiled);
        byte[] bytes = Files.readAllBytes(compiled);
        bytes[bytes.length / 2] ^= 0x40;
        Files.write(compiled, bytes);
        assertTrue(CompiledTokenizer.read(compiled, json).isEmpty(), "a flipped bit");
        Files.write(compiled, java.util.Arrays.copyOf(bytes, 20));
        assertTrue(CompiledTokenizer.read(compiled, json).isEmpty(), "truncated");
        Tokenizer expected = Tokenizer.load(json);
        assertArrayEquals(expected.encode("hello world", true), CompiledTokenizer.load(json, compiled).encode("hello world", true));
    }

    @Test
    void aTokenizerThatDoesNotLoadIsNotCompiled() throws IOException {
        Path json = TokenizerFixtures.write(dir, "bad.json", TokenizerFixtures.tinyByteLevel(false, false).replace("\"a b\"", "\"a zz\""));
        Path compiled = dir.resolve("bad.json.tokenizer");
        StorageException e = assertThrows(StorageException.class, () -> CompiledTokenizer.write(json, compiled));
        assertEquals("TOKENIZER_INVALID", e.code());
        assertFalse(Files.exists(compiled));
    }

    private Path synthetic(int vocabSize) {
        Path json = dir.resolve("synthetic-" + vocabSize + ".json");
        SyntheticTokenizer.write(json, vocabSize, 7);
        return json;
    }

    /** Random strings over the tokenizer's own tokens and a few characters outside them. */
    private static List<String> randomTexts(Tokenizer t, int count) {
        Random random = new Random(11);
        List<String> texts = new java.util.ArrayList<>(TEXTS);
        for (int i = 0; i < count; i++) {
            StringBuilder s = new StringBuilder();
            int n = 1 + random.nextInt(12);
            for (int k = 0; k < n; k++) {
                switch (random.nextInt(4)) {
                    case 0 -> s.append(t.decode(new int[] {random.nextInt(t.vocabSize())}));
                    case 1 -> s.append(' ');
                    case 2 -> s.append(List.of("é", "😀", "\n").get(random.nextInt(3)));
                    default -> s.append((char) ('a' + random.nextInt(26)));
                }
            }
            texts.add(s.toString());
        }
        return texts;
    }
}
