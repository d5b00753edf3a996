package io.lorafn.storage.hf.tokenizer;

import static io.lorafn.storage.hf.tokenizer.JsonFields.quote;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lorafn.storage.StorageException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a Hugging Face tokenizer.json into a {@link Tokenizer}. Every field is checked here, once, and anything
 * this implementation would get wrong is refused with TOKENIZER_UNSUPPORTED rather than silently approximated:
 * a tokenizer that quietly produces different ids than the model was trained on is worse than none.
 */
final class TokenizerJsonReader {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final JsonFields fields;
    private final PipelineReader pipeline;

    private TokenizerJsonReader(Path file) {
        this.file = file;
        this.fields = new JsonFields(file);
        this.pipeline = new PipelineReader(fields);
    }

    static Tokenizer read(Path file) {
        return new TokenizerJsonReader(file).parse(readTree(file), null);
    }

    /**
     * The tokenizer's bulk, read and checked once: the vocabulary, the merges as ids, the added tokens. The rest of the file
     * (the pipeline) is returned as JSON with {@code model.vocab}, {@code model.merges} and {@code added_tokens}
     * emptied.
     */
    static CompiledTokenizer.Parts compile(Path file) {
        TokenizerJsonReader reader = new TokenizerJsonReader(file);
        JsonNode root = readTree(file);
        reader.parse(root, null); // every rule, before anything is written
        JsonNode model = root.get("model");
        Map<String, Integer> vocab = reader.readVocab(model.get("vocab"));
        JsonNode merges = model.get("merges");
        int count = merges == null || merges.isNull() ? 0 : merges.size();
        int[] triples = new int[3 * count];
        for (int rank = 0; rank < count; rank++) {
            String[] pair = reader.mergePair(merges.get(rank), "model.merges[" + rank + "]");
            triples[3 * rank] = vocab.get(pair[0]);
            triples[3 * rank + 1] = vocab.get(pair[1]);
            triples[3 * rank + 2] = vocab.get(pair[0] + pair[1]);
        }
        List<AddedToken> added = reader.readAddedTokens(root.get("added_tokens"), vocab);
        ((com.fasterxml.jackson.databind.node.ObjectNode) model).putObject("vocab");
        ((com.fasterxml.jackson.databind.node.ObjectNode) model).putArray("merges");
        ((com.fasterxml.jackson.databind.node.ObjectNode) root).putArray("added_tokens");
        return new CompiledTokenizer.Parts(root.toString(), vocab, triples, added);
    }

    /** A tokenizer from parts {@link #compile} wrote: the pipeline is parsed again, the bulk is taken as it is. */
    static Tokenizer fromParts(Path file, CompiledTokenizer.Parts parts) {
        JsonNode root;
        try {
            root = JSON.readTree(parts.pipelineJson());
        } catch (JsonProcessingException e) {
            throw new StorageException("TOKENIZER_INVALID", file + ": the compiled pipeline is not valid JSON", e);
        }
        return new TokenizerJsonReader(file).parse(root, parts);
    }

    private static JsonNode readTree(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return JSON.readTree(in);
        } catch (NoSuchFileException e) {
            throw new StorageException("TOKENIZER_MISSING", file + ": no such file");
        } catch (JsonProcessingException e) {
            throw new StorageException("TOKENIZER_INVALID", file + ": not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new StorageException("TOKENIZER_UNREADABLE", file + ": " + e.getMessage(), e);
        }
    }

