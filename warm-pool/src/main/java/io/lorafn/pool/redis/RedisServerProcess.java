package io.lorafn.pool.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A real {@code redis-server} process for the local stack and the tests: the system's binary where one
 * is installed ({@code LORAFN_REDIS_SERVER} or {@code redis-server} on the PATH), otherwise the Redis 6.2
 * binary that the embedded-redis artifact ships, extracted once.
 *
 * <p>A redis-server outlives a JVM killed with -9 (FACTS.md). So the server runs under a small shell
 * watchdog that polls the owner's pid and stops the server when the owner is gone: no orphan, whatever
 * way the owner ends.
 */
public final class RedisServerProcess implements AutoCloseable {
    private static final String BUNDLED = "redis-server-6.2.6-v5-linux-amd64";

    private final Process watchdog;
    private final int port;

    private RedisServerProcess(Process watchdog, int port) {
        this.watchdog = watchdog;
        this.port = port;
    }

    /** Starts on a free loopback port, owned by this JVM, with no persistence; returns once it answers PING. */
    public static RedisServerProcess start(Path workDir) {
        return start(workDir, ProcessHandle.current().pid());
    }

    /** As {@link #start(Path)}, stopped when process {@code ownerPid} ends. */
    public static RedisServerProcess start(Path workDir, long ownerPid) {
        return start(workDir, ownerPid, false);
    }

    /**
     * As {@link #start(Path, long)}; {@code persistent} turns on the append-only file in {@code workDir}, so
     * tenants, functions and counters survive a restart (DESIGN.md: AOF on wherever data is kept).
     */
    public static RedisServerProcess start(Path workDir, long ownerPid, boolean persistent) {
        try {
            Files.createDirectories(workDir);
            Path binary = binary(workDir);
            int port = freePort();
            String server = String.join(" ", List.of(quote(binary.toString()), "--port", Integer.toString(port),
                    "--bind", "127.0.0.1", "--save", "''", "--appendonly", persistent ? "yes" : "no", "--dir", quote(workDir.toString()),
                    "--logfile", quote(workDir.resolve("redis.log").toString())));
            String script = server + " & r=$!; trap 'kill $r 2>/dev/null' TERM INT; "
                    + "while kill -0 " + ownerPid + " 2>/dev/null && kill -0 $r 2>/dev/null; do sleep 0.3; done; "
                    + "kill $r 2>/dev/null; wait $r";
            Process watchdog = new ProcessBuilder("/bin/sh", "-c", script).redirectErrorStream(true)
                    .redirectOutput(workDir.resolve("watchdog.log").toFile()).start();
            RedisServerProcess p = new RedisServerProcess(watchdog, port);
            p.awaitPong(Duration.ofSeconds(10));
            return p;
        } catch (IOException e) {
            throw new IllegalStateException("could not start redis-server in " + workDir + ": " + e.getMessage(), e);
        }
    }

    public int port() {
        return port;
    }

    /** {@code redis://127.0.0.1:PORT}, for the Vert.x client. */
    public String url() {
        return "redis://127.0.0.1:" + port;
    }

    /** The redis-server's own pid, if it is running. */
    public Optional<Long> serverPid() {
        return watchdog.toHandle().children().findFirst().map(ProcessHandle::pid);
    }

    private void awaitPong(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        IOException last = null;
        while (System.nanoTime() < deadline) {
            if (!watchdog.isAlive()) {
                throw new IllegalStateException("redis-server exited at start (port " + port + "); see its redis.log");
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                OutputStream out = s.getOutputStream();
                out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                InputStream in = s.getInputStream();
                byte[] reply = in.readNBytes(7);
                if (new String(reply, StandardCharsets.US_ASCII).startsWith("+PONG")) {
                    return;
                }
            } catch (IOException e) {
                last = e;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        close();
        throw new IllegalStateException("redis-server on port " + port + " did not answer PING within " + timeout
                + (last != null ? ": " + last.getMessage() : ""));
    }

    @Override
    public void close() {
        serverPid().flatMap(ProcessHandle::of).ifPresent(ProcessHandle::destroy);
        watchdog.destroy();
        try {
            if (!watchdog.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) {
                serverPid().flatMap(ProcessHandle::of).ifPresent(ProcessHandle::destroyForcibly);
                watchdog.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Path binary(Path workDir) throws IOException {
        String configured = System.getenv("LORAFN_REDIS_SERVER");
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            Path candidate = Path.of(dir, "redis-server");
            if (!dir.isEmpty() && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        if (!System.getProperty("os.name", "").startsWith("Linux") || !System.getProperty("os.arch", "").matches("amd64|x86_64")) {
            throw new IOException("no redis-server on the PATH, and the bundled one is for linux-amd64 only; "
                    + "install Redis or set LORAFN_REDIS_SERVER");
        }
        Path target = workDir.resolve(BUNDLED);
        if (!Files.isExecutable(target)) {
            try (InputStream in = RedisServerProcess.class.getResourceAsStream("/" + BUNDLED)) {
                if (in == null) {
                    throw new IOException("the embedded-redis artifact's " + BUNDLED + " is not on the classpath");
                }
                Path tmp = Files.createTempFile(workDir, "redis-server", ".tmp");
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return target;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
