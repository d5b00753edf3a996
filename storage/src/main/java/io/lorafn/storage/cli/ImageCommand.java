package io.lorafn.storage.cli;

import io.lorafn.kernels.WeightFormat;
import io.lorafn.storage.hf.ModelDirectory;
import io.lorafn.storage.image.ImageTensor;
import io.lorafn.storage.image.ResidentImage;
import io.lorafn.storage.image.ResidentImageWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The resident weight image: the form workers map and compute on. */
@Command(name = "image", mixinStandardHelpOptions = true,
        description = "Builds and inspects resident weight images (weights in the kernels' layout, mapped read-only and shared by every worker on a node).",
        subcommands = {ImageCommand.Build.class, ImageCommand.Info.class})
public final class ImageCommand {

    @Command(name = "build", mixinStandardHelpOptions = true, description = "Converts a Hugging Face model into a resident image.")
    static final class Build implements Callable<Integer> {
        @Option(names = "--model", required = true, description = "Hugging Face model directory.")
        Path model;

        @Option(names = "--format", required = true, description = "q8_0, q4_0, bf16 or f32.")
        String format;

        @Option(names = "--out", required = true, description = "The image file to write.")
        Path out;

        @Override
        public Integer call() {
            try (ModelDirectory m = ModelDirectory.open(model)) {
                ResidentImageWriter.write(m, parse(format), out, new ConsoleProgressBar());
            }
            System.out.println(out);
            return 0;
        }
    }

    @Command(name = "info", mixinStandardHelpOptions = true, description = "Prints an image's format, source hash and size.")
    static final class Info implements Callable<Integer> {
        @Option(names = "--image", required = true, description = "The image file.")
        Path image;

        @Override
        public Integer call() {
            try (ResidentImage img = ResidentImage.open(image)) {
                long bytes = img.tensors().values().stream().mapToLong(ImageTensor::bytes).sum();
                System.out.printf(Locale.ROOT, "{\"format\": \"%s\", \"tensors\": %d, \"weight_bytes\": %d, \"source_sha256\": \"%s\"}%n",
                        img.weightFormat().name().toLowerCase(Locale.ROOT), img.tensors().size(), bytes, img.sourceSha256());
            }
            return 0;
        }
    }

    public static WeightFormat parse(String name) {
        try {
            return WeightFormat.valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown format '" + name + "'; use q8_0, q4_0, bf16 or f32");
        }
    }
}
