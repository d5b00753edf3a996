package io.lorafn.worker.cli;

import io.lorafn.storage.peft.LoraAdapter;
import io.lorafn.worker.WorkerException;
import io.lorafn.worker.engine.GenerationRequest;
import io.lorafn.worker.engine.GenerationResult;
import io.lorafn.worker.engine.LoadedModel;
import io.lorafn.worker.engine.SamplingParams;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Streams generated text to stdout; timings go to stderr. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generates text from a prompt (or token ids), streaming it to stdout as it is produced.")
public final class GenerateCommand implements Callable<Integer> {
    @Mixin
    ModelOptions options;

    @ArgGroup(multiplicity = "1")
    Input input;

    static final class Input {
        @Option(names = "--prompt", description = "Prompt text (needs tokenizer.json in the model directory).")
        String prompt;

        @Option(names = "--tokens", split = ",", description = "Prompt token ids, e.g. 1,2,3.")
        List<Integer> tokens;
    }

    @Option(names = "--max-tokens", defaultValue = "64", description = "Tokens to generate at most (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--temperature", defaultValue = "0", description = "0 is greedy (default: ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--top-k", defaultValue = "0", description = "Keep the k most likely tokens; 0 = off (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--top-p", defaultValue = "1.0", description = "Nucleus sampling mass; 1 = off (default: ${DEFAULT-VALUE}).")
    double topP;

    @Option(names = "--seed", defaultValue = "0", description = "Sampling seed; the same seed gives the same text (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--stop", description = "Stop sequence; may be repeated.")
    List<String> stop = List.of();

    @Option(names = "--no-bos", description = "Do not add the tokenizer's beginning-of-text token to --prompt.")
    boolean noBos;


    @Override
    public Integer call() {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        try (LoadedModel m = options.open()) {
            LoraAdapter a = options.adapter == null ? null : m.loadAdapter(options.adapter);
            int[] prompt;
            if (input.prompt != null) {
                if (m.tokenizer() == null) {
                    throw new WorkerException("NO_TOKENIZER", options.model + " has no tokenizer.json; pass --tokens instead of --prompt");
                }
                prompt = m.tokenizer().encode(input.prompt, !noBos);
            } else {
                prompt = input.tokens.stream().mapToInt(Integer::intValue).toArray();
            }
            boolean ids = m.tokenizer() == null;
            GenerationRequest req = new GenerationRequest(prompt, a, maxTokens, stop,
                    new SamplingParams(temperature, topK, topP, seed));
            GenerationResult r = m.generator().generate(req, (id, text) -> {
                if (ids) {
                    out.print(id + " ");
                } else {
                    out.print(text);
                }
                out.flush();
            }, () -> false);
            out.println();
            double decodeSeconds = (r.totalNanos() - r.timeToFirstTokenNanos()) / 1e9;
            System.err.printf(Locale.ROOT, "%d prompt tokens, %d generated, finish=%s, ttft %.1f ms, decode %.2f tok/s%n",
                    r.promptTokens(), r.tokens().length, r.finishReason().wireName(), r.timeToFirstTokenNanos() / 1e6,
                    r.tokens().length > 1 ? (r.tokens().length - 1) / decodeSeconds : 0.0);
        }
        return 0;
    }
}
