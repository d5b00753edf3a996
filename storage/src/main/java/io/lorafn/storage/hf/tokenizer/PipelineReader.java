package io.lorafn.storage.hf.tokenizer;

import static io.lorafn.storage.hf.tokenizer.JsonFields.quote;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Reads the text-processing stages of a tokenizer.json: normalizer, pre_tokenizer, decoder and post_processor.
 * Types this implementation cannot reproduce exactly are refused with TOKENIZER_UNSUPPORTED, naming their path.
 */
final class PipelineReader {
    private final JsonFields fields;

    PipelineReader(JsonFields fields) {
        this.fields = fields;
    }

    Normalizer readNormalizer(JsonNode node, String field) {
        if (node == null || node.isNull()) return Normalizer.IDENTITY;
        String type = fields.typeOf(node, field);
        return switch (type) {
            case "Sequence" -> {
                JsonNode list = fields.arrayField(node, "normalizers", field);
                List<Normalizer> steps = new ArrayList<>();
                for (int i = 0; i < list.size(); i++) {
                    steps.add(readNormalizer(list.get(i), field + ".normalizers[" + i + "]"));
                }
                yield new Normalizer.Sequence(List.copyOf(steps));
            }
            case "Prepend" -> new Normalizer.Prepend(fields.textField(node, "prepend", field));
            case "Replace" -> new Normalizer.Replace(readPattern(node.get("pattern"), field + ".pattern"),
                    fields.textField(node, "content", field));
            case "NFC" -> new Normalizer.Unicode(java.text.Normalizer.Form.NFC);
            case "NFD" -> new Normalizer.Unicode(java.text.Normalizer.Form.NFD);
            case "NFKC" -> new Normalizer.Unicode(java.text.Normalizer.Form.NFKC);
            case "NFKD" -> new Normalizer.Unicode(java.text.Normalizer.Form.NFKD);
            case "Lowercase" -> new Normalizer.Lowercase();
            case "Strip" -> new Normalizer.Strip(node.path("strip_left").asBoolean(true),
                    node.path("strip_right").asBoolean(true));
            default -> throw fields.unsupported(field + ".type", "'" + type + "' is not a supported normalizer");
        };
    }

    PreTokenizer readPreTokenizer(JsonNode node, String field) {
        if (node == null || node.isNull()) return PreTokenizer.NONE;
        String type = fields.typeOf(node, field);
        return switch (type) {
            case "Sequence" -> {
                JsonNode list = fields.arrayField(node, "pretokenizers", field);
                List<PreTokenizer> steps = new ArrayList<>();
                for (int i = 0; i < list.size(); i++) {
                    steps.add(readPreTokenizer(list.get(i), field + ".pretokenizers[" + i + "]"));
                }
                yield new PreTokenizer.Sequence(List.copyOf(steps));
            }
            case "Split" -> new PreTokenizer.Split(readPattern(node.get("pattern"), field + ".pattern"),
                    readBehavior(node.path("behavior").asText(""), field + ".behavior"),
                    node.path("invert").asBoolean(false));
            case "ByteLevel" -> new PreTokenizer.ByteLevel(node.path("add_prefix_space").asBoolean(true),
                    node.path("use_regex").asBoolean(true));
            case "Metaspace" -> new PreTokenizer.Metaspace(replacementChar(node, field), prependScheme(node, field),
                    node.path("split").asBoolean(true));
            default -> throw fields.unsupported(field + ".type", "'" + type + "' is not a supported pre-tokenizer");
        };
    }

    private PreTokenizer.Behavior readBehavior(String behavior, String field) {
        return switch (behavior) {
            case "Removed" -> PreTokenizer.Behavior.REMOVED;
            case "Isolated" -> PreTokenizer.Behavior.ISOLATED;
            case "MergedWithPrevious" -> PreTokenizer.Behavior.MERGED_WITH_PREVIOUS;
            case "MergedWithNext" -> PreTokenizer.Behavior.MERGED_WITH_NEXT;
            case "Contiguous" -> PreTokenizer.Behavior.CONTIGUOUS;
            default -> throw fields.invalid(field, "'" + behavior + "' is not a split behavior");
        };
    }

