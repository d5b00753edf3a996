package io.lorafn.worker.cli;

import io.lorafn.kernels.cuda.DeviceImage;
import io.lorafn.storage.image.ResidentImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lorafn device-holder}: one per GPU and image. Uploads the image once and exports it with a CUDA IPC
 * handle beside the image; every worker on that GPU then computes on this copy (N workers, one copy of the
 * base in device memory). The handle goes when the holder does.
 */
@Command(name = "device-holder", mixinStandardHelpOptions = true, description = {
        "Keeps a resident image on a GPU for every worker there (CUDA IPC): uploads it once, writes the handle beside the image",
        "(IMAGE.cudaN.ipc), and holds it until stopped. Workers with --backend cuda or auto open it instead of uploading their own."})
public final class DeviceHolderCommand implements Callable<Integer> {
    @Option(names = "--image", required = true, description = "The resident image (lorafn image build, or a snapshot's).")
    Path image;

    @Option(names = "--device", defaultValue = "0", description = "CUDA device ordinal (default: ${DEFAULT-VALUE}).")
    int device;

    @Override
    public Integer call() throws Exception {
        Path handleFile = DeviceImage.handleFile(image, device);
        try (ResidentImage img = ResidentImage.open(image); DeviceImage onDevice = upload(img)) {
            Path tmp = handleFile.resolveSibling(handleFile.getFileName() + ".tmp");
            Files.write(tmp, onDevice.handle());
            Files.move(tmp, handleFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    Files.deleteIfExists(handleFile); // no worker may open a handle whose memory is going
                } catch (java.io.IOException e) {
                    // exiting anyway
                }
                stopped.countDown();
            }, "lorafn-device-holder-stop"));
            System.err.println("holding " + image + " (" + (onDevice.bytes() >> 20) + " MiB) on CUDA device " + device + "; handle in " + handleFile);
            stopped.await();
        }
        return 0;
    }

    private DeviceImage upload(ResidentImage img) {
        try {
            return DeviceImage.upload(img.mapping(), device);
        } catch (Throwable t) { // UnsatisfiedLinkError included: no driver here
            throw new IllegalArgumentException("no usable CUDA device " + device + " to hold " + image + " ("
                    + (t.getMessage() != null ? t.getMessage().lines().findFirst().orElse("") : t.toString()) + ")", t);
        }
    }
}
