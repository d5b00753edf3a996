package io.lorafn.infra.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafn.kernels.cuda.DeviceImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node agent's device holders, one per device, with a stand-in for {@code lorafn device-holder} (this
 * machine has no GPU; the holder itself was run on an H200, RESULTS.md): a stand-in writes the handle
 * after a moment and then holds, as the real one does after its upload.
 */
class DeviceHoldersTest {
    @TempDir
    Path dir;

    @Test
    void oneHolderPerDeviceStartsBeforeTheWorkersIsRestartedWhenItDiesAndStopsWithTheStack() throws Exception {
        Path image = dir.resolve("model.img");
        Files.writeString(image, "stand-in image");
        Files.writeString(DeviceImage.handleFile(image, 1), "stale: from a holder killed with -9");
        try (DeviceHolders holders = new DeviceHolders(image, 2,
                d -> List.of("sh", "-c", "sleep 0.3; echo handle > '" + DeviceImage.handleFile(image, d) + "'; exec sleep 600"),
                Map.of(), dir.resolve("logs"))) {
            assertFalse(holders.handlesReady(), "a stale handle is not taken for a live one");
            assertTrue(holders.awaitHandles(15_000), "both holders exported their copies");
            assertEquals(List.of("device-holder-0", "device-holder-1"), holders.processes().ids());

            ProcessHandle first = holders.processes().process("device-holder-1").orElseThrow();
            Files.delete(DeviceImage.handleFile(image, 1));
            first.destroyForcibly();
            long deadline = System.currentTimeMillis() + 15_000;
            while (!(Files.exists(DeviceImage.handleFile(image, 1)) && holders.processes().restarts("device-holder-1") > 0)) {
                assertTrue(System.currentTimeMillis() < deadline, "the dead holder is restarted and exports again");
                Thread.sleep(50);
            }
            ProcessHandle second = holders.processes().process("device-holder-0").orElseThrow();
            holders.close();
            assertFalse(second.isAlive(), "stopped with the stack");
        }
    }

    @Test
    void theRealCommandRunsTheDeviceHolderSubcommandOnTheImage() {
        List<String> command = DeviceHolders.command(Path.of("/images/m.img"), 3);
        int main = command.indexOf(io.lorafn.infra.LorafnMain.class.getName());
        assertTrue(main > 0, command.toString());
        assertEquals(List.of("device-holder", "--image", "/images/m.img", "--device", "3"), command.subList(main + 1, command.size()));
    }
}
