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
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SyntheticTokenizerTest {
    @TempDir
    Path tmp;

    @Test
    void theSameSeedWritesTheSameBytesAndAnotherSeedDoesNot() throws IOException {
        Path a = tmp.resolve("a.json");
        Path b = tmp.resolve("b.json");
        Path c = tmp.resolve("c.json");
        SyntheticTokenizer.write(a, 2048, 11);
        SyntheticTokenizer.write(b, 2048, 11);
        SyntheticTokenizer.write(c, 2048, 12);
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
        assertFalse(java.util.Arrays.equals(Files.readAllBytes(a), Files.readAllBytes(c)));
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
