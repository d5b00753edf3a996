package io.lorafn.storage.s3;

import io.lorafn.storage.NativeMemory;
import io.lorafn.storage.StorageException;
import io.minio.BucketExistsArgs;
import io.minio.GetObjectArgs;
import io.minio.GetObjectResponse;
import io.minio.ListObjectsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.RemoveObjectArgs;
import io.minio.Result;
import io.minio.errors.ErrorResponseException;
import io.minio.errors.ServerException;
import io.minio.http.HttpUtils;
import io.minio.messages.Item;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.URI;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import okhttp3.ConnectionSpec;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;

/**
 * The object store through the MinIO SDK, against the embedded server or any S3 service. Every call is
 * bounded: HTTP timeouts, then a fixed number of attempts with doubling backoff when the store is
 * unreachable or answers 5xx, then {@code OBJECT_STORE_UNREACHABLE}. A 4xx answer is not retried.
 */
public final class ObjectStore implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ObjectStore.class.getName());
    private final ObjectStoreConfig config;
    private final MinioClient client;
    private final OkHttpClient http;
    private final EmbeddedS3Server embedded; // null when the store is external
    private final URI endpoint;

    private ObjectStore(ObjectStoreConfig config, MinioClient client, OkHttpClient http, EmbeddedS3Server embedded, URI endpoint) {
        this.config = config;
        this.client = client;
        this.http = http;
        this.embedded = embedded;
        this.endpoint = endpoint;
    }

    /** Connects (starting the embedded server when no endpoint is configured) and creates the bucket if missing. */
    public static ObjectStore open(ObjectStoreConfig config) {
        EmbeddedS3Server embedded = config.isEmbedded() ? EmbeddedS3Server.start(config.dataDir().resolve("s3")) : null;
        try {
            URI endpoint = embedded != null ? embedded.endpoint() : config.endpoint();
            OkHttpClient http = httpClient(endpoint, config.timeout().toMillis());
            MinioClient client = MinioClient.builder().endpoint(endpoint.toString()).httpClient(http)
                    .credentials(embedded != null ? ObjectStoreConfig.EMBEDDED_ACCESS_KEY : config.accessKey(),
                            embedded != null ? ObjectStoreConfig.EMBEDDED_SECRET_KEY : config.secretKey())
                    .region(config.region()).build();
            ObjectStore store = new ObjectStore(config, client, http, embedded, endpoint);
            store.ensureBucket();
            return store;
        } catch (RuntimeException e) {
            if (embedded != null) {
                embedded.close();
            }
            throw e;
        }
    }

    /**
     * The SDK's own default HTTP client (HTTP/1.1, the configured timeouts), made here so that its connection
     * pool can be emptied ({@link #closeConnections}). For a plain-http endpoint (the embedded server, MinIO
     * inside a cluster) it is cleartext only: OkHttp otherwise loads and parses the JDK's whole trust store
     * when the client is built, about 0.2 s of a restoring worker's start for a TLS it never uses.
     */
    static OkHttpClient httpClient(URI endpoint, long timeoutMs) {
        if (!"http".equalsIgnoreCase(endpoint.getScheme())) {
            return HttpUtils.newDefaultHttpClient(timeoutMs, timeoutMs, timeoutMs);
        }
        return new OkHttpClient.Builder().connectTimeout(timeoutMs, TimeUnit.MILLISECONDS).writeTimeout(timeoutMs, TimeUnit.MILLISECONDS)
                .readTimeout(timeoutMs, TimeUnit.MILLISECONDS).protocols(List.of(Protocol.HTTP_1_1))
                .connectionSpecs(List.of(ConnectionSpec.CLEARTEXT)).build();
    }

    /**
     * Closes the client's idle connections (a CRaC checkpoint must hold no open socket); the next request
     * connects again. Call it with no request in flight.
     */
    public void closeConnections() {
        http.connectionPool().evictAll();
    }

    /** Connections the client holds open now, idle or in use. */
    public int openConnections() {
        return http.connectionPool().connectionCount();
    }

    public URI endpoint() {
        return endpoint;
    }

    public String bucket() {
        return config.bucket();
    }

    /**
     * The {@code LORAFN_S3_*} variables that let another process (a worker) reach this same store, the
     * embedded server included.
     */
    public Map<String, String> environmentForOtherProcesses() {
        return Map.of("LORAFN_S3_ENDPOINT", endpoint.toString(),
                "LORAFN_S3_ACCESS_KEY", embedded != null ? ObjectStoreConfig.EMBEDDED_ACCESS_KEY : config.accessKey(),
                "LORAFN_S3_SECRET_KEY", embedded != null ? ObjectStoreConfig.EMBEDDED_SECRET_KEY : config.secretKey(),
                "LORAFN_S3_BUCKET", config.bucket(), "LORAFN_S3_REGION", config.region());
    }

    private void ensureBucket() {
        String bucket = config.bucket();
        call("create bucket " + bucket, () -> {
            if (!client.bucketExists(BucketExistsArgs.builder().bucket(bucket).build())) {
                client.makeBucket(MakeBucketArgs.builder().bucket(bucket).build());
            }
            return null;
        });
    }

    public void put(String key, byte[] bytes, String contentType) {
        call("put " + key, () -> client.putObject(PutObjectArgs.builder().bucket(config.bucket()).object(key)
                .stream(new ByteArrayInputStream(bytes), bytes.length, -1).contentType(contentType).build()));
    }

    /** Uploads a file of any size, streamed (multipart above 64 MiB, so past S3's single-PUT limit). */
    public void putFile(String key, Path file) {
        call("put " + key, () -> {
            try (InputStream in = Files.newInputStream(file)) {
                return client.putObject(PutObjectArgs.builder().bucket(config.bucket()).object(key)
                        .stream(in, Files.size(file), 64L << 20).build());
            }
        });
    }

    /** Downloads an object into a file, streamed; {@code OBJECT_NOT_FOUND} if there is none. */
    public void getFile(String key, Path file) {
        call("get " + key, () -> {
            try (GetObjectResponse in = client.getObject(GetObjectArgs.builder().bucket(config.bucket()).object(key).build())) {
                Files.copy(in, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            } catch (ErrorResponseException e) {
                if (isNotFound(e)) {
                    throw new StorageException("OBJECT_NOT_FOUND", "no object " + key + " in bucket " + config.bucket());
                }
                throw e;
            }
            return null;
        });
    }

    /** The object's bytes; {@code OBJECT_NOT_FOUND} if there is none. */
    public byte[] get(String key) {
        return fetchOffHeap(key, Long.MAX_VALUE).bytes().toArray(ValueLayout.JAVA_BYTE);
    }

    public boolean exists(String key) {
        return call("stat " + key, () -> {
            try {
                client.statObject(io.minio.StatObjectArgs.builder().bucket(config.bucket()).object(key).build());
                return true;
            } catch (ErrorResponseException e) {
                if (isNotFound(e)) {
                    return false;
                }
                throw e;
            }
        });
    }

    /** Keys under {@code prefix}, recursively, in the store's (lexicographic) order. */
    public List<String> list(String prefix) {
        return call("list " + prefix, () -> {
            List<String> keys = new ArrayList<>();
            for (Result<Item> r : client.listObjects(ListObjectsArgs.builder().bucket(config.bucket()).prefix(prefix)
                    .recursive(true).build())) {
                Item item = r.get();
                if (!item.isDir() && !item.objectName().endsWith("/")) { // the filesystem backend lists directories too
                    keys.add(item.objectName());
                }
            }
            return keys;
        });
    }

    /** Deletes every object under {@code prefix}; returns how many there were. */
    public int deletePrefix(String prefix) {
        List<String> keys = list(prefix);
        for (String key : keys) {
            call("delete " + key, () -> {
                client.removeObject(RemoveObjectArgs.builder().bucket(config.bucket()).object(key).build());
                return null;
            });
        }
        return keys.size();
    }

    /**
     * The object, hashed while it streams in, into native memory that the garbage collector frees once
     * unreachable; objects over {@code maxBytes} are refused without being read. Adapter
     * weights must live there: the Vector API compiles loads from native segments, but a load from a
     * {@code byte[]}-backed segment falls back to scalar code (measured 2 GB/s against 127), and a
     * kernel that has seen both kinds runs the slow path for both.
     */
    public FetchedSegment fetchOffHeap(String key, long maxBytes) {
        return call("get " + key, () -> {
            try (GetObjectResponse in = client.getObject(GetObjectArgs.builder().bucket(config.bucket()).object(key).build())) {
                String length = in.headers().get("Content-Length");
                if (length == null) {
                    throw new IOException(key + ": the store sent no Content-Length");
                }
                long size = Long.parseLong(length);
                if (size > maxBytes) {
                    throw new StorageException("OBJECT_TOO_LARGE", key + " is " + size + " bytes, over the limit of " + maxBytes);
                }
                MemorySegment target = NativeMemory.allocateUninitialized(size, Arena.ofAuto()); // filled in full below
                MessageDigest sha = sha256();
                byte[] chunk = new byte[1 << 16];
                long filled = 0;
                for (int n; (n = in.read(chunk, 0, (int) Math.min(chunk.length, size - filled + 1))) > 0; ) {
                    if (filled + n > size) {
                        throw new IOException(key + ": more bytes than its Content-Length " + size);
                    }
                    sha.update(chunk, 0, n);
                    MemorySegment.copy(chunk, 0, target, ValueLayout.JAVA_BYTE, filled, n);
                    filled += n;
                }
                if (filled != size) {
                    throw new IOException(key + ": got " + filled + " of " + size + " bytes");
                }
                return new FetchedSegment(target, HexFormat.of().formatHex(sha.digest()));
            }
        });
    }

    /** An object in native memory and the sha256 computed as it arrived. */
    public record FetchedSegment(MemorySegment bytes, String sha256) {
    }

    public static String sha256Hex(byte[] bytes) {
        return HexFormat.of().formatHex(sha256().digest(bytes));
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private interface S3Call<T> {
        T run() throws Exception;
    }

    private <T> T call(String what, S3Call<T> op) {
        long backoff = config.firstBackoff().toMillis();
        for (int attempt = 1; ; attempt++) {
            try {
                return op.run();
            } catch (StorageException e) {
                throw e;
            } catch (ErrorResponseException e) {
                if (isNotFound(e)) {
                    throw new StorageException("OBJECT_NOT_FOUND", "s3://" + config.bucket() + ": " + what + ": no such object");
                }
                throw new StorageException("OBJECT_STORE_ERROR", "s3://" + config.bucket() + ": " + what + ": "
                        + e.errorResponse().code() + " " + e.errorResponse().message());
            } catch (IOException | ServerException e) {
                if (attempt >= config.attempts()) {
                    throw new StorageException("OBJECT_STORE_UNREACHABLE", endpoint + ": " + what + " failed after "
                            + attempt + " attempts: " + e.getMessage(), e);
                }
                LOG.log(System.Logger.Level.WARNING, endpoint + ": " + what + ": attempt " + attempt + " failed (" + e
                        + "); retrying in " + backoff + " ms");
                sleep(backoff);
                backoff *= 2;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StorageException("OBJECT_STORE_UNREACHABLE", endpoint + ": " + what + ": interrupted", e);
            } catch (Exception e) {
                throw new StorageException("OBJECT_STORE_ERROR", endpoint + ": " + what + ": " + e, e);
            }
        }
    }

    private static boolean isNotFound(ErrorResponseException e) {
        String code = e.errorResponse().code();
        return "NoSuchKey".equals(code) || "NoSuchObject".equals(code) || e.response() != null && e.response().code() == 404;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(Duration.ofMillis(ms));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StorageException("OBJECT_STORE_UNREACHABLE", "interrupted while backing off", e);
        }
    }

    @Override
    public void close() {
        try {
            client.close();
        } catch (Exception e) {
            // the client only holds pooled connections
        }
        if (embedded != null) {
            embedded.close();
        }
    }
}
