package io.souper.checkpoint;

import io.souper.checkpoint.sharded.CheckpointHashes;
import io.souper.checkpoint.sharded.ShardedCheckpoint;
import io.souper.checkpoint.store.BlobStore;
import io.souper.errors.SouperException;
import io.souper.kafka.Faults;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Whose fault a checkpoint that cannot be read is. Absent while its store root is there and
 * readable: the record's (FILE_NOT_FOUND, dead-lettered). Its root gone (an unmounted volume), or
 * the file shrank while it was being read or hashed: the world's (the retriable IO_ERROR), and the
 * same URI reads fine once the volume is back.
 */
class StoreOutageTest {

    @TempDir
    Path tmp;

    @Test
    void aMissingFileUnderAPresentRootIsTheRecordsFaultButAnUnmountedRootIsTheWorlds() throws IOException {
        Path volume = Files.createDirectories(tmp.resolve("volume"));
        Path file = TestTensors.writeModel(volume, "ckpt", TestTensors.randomModel(1));
        String uri = file.toUri().toString();
        String absent = volume.resolve("absent.safetensors").toUri().toString();
        FileBlobStore store = new FileBlobStore(List.of(volume));
        FileCheckpointStore checkpoints = new FileCheckpointStore(List.of(tmp, volume));

        assertThat(code(() -> store.open(absent))).isEqualTo(CheckpointErrorCode.FILE_NOT_FOUND);
        assertThat(fault(() -> store.open(absent))).isEqualTo(Faults.Fault.RECORD);

        Path away = tmp.resolve("unmounted");
        Files.move(volume, away);
        for (String u : List.of(uri, absent)) {
            assertThat(code(() -> store.open(u))).as(u).isEqualTo(CheckpointErrorCode.IO_ERROR);
            assertThat(fault(() -> store.open(u))).isEqualTo(Faults.Fault.WORLD);
            assertThat(code(() -> checkpoints.resolve(u))).isEqualTo(CheckpointErrorCode.IO_ERROR);
            assertThat(code(() -> ShardedCheckpoint.open(store, u))).isEqualTo(CheckpointErrorCode.IO_ERROR);
        }
        assertThatThrownBy(() -> store.open(uri)).hasMessageContaining("store root " + volume)
                .hasMessageContaining("unmounted");

        Files.move(away, volume);
        try (ShardedCheckpoint back = ShardedCheckpoint.open(store, uri)) {
            assertThat(back.index().weightMap()).containsKey("conv.weight");
        }
        assertThat(code(() -> store.open(absent))).as("the root is back: absent is absent again")
                .isEqualTo(CheckpointErrorCode.FILE_NOT_FOUND);
    }

    @Test
    void aFileThatShrinksWhileReadIsTheWorldsFaultAndReadAgainIsJudgedAfresh() throws IOException {
        Path file = TestTensors.writeModel(tmp, "ckpt", TestTensors.randomModel(2));
        long size = Files.size(file);
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            truncate(file, size - 16);
            SouperException read = firstFailure(reader, false);
            assertThat(read.code()).isEqualTo(CheckpointErrorCode.IO_ERROR);
            assertThat(Faults.classify(read)).isEqualTo(Faults.Fault.WORLD);
            assertThat(read).hasMessageContaining("shrank or went away while being read");
            SouperException mapped = firstFailure(reader, true);
            assertThat(mapped.code()).as("never mapped past the end, where the access would fault")
                    .isEqualTo(CheckpointErrorCode.IO_ERROR);
        }
        // opened again, the truncated file fails its header check: now it is the record's fault
        assertThat(code(() -> SafetensorsReader.open(file))).isEqualTo(CheckpointErrorCode.BAD_HEADER);
    }

    @Test
    void aFileThatShrinksWhileHashedIsNotAHashMismatch() throws IOException {
        Path file = TestTensors.writeModel(tmp, "ckpt", TestTensors.randomModel(3));
        String sha = Sha256.of(file);
        FileBlobStore files = new FileBlobStore(List.of(tmp));
        String uri = file.toUri().toString();
        // a store whose file is cut short by someone else right after the first read returned
        BlobStore shrinking = new ForwardingBlobStore(files) {
            @Override
            public ByteSource open(String u) {
                ByteSource source = files.open(u);
                return new ByteSource() {
                    boolean cut;

                    public String name() {
                        return source.name();
                    }

                    public long size() throws IOException {
                        return source.size();
                    }

                    public int read(ByteBuffer destination, long position) throws IOException {
                        int n = source.read(destination, position);
                        if (!cut) {
                            cut = true;
                            truncate(file, position + n - 7);
                        }
                        return n;
                    }

                    public void close() throws IOException {
                        source.close();
                    }
                };
            }
        };
        SouperException e = (SouperException) catchThrown(() -> CheckpointHashes.sha256(shrinking, uri));
        assertThat(e.code()).isEqualTo(CheckpointErrorCode.IO_ERROR);
        assertThat(e).hasMessageContaining("changed while being hashed");
        assertThat(sha).hasSize(64);
    }

    private static SouperException firstFailure(SafetensorsReader reader, boolean map) {
        for (String name : reader.names()) {
            try {
                if (map) {
                    reader.map(name).data().get(0);
                } else {
                    reader.load(name);
                }
            } catch (SouperException e) {
                return e;
            }
        }
        throw new AssertionError("every tensor of the truncated file was read");
    }

    private static void truncate(Path file, long length) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(length);
        }
    }

    private static Throwable catchThrown(Runnable action) {
        try {
            action.run();
        } catch (RuntimeException e) {
            return e;
        }
        throw new AssertionError("no failure");
    }

    private static io.souper.errors.ErrorCode code(Runnable action) {
        Throwable t = catchThrown(action);
        assertThat(t).isInstanceOf(SouperException.class);
        return ((SouperException) t).code();
    }

    private static Faults.Fault fault(Runnable action) {
        return Faults.classify(catchThrown(action));
    }

    /** Every call goes to {@code delegate} unless overridden. */
    private static class ForwardingBlobStore implements BlobStore {
        private final BlobStore delegate;

        ForwardingBlobStore(BlobStore delegate) {
            this.delegate = delegate;
        }

        public String scheme() {
            return delegate.scheme();
        }

        public ByteSource open(String uri) {
            return delegate.open(uri);
        }

        public boolean exists(String uri) {
            return delegate.exists(uri);
        }

        public boolean isDirectory(String uri) {
            return delegate.isDirectory(uri);
        }

        public String resolve(String uri, String fileName) {
            return delegate.resolve(uri, fileName);
        }

        public void put(String uri, Path localFile) {
            delegate.put(uri, localFile);
        }

        public void close() {
            delegate.close();
        }
    }
}
