package io.souper.checkpoint;

import io.souper.checkpoint.s3.S3AllowList;
import io.souper.checkpoint.s3.S3CheckpointStore;
import io.souper.checkpoint.s3.S3Settings;
import io.souper.kafka.FreePorts;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;

/**
 * A real S3 API server for tests: S3Proxy on 127.0.0.1 (a free port) over jclouds' filesystem
 * backend, with signature-v4 authentication. Clients reach it with the production code
 * ({@link S3CheckpointStore}); their credentials come from the SDK's default chain, which reads
 * the {@code aws.accessKeyId} / {@code aws.secretAccessKey} system properties set here.
 */
public final class S3TestServer implements AutoCloseable {

    public static final String ACCESS_KEY = "souper-test-access";
    public static final String SECRET_KEY = "souper-test-secret-key";

    private final S3Proxy proxy;
    private final BlobStoreContext context;
    private final URI endpoint;

    public S3TestServer(Path directory, String... buckets) throws Exception {
        System.setProperty("aws.accessKeyId", ACCESS_KEY);
        System.setProperty("aws.secretAccessKey", SECRET_KEY);
        Properties properties = new Properties();
        properties.setProperty("jclouds.filesystem.basedir", directory.toString());
        context = ContextBuilder.newBuilder("filesystem").credentials("identity", "credential")
                .overrides(properties).build(BlobStoreContext.class);
        for (String bucket : buckets) {
            context.getBlobStore().createContainerInLocation(null, bucket);
        }
        endpoint = URI.create("http://127.0.0.1:" + FreePorts.pick());
        proxy = S3Proxy.builder().blobStore(context.getBlobStore()).endpoint(endpoint)
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY).build();
        proxy.start();
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!"STARTED".equals(proxy.getState())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("S3Proxy did not start: " + proxy.getState());
            }
            Thread.sleep(20);
        }
    }

    public URI endpoint() {
        return endpoint;
    }

    /** A store as production builds it, allowed only {@code allowed} ("bucket" or "bucket/prefix"). */
    public S3CheckpointStore store(String... allowed) {
        return new S3CheckpointStore(S3Settings.compatible(endpoint, S3AllowList.parse(List.of(allowed))));
    }

    @Override
    public void close() throws Exception {
        proxy.stop();
        context.close();
    }
}
