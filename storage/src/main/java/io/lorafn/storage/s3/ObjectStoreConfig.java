package io.lorafn.storage.s3;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * Where adapters and models are stored. With no endpoint, an embedded S3 server is started over
 * {@code dataDir}/s3; with one, any S3 service (MinIO, AWS) is used through the MinIO SDK.
 *
 * @param endpoint   the S3 endpoint, or null for the embedded server
 * @param attempts   tries per operation when the store is unreachable, then the call fails
 * @param timeout    connect, read and write timeout of one HTTP request
 */
public record ObjectStoreConfig(URI endpoint, String accessKey, String secretKey, String bucket, String region,
                                Path dataDir, int attempts, Duration firstBackoff, Duration timeout) {
    public static final String DEFAULT_BUCKET = "lorafn";
    public static final String DEFAULT_REGION = "us-east-1";
    /** The embedded server's own credentials: it listens on loopback only. */
    static final String EMBEDDED_ACCESS_KEY = "lorafn-local";
    static final String EMBEDDED_SECRET_KEY = "lorafn-local-secret";

    public ObjectStoreConfig {
        if (endpoint == null && dataDir == null) {
            throw new IllegalArgumentException("the embedded S3 server needs a data directory (--data)");
        }
        if (endpoint != null && (accessKey == null || secretKey == null)) {
            throw new IllegalArgumentException("S3 endpoint " + endpoint + " needs an access key and a secret key "
                    + "(LORAFN_S3_ACCESS_KEY, LORAFN_S3_SECRET_KEY)");
        }
        if (attempts < 1) {
            throw new IllegalArgumentException("attempts must be >= 1, got " + attempts);
        }
    }

    public static ObjectStoreConfig embedded(Path dataDir) {
        return new ObjectStoreConfig(null, null, null, DEFAULT_BUCKET, DEFAULT_REGION, dataDir, 4,
                Duration.ofMillis(100), Duration.ofSeconds(10));
    }

    /**
     * Flags win over {@code LORAFN_S3_*} variables, which win over defaults. A null flag means "not given".
     */
    public static ObjectStoreConfig resolve(Map<String, String> env, String endpointFlag, String accessKeyFlag,
                                            String secretKeyFlag, String bucketFlag, String regionFlag, Path dataDir) {
        String endpoint = pick(endpointFlag, env.get("LORAFN_S3_ENDPOINT"), null);
        return new ObjectStoreConfig(endpoint == null || endpoint.isBlank() ? null : URI.create(endpoint),
                pick(accessKeyFlag, env.get("LORAFN_S3_ACCESS_KEY"), null),
                pick(secretKeyFlag, env.get("LORAFN_S3_SECRET_KEY"), null),
                pick(bucketFlag, env.get("LORAFN_S3_BUCKET"), DEFAULT_BUCKET),
                pick(regionFlag, env.get("LORAFN_S3_REGION"), DEFAULT_REGION),
                dataDir, 4, Duration.ofMillis(100), Duration.ofSeconds(10));
    }

    public ObjectStoreConfig withRetries(int attempts, Duration firstBackoff, Duration timeout) {
        return new ObjectStoreConfig(endpoint, accessKey, secretKey, bucket, region, dataDir, attempts, firstBackoff, timeout);
    }

    public boolean isEmbedded() {
        return endpoint == null;
    }

    private static String pick(String flag, String env, String fallback) {
        if (flag != null && !flag.isBlank()) {
            return flag;
        }
        return env != null && !env.isBlank() ? env : fallback;
    }
}
