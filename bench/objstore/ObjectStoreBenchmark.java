package io.souper.bench;

import io.souper.checkpoint.FileBlobStore;
import io.souper.checkpoint.s3.S3AllowList;
import io.souper.checkpoint.s3.S3CheckpointStore;
import io.souper.checkpoint.s3.S3Settings;
import io.souper.checkpoint.sharded.ShardedAverager;
import io.souper.checkpoint.sharded.ShardedCheckpoint;
import io.souper.checkpoint.sharded.SoupFiles;
import io.souper.checkpoint.store.BlobStore;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;

/**
 * Sharded checkpoints averaged from an S3 API server and from local files (bench/objstore/run.sh).
 *
 *   serve DIR PORT BUCKET               an S3Proxy (filesystem backend over DIR: bucket BUCKET is DIR/BUCKET) until killed
 *   average (ENDPOINT|file) OUT_DIR URI...   the soup of the checkpoints, shard by shard, into OUT_DIR;
 *                                        prints one JSON line: seconds, bytes read, GB/s, soup sha256
 * Credentials come from the SDK's default chain (the script sets aws.accessKeyId/aws.secretAccessKey).
 */
public final class ObjectStoreBenchmark {

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "serve" -> serve(Path.of(args[1]), Integer.parseInt(args[2]), args[3]);
            case "average" -> average(args[1], Path.of(args[2]), List.of(args).subList(3, args.length));
            default -> throw new IllegalArgumentException("unknown command " + args[0]);
        }
    }

    private static void serve(Path dir, int port, String bucket) throws Exception {
        Properties properties = new Properties();
        properties.setProperty("jclouds.filesystem.basedir", dir.toString());
        BlobStoreContext context = ContextBuilder.newBuilder("filesystem").credentials("identity", "credential")
                .overrides(properties).build(BlobStoreContext.class);
        context.getBlobStore().createContainerInLocation(null, bucket);
        S3Proxy proxy = S3Proxy.builder().blobStore(context.getBlobStore())
                .endpoint(URI.create("http://127.0.0.1:" + port))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, System.getProperty("aws.accessKeyId"),
                        System.getProperty("aws.secretAccessKey")).build();
        proxy.start();
        while (!"STARTED".equals(proxy.getState())) {
            Thread.sleep(20);
        }
        System.out.println("serving " + bucket + " on port " + port);
        Thread.currentThread().join();
    }

    private static S3CheckpointStore s3(URI endpoint, String allowed) {
        return new S3CheckpointStore(S3Settings.compatible(endpoint, S3AllowList.parse(List.of(allowed))));
    }

    private static void average(String where, Path out, List<String> uris) throws Exception {
        BlobStore store = where.equals("file")
                ? new FileBlobStore(List.of(Path.of("/")))
                : s3(URI.create(where), URI.create(uris.get(0)).getHost());
        List<ShardedCheckpoint> ingredients = new ArrayList<>();
        try (store) {
            long start = System.nanoTime();
            long bytes = 0;
            for (String uri : uris) {
                ShardedCheckpoint c = ShardedCheckpoint.open(store, uri);
                ingredients.add(c);
                bytes += c.dataBytes();
            }
            SoupFiles soup = new ShardedAverager().average(ingredients, out);
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf(Locale.ROOT, "{\"seconds\": %.2f, \"bytes_read\": %d, \"gb_per_s\": %.3f, "
                    + "\"shards\": %d, \"sha256\": \"%s\"}%n", seconds, bytes, bytes / seconds / 1e9,
                    soup.files().size() - (soup.sharded() ? 1 : 0), soup.sha256());
        } finally {
            ingredients.forEach(ShardedCheckpoint::close);
        }
    }
}
