package io.souper.bench;

import io.souper.checkpoint.RunningSum;
import io.souper.checkpoint.SafetensorsReader;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Averaging on the path the evaluator runs (SoupSums in io.souper.scoring calls exactly these
 * RunningSum methods), beside the read bandwidth of the same files measured the same way:
 *
 * <ol>
 *   <li>read: every input's tensor bytes read with positional reads into a reused direct buffer
 *       (as the averaging reads them) and summed as floats, on 1 thread and on 2; page cache warm,
 *       so this is what memory and the kernel's copy allow;</li>
 *   <li>sum: the running sum of all inputs but the last, built one checkpoint at a time (a cold
 *       start or a replayed sorted soup: each add reads the F64 sum and a checkpoint, writes a sum);</li>
 *   <li>candidate: the last input averaged with that sum (what every later candidate costs),
 *       written to a file.</li>
 * </ol>
 * GB/s are bytes of tensor data read / wall time. Prints one JSON line.
 * Not a test: run bench/averaging/run.sh. Arguments: WORK_DIR OUT_FILE IN...
 */
public final class AveragingThroughput {

    /** One run's figures, in GB/s of tensor bytes read (seconds alongside). */
    public record Run(double read1GbPerS, double read2GbPerS, double sumSeconds, double sumGbPerS,
                      double candidateSeconds, double candidateGbPerS, long candidateBytesRead) {
        /** The candidate's speed as a share of the 2-thread read bandwidth. */
        public double ratio() {
            return candidateGbPerS / read2GbPerS;
        }

        String json() {
            return String.format(Locale.ROOT, "{\"read_1t_gb_per_s\": %.3f, \"read_2t_gb_per_s\": %.3f, "
                            + "\"sum_seconds\": %.3f, \"sum_gb_per_s\": %.3f, \"candidate_seconds\": %.3f, "
                            + "\"candidate_gb_per_s\": %.3f, \"candidate_over_read\": %.3f, \"java\": \"%s\"}",
                    read1GbPerS, read2GbPerS, sumSeconds, sumGbPerS, candidateSeconds, candidateGbPerS, ratio(),
                    Runtime.version());
        }
    }

    private static final int READ_WINDOW = 1 << 18;

    public static void main(String[] args) throws Exception {
        if (args.length < 4) {
            System.err.println("usage: AveragingThroughput WORK_DIR OUT_FILE IN IN...");
            System.exit(2);
        }
        List<Path> inputs = new ArrayList<>();
        for (int i = 2; i < args.length; i++) {
            inputs.add(Path.of(args[i]));
        }
        System.out.println(run(Path.of(args[0]), Path.of(args[1]), inputs).json());
    }

    public static Run run(Path work, Path out, List<Path> inputs) throws Exception {
        Files.createDirectories(work);
        List<Path> soup = inputs.subList(0, inputs.size() - 1);
        Path candidate = inputs.get(inputs.size() - 1);
        long allBytes = 0;
        for (Path input : inputs) {
            allBytes += dataBytes(input);
        }
        readAndSum(inputs, 2); // warm-up of the read loop: the averaging's loops warm up in the sum below
        double read1 = allBytes / seconds(() -> readAndSum(inputs, 1)) / 1e9;
        double read2 = allBytes / seconds(() -> readAndSum(inputs, 2)) / 1e9;

        long start = System.nanoTime();
        RunningSum sum = RunningSum.empty();
        long sumBytes = 0;
        for (int i = 0; i < soup.size(); i++) {
            sumBytes += dataBytes(soup.get(i)) + sum.file().map(AveragingThroughput::dataBytes).orElse(0L);
            sum = sum.add("ckpt" + i, soup.get(i), work.resolve("sum-" + (i % 2) + ".safetensors"));
        }
        double sumSeconds = (System.nanoTime() - start) / 1e9;

        RunningSum soupSum = sum;
        long candidateBytes = dataBytes(candidate) + soupSum.file().map(AveragingThroughput::dataBytes).orElse(0L);
        start = System.nanoTime();
        try (OutputStream stream = new BufferedOutputStream(Files.newOutputStream(out), 1 << 20)) {
            soupSum.averageWith(candidate, stream);
        }
        double candidateSeconds = (System.nanoTime() - start) / 1e9;
        return new Run(read1, read2, sumSeconds, sumBytes / sumSeconds / 1e9, candidateSeconds,
                candidateBytes / candidateSeconds / 1e9, candidateBytes);
    }

    private interface Timed {
        void run() throws Exception;
    }

    private static double seconds(Timed timed) throws IOException {
        long start = System.nanoTime();
        try {
            timed.run();
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException(e);
        }
        return (System.nanoTime() - start) / 1e9;
    }

    /**
     * Reads every tensor of every input as floats and sums them, split by input over {@code threads}
     * threads; returns the sum so the loop cannot be optimised away. Four partial sums, so the adds
     * are not one long dependency chain and the loop runs at the speed of the reads.
     */
    static double readAndSum(List<Path> inputs, int threads) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Double>> parts = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int lane = t;
                parts.add(pool.submit(() -> {
                    ByteBuffer window = ByteBuffer.allocateDirect(READ_WINDOW).order(ByteOrder.LITTLE_ENDIAN);
                    double total = 0;
                    for (int i = lane; i < inputs.size(); i += threads) {
                        total += readAndSum(inputs.get(i), window);
                    }
                    return total;
                }));
            }
            double total = 0;
            for (Future<Double> part : parts) {
                total += part.get();
            }
            return total;
        } finally {
            pool.shutdownNow();
        }
    }

    private static double readAndSum(Path file, ByteBuffer window) throws IOException {
        long dataStart;
        long dataEnd;
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            dataEnd = Files.size(file);
            dataStart = dataEnd - reader.dataBytes();
        }
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            for (long at = dataStart; at < dataEnd; ) {
                window.clear().limit((int) Math.min(window.capacity(), dataEnd - at));
                while (window.hasRemaining()) {
                    int n = channel.read(window, at + window.position());
                    if (n < 0) {
                        throw new IOException(file + " ended early");
                    }
                }
                int floats = window.position() / 4;
                int i = 0;
                for (; i + 4 <= floats; i += 4) {
                    s0 += window.getFloat(i << 2);
                    s1 += window.getFloat((i + 1) << 2);
                    s2 += window.getFloat((i + 2) << 2);
                    s3 += window.getFloat((i + 3) << 2);
                }
                for (; i < floats; i++) {
                    s0 += window.getFloat(i << 2);
                }
                at += window.position();
            }
        }
        return s0 + s1 + s2 + s3;
    }

    static long dataBytes(Path file) {
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            return reader.dataBytes();
        }
    }
}
