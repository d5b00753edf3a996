package io.lorafn.storage.hf.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafn.storage.StorageException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TokenizerErrorsTest {
    @TempDir
    Path tmp;

    private StorageException loadFails(String name, String json) {
        Path file = TokenizerFixtures.write(tmp, name, json);
        StorageException e = assertThrows(StorageException.class, () -> Tokenizer.load(file));
        assertTrue(e.getMessage().contains(file.toString()), () -> "message should name the file: " + e.getMessage());
        return e;
    }

    @ParameterizedTest
    @ValueSource(strings = {"WordPiece", "Unigram", "WordLevel"})
    void otherModelTypesAreUnsupportedAndNamed(String type) {
        String json = TokenizerFixtures.tinyByteLevel(false, false)
                .replace("\"type\": \"BPE\"", "\"type\": \"" + type + "\"");
        StorageException e = loadFails("other.json", json);
        assertEquals("TOKENIZER_UNSUPPORTED", e.code());
        assertTrue(e.getMessage().contains("model.type") && e.getMessage().contains(type), e.getMessage());
    }

    @Test
    void truncatedJsonIsInvalid() {
        String json = TokenizerFixtures.tinyByteLevel(false, false);
        StorageException e = loadFails("corrupt.json", json.substring(0, json.length() / 2));
        assertEquals("TOKENIZER_INVALID", e.code());
        assertTrue(e.getMessage().contains("not valid JSON"), e.getMessage());
    }

    @Test
    void aMissingFileIsReportedAsMissing() {
        Path file = tmp.resolve("nope").resolve("tokenizer.json");
        StorageException e = assertThrows(StorageException.class, () -> Tokenizer.load(file));
        assertEquals("TOKENIZER_MISSING", e.code());
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    }

    @Test
    void aMergeOfATokenNotInTheVocabularyIsInvalidAndNamesTheMerge() {
        String json = TokenizerFixtures.tinyByteLevel(false, false).replace("\"a a\"", "\"a z\"");
        StorageException e = loadFails("merge.json", json);
        assertEquals("TOKENIZER_INVALID", e.code());
        assertTrue(e.getMessage().contains("model.merges[5]") && e.getMessage().contains("\"z\""), e.getMessage());
    }

    @Test
    void aMergeWhoseResultIsNotInTheVocabularyIsInvalid() {
        String json = TokenizerFixtures.tinyByteLevel(false, false).replace("\"a a\"", "\"b a\"");
        StorageException e = loadFails("merge.json", json);
        assertEquals("TOKENIZER_INVALID", e.code());
        assertTrue(e.getMessage().contains("\"ba\""), e.getMessage());
    }

    @Test
    void anUnsupportedPreTokenizerIsNamedWithItsPath() {
        String json = TokenizerFixtures.tinyByteLevel(false, false).replace(
                "\"pre_tokenizer\": {\"type\": \"ByteLevel\"", "\"pre_tokenizer\": {\"type\": \"BertPreTokenizer\"");
        StorageException e = loadFails("pre.json", json);
        assertEquals("TOKENIZER_UNSUPPORTED", e.code());
        assertTrue(e.getMessage().contains("pre_tokenizer.type") && e.getMessage().contains("BertPreTokenizer"),
                e.getMessage());
    }

    @Test
    void idsWithoutATokenDecodeToNothingLikeHuggingFaceButNegativeIdsFail() {
        Tokenizer t = TokenizerFixtures.tiny(tmp, false, false);
        // 12 is past the vocabulary: a model with padded embedding rows could sample it.
        assertEquals("ac", t.decode(new int[] {0, 12, 2}));
        assertEquals("", t.newStreamDecoder().push(12));
        assertEquals("TOKENIZER_UNKNOWN_ID", assertThrows(StorageException.class, () -> t.tokenText(12)).code());
        assertEquals("TOKENIZER_UNKNOWN_ID",
                assertThrows(StorageException.class, () -> t.decode(new int[] {-1})).code());
        assertThrows(StorageException.class, () -> t.newStreamDecoder().push(-1));
    }
}