    /** @param compiled the vocabulary and merges already read and checked, or null to read them from {@code root} */
    private Tokenizer parse(JsonNode root, CompiledTokenizer.Parts compiled) {
        if (root == null || !root.isObject()) throw fields.invalid("(root)", "is not a JSON object");
        JsonNode model = root.get("model");
        if (model == null || !model.isObject()) throw fields.invalid("model", "is missing");
        String type = model.hasNonNull("type") ? model.get("type").asText() : (model.has("merges") ? "BPE" : null);
        if (type == null) throw fields.invalid("model.type", "is missing");
        if (!type.equals("BPE")) {
            throw fields.unsupported("model.type", "'" + type + "' is not supported; only BPE models are");
        }
        Map<String, Integer> vocab = compiled != null ? compiled.vocab() : readVocab(model.get("vocab"));
        List<AddedToken> added = compiled != null ? compiled.added() : readAddedTokens(root.get("added_tokens"), vocab);

        int maxId = -1;
        for (int id : vocab.values()) maxId = Math.max(maxId, id);
        for (AddedToken t : added) maxId = Math.max(maxId, t.id());
        // Ids index an array (and the model's embedding rows), so they must be dense: a stray huge id is an error,
        // not a reason to allocate gigabytes.
        if (maxId >= 2L * (vocab.size() + added.size()) + 1024) {
            throw fields.invalid("model.vocab", "ids are not dense: highest id " + maxId + " for "
                    + (vocab.size() + added.size()) + " tokens");
        }
        String[] idToToken = new String[maxId + 1];
        boolean[] special = new boolean[maxId + 1];
        for (Map.Entry<String, Integer> e : vocab.entrySet()) idToToken[e.getValue()] = e.getKey();
        for (AddedToken t : added) {
            idToToken[t.id()] = t.content();
            special[t.id()] = t.special();
        }

        BpeModel bpe = readBpe(model, vocab, compiled);
        Normalizer normalizer = pipeline.readNormalizer(root.get("normalizer"), "normalizer");
        PreTokenizer preTokenizer = pipeline.readPreTokenizer(root.get("pre_tokenizer"), "pre_tokenizer");
        TokenDecoder decoder = pipeline.readDecoder(root.get("decoder"));
        JsonNode post = root.get("post_processor");
        PostProcessor postProcessor = post == null || post.isNull()
                ? null : pipeline.readPostProcessor(post, "post_processor", idToToken);
        return new Tokenizer(file, idToToken, special, vocab, added, new AddedTokenSplitter(added), normalizer,
                preTokenizer, bpe, postProcessor, decoder);
    }

