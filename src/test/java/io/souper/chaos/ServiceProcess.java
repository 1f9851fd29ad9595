package io.souper.chaos;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One Souper service (dev-stack, streams or evaluator) in a JVM of its own, started again with the
 * same arguments (so the same state directory, work directory and ports) after each kill. Output of
 * every incarnation is appended to one log file, with a marker line per start.
 */
final class ServiceProcess implements AutoCloseable {

    /** Every child still running when the harness's JVM ends (a failed test, Ctrl-C) is killed with it. */
    private static final java.util.Set<Process> RUNNING = java.util.concurrent.ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> RUNNING.forEach(Process::destroyForcibly),
                "kill-chaos-children"));
    }

    private final String name;
    private final List<String> command;
    private final Map<String, String> environment;
    private final Path log;
    private Process process;
    private int starts;
    /** Killed or stopped by the harness: not to be restarted by the supervisor. */
    private boolean down;

    /**
     * @param classpath   target/souper.jar (the benchmark) or the test JVM's class path (CI, where the
     *                    jar is built only after the tests)
     * @param arguments   the {@code souper} sub-command and its options
     * @param environment added to the inherited environment (e.g. {@code SOUPER_KAFKA_*} client properties)
     */
    ServiceProcess(String name, String classpath, String heap, List<String> arguments, Map<String, String> environment,
                   Path log) {
        this.name = name;
        List<String> c = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx" + heap, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Dai.djl.offline=true",
                "-cp", classpath, "io.souper.cli.SouperCli"));
        c.addAll(arguments);
        this.command = List.copyOf(c);
        this.environment = Map.copyOf(environment);
        this.log = log;
    }

    String name() {
        return name;
    }

    Path log() {
        return log;
    }

    synchronized void start() {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException(name + " is already running");
        }
        try {
            java.nio.file.Files.writeString(log, "==== start " + (++starts) + " of " + name + " at "
                    + java.time.Instant.now() + "\n", java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.APPEND);
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            builder.environment().putAll(environment);
            process = builder.start();
            down = false;
            RUNNING.removeIf(p -> !p.isAlive());
            RUNNING.add(process);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name + ": " + command, e);
        }
    }

    /** SIGKILL: no shutdown hook runs, nothing is flushed or closed, the group is not left. */
    synchronized void kill() throws InterruptedException {
        down = true;
        if (process != null) {
            process.destroyForcibly();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException(name + " survived SIGKILL for 30 s");
            }
        }
    }

    /** SIGTERM and wait: the service's shutdown hook closes it cleanly. */
    synchronized void stop() throws InterruptedException {
        down = true;
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    synchronized boolean alive() {
        return process != null && process.isAlive();
    }

    /**
     * Starts the service again if it ended on its own (not killed by the harness), as Kubernetes
     * would restart a pod, and says why it ended; empty when it is running or meant to be down.
     */
    synchronized java.util.Optional<String> restartIfCrashed() {
        if (down || process == null || process.isAlive()) {
            return java.util.Optional.empty();
        }
        String why = name + " exited on its own with status " + process.exitValue() + " at " + java.time.Instant.now()
                + " (start " + starts + "): " + lastLines();
        start();
        return java.util.Optional.of(why);
    }

    private String lastLines() {
        try {
            List<String> lines = java.nio.file.Files.readAllLines(log).stream()
                    .filter(l -> !l.startsWith("\t") && !l.isBlank()).toList();
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - 2), lines.size()));
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    int starts() {
        return starts;
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
