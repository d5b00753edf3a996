package io.lorafn.worker.engine;

import io.lorafn.kernels.Backend;
import io.lorafn.kernels.cpu.CpuBackend;
import io.lorafn.storage.hf.ModelDirectory;
import io.lorafn.storage.hf.tokenizer.Tokenizer;
import io.lorafn.storage.peft.LoraAdapter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A model directory opened for serving: weights, engine, tokenizer (if any) and the adapters loaded on it. */
public final class LoadedModel implements AutoCloseable {
    private final ModelDirectory dir;
    private final LlamaWeights weights;
    private final Backend backend;
    private final LlamaEngine engine;
    private final Tokenizer tokenizer;
    private final List<LoraAdapter> adapters = new ArrayList<>();

    private LoadedModel(ModelDirectory dir, LlamaWeights weights, Backend backend, Tokenizer tokenizer) {
        this.dir = dir;
        this.weights = weights;
        this.backend = backend;
        this.engine = new LlamaEngine(weights, backend);
        this.tokenizer = tokenizer;
    }

    public static LoadedModel open(Path modelDir, int threads) {
        ModelDirectory dir = ModelDirectory.open(modelDir);
        try {
            Tokenizer tokenizer = dir.tokenizerJson().map(Tokenizer::load).orElse(null);
            LlamaWeights weights = LlamaWeights.from(dir);
            Backend backend = threads > 0 ? new CpuBackend(threads) : CpuBackend.withDefaultThreads();
            return new LoadedModel(dir, weights, backend, tokenizer);
        } catch (RuntimeException e) {
            dir.close();
            throw e;
        }
    }

    public LoraAdapter loadAdapter(Path adapterDir) {
        LoraAdapter a = LoraAdapter.load(adapterDir, dir.config());
        adapters.add(a);
        return a;
    }

    public LlamaEngine engine() {
        return engine;
    }

    /** Null when the directory has no tokenizer.json. */
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    public Generator generator() {
        return new Generator(engine, tokenizer);
    }

    @Override
    public void close() {
        adapters.forEach(LoraAdapter::close);
        backend.close();
        weights.close();
        dir.close();
    }
}
