package io.souper.checkpoint;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs a step of averaging work on every core: the caller runs the first piece itself, and
 * helper threads (daemon, shared by every averaging in the process) the others. A piece that no
 * helper has started by the time the caller is done with its own is run by the caller, so a busy
 * or shared pool never makes averaging slower than one thread, and several averagings at once
 * cannot deadlock. One lane per core, at most {@link #MAX_LANES}: averaging streams memory, and
 * more threads than that only compete for the same memory bandwidth.
 */
final class AveragingLanes {

    static final int MAX_LANES = 4;

    private static final class Shared {
        static final AveragingLanes INSTANCE =
                new AveragingLanes(Math.max(1, Math.min(MAX_LANES, Runtime.getRuntime().availableProcessors())));
    }

    private final int count;
    private final ExecutorService helpers;

    AveragingLanes(int count) {
        if (count < 1) {
            throw new IllegalArgumentException("at least one lane, got " + count);
        }
        this.count = count;
        if (count == 1) {
            this.helpers = null;
            return;
        }
        AtomicInteger ids = new AtomicInteger();
        this.helpers = Executors.newFixedThreadPool(count - 1, r -> {
            Thread t = new Thread(r, "souper-averaging-" + ids.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** The process's lanes: one per available core, at most {@link #MAX_LANES}. */
    static AveragingLanes shared() {
        return Shared.INSTANCE;
    }

    int count() {
        return count;
    }

    /**
     * Runs {@code work[0..used)} and returns when all are done. If any failed, the failure of the
     * lowest-numbered piece is thrown (the one a single thread would have met first).
     */
    void runAll(Runnable[] work, int used) {
        if (used == 1 || helpers == null) {
            for (int i = 0; i < used; i++) {
                work[i].run();
            }
            return;
        }
        Piece[] pieces = new Piece[used];
        for (int i = 1; i < used; i++) {
            pieces[i] = new Piece(work[i]);
            helpers.execute(pieces[i]);
        }
        Throwable first = null;
        try {
            work[0].run();
        } catch (RuntimeException | Error e) {
            first = e;
        }
        for (int i = 1; i < used; i++) {
            pieces[i].run(); // does nothing if a helper has claimed it
            Throwable failure = pieces[i].await();
            if (first == null) {
                first = failure;
            }
        }
        if (first instanceof RuntimeException e) {
            throw e;
        }
        if (first instanceof Error e) {
            throw e;
        }
    }

    /** A piece of work run exactly once, by whichever thread claims it first. */
    private static final class Piece implements Runnable {
        private final Runnable work;
        private final AtomicBoolean claimed = new AtomicBoolean();
        private final CountDownLatch done = new CountDownLatch(1);
        private volatile Throwable failure;

        Piece(Runnable work) {
            this.work = work;
        }

        @Override
        public void run() {
            if (!claimed.compareAndSet(false, true)) {
                return;
            }
            try {
                work.run();
            } catch (Throwable t) {
                failure = t;
            } finally {
                done.countDown();
            }
        }

        /**
         * Waits even through interrupts: the piece writes into buffers the caller reuses as soon as
         * this returns. The interrupt is kept for the caller to see.
         */
        Throwable await() {
            boolean interrupted = false;
            while (true) {
                try {
                    done.await();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            return failure;
        }
    }
}
