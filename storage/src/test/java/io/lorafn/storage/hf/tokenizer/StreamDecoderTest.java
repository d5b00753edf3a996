package io.lorafn.storage.hf.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lorafn.storage.synth.SyntheticTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StreamDecoderTest {
    @TempDir
    static Path dir;
    static Tokenizer byteLevel;
    static Tokenizer sentencePiece;

    @BeforeAll
    static void load() {
        Path file = dir.resolve("tokenizer.json");
        SyntheticTokenizer.write(file, 1024, 3);
        byteLevel = Tokenizer.load(file);
        sentencePiece = Tokenizer.load(TokenizerFixtures.write(dir, "sp.json", TokenizerFixtures.sentencePiece()));
    }

    private static List<String> pushAll(Tokenizer t, int[] ids) {
        Tokenizer.StreamDecoder stream = t.newStreamDecoder();
        List<String> out = new ArrayList<>();
        for (int id : ids) out.add(stream.push(id));
        out.add(stream.flush());
        return out;
    }

    @Test
    void aFourByteEmojiSplitOverFourByteTokensAppearsOnlyWithItsLastByte() {
        int[] ids = byteLevel.encode("😀", false); // F0 9F 98 80: no merges for it in the synthetic vocabulary
        assertEquals(4, ids.length);
        assertEquals(List.of("", "", "", "😀", ""), pushAll(byteLevel, ids));
    }

    @Test
    void aByteFallbackCharacterAppearsWhenItsSecondByteArrives() {
        int[] ids = sentencePiece.encode("héllo", false); // ▁h <0xC3> <0xA9> llo
        assertEquals(List.of("h", "", "é", "llo", ""), pushAll(sentencePiece, ids));
    }

    @Test
    void streamedTextConcatenatesToTheOneShotDecode() {
        for (String s : new String[] {"Tokens, bytes and 東京 — 😀🚀!", "  two spaces\nnew line", "naïve café"}) {
            for (Tokenizer t : List.of(byteLevel, sentencePiece)) {
                int[] ids = t.encode(s, true);
                assertEquals(t.decode(ids), String.join("", pushAll(t, ids)), s);
            }
        }
    }

    @Test
    void flushTurnsAnIncompleteCharacterIntoOneReplacementChar() {
        int[] emoji = byteLevel.encode("😀", false);
        Tokenizer.StreamDecoder stream = byteLevel.newStreamDecoder();
        assertEquals("", stream.push(emoji[0]));
        assertEquals("", stream.push(emoji[1]));
        assertEquals("\uFFFD", stream.flush());
    }
}
