package io.lorafn.invoker.http;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/** The body of {@code POST /v1/functions/{fn}/invocations}, checked; every problem is a 400 naming the field. */
record InvokeRequest(String prompt, int maxTokens, double temperature, double topP, int topK, Long seed, List<String> stop,
                     boolean stream) {
    static InvokeRequest parse(String body) {
        JsonObject o;
        try {
            o = new JsonObject(body == null || body.isBlank() ? "{}" : body);
        } catch (RuntimeException e) {
            throw bad("the body is not a JSON object: " + e.getMessage());
        }
        if (o.containsKey("messages")) {
            throw bad("send either 'prompt' or 'messages'");
        }
        Object prompt = o.getValue("prompt");
        if (!(prompt instanceof String p) || p.isEmpty()) {
            throw bad("'prompt' must be a non-empty string");
        }
        int maxTokens = intField(o, "max_tokens", 64, 1, 4096);
        double temperature = number(o, "temperature", 1.0, 0, 100);
        double topP = number(o, "top_p", 1.0, Double.MIN_VALUE, 1);
        int topK = intField(o, "top_k", 0, 0, 1_000_000);
        Long seed = o.getValue("seed") == null ? null : (long) intField(o, "seed", 0, Integer.MIN_VALUE, Integer.MAX_VALUE);
        List<String> stop = new ArrayList<>();
        Object s = o.getValue("stop");
        if (s instanceof String one) {
            stop.add(one);
        } else if (s instanceof JsonArray many) {
            for (Object x : many) {
                if (!(x instanceof String str) || str.isEmpty()) {
                    throw bad("'stop' must be a string or a list of non-empty strings");
                }
                stop.add(str);
            }
        } else if (s != null) {
            throw bad("'stop' must be a string or a list of strings");
        }
        Object stream = o.getValue("stream");
        if (stream != null && !(stream instanceof Boolean)) {
            throw bad("'stream' must be true or false");
        }
        return new InvokeRequest(p, maxTokens, temperature, topP, topK, seed, stop, Boolean.TRUE.equals(stream));
    }

    /** Whether a body carries chat {@code messages} (it is then rendered with the chat template). */
    static boolean hasMessages(String body) {
        try {
            return new JsonObject(body == null || body.isBlank() ? "{}" : body).containsKey("messages");
        } catch (RuntimeException e) {
            return false; // parse() reports the bad JSON
        }
    }

    /**
     * A chat body ({@code messages: [{role, content}]}) rendered through the model's chat template into a
     * prompt, then checked like any other body.
     */
    static InvokeRequest parseChat(String body, io.lorafn.invoker.chat.ChatTemplate template) {
        if (template == null) {
            throw bad("the served model has no chat template (chat_template in tokenizer_config.json); send 'prompt' instead");
        }
        JsonObject o;
        try {
            o = new JsonObject(body == null || body.isBlank() ? "{}" : body);
        } catch (RuntimeException e) {
            throw bad("the body is not a JSON object: " + e.getMessage());
        }
        if (!(o.getValue("messages") instanceof JsonArray messages) || messages.isEmpty()) {
            throw bad("'messages' must be a non-empty list of {role, content}");
        }
        List<io.lorafn.invoker.chat.ChatTemplate.Message> list = new ArrayList<>();
        for (Object m : messages) {
            if (!(m instanceof JsonObject msg) || !(msg.getValue("role") instanceof String role) || !(msg.getValue("content") instanceof String content)) {
                throw bad("each message needs a string 'role' and a string 'content'");
            }
            list.add(new io.lorafn.invoker.chat.ChatTemplate.Message(role, content));
        }
        String prompt;
        try {
            prompt = template.render(list);
        } catch (RuntimeException e) {
            throw bad("the chat template failed on these messages: " + e.getMessage());
        }
        if (o.containsKey("prompt")) {
            throw bad("send either 'prompt' or 'messages'");
        }
        o.remove("messages");
        o.put("prompt", prompt);
        return parse(o.encode());
    }

    private static int intField(JsonObject o, String name, int fallback, int min, int max) {
        Object v = o.getValue(name);
        if (v == null) {
            return fallback;
        }
        if (!(v instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue()) || n.doubleValue() < min || n.doubleValue() > max) {
            throw bad("'" + name + "' must be an integer in [" + min + ", " + max + "], got " + v);
        }
        return n.intValue();
    }

    private static double number(JsonObject o, String name, double fallback, double min, double max) {
        Object v = o.getValue(name);
        if (v == null) {
            return fallback;
        }
        if (!(v instanceof Number n) || !(n.doubleValue() >= min && n.doubleValue() <= max)) {
            throw bad("'" + name + "' must be a number in [" + min + ", " + max + "], got " + v);
        }
        return n.doubleValue();
    }

    private static ApiError bad(String message) {
        return new ApiError(400, "BAD_REQUEST", message);
    }
}