    private char replacementChar(JsonNode node, String field) {
        String r = node.path("replacement").asText("\u2581");
        if (r.length() != 1) throw fields.invalid(field + ".replacement", "must be one character, got " + quote(r));
        return r.charAt(0);
    }

    /** Newer files say prepend_scheme; older ones add_prefix_space, which meant "always". */
    private PreTokenizer.PrependScheme prependScheme(JsonNode node, String field) {
        if (node.hasNonNull("prepend_scheme")) {
            return switch (node.get("prepend_scheme").asText()) {
                case "always" -> PreTokenizer.PrependScheme.ALWAYS;
                case "first" -> PreTokenizer.PrependScheme.FIRST;
                case "never" -> PreTokenizer.PrependScheme.NEVER;
                default -> throw fields.invalid(field + ".prepend_scheme", "'" + node.get("prepend_scheme").asText()
                        + "' is not one of always, first, never");
            };
        }
        return node.path("add_prefix_space").asBoolean(true)
                ? PreTokenizer.PrependScheme.ALWAYS : PreTokenizer.PrependScheme.NEVER;
    }

    TokenDecoder readDecoder(JsonNode node) {
        if (node == null || node.isNull()) return new TokenDecoder(List.of(), true, ' ', 0);
        List<JsonNode> flat = new ArrayList<>();
        List<String> paths = new ArrayList<>();
        flattenDecoders(node, "decoder", flat, paths);
        List<TokenDecoder.Step> steps = new ArrayList<>();
        boolean fused = false;
        char stripChar = ' ';
        int stripStart = 0;
        for (int i = 0; i < flat.size(); i++) {
            JsonNode d = flat.get(i);
            String field = paths.get(i);
            String type = fields.typeOf(d, field);
            if (fused && !type.equals("Strip") && !type.equals("Fuse")) {
                throw fields.unsupported(field, "decoder '" + type + "' after the tokens are fused is not supported");
            }
            switch (type) {
                case "Replace" -> {
                    JsonNode pattern = d.get("pattern");
                    if (pattern == null || !pattern.hasNonNull("String")) {
                        throw fields.unsupported(field + ".pattern",
                                "only literal {\"String\": ...} patterns are supported");
                    }
                    String content = fields.textField(d, "content", field);
                    steps.add(new TokenDecoder.Replace(pattern.get("String").asText(), content));
                }
                case "ByteFallback" -> steps.add(new TokenDecoder.ByteFallback());
                case "ByteLevel" -> {
                    steps.add(new TokenDecoder.ByteLevel());
                    fused = true; // HF's ByteLevel decoder returns the whole text as one string
                }
                case "Metaspace" -> steps.add(new TokenDecoder.Metaspace(replacementChar(d, field),
                        prependScheme(d, field) != PreTokenizer.PrependScheme.NEVER));
                case "Fuse" -> fused = true;
                case "Strip" -> {
                    String content = fields.textField(d, "content", field);
                    if (content.length() != 1) {
                        throw fields.invalid(field + ".content", "must be one character, got " + quote(content));
                    }
                    int start = d.path("start").asInt(0);
                    int stop = d.path("stop").asInt(0);
                    if (fused) {
                        if (stop != 0) {
                            throw fields.unsupported(field + ".stop", "stripping the end of the text is not supported");
                        }
                        stripChar = content.charAt(0);
                        stripStart = start;
                    } else {
                        steps.add(new TokenDecoder.StripEach(content.charAt(0), start, stop));
                    }
                }
                default -> throw fields.unsupported(field + ".type", "'" + type + "' is not a supported decoder");
            }
        }
        return new TokenDecoder(steps, false, stripChar, stripStart);
    }

    private void flattenDecoders(JsonNode node, String field, List<JsonNode> out, List<String> paths) {
        if ("Sequence".equals(fields.typeOf(node, field))) {
            JsonNode list = fields.arrayField(node, "decoders", field);
            for (int i = 0; i < list.size(); i++) {
                flattenDecoders(list.get(i), field + ".decoders[" + i + "]", out, paths);
            }
        } else {
            out.add(node);
            paths.add(field);
        }
    }

