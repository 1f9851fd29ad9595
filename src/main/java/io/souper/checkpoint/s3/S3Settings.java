package io.souper.checkpoint.s3;

import java.net.URI;
import java.util.Optional;

/**
 * How to reach an object store. Credentials are deliberately absent: they come from the AWS
 * SDK's default chain (environment, system properties, profile, instance role), never from
 * events or from these settings.
 *
 * @param endpoint         an S3-compatible server (MinIO, Ceph, S3Proxy); empty for AWS itself
 * @param region           the signing region (S3-compatible servers accept any; us-east-1 by default)
 * @param pathStyle        address buckets as a path (http://host/bucket/key), as most S3-compatible servers need
 * @param allowed          the bucket/prefix pairs that may be read and written
 * @param readAheadBytes   the largest ranged GET a streaming read asks for at once
 */
public record S3Settings(Optional<URI> endpoint, String region, boolean pathStyle, S3AllowList allowed,
                         long readAheadBytes) {

    public static final String DEFAULT_REGION = "us-east-1";
    public static final long DEFAULT_READ_AHEAD_BYTES = 64L << 20;

    public S3Settings {
        endpoint = endpoint == null ? Optional.empty() : endpoint;
        region = region == null || region.isBlank() ? DEFAULT_REGION : region;
        if (allowed == null) {
            throw new IllegalArgumentException("an object store needs an allow-list");
        }
        if (readAheadBytes < 1 << 16) {
            throw new IllegalArgumentException("read-ahead of " + readAheadBytes + " bytes is below 64 KiB");
        }
    }

    /** An S3-compatible server at {@code endpoint}, path-style, default region and read-ahead. */
    public static S3Settings compatible(URI endpoint, S3AllowList allowed) {
        return new S3Settings(Optional.of(endpoint), DEFAULT_REGION, true, allowed, DEFAULT_READ_AHEAD_BYTES);
    }
}
