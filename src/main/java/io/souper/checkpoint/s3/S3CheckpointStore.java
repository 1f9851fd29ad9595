package io.souper.checkpoint.s3;

import io.souper.checkpoint.ByteSource;
import io.souper.checkpoint.CheckpointErrorCode;
import io.souper.errors.SouperException;
import io.souper.checkpoint.store.BlobStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.AbortMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;

/**
 * {@code s3://bucket/key} checkpoints through the AWS SDK for Java v2: AWS S3 itself or any
 * S3-compatible server (endpoint override, path-style addressing). Only keys under the
 * allow-list are touched. Reads are ranged GETs streamed through {@link S3ByteSource}, so a
 * checkpoint never sits whole in the heap; writes upload a local file (multipart above
 * {@link #MULTIPART_THRESHOLD}), and an object appears only when its upload completes.
 *
 * <p>Failures: a missing object is FILE_NOT_FOUND, a refused URI BAD_URI or URI_OUTSIDE_ROOTS,
 * anything the network or the server does is the retriable IO_ERROR.
 */
public final class S3CheckpointStore implements BlobStore {

    static final long MULTIPART_THRESHOLD = 64L << 20;
    static final long PART_BYTES = 32L << 20;

    private final S3Client client;
    private final S3Settings settings;

    public S3CheckpointStore(S3Settings settings) {
        this(settings, buildClient(settings));
    }

    S3CheckpointStore(S3Settings settings, S3Client client) {
        this.settings = settings;
        this.client = client;
    }

    private static S3Client buildClient(S3Settings settings) {
        S3ClientBuilder builder = S3Client.builder()
                .region(Region.of(settings.region()))
                .credentialsProvider(DefaultCredentialsProvider.builder().build())
                .forcePathStyle(settings.pathStyle());
        settings.endpoint().ifPresent(endpoint -> builder.endpointOverride(endpoint)
                // S3-compatible servers (MinIO, Ceph, S3Proxy) do not all speak the newer
                // default integrity checksums; send and check them only where S3 requires them.
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED));
        return builder.build();
    }

    public S3Settings settings() {
        return settings;
    }

    @Override
    public String scheme() {
        return "s3";
    }

    @Override
    public ByteSource open(String uri) {
        S3Location location = settings.allowed().check(uri);
        if (location.isDirectory()) {
            throw new SouperException(CheckpointErrorCode.FILE_NOT_FOUND, uri + ": names a prefix, not an object");
        }
        HeadObjectResponse head = head(location);
        if (head == null) {
            throw new SouperException(CheckpointErrorCode.FILE_NOT_FOUND, uri + ": no such object");
        }
        return new S3ByteSource(client, location, head.contentLength(), head.eTag(), settings.readAheadBytes());
    }

    @Override
    public boolean exists(String uri) {
        S3Location location = settings.allowed().check(uri);
        return !location.isDirectory() && head(location) != null;
    }

    @Override
    public boolean isDirectory(String uri) {
        return settings.allowed().check(uri).isDirectory();
    }

    @Override
    public String resolve(String uri, String fileName) {
        if (!BlobStore.isPlainFileName(fileName)) {
            throw new SouperException(CheckpointErrorCode.BAD_URI, "'" + fileName + "' is not a plain file name");
        }
        S3Location child = S3Location.parse(uri).child(fileName);
        return settings.allowed().check(child.uri()).uri();
    }

    @Override
    public void put(String uri, Path localFile) {
        S3Location location = settings.allowed().check(uri);
        if (location.isDirectory()) {
            throw new SouperException(CheckpointErrorCode.BAD_URI, uri + ": cannot write an object named like a prefix");
        }
        try {
            long size = Files.size(localFile);
            if (size <= MULTIPART_THRESHOLD) {
                client.putObject(PutObjectRequest.builder().bucket(location.bucket()).key(location.key()).build(),
                        RequestBody.fromFile(localFile));
            } else {
                multipart(location, localFile, size);
            }
        } catch (IOException e) {
            throw new SouperException(CheckpointErrorCode.IO_ERROR, uri + ": upload of " + localFile + " failed: " + e, e);
        } catch (SdkException e) {
            throw new SouperException(CheckpointErrorCode.IO_ERROR, uri + ": upload failed: " + e.getMessage(), e);
        }
    }

    /** Parts are streamed from the file one at a time: memory is the SDK's buffers, not the file. */
    private void multipart(S3Location location, Path file, long size) throws IOException {
        String uploadId = client.createMultipartUpload(b -> b.bucket(location.bucket()).key(location.key())).uploadId();
        boolean done = false;
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            List<CompletedPart> parts = new ArrayList<>();
            for (long offset = 0, part = 1; offset < size; offset += PART_BYTES, part++) {
                long length = Math.min(PART_BYTES, size - offset);
                long from = offset;
                RequestBody body = RequestBody.fromContentProvider(() -> slice(channel, from, length), length,
                        "application/octet-stream");
                String etag = client.uploadPart(UploadPartRequest.builder().bucket(location.bucket())
                        .key(location.key()).uploadId(uploadId).partNumber((int) part).contentLength(length).build(),
                        body).eTag();
                parts.add(CompletedPart.builder().partNumber((int) part).eTag(etag).build());
            }
            client.completeMultipartUpload(CompleteMultipartUploadRequest.builder().bucket(location.bucket())
                    .key(location.key()).uploadId(uploadId)
                    .multipartUpload(CompletedMultipartUpload.builder().parts(parts).build()).build());
            done = true;
        } finally {
            if (!done) {
                try {
                    client.abortMultipartUpload(AbortMultipartUploadRequest.builder().bucket(location.bucket())
                            .key(location.key()).uploadId(uploadId).build());
                } catch (SdkException ignored) {
                    // the upload failure is what matters; the server expires abandoned uploads
                }
            }
        }
    }

    private static InputStream slice(FileChannel channel, long from, long length) {
        return new java.io.BufferedInputStream(Channels.newInputStream(new BoundedChannel(channel, from, length)), 1 << 16);
    }

    private HeadObjectResponse head(S3Location location) {
        try {
            return client.headObject(HeadObjectRequest.builder().bucket(location.bucket()).key(location.key()).build());
        } catch (NoSuchKeyException e) {
            return null;
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return null;
            }
            throw new SouperException(CheckpointErrorCode.IO_ERROR, location + ": HEAD failed: " + e.getMessage(), e);
        } catch (SdkException e) {
            throw new SouperException(CheckpointErrorCode.IO_ERROR, location + ": HEAD failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        client.close();
    }
}
