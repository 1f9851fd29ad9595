package io.souper.cli;

import io.souper.checkpoint.s3.S3AllowList;
import io.souper.checkpoint.s3.S3Settings;
import picocli.CommandLine.Option;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * How to reach {@code s3://} URIs (AWS S3 or an S3-compatible server such as MinIO, Ceph or
 * S3Proxy). Credentials are deliberately not options: the AWS SDK's default chain supplies them
 * (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a profile, an instance or pod role).
 */
public final class ObjectStoreOptions {

    static final String ALLOW_ENV = "SOUPER_S3_ALLOW";

    @Option(names = "--s3-endpoint", paramLabel = "URL",
            description = "Endpoint of an S3-compatible server (MinIO, Ceph, S3Proxy); none for AWS S3 itself "
                    + "(env SOUPER_S3_ENDPOINT).")
    URI endpoint;

    @Option(names = "--s3-region", paramLabel = "REGION", defaultValue = S3Settings.DEFAULT_REGION,
            description = "Signing region of the object store (env SOUPER_S3_REGION; default: ${DEFAULT-VALUE}).")
    String region;

    @Option(names = "--s3-path-style", paramLabel = "BOOLEAN", defaultValue = "false", arity = "0..1",
            fallbackValue = "true",
            description = "Address buckets as a path (host/bucket/key), as most S3-compatible servers "
                    + "need (env SOUPER_S3_PATH_STYLE; default: ${DEFAULT-VALUE}).")
    boolean pathStyle;

    // one variable for a repeatable option: comma-separated
    @EnvironmentVariable(ALLOW_ENV)
    @Option(names = "--s3-allow", paramLabel = "BUCKET[/PREFIX]", split = ",",
            description = "A bucket, or bucket/prefix, whose objects may be read and written; repeat for several. "
                    + "s3:// URIs elsewhere are refused (URI_OUTSIDE_ROOTS); without any, s3:// URIs are refused "
                    + "(env " + ALLOW_ENV + ", comma-separated).")
    List<String> allowed = new ArrayList<>();

    /** The object store, if any bucket is allowed. */
    public Optional<S3Settings> settings() {
        List<String> entries = allowed.stream().filter(a -> !a.isBlank()).toList();
        return entries.isEmpty() ? Optional.empty() : Optional.of(settings(entries));
    }

    /** The object store with {@code entries} allowed, whatever --s3-allow says. */
    S3Settings settings(List<String> entries) {
        return new S3Settings(Optional.ofNullable(endpoint), region, pathStyle, S3AllowList.parse(entries),
                S3Settings.DEFAULT_READ_AHEAD_BYTES);
    }
}
