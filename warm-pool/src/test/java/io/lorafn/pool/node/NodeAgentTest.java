package io.lorafn.pool.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafn.pool.Awaits;
import io.lorafn.pool.cluster.ClusterMember;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The autoscaler's orders carried out on two machines: two real Hazelcast members, each with its node agent
 * starting real processes (a stand-in command, since the orders and processes are what is under test here;
 * infra's tests run real workers). Workers spread over the nodes, a stop drains the right one, and the
 * workers of a node that left are given up so that their replacements start elsewhere.
 */
class NodeAgentTest {
    @TempDir
    Path logs;

    @Test
    void workersSpreadOverTheNodesStopWhereTheyRunAndAreReplacedWhenTheirNodeLeaves() throws Exception {
        String cluster = "lorafn-agents-" + UUID.randomUUID();
        ClusterMember a = ClusterMember.start(ClusterMember.Settings.local(cluster).withAgent("node-a", 2));
        ClusterMember b = ClusterMember.start(ClusterMember.Settings.local(cluster).withAgent("node-b", 1));
        WorkerProcesses processesA = sleepers("a");
        WorkerProcesses processesB = sleepers("b");
        try (NodeAgent agentA = new NodeAgent(a, "node-a", processesA); NodeAgent agentB = new NodeAgent(b, "node-b", processesB)) {
            assertEquals(Map.of("node-a", 2, "node-b", 1), a.agentNodes());
            ClusterWorkers pool = new ClusterWorkers(a);
            pool.start(List.of("t/x/1"));
            pool.start(List.of());
            await(() -> processesA.ids().size() == 1 && processesB.ids().size() == 1, "one worker on each node");
            assertEquals(List.of("node-a-w1"), processesA.ids());
            assertEquals(List.of("node-b-w1"), processesB.ids());
            await(() -> processesB.process("node-b-w1").isPresent(), "a running process (its start may still be under way)");
            pool.start(List.of());
            await(() -> processesA.ids().size() == 2, "the third goes where there is room: node-b's capacity is 1");
            assertEquals(Set.of("node-a-w1", "node-a-w2", "node-b-w1"), Set.copyOf(new ClusterWorkers(b).ids()),
                    "every member reads the same orders (a pool manager taking over sees them)");

            pool.stop("node-a-w1");
            await(() -> processesA.ids().equals(List.of("node-a-w2")), "the stopped worker goes, on its own node");
            // the agent drops the order just after it stops the process: a separate step, so wait for it too
            await(() -> !a.workerOrders().containsKey("node-a-w1"), "its order is done with");
            assertEquals(List.of("node-a-w2", "node-b-w1"), pool.ids());

            agentB.close();
            processesB.close();
            b.close();
            await(() -> !a.agentNodes().containsKey("node-b"), "node-b left the cluster");
            assertEquals(List.of("node-a-w2"), pool.ids(), "node-b's worker is given up");
            pool.start(List.of());
            await(() -> processesA.ids().size() == 2, "and replaced on the node that is left");
            assertTrue(processesA.ids().contains("node-a-w3"), "under a new id: " + processesA.ids());

            a.workerOrders().remove("node-a-w2");
            await(() -> processesA.ids().equals(List.of("node-a-w3")), "a worker with no order is stopped");
        } finally {
            processesA.close();
            processesB.close();
            a.close();
            if (b.hazelcast().getLifecycleService().isRunning()) {
                b.close();
            }
        }
    }

    private WorkerProcesses sleepers(String name) {
        return new WorkerProcesses(id -> List.of("sleep", "600"), Map.of(), logs.resolve(name), 2000);
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        Awaits.awaitTrue(condition, 15_000, what);
    }
}
