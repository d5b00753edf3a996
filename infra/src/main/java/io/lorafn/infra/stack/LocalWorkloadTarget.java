package io.lorafn.infra.stack;

import io.lorafn.bench.sim.TraceExport;
import io.lorafn.bench.workload.PoolSample;
import io.lorafn.invoker.limits.RateLimit;
import io.lorafn.pool.contract.ActivationRecord;
import io.lorafn.pool.contract.WorkerInfo;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** A stack the benchmark started and owns: tenants are made directly in its registries. */
final class LocalWorkloadTarget implements WorkloadTarget {
    private final LocalStack stack;
    private final Path image;

    LocalWorkloadTarget(LocalStack stack, Path image) {
        this.stack = stack;
        this.image = image;
    }

    @Override
    public URI invoker() {
        return URI.create("http://127.0.0.1:" + stack.port());
    }

    @Override
    public String createTenant(String id, Path adapterDir) throws Exception {
        return BenchTenants.create(stack, id, adapterDir, new RateLimit(1000, 1000), 120_000);
    }

    @Override
    public PoolSample sample(Map<String, Long> restoreMs) {
        List<WorkerInfo> live = List.copyOf(stack.directory().live().values());
        live.stream().filter(w -> w.restoreMs() > 0).forEach(w -> restoreMs.put(w.id(), w.restoreMs()));
        int alive = stack.workers().ids().size();
        int placeable = (int) live.stream().filter(w -> w.state().takesCalls()).count();
        int busy = (int) live.stream().filter(w -> w.freeSlots() < w.slots()).count();
        return new PoolSample(System.currentTimeMillis(), alive, Math.max(0, alive - placeable), busy);
    }

    @Override
    public List<ActivationRecord> finishedSince(long sinceMs) throws Exception {
        return TraceExport.finishedSince(stack.redis(), sinceMs);
    }

    @Override
    public List<Long> localWorkerPids() {
        return stack.workers().ids().stream().map(stack.workers()::process).filter(java.util.Optional::isPresent)
                .map(p -> p.get().pid()).toList();
    }

    @Override
    public long imageBytes() {
        try {
            return Files.size(image);
        } catch (java.io.IOException e) {
            return -1;
        }
    }

    @Override
    public void close() {
        stack.close();
    }
}
