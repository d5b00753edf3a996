package io.lorafn.bench.sim;

import io.lorafn.pool.contract.ActivationRecord;
import io.lorafn.pool.contract.ContractJson;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A trace: finished activation records, one JSON object per line, in arrival order, without their output
 * text (a trace is about timing, and must not carry what tenants generated).
 */
public final class TraceFile {
    private TraceFile() {
    }

    public static void write(List<ActivationRecord> records, Path file) {
        List<String> lines = new ArrayList<>();
        records.stream().sorted(Comparator.comparingLong(ActivationRecord::acceptedAtMs)).forEach(r -> lines.add(ContractJson.write(
                new ActivationRecord(r.id(), r.tenant(), r.function(), r.adapterVersion(), r.status(), null, r.finishReason(), r.usage(),
                        r.timings(), r.coldStart(), r.error(), r.acceptedAtMs(), r.worker(), r.adapterTier()))));
        try {
            if (file.toAbsolutePath().getParent() != null) {
                Files.createDirectories(file.toAbsolutePath().getParent());
            }
            Files.write(file, lines);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /** The finished calls of the trace, in arrival order; a line that is not a record is an error naming its number. */
    public static List<TraceCall> read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the trace " + file + ": " + e.getMessage(), e);
        }
        List<TraceCall> calls = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) {
                continue;
            }
            ActivationRecord r;
            try {
                r = ContractJson.read(lines.get(i), ActivationRecord.class);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(file + " line " + (i + 1) + " is not an activation record: " + e.getMessage(), e);
            }
            TraceCall c = TraceCall.of(r);
            if (c != null) {
                calls.add(c);
            }
        }
        calls.sort(Comparator.comparingLong(TraceCall::arrivalMs));
        return calls;
    }
}
