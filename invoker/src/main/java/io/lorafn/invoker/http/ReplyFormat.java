package io.lorafn.invoker.http;

import io.lorafn.pool.contract.Invocation;
import io.lorafn.pool.contract.ResultChunk;
import io.vertx.core.json.JsonObject;

/** How a finished or streaming call is written back: lorafn's own shape, or OpenAI's. */
interface ReplyFormat {
    /** One Server-Sent Event for a piece of streamed text. */
    String streamChunk(Invocation call, String text);

    /** The events that end a stream. */
    String streamEnd(Invocation call, String output, ResultChunk last);

    /** The whole answer of a call that did not stream. */
    JsonObject answer(Invocation call, String output, ResultChunk last);

    /** DESIGN.md's answer: {@code {id, function, adapter_version, output, finish_reason, usage, timings, cold_start}}. */
    ReplyFormat NATIVE = new ReplyFormat() {
        @Override
        public String streamChunk(Invocation call, String text) {
            return "data: " + new JsonObject().put("id", call.id()).put("text", text).encode() + "\n\n";
        }

        @Override
        public String streamEnd(Invocation call, String output, ResultChunk last) {
            return "event: done\ndata: " + answer(call, output, last).encode() + "\n\n";
        }

        @Override
        public JsonObject answer(Invocation call, String output, ResultChunk last) {
            JsonObject timings = new JsonObject();
            if (last.timings() != null) {
                timings.put("queue_ms", last.timings().queueMs()).put("restore_ms", last.timings().restoreMs())
                        .put("adapter_load_ms", last.timings().adapterLoadMs()).put("ttft_ms", last.timings().ttftMs())
                        .put("total_ms", last.timings().totalMs());
            }
            return new JsonObject().put("id", call.id()).put("function", call.function()).put("adapter_version", call.adapterVersion())
                    .put("output", output).put("finish_reason", last.finishReason())
                    .put("usage", new JsonObject().put("prompt_tokens", last.usage().promptTokens())
                            .put("completion_tokens", last.usage().completionTokens()))
                    .put("timings", timings).put("cold_start", last.coldStart());
        }
    };

    /** OpenAI's text completion: {@code object: "text_completion"}, {@code choices}, streams ending in {@code [DONE]}. */
    ReplyFormat OPENAI_COMPLETION = new ReplyFormat() {
        @Override
        public String streamChunk(Invocation call, String text) {
            return "data: " + base(call).put("choices", new io.vertx.core.json.JsonArray().add(new JsonObject().put("text", text)
                    .put("index", 0).putNull("logprobs").putNull("finish_reason"))).encode() + "\n\n";
        }

        @Override
        public String streamEnd(Invocation call, String output, ResultChunk last) {
            JsonObject end = base(call).put("choices", new io.vertx.core.json.JsonArray().add(new JsonObject().put("text", "")
                    .put("index", 0).putNull("logprobs").put("finish_reason", last.finishReason()))).put("usage", usage(last));
            return "data: " + end.encode() + "\n\ndata: [DONE]\n\n";
        }

        @Override
        public JsonObject answer(Invocation call, String output, ResultChunk last) {
            return base(call).put("choices", new io.vertx.core.json.JsonArray().add(new JsonObject().put("text", output).put("index", 0)
                    .putNull("logprobs").put("finish_reason", last.finishReason()))).put("usage", usage(last));
        }

        private JsonObject base(Invocation call) {
            return new JsonObject().put("id", "cmpl-" + call.id()).put("object", "text_completion")
                    .put("created", call.acceptedAtMs() / 1000).put("model", call.function());
        }

        private JsonObject usage(ResultChunk last) {
            return new JsonObject().put("prompt_tokens", last.usage().promptTokens()).put("completion_tokens", last.usage().completionTokens())
                    .put("total_tokens", last.usage().promptTokens() + last.usage().completionTokens());
        }
    };

    /** OpenAI's chat completion: {@code choices[].message}, streamed as {@code chat.completion.chunk} deltas. */
    ReplyFormat OPENAI_CHAT = new ReplyFormat() {
        @Override
        public String streamChunk(Invocation call, String text) {
            return "data: " + base(call, "chat.completion.chunk").put("choices", new io.vertx.core.json.JsonArray().add(new JsonObject()
                    .put("index", 0).put("delta", new JsonObject().put("content", text)).putNull("finish_reason"))).encode() + "\n\n";
        }

        @Override
        public String streamEnd(Invocation call, String output, ResultChunk last) {
            JsonObject end = base(call, "chat.completion.chunk").put("choices", new io.vertx.core.json.JsonArray().add(new JsonObject()
                    .put("index", 0).put("delta", new JsonObject()).put("finish_reason", last.finishReason())));
            return "data: " + end.encode() + "\n\ndata: [DONE]\n\n";
        }

        @Override
        public JsonObject answer(Invocation call, String output, ResultChunk last) {
            return base(call, "chat.completion").put("choices", new io.vertx.core.json.JsonArray().add(new JsonObject().put("index", 0)
                    .put("message", new JsonObject().put("role", "assistant").put("content", output))
                    .put("finish_reason", last.finishReason())))
                    .put("usage", new JsonObject().put("prompt_tokens", last.usage().promptTokens())
                            .put("completion_tokens", last.usage().completionTokens())
                            .put("total_tokens", last.usage().promptTokens() + last.usage().completionTokens()));
        }

        private JsonObject base(Invocation call, String object) {
            return new JsonObject().put("id", "chatcmpl-" + call.id()).put("object", object)
                    .put("created", call.acceptedAtMs() / 1000).put("model", call.function());
        }
    };
}
