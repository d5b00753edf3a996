package io.lorafn.storage.s3;

import io.lorafn.storage.StorageException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;

/**
 * A real S3 server in this process: S3Proxy over jclouds' filesystem store, on a free loopback port.
 * It speaks the S3 protocol (signatures included), so clients use it exactly as they would MinIO.
 */
public final class EmbeddedS3Server implements AutoCloseable {
    private final S3Proxy proxy;
    private final BlobStoreContext context;
    private final URI endpoint;

    private EmbeddedS3Server(S3Proxy proxy, BlobStoreContext context, URI endpoint) {
        this.proxy = proxy;
        this.context = context;
        this.endpoint = endpoint;
    }

    /** Starts over {@code baseDir} (created if needed); returns once the server accepts connections. */
    public static EmbeddedS3Server start(Path baseDir) {
        BlobStoreContext context = null;
        try {
            Files.createDirectories(baseDir);
            Properties props = new Properties();
            props.setProperty("jclouds.filesystem.basedir", baseDir.toAbsolutePath().toString());
            context = ContextBuilder.newBuilder("filesystem").credentials("identity", "credential").overrides(props)
                    .build(BlobStoreContext.class);
            S3Proxy proxy = S3Proxy.builder().blobStore(context.getBlobStore()).endpoint(URI.create("http://127.0.0.1:0"))
                    .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ObjectStoreConfig.EMBEDDED_ACCESS_KEY,
                            ObjectStoreConfig.EMBEDDED_SECRET_KEY)
                    .build();
            proxy.start();
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (!"STARTED".equals(proxy.getState())) {
                if (System.nanoTime() > deadline || "FAILED".equals(proxy.getState())) {
                    proxy.stop();
                    throw new StorageException("OBJECT_STORE_UNAVAILABLE", "embedded S3 server over " + baseDir
                            + " did not start (state " + proxy.getState() + ")");
                }
                Thread.sleep(5);
            }
            return new EmbeddedS3Server(proxy, context, URI.create("http://127.0.0.1:" + proxy.getPort()));
        } catch (StorageException e) {
            context.close();
            throw e;
        } catch (Exception e) {
            if (context != null) {
                context.close();
            }
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new StorageException("OBJECT_STORE_UNAVAILABLE", "embedded S3 server over " + baseDir
                    + " failed to start: " + e, e);
        }
    }

    public URI endpoint() {
        return endpoint;
    }

    @Override
    public void close() {
        try {
            proxy.stop();
        } catch (Exception e) {
            System.getLogger(EmbeddedS3Server.class.getName()).log(System.Logger.Level.WARNING, "stopping embedded S3: " + e);
        } finally {
            context.close();
        }
    }
}