    PostProcessor readPostProcessor(JsonNode node, String field, String[] idToToken) {
        String type = fields.typeOf(node, field);
        return switch (type) {
            case "ByteLevel" -> PostProcessor.NONE; // only adjusts offsets
            case "Sequence" -> {
                JsonNode list = fields.arrayField(node, "processors", field);
                PostProcessor result = PostProcessor.NONE;
                for (int i = 0; i < list.size(); i++) {
                    result = readPostProcessor(list.get(i), field + ".processors[" + i + "]", idToToken).around(result);
                }
                yield result;
            }
            case "TemplateProcessing" -> readTemplate(node, field, idToToken);
            case "BertProcessing", "RobertaProcessing" -> new PostProcessor(
                    new int[] {tokenPairId(node.get("cls"), field + ".cls", idToToken)},
                    new int[] {tokenPairId(node.get("sep"), field + ".sep", idToToken)});
            default -> throw fields.unsupported(field + ".type", "'" + type + "' is not a supported post-processor");
        };
    }

    /** The single-sequence template, e.g. [{SpecialToken: <s>}, {Sequence: A}], split around $A. */
    private PostProcessor readTemplate(JsonNode node, String field, String[] idToToken) {
        JsonNode single = fields.arrayField(node, "single", field);
        JsonNode specials = node.path("special_tokens");
        List<Integer> prefix = new ArrayList<>();
        List<Integer> suffix = new ArrayList<>();
        boolean seenA = false;
        for (int i = 0; i < single.size(); i++) {
            JsonNode item = single.get(i);
            String itemField = field + ".single[" + i + "]";
            if (item.has("Sequence")) {
                String seq = item.get("Sequence").path("id").asText("");
                if (!seq.equals("A") || seenA) {
                    throw fields.invalid(itemField, "a single template holds $A exactly once");
                }
                seenA = true;
            } else if (item.has("SpecialToken")) {
                String name = item.get("SpecialToken").path("id").asText("");
                JsonNode ids = specials.path(name).path("ids");
                if (!ids.isArray() || ids.isEmpty()) {
                    throw fields.invalid(itemField, "special token " + quote(name) + " has no ids in " + field
                            + ".special_tokens");
                }
                for (JsonNode id : ids) {
                    int v = id.asInt(-1);
                    if (v < 0 || v >= idToToken.length || idToToken[v] == null) {
                        throw fields.invalid(field + ".special_tokens[" + quote(name) + "]",
                                "id " + id + " is not a token id");
                    }
                    (seenA ? suffix : prefix).add(v);
                }
            } else {
                throw fields.invalid(itemField, "is neither a SpecialToken nor a Sequence");
            }
        }
        if (!seenA) throw fields.invalid(field + ".single", "has no $A sequence");
        return new PostProcessor(prefix.stream().mapToInt(Integer::intValue).toArray(),
                suffix.stream().mapToInt(Integer::intValue).toArray());
    }

    /** Bert/Roberta processors store tokens as ["[CLS]", 101]. */
    private int tokenPairId(JsonNode pair, String field, String[] idToToken) {
        if (pair == null || !pair.isArray() || pair.size() != 2 || !pair.get(1).canConvertToInt()) {
            throw fields.invalid(field, "must be [token, id]");
        }
        int id = pair.get(1).intValue();
        if (id < 0 || id >= idToToken.length || idToToken[id] == null) {
            throw fields.invalid(field, "id " + id + " is not a token id");
        }
        return id;
    }

    /** HF patterns are {"String": literal} or {"Regex": pattern}. */
    private Pattern readPattern(JsonNode node, String field) {
        if (node != null && node.hasNonNull("String")) {
            return Pattern.compile(Pattern.quote(node.get("String").asText()));
        }
        if (node != null && node.hasNonNull("Regex")) {
            String regex = node.get("Regex").asText();
            try {
                return SplitPatterns.compile(regex);
            } catch (PatternSyntaxException e) {
                throw fields.unsupported(field + ".Regex",
                        "Java cannot compile " + quote(regex) + ": " + e.getDescription());
            }
        }
        throw fields.invalid(field, "must be {\"String\": ...} or {\"Regex\": ...}");
    }
}
