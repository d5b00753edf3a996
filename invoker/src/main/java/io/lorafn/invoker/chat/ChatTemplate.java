package io.lorafn.invoker.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A model's chat template ({@code chat_template} in {@code tokenizer_config.json}, Jinja), rendered with
 * Jinjava the way transformers' {@code apply_chat_template} does: {@code messages}, {@code bos_token},
 * {@code eos_token}, {@code add_generation_prompt=true}. The worker's tokenizer adds the BOS token itself,
 * so a BOS the template puts first is removed from the rendered text.
 */
public final class ChatTemplate {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String template;
    private final String bosToken;
    private final String eosToken;
    private final Jinjava jinja = new Jinjava(JinjavaConfig.newBuilder().withFailOnUnknownTokens(false).build());

    public ChatTemplate(String template, String bosToken, String eosToken) {
        this.template = template;
        this.bosToken = bosToken == null ? "" : bosToken;
        this.eosToken = eosToken == null ? "" : eosToken;
    }

    /** The model's template, or empty when its tokenizer_config.json has none. */
    public static java.util.Optional<ChatTemplate> load(Path modelDir) {
        Path file = modelDir.resolve("tokenizer_config.json");
        if (!Files.exists(file)) {
            return java.util.Optional.empty();
        }
        try {
            JsonNode n = JSON.readTree(file.toFile());
            JsonNode t = n.get("chat_template");
            if (t == null || !t.isTextual()) {
                return java.util.Optional.empty();
            }
            return java.util.Optional.of(new ChatTemplate(t.asText(), token(n.get("bos_token")), token(n.get("eos_token"))));
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": not valid JSON: " + e.getMessage(), e);
        }
    }

    /** The prompt for {@code messages}, ready for the assistant's turn. */
    public String render(List<Message> messages) {
        Map<String, Object> context = new HashMap<>();
        context.put("messages", messages.stream().map(m -> Map.of("role", m.role(), "content", m.content())).toList());
        context.put("bos_token", bosToken);
        context.put("eos_token", eosToken);
        context.put("add_generation_prompt", true);
        String out = jinja.render(template, context);
        return !bosToken.isEmpty() && out.startsWith(bosToken) ? out.substring(bosToken.length()) : out;
    }

    private static String token(JsonNode n) {
        if (n == null || n.isNull()) {
            return null;
        }
        return n.isTextual() ? n.asText() : n.path("content").asText(null); // AddedToken objects carry "content"
    }

    /** One chat message. */
    public record Message(String role, String content) {
    }
}
