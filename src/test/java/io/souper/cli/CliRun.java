package io.souper.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/** One run of the {@code souper} command line in this JVM: exit code, standard output, error lines. */
record CliRun(int code, String out, String err, long millis) {

    List<String> jsonLines() {
        return out.lines().filter(l -> l.startsWith("{")).toList();
    }

    /** The lines the CLI itself wrote to its error stream ("souper: ..."). */
    List<String> errorLines() {
        return err.lines().filter(l -> !l.isBlank()).toList();
    }

    /** Runs with System.out captured (commands print their results there). Not for parallel use. */
    static synchronized CliRun capturingOut(Map<String, String> environment, String... args) {
        PrintStream oldOut = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            CliRun run = run(environment, args);
            return new CliRun(run.code, out.toString(StandardCharsets.UTF_8), run.err, run.millis);
        } finally {
            System.setOut(oldOut);
        }
    }

    /** Runs without touching System.out, so several may run at once. */
    static CliRun run(Map<String, String> environment, String... args) {
        StringWriter err = new StringWriter();
        var cli = SouperCli.commandLine(environment);
        cli.setErr(new PrintWriter(err, true));
        long start = System.nanoTime();
        int code = cli.execute(args);
        return new CliRun(code, "", err.toString(), (System.nanoTime() - start) / 1_000_000);
    }

    /** A real (one-tensor) safetensors checkpoint: publish-checkpoint reads the header before it publishes. */
    static java.nio.file.Path tinyCheckpoint(java.nio.file.Path file) {
        java.nio.ByteBuffer data = java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .putFloat(0.5f).putFloat(-1.25f).flip();
        io.souper.checkpoint.SafetensorsWriter.write(file, java.util.List.of(new io.souper.checkpoint.Tensor("w",
                io.souper.checkpoint.DType.F32, new long[]{2}, data)), Map.of());
        return file;
    }
}
