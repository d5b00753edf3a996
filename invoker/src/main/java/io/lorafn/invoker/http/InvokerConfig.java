package io.lorafn.invoker.http;

/**
 * One invoker's settings.
 *
 * @param invokerId     names this invoker's reply stream
 * @param maxQueueDepth calls a tenant may have waiting; beyond it, 503 with Retry-After
 * @param timeoutMs     a call's deadline from acceptance; a sync call answers 504 after it
 * @param promptLimit   the longest prompt accepted, in the served model's tokens (413)
 * @param prices        the price sheet billing reports use
 * @param chatTemplate  the served model's chat template, or null when it has none (chat calls answer 400)
 */
public record InvokerConfig(String invokerId, String operatorKey, int maxQueueDepth, long timeoutMs, io.lorafn.invoker.limits.PromptLimit promptLimit,
                            io.lorafn.invoker.billing.PriceSheet prices, io.lorafn.invoker.chat.ChatTemplate chatTemplate) {
}
