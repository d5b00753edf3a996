package io.lorafn.infra.stack;

import io.lorafn.infra.snapshot.Snapshot;
import io.lorafn.pool.cluster.ClusterMember;
import io.lorafn.storage.s3.ObjectStoreConfig;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * One member of a multi-machine deployment: a Hazelcast member, the HTTP API, the pool manager (active on
 * the cluster's oldest member), and with {@code --agent} this machine's node agent, which runs the workers
 * the autoscaler orders onto this node (restored from {@code --snapshot}). Redis and S3 are external. Run
 * one per machine ({@code infra/k8s}: a DaemonSet); they share the Redis state and the cluster's knobs.
 */
@Command(name = "serve", mixinStandardHelpOptions = true, description = {
        "Runs an invoker and pool-manager member for a deployment on several machines; with --agent, also this machine's",
        "node agent, which runs the workers the autoscaler places on this node. It uses an external Redis (LORAFN_REDIS_URL)",
        "and S3 (LORAFN_S3_*). Members find each other by --members or, on Kubernetes, --k8s-service-dns."})
public final class ServeCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "The served model's directory: tokenizer (prompt limits), chat template, config.")
    Path model;

    @Option(names = "--port", defaultValue = "8080", description = "HTTP port (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--cluster-name", defaultValue = "lorafn", description = "Hazelcast cluster name (default: ${DEFAULT-VALUE}).")
    String clusterName;

    @Option(names = "--members", split = ",", description = "Other members' addresses, host[:port] (default: $LORAFN_CLUSTER_MEMBERS, else this host).")
    List<String> members;

    @Option(names = "--k8s-service-dns", description = "On Kubernetes: the headless service that names the members (default: $LORAFN_K8S_SERVICE_DNS).")
    String serviceDns;

    @Option(names = "--data", defaultValue = "lorafn-data", description = "Local scratch directory (default: ${DEFAULT-VALUE}).")
    Path data;

    @Option(names = "--agent", description = "Also run this machine's node agent: the autoscaler starts and stops workers here.")
    boolean agent;

    @Option(names = "--node", description = "With --agent: this machine's name (default: $LORAFN_NODE, else the host name).")
    String node;

    @Option(names = "--agent-capacity", defaultValue = "4", description = "With --agent: the most workers on this machine (default: ${DEFAULT-VALUE}).")
    int agentCapacity;

    @Option(names = "--snapshot", description = "With --agent: restore workers from this snapshot (lorafn snapshot build).")
    Path snapshot;

    @Option(names = "--backend", defaultValue = "auto", description = "What the workers compute on: auto (CUDA where a device is, else the CPU), cpu or cuda (default: ${DEFAULT-VALUE}).")
    String backend;

    @Option(names = "--threads", defaultValue = "0", description = "With --agent: kernel threads per worker; 0 shares the cores among --agent-capacity workers.")
    int threads;

    @Override
    public Integer call() throws Exception {
        String redis = System.getenv("LORAFN_REDIS_URL");
        if (redis == null || redis.isBlank()) {
            throw new IllegalArgumentException("serve needs an external Redis: set LORAFN_REDIS_URL (for example redis://redis:6379)");
        }
        ObjectStoreConfig store = ObjectStoreConfig.resolve(System.getenv(), null, null, null, null, null, data);
        if (store.isEmbedded()) {
            throw new IllegalArgumentException("serve needs an external object store: set LORAFN_S3_ENDPOINT, LORAFN_S3_ACCESS_KEY, LORAFN_S3_SECRET_KEY");
        }
        String operatorKey = System.getenv("LORAFN_ADMIN_KEY");
        if (operatorKey == null || operatorKey.isBlank()) {
            throw new IllegalArgumentException("set LORAFN_ADMIN_KEY: every member must accept the same operator key");
        }
        String dns = serviceDns != null ? serviceDns : System.getenv("LORAFN_K8S_SERVICE_DNS");
        List<String> peers = members != null ? members : System.getenv("LORAFN_CLUSTER_MEMBERS") != null
                ? Arrays.asList(System.getenv("LORAFN_CLUSTER_MEMBERS").split(",")) : List.of("127.0.0.1");
        // the cluster's pool knobs are kept: another member or the operator set them
        LocalStack.Builder builder = LocalStack.builder(model, data).backend(backend).port(port).redisUrl(redis).objectStore(store).operatorKey(operatorKey)
                .cluster(new ClusterMember.Settings(clusterName, System.getenv("LORAFN_BIND"), 5701, peers, dns));
        if (agent) {
            String name = node != null ? node : System.getenv("LORAFN_NODE") != null ? System.getenv("LORAFN_NODE")
                    : java.net.InetAddress.getLocalHost().getHostName();
            builder.node(name, agentCapacity).snapshot(snapshot != null ? Snapshot.read(snapshot) : null)
                    .threads(threads > 0 ? threads : Math.max(1, Runtime.getRuntime().availableProcessors() / agentCapacity));
        } else {
            builder.workersElsewhere();
        }
        LocalStack stack = builder.start();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stack.close();
            stopped.countDown();
        }, "lorafn-serve-shutdown"));
        System.out.println("lorafn serving on :" + stack.port() + " (cluster " + clusterName + ", Redis " + redis + ", S3 " + store.endpoint() + ")");
        stopped.await();
        return 0;
    }
}
