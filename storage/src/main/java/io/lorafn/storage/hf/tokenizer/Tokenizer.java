package io.lorafn.storage.hf.tokenizer;

import io.lorafn.storage.StorageException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.stream.IntStream;

/**
 * A Hugging Face {@code tokenizer.json} BPE tokenizer: byte-level models (GPT-2, Llama 3) and SentencePiece-style
 * models with byte fallback (Llama 2, Mistral). Encoding follows HF's pipeline: added tokens are cut out of the
 * input literally, each remaining piece is normalized, pre-tokenized into words and BPE-merged word by word, and
 * the post-processor's template adds special tokens on request.
 *
 * <p>Ids and decoded text match HF tokenizers (checked against its Python package on generated files of both
 * styles, random inputs and random id sequences), with three deliberate differences: a file with no
 * post_processor gets BOS prepended when special tokens are requested (transformers' Llama behaviour; the Rust
 * library would add nothing); added tokens are all matched against the raw input, including those marked
 * {@code normalized}; and {@link StreamDecoder} may count U+FFFD differently for invalid byte sequences.
 *
 * <p>Instances are immutable and safe to share between threads; a {@link StreamDecoder} belongs to one stream.
 */
public final class Tokenizer {
    private static final List<String> BOS_NAMES = List.of("<s>", "<|begin_of_text|>");
    private static final List<String> EOS_NAMES = List.of("</s>", "<|end_of_text|>", "<|eot_id|>");

    private final Path source;
    private final String[] idToToken;
    private final boolean[] special;
    private final Map<String, Integer> vocab;
    private final Map<String, Integer> added;
    private final AddedTokenSplitter splitter;
    private final Normalizer normalizer;
    private final PreTokenizer preTokenizer;
    private final BpeModel model;
    private final PostProcessor postProcessor;
    private final TokenDecoder decoder;

    Tokenizer(Path source, String[] idToToken, boolean[] special, Map<String, Integer> vocab,
              List<AddedToken> addedTokens, AddedTokenSplitter splitter, Normalizer normalizer,
              PreTokenizer preTokenizer, BpeModel model, PostProcessor postProcessor, TokenDecoder decoder) {
        this.source = source;
        this.idToToken = idToToken;
        this.special = special;
        this.vocab = vocab;
        this.added = new HashMap<>();
        for (AddedToken t : addedTokens) added.put(t.content(), t.id());
        this.splitter = splitter;
        this.normalizer = normalizer;
        this.preTokenizer = preTokenizer;
        this.model = model;
        // A file without a post_processor gets the legacy Llama behaviour (transformers' add_bos_token defaults to
        // true there); HF's Rust library alone would add nothing.
        this.postProcessor = postProcessor != null ? postProcessor : legacyBos();
        this.decoder = decoder;
    }

    /**
     * Reads and validates a tokenizer.json.
     *
     * @throws StorageException TOKENIZER_MISSING, TOKENIZER_UNREADABLE, TOKENIZER_INVALID (bad JSON, bad fields,
     *                          merges naming tokens not in the vocabulary) or TOKENIZER_UNSUPPORTED (a model type
     *                          or component this implementation does not reproduce exactly)
     */
    public static Tokenizer load(Path tokenizerJson) {
        return TokenizerJsonReader.read(tokenizerJson);
    }

    /** The file this tokenizer was read from. */
    public Path source() {
        return source;
    }

    /**
     * Token ids for {@code text}. With {@code addSpecial}, the post-processor's single-sequence template is applied
     * (for Llama models: BOS first).
     */
    public int[] encode(String text, boolean addSpecial) {
        BpeModel.IntList out = new BpeModel.IntList(text.length() / 3 + 4);
        for (AddedTokenSplitter.Segment segment : splitter.split(text)) {
            if (segment.isToken()) {
                out.add(segment.tokenId());
                continue;
            }
            String normalized = normalizer.normalize(segment.text());
            if (normalized.isEmpty()) continue;
            List<PreTokenizer.Piece> words =
                    preTokenizer.apply(List.of(new PreTokenizer.Piece(normalized, segment.start() == 0)));
            for (PreTokenizer.Piece word : words) model.tokenize(word.text(), out);
        }
        int[] ids = out.toArray();
        return addSpecial ? postProcessor.apply(ids) : ids;
    }

