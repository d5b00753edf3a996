package io.lorafn.pool.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.lorafn.pool.contract.WorkerInfo;
import com.hazelcast.cluster.Member;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * An embedded Hazelcast member: the invoker and pool processes each run one (DESIGN.md). Members find
 * each other by a TCP member list; multicast and cloud auto-detection are off, so nothing joins by
 * accident. The cluster holds the worker registry, the map {@code workers}.
 */
public final class ClusterMember implements AutoCloseable {
    /** The worker registry's map name. */
    public static final String WORKERS = "workers";
    /** The pool manager's orders to the node agents, by worker id. */
    public static final String WORKER_ORDERS = "worker-orders";
    private static final String NODE_ATTRIBUTE = "lorafn.node";
    private static final String AGENT_CAPACITY_ATTRIBUTE = "lorafn.agent.capacity";

    private final HazelcastInstance hazelcast;

    private ClusterMember(HazelcastInstance hazelcast) {
        this.hazelcast = hazelcast;
    }

    /**
     * @param clusterName members join only a cluster of the same name (tests use a fresh one each)
     * @param bindAddress the address to listen on and advertise, such as {@code 127.0.0.1}; null lets
     *                    Hazelcast pick the pod's or host's address
     * @param port        the first port to try; the next ones are tried when it is taken
     * @param members     addresses of the other members, {@code host} or {@code host:port}
     * @param kubernetesServiceDns on Kubernetes, the headless service whose DNS names the members (for
     *                    example {@code lorafn-cluster.lorafn.svc.cluster.local}); null to use {@code members}
     * @param node        the machine's name, which a node agent on this member runs workers under; null when
     *                    the member runs no agent
     * @param agentCapacity the most workers this member's agent runs at once
     */
    public record Settings(String clusterName, String bindAddress, int port, List<String> members, String kubernetesServiceDns,
                           String node, int agentCapacity) {
        public Settings {
            members = List.copyOf(members);
        }

        public Settings(String clusterName, String bindAddress, int port, List<String> members, String kubernetesServiceDns) {
            this(clusterName, bindAddress, port, members, kubernetesServiceDns, null, 0);
        }

        /** One machine: every member on loopback, from port 5701 up. */
        public static Settings local(String clusterName) {
            return new Settings(clusterName, "127.0.0.1", 5701, List.of("127.0.0.1"), null);
        }

        /** These settings for a member that runs the node agent of {@code node}, up to {@code capacity} workers. */
        public Settings withAgent(String node, int capacity) {
            return new Settings(clusterName, bindAddress, port, members, kubernetesServiceDns, node, capacity);
        }
    }

    public static ClusterMember start(Settings settings) {
        Logger.getLogger("com.hazelcast").setLevel(Level.WARNING);
        Config config = new Config();
        config.setClusterName(settings.clusterName());
        config.setProperty("hazelcast.logging.type", "jdk");
        config.setProperty("hazelcast.phone.home.enabled", "false");
        config.setProperty("hazelcast.shutdownhook.enabled", "false"); // the owning process decides when to leave
        config.setProperty("hazelcast.wait.seconds.before.join", "0");
        if (settings.bindAddress() != null) {
            config.setProperty("hazelcast.local.localAddress", settings.bindAddress());
        }
        NetworkConfig network = config.getNetworkConfig();
        network.setPort(settings.port()).setPortAutoIncrement(true);
        JoinConfig join = network.getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        if (settings.node() != null) { // the node agents are found by these: the member list is the live set
            config.getMemberAttributeConfig().setAttribute(NODE_ATTRIBUTE, settings.node())
                    .setAttribute(AGENT_CAPACITY_ATTRIBUTE, Integer.toString(settings.agentCapacity()));
        }
        if (settings.kubernetesServiceDns() != null) {
            // DNS lookup mode: the headless service's records name the members; no Kubernetes API access is needed
            join.getKubernetesConfig().setEnabled(true).setProperty("service-dns", settings.kubernetesServiceDns());
        } else {
            join.getTcpIpConfig().setEnabled(true).setMembers(settings.members());
        }
        return new ClusterMember(Hazelcast.newHazelcastInstance(config));
    }

    /** The worker registry: live workers by id, kept by the pool manager. */
    public IMap<String, WorkerInfo> workers() {
        return hazelcast.getMap(WORKERS);
    }

    /** The pool manager's orders to the node agents ({@link io.lorafn.pool.node.WorkerOrder}), by worker id. */
    public IMap<String, io.lorafn.pool.node.WorkerOrder> workerOrders() {
        return hazelcast.getMap(WORKER_ORDERS);
    }

    /** The nodes whose agent is a live member now, with each agent's capacity. */
    public Map<String, Integer> agentNodes() {
        Map<String, Integer> nodes = new TreeMap<>();
        for (Member m : hazelcast.getCluster().getMembers()) {
            String node = m.getAttribute(NODE_ATTRIBUTE);
            if (node != null) {
                nodes.merge(node, Integer.parseInt(m.getAttribute(AGENT_CAPACITY_ATTRIBUTE)), Integer::sum);
            }
        }
        return nodes;
    }

    /**
     * Whether this member is the cluster's oldest, the one that runs the pool manager. Every member sees
     * the same member order, so exactly one answers yes (per side of a split brain; CP leader election
     * is Enterprise-only in Hazelcast 5.5+, FACTS.md). When the oldest leaves, the next takes over as soon
     * as the cluster notices (about 0.4 s after a kill -9 here).
     */
    public boolean isOldest() {
        return hazelcast.getLifecycleService().isRunning() && hazelcast.getCluster().getMembers().iterator().next().localMember();
    }

    public HazelcastInstance hazelcast() {
        return hazelcast;
    }

    @Override
    public void close() {
        hazelcast.shutdown();
    }
}
