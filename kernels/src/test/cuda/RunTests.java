import org.junit.platform.launcher.*;
import org.junit.platform.launcher.core.*;
import org.junit.platform.launcher.listeners.*;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

/** The GPU bundle's test runner (gpu-bundle.sh): runs the named test classes, prints each result, exits 1 on any failure. */
public class RunTests {
    public static void main(String[] a) throws Exception {
        var b = LauncherDiscoveryRequestBuilder.request();
        for (String c : a) b.selectors(selectClass(Class.forName(c)));
        SummaryGeneratingListener s = new SummaryGeneratingListener();
        TestExecutionListener printer = new TestExecutionListener() {
            public void executionFinished(TestIdentifier id, org.junit.platform.engine.TestExecutionResult r) {
                if (id.isTest()) System.out.println(r.getStatus() + " " + id.getUniqueId().replaceAll(".*class:", "") + r.getThrowable().map(t -> " :: " + t).orElse(""));
            }
            public void executionSkipped(TestIdentifier id, String reason) { System.out.println("SKIPPED " + id.getDisplayName() + " :: " + reason); }
        };
        LauncherFactory.create().execute(b.build(), s, printer);
        s.getSummary().printTo(new java.io.PrintWriter(System.out));
        System.exit(s.getSummary().getTotalFailureCount() == 0 ? 0 : 1);
    }
}
