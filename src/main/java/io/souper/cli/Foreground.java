package io.souper.cli;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Runs a service in the foreground until Ctrl-C (SIGINT/SIGTERM), then lets the command
 * close its resources before the JVM exits: the shutdown hook waits for the command's
 * thread, so Kafka transactions and RocksDB are closed cleanly.
 */
final class Foreground {

    private static volatile boolean stopping;

    private Foreground() {
    }

    /** Blocks until the process is asked to stop. */
    static void awaitStop() throws InterruptedException {
        CountDownLatch stop = new CountDownLatch(1);
        Thread worker = Thread.currentThread();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopping = true;
            stop.countDown();
            try {
                worker.join(TimeUnit.SECONDS.toMillis(60));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "souper-shutdown"));
        stop.await();
    }

    /** True once a shutdown started: System.exit would then block forever. */
    static boolean stopping() {
        return stopping;
    }
}
