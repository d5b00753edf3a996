package io.lorafn.storage.hf.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lorafn.storage.StorageException;
import io.lorafn.storage.synth.SyntheticTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SyntheticTokenizerTest {
    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(ints = {2048, 32000})
    void theSameSeedWritesTheSameBytesAndAnotherSeedDoesNot(int vocabSize) throws IOException {
        Path a = tmp.resolve("a.json");
        Path b = tmp.resolve("b.json");
        Path c = tmp.resolve("c.json");
        SyntheticTokenizer.write(a, vocabSize, 11);
        SyntheticTokenizer.write(b, vocabSize, 11);
        SyntheticTokenizer.write(c, vocabSize, 12);
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
        assertFalse(java.util.Arrays.equals(Files.readAllBytes(a), Files.readAllBytes(c)));
    }

    @Test
    void aLargeVocabularyIsOrdinaryTextWithAtMostLlama3sBlockOfSpecialTokens() throws IOException {
        Path file = tmp.resolve("tokenizer.json");
        SyntheticTokenizer.SpecialIds ids = SyntheticTokenizer.write(file, 32000, 5);
        JsonNode root = new ObjectMapper().readTree(file.toFile());
        int reserved = 0;
        int lowestSpecial = Integer.MAX_VALUE;
        for (JsonNode t : root.path("added_tokens")) {
            if (t.path("content").asText().startsWith("<|reserved_special_token_")) reserved++;
            lowestSpecial = Math.min(lowestSpecial, t.path("id").intValue());
        }
        assertTrue(reserved <= 256, reserved + " reserved special tokens");
        assertTrue(root.path("added_tokens").size() <= 256, "Llama 3 has 256 special ids in all");
        // The specials are one block at the end, named ones last: everything below is byte-level BPE text.
        assertEquals(32000 - root.path("added_tokens").size(), lowestSpecial);
        assertEquals(31995, ids.bos());

        Map<String, Integer> vocab = new HashMap<>();
        for (Map.Entry<String, JsonNode> e : root.path("model").path("vocab").properties()) {
            vocab.put(e.getKey(), e.getValue().intValue());
        }
        // Every merge joins two earlier tokens into one that is in the vocabulary, and every token past the 256
        // bytes is the result of some merge: HF's BPE loader refuses a file where either fails.
        BitSet produced = new BitSet();
        produced.set(0, 256);
        for (JsonNode m : root.path("model").path("merges")) {
            String[] parts = m.asText().split(" ");
            assertEquals(2, parts.length, m.asText());
            Integer left = vocab.get(parts[0]);
            Integer right = vocab.get(parts[1]);
            Integer merged = vocab.get(parts[0] + parts[1]);
            assertNotNull(left, m.asText());
            assertNotNull(right, m.asText());
            assertNotNull(merged, m.asText());
            assertTrue(left < merged && right < merged, m.asText());
            produced.set(merged);
        }
        assertEquals(vocab.size(), produced.cardinality());

        // A token that Llama 3's split regex would cut in two could never come out of encoding and wastes its id.
        Pattern split = SplitPatterns.compile(SplitPatterns.LLAMA3);
        for (String token : vocab.keySet()) {
            String text = new String(ByteLevelEncoding.decodeToken(token), java.nio.charset.StandardCharsets.UTF_8);
            Matcher matcher = split.matcher(text);
            assertTrue(token.length() == 1 || (matcher.lookingAt() && matcher.end() == text.length()), token);
            // Corpus-trained tokens (the first thousand or so ids) may be long words; the synthetic ones are capped.
            assertTrue(token.length() <= 12 || vocab.get(token) < 2048, token + " is long for a synthetic token");
        }
    }

    @Test
    void englishRoundTripsExactlyThroughALargeVocabularyAndUsesItsExtraTokens() {
        Path large = tmp.resolve("large.json");
        Path small = tmp.resolve("small.json");
        SyntheticTokenizer.write(large, 32000, 3);
        SyntheticTokenizer.write(small, 2048, 3);
        Tokenizer t = Tokenizer.load(large);
        String text = "Yesterday the committee postponed its decision on the new library building, citing "
                + "unexpected costs. Members said they would reconsider in September.\n\n  Thanks, everyone!";
        int[] encoded = t.encode(text, false);
        assertEquals(text, t.decode(encoded));
        for (int id : encoded) assertFalse(t.isSpecial(id), "ordinary text encoded to special id " + id);
        // Same seed, same corpus merges; the synthetic ones rank after them, so they can only join more.
        assertTrue(encoded.length < Tokenizer.load(small).encode(text, false).length, "no synthetic merge applied");
        assertTrue(encoded.length <= text.length() / 2, encoded.length + " tokens");
    }

    @ParameterizedTest
    @ValueSource(ints = {300, 384, 2048, 32000})
    void everyIdFromZeroToVocabSizeMinusOneIsUsedExactlyOnce(int vocabSize) throws IOException {
        Path file = tmp.resolve("tokenizer.json");
        SyntheticTokenizer.SpecialIds ids = SyntheticTokenizer.write(file, vocabSize, 5);
        JsonNode root = new ObjectMapper().readTree(file.toFile());
        BitSet seen = new BitSet();
        int entries = 0;
        for (Map.Entry<String, JsonNode> e : root.path("model").path("vocab").properties()) {
            int id = e.getValue().intValue();
            assertFalse(seen.get(id), "duplicate id " + id);
            seen.set(id);
            entries++;
        }
        for (JsonNode t : root.path("added_tokens")) {
            int id = t.path("id").intValue();
            assertFalse(seen.get(id), "duplicate id " + id);
            seen.set(id);
            entries++;
        }
        assertEquals(vocabSize, entries);
        assertEquals(vocabSize, seen.nextClearBit(0));

        Tokenizer t = Tokenizer.load(file);
        assertEquals(vocabSize, t.vocabSize());
        for (int id = 0; id < vocabSize; id++) assertNotNull(t.tokenText(id));
        assertEquals(ids, SyntheticTokenizer.specialIds(vocabSize));
        assertEquals(ids.bos(), t.idOf("<|begin_of_text|>").orElseThrow());
        assertEquals(ids.eos(), t.idOf("<|end_of_text|>").orElseThrow());
        assertEquals(ids.eot(), t.idOf("<|eot_id|>").orElseThrow());
        assertEquals(ids.bos(), t.bosId().orElseThrow());
        assertArrayEquals(new int[] {ids.eos(), ids.eot()}, t.eosIds());
    }

    @Test
    void theFileIsALlama3StyleByteLevelTokenizerWithBosTemplate() {
        Path file = tmp.resolve("tokenizer.json");
        SyntheticTokenizer.SpecialIds ids = SyntheticTokenizer.write(file, 4096, 9);
        Tokenizer t = Tokenizer.load(file);
        for (int b = 0; b < 256; b++) {
            assertEquals(b, t.idOf(String.valueOf(ByteLevelEncoding.charOf(ByteLevelEncoding.byteInVocabOrder(b))))
                    .orElseThrow());
        }
        String text = "The library opens at 9 a.m. on weekdays. Ça va? 😀";
        int[] encoded = t.encode(text, true);
        assertEquals(ids.bos(), encoded[0]);
        assertEquals(text, t.decode(java.util.Arrays.copyOfRange(encoded, 1, encoded.length)));
        String english = "Please return the books to the library on time.";
        assertTrue(t.encode(english, false).length <= english.length() / 3, "trained merges should compress English");
    }

    @Test
    void aVocabularyBelowTheMinimumIsRefused() {
        StorageException e = assertThrows(StorageException.class,
                () -> SyntheticTokenizer.write(tmp.resolve("t.json"), 299, 1));
        assertEquals("SYNTH_BAD_VOCAB_SIZE", e.code());
    }
}