    private Map<String, Integer> readVocab(JsonNode node) {
        if (node == null || !node.isObject()) throw fields.invalid("model.vocab", "is missing or not an object");
        Map<String, Integer> vocab = new HashMap<>(node.size() * 2);
        Map<Integer, String> byId = new HashMap<>(node.size() * 2);
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            JsonNode v = e.getValue();
            if (!v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < 0) {
                throw fields.invalid("model.vocab[" + quote(e.getKey()) + "]",
                        "must be a non-negative integer id, got " + v);
            }
            String previous = byId.put(v.intValue(), e.getKey());
            if (previous != null) {
                throw fields.invalid("model.vocab", "gives id " + v.intValue() + " to both " + quote(previous) + " and "
                        + quote(e.getKey()));
            }
            vocab.put(e.getKey(), v.intValue());
        }
        return vocab;
    }

    private List<AddedToken> readAddedTokens(JsonNode node, Map<String, Integer> vocab) {
        List<AddedToken> out = new ArrayList<>();
        if (node == null || node.isNull()) return out;
        if (!node.isArray()) throw fields.invalid("added_tokens", "is not an array");
        Map<Integer, String> vocabById = new HashMap<>(vocab.size() * 2);
        vocab.forEach((token, id) -> vocabById.put(id, token));
        Map<Integer, String> seen = new HashMap<>();
        for (int i = 0; i < node.size(); i++) {
            String field = "added_tokens[" + i + "]";
            JsonNode t = node.get(i);
            JsonNode id = t.get("id");
            JsonNode content = t.get("content");
            if (id == null || !id.isIntegralNumber() || !id.canConvertToInt() || id.intValue() < 0) {
                throw fields.invalid(field + ".id", "must be a non-negative integer");
            }
            if (content == null || !content.isTextual()) throw fields.invalid(field + ".content", "must be a string");
            String text = content.asText();
            String clash = vocabById.get(id.intValue());
            if (clash != null && !clash.equals(text)) {
                throw fields.invalid(field, quote(text) + " has id " + id.intValue() + ", which model.vocab gives to "
                        + quote(clash));
            }
            Integer vocabId = vocab.get(text);
            if (vocabId != null && vocabId != id.intValue()) {
                throw fields.invalid(field, quote(text) + " has id " + id.intValue()
                        + " but model.vocab has it as " + vocabId);
            }
            String dup = seen.put(id.intValue(), text);
            if (dup != null && !dup.equals(text)) {
                throw fields.invalid(field, "id " + id.intValue() + " is used by both " + quote(dup) + " and "
                        + quote(text));
            }
            out.add(new AddedToken(id.intValue(), text, t.path("single_word").asBoolean(false),
                    t.path("lstrip").asBoolean(false), t.path("rstrip").asBoolean(false),
                    t.path("normalized").asBoolean(true), t.path("special").asBoolean(false)));
        }
        return out;
    }

    private BpeModel readBpe(JsonNode model, Map<String, Integer> vocab, CompiledTokenizer.Parts compiled) {
        JsonNode dropout = model.get("dropout");
        if (dropout != null && !dropout.isNull() && dropout.asDouble() != 0.0) {
            throw fields.unsupported("model.dropout",
                    dropout + " is not supported (BPE dropout is a training-time option)");
        }
        for (String affix : List.of("continuing_subword_prefix", "end_of_word_suffix")) {
            JsonNode v = model.get(affix);
            if (v != null && !v.isNull() && !v.asText().isEmpty()) {
                throw fields.unsupported("model." + affix, quote(v.asText()) + " is not supported");
            }
        }
        int unkId = -1;
        JsonNode unk = model.get("unk_token");
        if (unk != null && !unk.isNull()) {
            Integer id = vocab.get(unk.asText());
            if (id == null) throw fields.invalid("model.unk_token", quote(unk.asText()) + " is not in model.vocab");
            unkId = id;
        }
        MergeTable table;
        if (compiled != null) {
            int[] triples = compiled.merges();
            table = new MergeTable(triples.length / 3);
            for (int rank = 0; rank < triples.length / 3; rank++) {
                table.put(triples[3 * rank], triples[3 * rank + 1], rank, triples[3 * rank + 2]);
            }
        } else {
            JsonNode merges = model.get("merges");
            if (merges == null || merges.isNull()) merges = JSON.createArrayNode();
            if (!merges.isArray()) throw fields.invalid("model.merges", "is not an array");
            table = new MergeTable(merges.size());
            for (int rank = 0; rank < merges.size(); rank++) {
                String field = "model.merges[" + rank + "]";
                String[] pair = mergePair(merges.get(rank), field);
                table.put(idIn(vocab, pair[0], field), idIn(vocab, pair[1], field), rank, idIn(vocab, pair[0] + pair[1], field));
            }
        }
        return new BpeModel(vocab, table, unkId, model.path("fuse_unk").asBoolean(false),
                model.path("byte_fallback").asBoolean(false), model.path("ignore_merges").asBoolean(false));
    }

    /** The two tokens of one merge, in either of the file's formats. */
    private String[] mergePair(JsonNode m, String field) {
        if (m.isTextual()) {
            // "a b": the older format; tokens cannot contain a space there, so the first space separates.
            String s = m.asText();
            int space = s.indexOf(' ');
            if (space < 0) throw fields.invalid(field, quote(s) + " is not two tokens separated by a space");
            return new String[] {s.substring(0, space), s.substring(space + 1)};
        }
        if (m.isArray() && m.size() == 2 && m.get(0).isTextual() && m.get(1).isTextual()) {
            return new String[] {m.get(0).asText(), m.get(1).asText()};
        }
        throw fields.invalid(field, "must be \"a b\" or [\"a\", \"b\"], got " + m);
    }

    private int idIn(Map<String, Integer> vocab, String token, String field) {
        Integer id = vocab.get(token);
        if (id == null) throw fields.invalid(field, "refers to " + quote(token) + ", which is not in model.vocab");
        return id;
    }
}