    /**
     * The text for {@code ids}. Special tokens appear as their content. An id no token has (a model's padded
     * embedding rows beyond the tokenizer's vocabulary) contributes nothing, as in HF.
     *
     * @throws StorageException TOKENIZER_UNKNOWN_ID for a negative id
     */
    public String decode(int[] ids) {
        TokenDecoder.Assembler assembler = decoder.newAssembler(false);
        for (int id : ids) accept(assembler, id);
        assembler.finish();
        return assembler.take();
    }

    private void accept(TokenDecoder.Assembler assembler, int id) {
        if (id < 0) tokenText(id); // throws
        if (id < idToToken.length && idToToken[id] != null) assembler.accept(idToToken[id]);
    }

    /** A decoder for text generated one token at a time. */
    public StreamDecoder newStreamDecoder() {
        return new StreamDecoder(decoder.newAssembler(true));
    }

    /** Size of the id space: one more than the highest id of any vocabulary entry or added token. */
    public int vocabSize() {
        return idToToken.length;
    }

    /**
     * The token string as stored in the file (for byte-level models in stand-in characters, e.g. {@code Ġthe}).
     *
     * @throws StorageException TOKENIZER_UNKNOWN_ID if no token has this id
     */
    public String tokenText(int id) {
        if (id < 0 || id >= idToToken.length || idToToken[id] == null) {
            throw new StorageException("TOKENIZER_UNKNOWN_ID", source + ": no token has id " + id
                    + " (vocabulary size " + idToToken.length + ")");
        }
        return idToToken[id];
    }

    /** The id of a vocabulary entry or added token, looked up by its exact stored text. */
    public OptionalInt idOf(String token) {
        Integer id = added.get(token);
        if (id == null) id = vocab.get(token);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /** Whether {@code id} is an added token marked special (BOS, EOS, chat markers). */
    public boolean isSpecial(int id) {
        return id >= 0 && id < special.length && special[id];
    }

    /** The beginning-of-sequence token by its conventional name: {@code <s>} or {@code <|begin_of_text|>}. */
    public OptionalInt bosId() {
        for (String name : BOS_NAMES) {
            OptionalInt id = idOf(name);
            if (id.isPresent()) return id;
        }
        return OptionalInt.empty();
    }

    /**
     * End-of-sequence candidates by conventional name, in this order where present: {@code </s>},
     * {@code <|end_of_text|>}, {@code <|eot_id|>}. A model's config.json is the authority; this is the fallback.
     */
    public int[] eosIds() {
        return EOS_NAMES.stream().map(this::idOf).filter(OptionalInt::isPresent).mapToInt(OptionalInt::getAsInt)
                .toArray();
    }

    private PostProcessor legacyBos() {
        OptionalInt bos = bosId();
        return bos.isPresent() ? new PostProcessor(new int[] {bos.getAsInt()}, new int[0]) : PostProcessor.NONE;
    }

    /**
     * Turns generated ids into text as they arrive. {@link #push} returns only whole characters: bytes of a
     * character split across tokens are held until the rest arrives. Concatenating every {@code push} and a final
     * {@link #flush} gives {@link Tokenizer#decode} of all the ids whenever their bytes are valid UTF-8 (with
     * invalid bytes both produce U+FFFD, possibly a different number of them). Not thread-safe.
     */
    public final class StreamDecoder {
        private final TokenDecoder.Assembler assembler;

        private StreamDecoder(TokenDecoder.Assembler assembler) {
            this.assembler = assembler;
        }

        /** Adds one id; returns the text that became complete (often empty, never null). Ids as in decode. */
        public String push(int id) {
            accept(assembler, id);
            return assembler.take();
        }

        /** Ends the stream: held-back bytes that never completed a character come out as U+FFFD. */
        public String flush() {
            assembler.finish();
            return assembler.take();
        }
    }

    @Override
    public String toString() {
        return "Tokenizer[" + source + ", " + idToToken.length + " ids, "
                + IntStream.range(0, special.length).filter(i -> special[i]).count() + " special]";
    }
}
