package io.lorafn.pool;

import java.util.function.BooleanSupplier;

/** Polling for a condition that other threads or processes make true; shared by the pool's and the stack's tests. */
public final class Awaits {
    private Awaits() {
    }

    public static void awaitTrue(BooleanSupplier condition, long timeoutMs, String what) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(20);
        }
    }
}
