import picocli.CommandLine;

/**
 * The GPU bundle's command runner (gpu-bundle.sh's cli.sh): the commands that compute, without the whole CLI, whose
 * other commands need the stack's jars. {@code synth ...} and {@code image ...} as in lorafn; {@code decode ...} and
 * {@code prefill ...} as {@code lorafn bench decode|prefill ...}.
 */
public class RunCli {
    public static void main(String[] a) throws Exception {
        if (a.length == 0) {
            System.err.println("usage: cli.sh synth|image|decode|prefill ARGS (as lorafn synth, image, bench decode, bench prefill)");
            System.exit(2);
        }
        Object command = switch (a[0]) {
            case "synth" -> new io.lorafn.storage.cli.SynthCommand();
            case "image" -> new io.lorafn.storage.cli.ImageCommand();
            case "decode" -> instance("io.lorafn.bench.cli.BenchCommand$Decode");
            case "prefill" -> instance("io.lorafn.bench.cli.BenchCommand$Prefill");
            default -> throw new IllegalArgumentException("synth, image, decode or prefill, not " + a[0]);
        };
        System.exit(new CommandLine(command).execute(java.util.Arrays.copyOfRange(a, 1, a.length)));
    }

    /** The bench commands are package-private classes of io.lorafn.bench.cli. */
    private static Object instance(String name) throws ReflectiveOperationException {
        var constructor = Class.forName(name).getDeclaredConstructor();
        constructor.setAccessible(true);
        return constructor.newInstance();
    }
}
