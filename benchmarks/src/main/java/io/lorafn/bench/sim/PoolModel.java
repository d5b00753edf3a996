package io.lorafn.bench.sim;

import io.lorafn.bench.Stats;
import java.util.List;

/**
 * The measured times the pool simulator runs on. {@link #fit} takes them from a trace of a real run: the
 * wait of a call at an empty pool (from its arrival to its pickup: the restore and the pool's reaction), the adapter loads by tier, prefill as a line in the prompt's
 * tokens (hot calls that waited for nothing and had their worker's prefill to themselves), a decode step of a call alone on its worker, and
 * the extra time of the calls that waited for a restore, beyond all of those.
 *
 * <p>A batch step costs {@link #stepMs}: the prefill line at the tokens it carries, but never less than a lone decode step. The line
 * is fitted on prompts of many tokens, where the step's compute grows with its tokens; its intercept extrapolates to a step of one
 * token and can fall well below what a step of one token takes, a whole pass over the weights (a roofline: memory-bound at few
 * tokens, compute-bound at many). A lone call's decode step measures that floor directly. The decode time of a loaded run is not
 * a step cost: it already holds the other calls' tokens, which the simulator adds itself.
 *
 * @param decodeMsPerToken a decode step of one call alone on its worker (the least any step costs); 0 when not measured: the line alone
 * @param firstCallMs  what a restored worker's first calls take beyond that (its JIT still compiling the kernels)
 * @param restoreMs    from a call's arrival at an empty pool to its pickup by the worker started for it
 * @param slots        calls one worker runs at once (its batch slots)
 * @param hotAdapters  adapters a worker keeps compute-ready; more fall back to its warm tier
 * @param warmAdapters adapters a worker keeps in host memory beyond the hot ones
 */
public record PoolModel(double restoreMs, double warmLoadMs, double coldLoadMs, double prefillFixedMs, double prefillMsPerToken,
                        double decodeMsPerToken, double firstCallMs, int slots, int hotAdapters, int warmAdapters) {

    /** Fits the times from {@code calls}; a time the trace has no example of keeps {@code defaults}' value. */
    public static PoolModel fit(List<TraceCall> calls, PoolModel defaults) {
        List<TraceCall> ok = calls.stream().filter(TraceCall::succeeded).toList();
        // a call at an empty pool waits from its arrival to its pickup: the autoscaler's reaction, the restore, the dispatch
        double restore = ok.stream().filter(c -> c.restoreMs() > 0).mapToLong(TraceCall::queueMs).max().orElse(0);
        double cold = median(ok.stream().filter(c -> "cold".equals(c.adapterTier())).mapToDouble(TraceCall::adapterLoadMs).toArray());
        double warm = median(ok.stream().filter(c -> "warm".equals(c.adapterTier())).mapToDouble(TraceCall::adapterLoadMs).toArray());
        List<TraceCall> clean = alone(ok.stream().filter(c -> "hot".equals(c.adapterTier()) && c.restoreMs() == 0).toList(), ok);
        double[] x = clean.stream().mapToDouble(TraceCall::promptTokens).toArray();
        double[] y = clean.stream().mapToDouble(c -> c.ttftMs() - c.queueMs() - c.adapterLoadMs()).toArray();
        double[] line = leastSquares(x, y);
        // the decode of a call that shared its worker with no other: its steps carried its own token only
        double decode = median(aloneDecoding(ok.stream().filter(c -> c.completionTokens() >= 2).toList(), ok).stream()
                .mapToDouble(c -> (double) (c.totalMs() - c.ttftMs()) / (c.completionTokens() - 1)).toArray());
        double fixed = line == null ? defaults.prefillFixedMs() : line[0];
        double perToken = line == null ? defaults.prefillMsPerToken() : line[1];
        double floor = Double.isNaN(decode) ? defaults.decodeMsPerToken() : decode;
        double first = median(ok.stream().filter(c -> c.restoreMs() > 0).mapToDouble(c -> Math.max(0, c.ttftMs() - c.queueMs() - c.adapterLoadMs()
                - Math.max(floor, fixed + perToken * c.promptTokens()))).toArray());
        return new PoolModel(restore > 0 ? restore : defaults.restoreMs(), Double.isNaN(warm) ? defaults.warmLoadMs() : warm,
                Double.isNaN(cold) ? defaults.coldLoadMs() : cold, fixed, perToken, floor,
                Double.isNaN(first) ? defaults.firstCallMs() : first, defaults.slots(), defaults.hotAdapters(), defaults.warmAdapters());
    }

    /**
     * One step of a worker's batch carrying {@code tokens} (prompt and generated): a pass over the weights and the tokens' compute,
     * at least a lone decode step.
     */
    double stepMs(int tokens) {
        return Math.max(decodeMsPerToken, Math.max(0, prefillFixedMs) + prefillMsPerToken * tokens);
    }

    /**
     * The calls of {@code candidates} whose prefill (from pickup to first token) overlapped no other call's
     * on the same worker: in a loaded run the others' prefills would count as this one's.
     */
    static List<TraceCall> alone(List<TraceCall> candidates, List<TraceCall> all) {
        return candidates.stream().filter(c -> all.stream().noneMatch(o -> o != c && o.worker() != null && o.worker().equals(c.worker())
                && o.arrivalMs() + o.queueMs() < c.arrivalMs() + c.ttftMs() && c.arrivalMs() + c.queueMs() < o.arrivalMs() + o.ttftMs())).toList();
    }

    /** The calls of {@code candidates} whose decode (from first token to last) overlapped no other call's time on the same worker. */
    static List<TraceCall> aloneDecoding(List<TraceCall> candidates, List<TraceCall> all) {
        return candidates.stream().filter(c -> all.stream().noneMatch(o -> o != c && o.worker() != null && o.worker().equals(c.worker())
                && o.arrivalMs() + o.queueMs() < c.arrivalMs() + c.totalMs() && c.arrivalMs() + c.ttftMs() < o.arrivalMs() + o.totalMs())).toList();
    }

    /** {intercept, slope} of y on x; a flat line at the median when x does not vary; null with no points. */
    static double[] leastSquares(double[] x, double[] y) {
        if (x.length == 0) {
            return null;
        }
        double mx = 0, my = 0;
        for (int i = 0; i < x.length; i++) {
            mx += x[i];
            my += y[i];
        }
        mx /= x.length;
        my /= x.length;
        double sxy = 0, sxx = 0;
        for (int i = 0; i < x.length; i++) {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
        }
        if (sxx == 0) {
            return new double[] {Stats.median(y), 0};
        }
        double slope = Math.max(0, sxy / sxx); // a longer prompt never prefills faster
        return new double[] {my - slope * mx, slope};
    }

    private static double median(double[] v) {
        return v.length == 0 ? Double.NaN : Stats.median(v);
    }
}
