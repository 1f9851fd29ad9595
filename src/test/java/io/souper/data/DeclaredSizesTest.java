package io.souper.data;

import static org.assertj.core.api.Assertions.assertThat;

import io.souper.errors.SouperException;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A dataset's header is a claim: a file declaring more values than it holds is refused as a bad
 * dataset before anything of the declared size is allocated.
 */
class DeclaredSizesTest {
    /** Far below the 2.1 GB a 16-byte IDX file used to make the evaluator allocate. */
    private static final long ALLOCATION_BUDGET = 32L << 20;

    @TempDir
    Path tmp;

    @Test
    void aSixteenByteIdxFileClaimingTwoGigabytesIsATruncatedDataset() throws IOException {
        Files.write(tmp.resolve("t10k-images-idx3-ubyte"), sixteenByteImages());
        Files.write(tmp.resolve("t10k-labels-idx1-ubyte"), labels(3));

        SouperException error = refusedWithin(tmp.toUri() + "?split=t10k");

        assertThat(error.code()).isEqualTo(DatasetErrorCode.BAD_DATASET);
        assertThat(error).hasMessageContaining("t10k-images-idx3-ubyte")
                .hasMessageContaining("truncated IDX file: its header declares shape [46340, 46340, 1]")
                .hasMessageContaining("only 0 bytes follow the header");
    }

    @Test
    void aGzippedIdxFileIsReadInChunksSoItsClaimCostsNothingEither() throws IOException {
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(tmp.resolve("t10k-images-idx3-ubyte.gz")))) {
            out.write(sixteenByteImages());
            out.write(new byte[1000]); // a little content, far less than declared
        }
        Files.write(tmp.resolve("t10k-labels-idx1-ubyte"), labels(3));

        SouperException error = refusedWithin(tmp.toUri() + "?split=t10k");

        assertThat(error.code()).isEqualTo(DatasetErrorCode.BAD_DATASET);
        assertThat(error).hasMessageContaining("only 1000 bytes follow the header");
    }

    @Test
    void aTruncatedLabelFileIsNamed() throws IOException {
        ByteBuffer images = ByteBuffer.allocate(16 + 2 * 4).putInt(0x00000803).putInt(2).putInt(2).putInt(2);
        Files.write(tmp.resolve("t10k-images-idx3-ubyte"), images.array());
        byte[] labels = labels(1_000_000_000);
        Files.write(tmp.resolve("t10k-labels-idx1-ubyte"), java.util.Arrays.copyOf(labels, 10));

        SouperException error = refusedWithin(tmp.toUri() + "?split=t10k");

        assertThat(error).hasMessageContaining("t10k-labels-idx1-ubyte")
                .hasMessageContaining("declares shape [1000000000], 1000000000 values, but only 2 bytes follow");
    }

    @Test
    void aSafetensorsDatasetDeclaringMoreThanItsFileHoldsIsRefused() throws IOException {
        // inputs: 100,000 images of 1x28x28 F32 declared (313 MB), labels 100,000 I64; the file has 64 bytes of data
        String header = "{\"inputs\":{\"dtype\":\"F32\",\"shape\":[100000,1,28,28],\"data_offsets\":[0,313600000]},"
                + "\"labels\":{\"dtype\":\"I64\",\"shape\":[100000],\"data_offsets\":[313600000,314400000]}}";
        Path file = tmp.resolve("held-out.safetensors");
        Files.write(file, safetensors(header, new byte[64]));

        SouperException error = refusedWithin(file.toUri().toString());

        assertThat(error.code()).isEqualTo(DatasetErrorCode.BAD_DATASET);
        assertThat(error).hasMessageContaining("held-out.safetensors").hasMessageContaining("outside the data section");
    }

    @Test
    void aSafetensorsDatasetWithAnAbsurdImageShapeIsRefused() throws IOException {
        // zero images of 2^31-1 x 2^31-1 x 2^31-1 values: no bytes, but no sensible shape either
        String header = "{\"inputs\":{\"dtype\":\"F32\",\"shape\":[0,2147483647,2147483647,2147483647],"
                + "\"data_offsets\":[0,0]},\"labels\":{\"dtype\":\"I64\",\"shape\":[0],\"data_offsets\":[0,0]}}";
        Path file = tmp.resolve("empty.safetensors");
        Files.write(file, safetensors(header, new byte[0]));

        SouperException error = refusedWithin(file.toUri().toString());

        assertThat(error.code()).isEqualTo(DatasetErrorCode.BAD_DATASET);
        assertThat(error).hasMessageContaining("too large");
    }

    @Test
    void wellFormedFilesStillRead() throws IOException {
        ByteBuffer images = ByteBuffer.allocate(16 + 2 * 4).putInt(0x00000803).putInt(2).putInt(2).putInt(2);
        for (int i = 0; i < 8; i++) {
            images.put((byte) (i * 30));
        }
        Files.write(tmp.resolve("t10k-images-idx3-ubyte"), images.array());
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(tmp.resolve("t10k-labels-idx1-ubyte.gz")))) {
            out.write(ByteBuffer.allocate(10).putInt(0x00000801).putInt(2).put((byte) 3).put((byte) 9).array());
        }

        LabeledImages read = DatasetLoader.load(tmp.toUri() + "?split=t10k&mean=0&std=1");

        assertThat(read.size()).isEqualTo(2);
        assertThat(read.labels()).containsExactly(3, 9);
        assertThat(read.inputs()[7]).isEqualTo(210 / 255f);
    }

    /** Magic, then dims [46340, 46340, 1]: 2,147,395,600 values claimed, none present. */
    static byte[] sixteenByteImages() {
        return ByteBuffer.allocate(16).putInt(0x00000803).putInt(46_340).putInt(46_340).putInt(1).array();
    }

    private static byte[] labels(int n) {
        ByteBuffer b = ByteBuffer.allocate(8 + Math.min(n, 2)).putInt(0x00000801).putInt(n);
        return b.array();
    }

    private static byte[] safetensors(String header, byte[] data) {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + json.length + data.length).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(json.length).put(json).put(data).array();
    }

    /** Loads {@code uri}, expecting a refusal, and checks what the attempt allocated. */
    private static SouperException refusedWithin(String uri) {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        SouperException refused = null;
        try {
            DatasetLoader.load(uri);
        } catch (SouperException e) {
            refused = e;
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertThat(refused).as("loading " + uri).isNotNull();
        assertThat(allocated).as("bytes allocated while refusing " + uri).isLessThan(ALLOCATION_BUDGET);
        return refused;
    }
}
