package io.lorafn.storage.hf.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import io.lorafn.storage.StorageException;
import java.nio.file.Path;

/** Field access and error messages shared by the tokenizer.json readers: every error names the file and field. */
final class JsonFields {
    private final Path file;

    JsonFields(Path file) {
        this.file = file;
    }

    String typeOf(JsonNode node, String field) {
        if (!node.isObject() || !node.hasNonNull("type")) throw invalid(field + ".type", "is missing");
        return node.get("type").asText();
    }

    JsonNode arrayField(JsonNode node, String name, String field) {
        JsonNode v = node.get(name);
        if (v == null || !v.isArray()) throw invalid(field + "." + name, "is missing or not an array");
        return v;
    }

    String textField(JsonNode node, String name, String field) {
        JsonNode v = node.get(name);
        if (v == null || !v.isTextual()) throw invalid(field + "." + name, "is missing or not a string");
        return v.asText();
    }

    StorageException invalid(String field, String message) {
        return new StorageException("TOKENIZER_INVALID", file + ": " + field + " " + message);
    }

    StorageException unsupported(String field, String message) {
        return new StorageException("TOKENIZER_UNSUPPORTED", file + ": " + field + " " + message);
    }

    static String quote(String s) {
        return "\"" + s + "\"";
    }
}
