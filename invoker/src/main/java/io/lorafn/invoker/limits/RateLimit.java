package io.lorafn.invoker.limits;

/** A tenant's rate: {@code rps} calls per second sustained, bursts of up to {@code burst}. */
public record RateLimit(double rps, int burst) {
    public RateLimit {
        if (!(rps > 0) || burst < 1) {
            throw new IllegalArgumentException("rate needs rps > 0 and burst >= 1, got rps=" + rps + " burst=" + burst);
        }
    }
}
