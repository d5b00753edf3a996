package io.lorafn.worker.engine;

import io.lorafn.kernels.Backend;
import io.lorafn.kernels.Backends;
import io.lorafn.storage.hf.ModelConfig;
import io.lorafn.storage.hf.ModelDirectory;
import io.lorafn.storage.image.ResidentImage;
import java.nio.file.Files;
import io.lorafn.storage.hf.tokenizer.CompiledTokenizer;
import io.lorafn.storage.hf.tokenizer.Tokenizer;
import io.lorafn.storage.peft.LoraAdapter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A model directory opened for serving: weights, engine, tokenizer (if any) and the adapters loaded on it. */
public final class LoadedModel implements AutoCloseable {
    private final AutoCloseable weightFile;
    private final ModelConfig config;
    private final LlamaWeights weights;
    private final Backend backend;
    private final LlamaEngine engine;
    private final Tokenizer tokenizer;
    private final List<LoraAdapter> adapters = new ArrayList<>();
    /** Held here: CRaC contexts may keep their resources only weakly. */
    private final DeviceCheckpointResource deviceResource;

    private LoadedModel(AutoCloseable weightFile, LlamaWeights weights, Backend backend, Tokenizer tokenizer) {
        this.weightFile = weightFile;
        this.config = weights.config();
        this.weights = weights;
        this.backend = backend;
        this.engine = new LlamaEngine(weights, backend);
        this.tokenizer = tokenizer;
        this.deviceResource = backend instanceof io.lorafn.kernels.cuda.CudaBackend cuda ? new DeviceCheckpointResource(cuda) : null;
        if (deviceResource != null) {
            org.crac.Core.getGlobalContext().register(deviceResource);
        }
    }

    public static LoadedModel open(Path modelDir, int threads) {
        return open(modelDir, null, threads);
    }

    /**
     * @param image a resident image of the model to compute on, or null to compute on the directory's
     *              safetensors; the directory still provides the tokenizer
     */
    public static LoadedModel open(Path modelDir, Path image, int threads) {
        return open(modelDir, image, threads, "cpu");
    }

    /**
     * @param backend {@code cpu}, {@code cuda}, or {@code auto} (CUDA where a device is, else the CPU, with a log
     *                line saying why; {@link Backends})
     */
    public static LoadedModel open(Path modelDir, Path image, int threads, String backend) {
        if (image != null) {
            ResidentImage img = ResidentImage.open(image);
            try {
                Backend computing = Backends.select(backend, threads, sharedOnDevice(image) ? 0 : fileSize(image));
                if (computing instanceof io.lorafn.kernels.cuda.CudaBackend cuda && sharedOnDevice(image)) {
                    // a holder process has this image on the GPU: compute on its copy (CUDA IPC), not a copy of our own
                    cuda.shareImage(img.mapping(), Files.readAllBytes(io.lorafn.kernels.cuda.DeviceImage.handleFile(image, 0)));
                }
                return new LoadedModel(img, LlamaWeights.from(img), computing, tokenizer(modelDir, image));
            } catch (RuntimeException e) {
                img.close();
                throw e;
            } catch (java.io.IOException e) {
                img.close();
                throw new java.io.UncheckedIOException(e);
            }
        }
        ModelDirectory dir = ModelDirectory.open(modelDir);
        try {
            return new LoadedModel(dir, LlamaWeights.from(dir), Backends.select(backend, threads), tokenizer(modelDir, null));
        } catch (RuntimeException e) {
            dir.close();
            throw e;
        }
    }

    private static boolean sharedOnDevice(Path image) {
        return Files.exists(io.lorafn.kernels.cuda.DeviceImage.handleFile(image, 0));
    }

    private static long fileSize(Path file) {
        try {
            return Files.size(file);
        } catch (java.io.IOException e) {
            return 0;
        }
    }

    /** The directory's tokenizer, from its compiled form beside the image when that is current (a restore's fast path). */
    private static Tokenizer tokenizer(Path modelDir, Path image) {
        Path json = modelDir.resolve("tokenizer.json");
        if (!Files.exists(json)) {
            return null;
        }
        return image != null ? CompiledTokenizer.load(json, CompiledTokenizer.besideImage(image)) : Tokenizer.load(json);
    }

    public LoraAdapter loadAdapter(Path adapterDir) {
        LoraAdapter a = LoraAdapter.load(adapterDir, config);
        adapters.add(a);
        return a;
    }

    public ModelConfig config() {
        return config;
    }

    /** The format the projections are computed in (the image's, or the safetensors' as loaded). */
    public io.lorafn.kernels.WeightFormat weightFormat() {
        return weights.layer(0).projection(io.lorafn.storage.hf.Projection.Q).format();
    }

    /** What computes the products: {@code cpu} or {@code cuda (device)}. */
    public String backendName() {
        return backend.name();
    }

    /** The backend itself (a worker lets a CUDA one go of its device across a CRaC checkpoint). */
    public Backend backend() {
        return backend;
    }

    /**
     * The share of the resident image this process maps with 2 MiB pages, read once its weights were touched (after
     * a step); empty without an image or off Linux. Decode streams the whole image per token, and an image the page
     * cache holds in 4 KiB pages reads markedly slower (see {@link io.lorafn.kernels.MemoryAdvice}).
     */
    public java.util.OptionalDouble imageHugePageShare() {
        return weightFile instanceof ResidentImage img ? io.lorafn.kernels.MemoryAdvice.hugePageShare(img.mapping())
                : java.util.OptionalDouble.empty();
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
        try {
            weightFile.close();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
