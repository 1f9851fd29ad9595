package io.souper.scoring;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Thread pools of libtorch. DJL reads {@code ai.djl.pytorch.num_threads} (intra-op: threads
 * inside one convolution or matmul) and {@code ai.djl.pytorch.num_interop_threads} when the
 * PyTorch engine starts; the inter-op pool cannot change afterwards. Souper runs one forward
 * pass at a time per evaluator, so inter-op parallelism buys nothing and its threads would
 * only compete with the intra-op pool: the default is 1 inter-op thread and every core but one
 * for intra-op (at least 1). The spare core is for the rest of the JVM (Kafka clients, the
 * embedded broker, GC): libtorch's OpenMP workers spin while they wait, and when a core they
 * expect is taken, a forward pass slows down several times (measured on the 2-core demo
 * machine under load: 1 intra-op thread scored ~4k images/s, 2 threads ~2k).
 * Explicit system properties (or {@link #configure}) win.
 */
public final class TorchThreads {

    public static final String INTRA_OP_PROPERTY = "ai.djl.pytorch.num_threads";
    public static final String INTER_OP_PROPERTY = "ai.djl.pytorch.num_interop_threads";

    /** Whether the properties have been handed to the engine (they are read once, at its start). */
    private static boolean frozen;

    private TorchThreads() {
    }

    /** Sets the defaults unless the properties are already set; call before the engine starts. */
    public static synchronized void configureDefaults() {
        if (frozen) {
            return;
        }
        if (System.getProperty(INTRA_OP_PROPERTY) == null) {
            System.setProperty(INTRA_OP_PROPERTY, Integer.toString(defaultIntraOpThreads()));
        }
        if (System.getProperty(INTER_OP_PROPERTY) == null) {
            System.setProperty(INTER_OP_PROPERTY, "1");
        }
        frozen = true;
    }

    /**
     * Sets both pools. Before the engine starts this only sets the properties; afterwards the
     * intra-op pool is resized at once and a different inter-op size is refused (libtorch
     * cannot resize it after first use).
     */
    public static synchronized void configure(int intraOp, int interOp) {
        if (intraOp < 1 || interOp < 1) {
            throw new IllegalArgumentException("thread counts must be positive, got intra-op " + intraOp
                    + ", inter-op " + interOp);
        }
        if (!frozen) {
            System.setProperty(INTRA_OP_PROPERTY, Integer.toString(intraOp));
            System.setProperty(INTER_OP_PROPERTY, Integer.toString(interOp));
            frozen = true;
            return;
        }
        Engine.getEngine("PyTorch"); // make sure the native library is loaded
        JniUtils.setNumThreads(intraOp);
        if (JniUtils.getNumInteropThreads() != interOp) {
            throw new IllegalStateException("the PyTorch engine already runs with " + JniUtils.getNumInteropThreads()
                    + " inter-op threads; set " + INTER_OP_PROPERTY + " before the first model is loaded");
        }
    }

    /** Every core but one, at least one. */
    public static int defaultIntraOpThreads() {
        return Math.max(1, Runtime.getRuntime().availableProcessors() - 1);
    }

    public static int intraOpThreads() {
        configureDefaults();
        Engine.getEngine("PyTorch");
        return JniUtils.getNumThreads();
    }
}
