package io.lorafn.bench.workload;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What serving a run's tokens costs in memory-time (GiB-hours, priced per GiB-hour), for lorafn's pool and
 * for the designs it replaces, from the run's own measurements: the image's size, a worker's private memory
 * (its proportional set size less the shared image), the workers alive over time, and the restore time.
 * <ul>
 *   <li>lorafn: the pool's workers as they ran, the image once (one node, shared by its workers);</li>
 *   <li>the same pool without backbone sharing: each worker also holds its own copy of the image;</li>
 *   <li>one dedicated instance per tenant, always on: every tenant that called holds a whole instance;</li>
 *   <li>one dedicated instance per tenant that scales to zero after the same idle timeout: each restores
 *       (the measured restore time) when a call finds it down. A run in which no worker restored measured no restore
 *       time ({@code restoreMs} NaN): this design's cost is then not computed rather than priced as if restores were free.</li>
 * </ul>
 *
 * @param restoreMs a restore's measured time; NaN when the run saw none
 */
public record CostModel(double imageGiB, double workerPrivateGiB, double restoreMs, double idleTimeoutS, double pricePerGiBHour) {

    /**
     * One design's cost for the run.
     *
     * @param notComputed why the cost could not be computed (a figure it needs was not measured; its numbers are then NaN); null when it was
     */
    public record Cost(String design, double gibHours, double usd, double usdPer1MTokens, long coldStarts, String notComputed) {
    }

    static final String SCALE_TO_ZERO = "dedicated instance per tenant, scale to zero";

    /**
     * @param workerSeconds the pool's workers alive, integrated over the run
     * @param durationS     the run's length
     * @param arrivalsByTenant each tenant's call arrivals (ms), for the dedicated designs
     */
    public List<Cost> costs(double workerSeconds, double durationS, Map<String, List<Long>> arrivalsByTenant, long tokens, long poolColdStarts) {
        List<Cost> out = new ArrayList<>();
        double hours = durationS / 3600;
        out.add(cost("lorafn pool (shared backbone)", workerSeconds / 3600 * workerPrivateGiB + hours * imageGiB, tokens, poolColdStarts));
        out.add(cost("same pool, no backbone sharing", workerSeconds / 3600 * (workerPrivateGiB + imageGiB), tokens, poolColdStarts));
        out.add(cost("dedicated instance per tenant, always on", arrivalsByTenant.size() * hours * (workerPrivateGiB + imageGiB), tokens, 0));
        double dedicatedSeconds = 0;
        long dedicatedColdStarts = 0;
        for (List<Long> arrivals : new TreeMap<>(arrivalsByTenant).values()) {
            double upUntil = Double.NEGATIVE_INFINITY;
            for (long at : arrivals.stream().sorted().toList()) {
                if (at > upUntil) { // down: restore, then stay up until the idle timeout passes
                    dedicatedColdStarts++;
                    dedicatedSeconds += restoreMs / 1000 + idleTimeoutS;
                } else {
                    dedicatedSeconds += Math.max(0, at + idleTimeoutS * 1000 - upUntil) / 1000;
                }
                upUntil = at + idleTimeoutS * 1000;
            }
        }
        if (dedicatedColdStarts > 0 && Double.isNaN(restoreMs)) {
            out.add(new Cost(SCALE_TO_ZERO, Double.NaN, Double.NaN, Double.NaN, dedicatedColdStarts,
                    "no worker restored during the run, so a restore's time was not measured"));
        } else {
            out.add(cost(SCALE_TO_ZERO, dedicatedSeconds / 3600 * (workerPrivateGiB + imageGiB), tokens, dedicatedColdStarts));
        }
        return out;
    }

    private Cost cost(String design, double gibHours, long tokens, long coldStarts) {
        double usd = gibHours * pricePerGiBHour;
        return new Cost(design, gibHours, usd, tokens == 0 ? 0 : usd / tokens * 1e6, coldStarts, null);
    }
}
