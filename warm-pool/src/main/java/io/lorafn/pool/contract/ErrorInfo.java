package io.lorafn.pool.contract;

/** A call's recorded error: a stable code (which the invoker maps to a status) and a message. */
public record ErrorInfo(String code, String message) {
}
