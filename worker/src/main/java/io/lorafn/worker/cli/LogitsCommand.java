package io.lorafn.worker.cli;

import io.lorafn.storage.peft.LoraAdapter;
import io.lorafn.worker.engine.BatchRow;
import io.lorafn.worker.engine.KvCache;
import io.lorafn.worker.engine.LoadedModel;
import java.io.BufferedWriter;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The engine's verification interface: one row of logits per input position, as JSON. Keep its shape. */
@Command(name = "logits", mixinStandardHelpOptions = true,
        description = {"Prints {\"logits\": [[...], ...]}: one row of vocabulary logits per input position.",
                "This is the engine's verification interface; compare it with another implementation."})
public final class LogitsCommand implements Callable<Integer> {
    @Mixin
    ModelOptions options;

    @Option(names = "--tokens", required = true, split = ",", description = "Input token ids, e.g. 1,2,3.")
    List<Integer> tokens;


    @Override
    public Integer call() {
        try (LoadedModel m = options.open()) {
            LoraAdapter a = options.adapter == null ? null : m.loadAdapter(options.adapter);
            KvCache cache = m.engine().newCache(tokens.size());
            List<BatchRow> rows = new ArrayList<>();
            for (int i = 0; i < tokens.size(); i++) {
                rows.add(new BatchRow(cache, tokens.get(i), i, a, true));
            }
            float[][] logits = m.engine().forward(rows);
            PrintWriter out = new PrintWriter(new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), 1 << 16));
            out.print("{\"logits\": [");
            for (int r = 0; r < logits.length; r++) {
                out.print(r == 0 ? "[" : ", [");
                for (int i = 0; i < logits[r].length; i++) {
                    if (i > 0) {
                        out.print(", ");
                    }
                    out.print(logits[r][i]);
                }
                out.print("]");
            }
            out.println("]}");
            out.flush();
        }
        return 0;
    }
}
