package io.lorafn.storage.cli;

import io.lorafn.storage.s3.ObjectStore;
import io.lorafn.storage.s3.ObjectStoreConfig;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Where the object store is: flags, else {@code LORAFN_S3_*} and {@code LORAFN_DATA}, else the embedded server. */
public final class ObjectStoreOptions {
    @Option(names = "--data", description = "Data directory; the embedded S3 server keeps its objects under DATA/s3 "
            + "(default: $LORAFN_DATA, else ~/.lorafn).")
    Path data;

    @Option(names = "--s3-endpoint", description = "An S3 endpoint such as http://minio:9000 (default: $LORAFN_S3_ENDPOINT; "
            + "none starts the embedded server).")
    String endpoint;

    @Option(names = "--s3-access-key", description = "Default: $LORAFN_S3_ACCESS_KEY.")
    String accessKey;

    @Option(names = "--s3-secret-key", description = "Default: $LORAFN_S3_SECRET_KEY.")
    String secretKey;

    @Option(names = "--s3-bucket", description = "Default: $LORAFN_S3_BUCKET, else lorafn.")
    String bucket;

    @Option(names = "--s3-region", description = "Default: $LORAFN_S3_REGION, else us-east-1.")
    String region;

    public Path dataDir() {
        if (data != null) {
            return data;
        }
        String env = System.getenv("LORAFN_DATA");
        return env != null && !env.isBlank() ? Path.of(env) : Path.of(System.getProperty("user.home"), ".lorafn");
    }

    public ObjectStoreConfig config() {
        return ObjectStoreConfig.resolve(System.getenv(), endpoint, accessKey, secretKey, bucket, region, dataDir());
    }

    public ObjectStore open() {
        return ObjectStore.open(config());
    }
}
