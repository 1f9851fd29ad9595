package io.souper.scoring;

import io.souper.errors.SouperException;
import ai.djl.Device;
import ai.djl.engine.Engine;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Picks the device an evaluator scores on. Specs: {@code auto} (or null/blank: the first GPU
 * when DJL's PyTorch engine sees one, else the CPU), {@code cpu}, {@code gpu} / {@code cuda}
 * (GPU 0), {@code gpu:N} / {@code cuda:N}. A GPU that is not there is an error, never a silent
 * fallback to the CPU.
 */
public final class Devices {

    private static final Logger LOG = LoggerFactory.getLogger(Devices.class);

    private Devices() {
    }

    public static Device resolve(String spec) {
        String s = spec == null ? "" : spec.trim().toLowerCase(Locale.ROOT);
        if (s.isEmpty() || s.equals("auto")) {
            int gpus = gpuCount();
            if (gpus > 0) {
                LOG.info("device auto: PyTorch sees {} GPU(s), scoring on gpu:0", gpus);
                return Device.gpu(0);
            }
            // Not a warning: on a machine without a GPU (or with the CPU build of libtorch) the CPU is expected.
            LOG.info("device auto: PyTorch sees no GPU (CPU build of libtorch, or no usable CUDA driver), scoring "
                    + "on the CPU");
            return Device.cpu();
        }
        if (s.equals("cpu")) {
            return Device.cpu();
        }
        int index;
        if (s.equals("gpu") || s.equals("cuda")) {
            index = 0;
        } else if (s.startsWith("gpu:") || s.startsWith("cuda:")) {
            String n = s.substring(s.indexOf(':') + 1);
            try {
                index = Integer.parseInt(n);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("device '" + spec + "': '" + n + "' is not a GPU index");
            }
            if (index < 0) {
                throw new IllegalArgumentException("device '" + spec + "': negative GPU index");
            }
        } else {
            throw new IllegalArgumentException("unknown device '" + spec + "' (expected auto, cpu, gpu, gpu:N)");
        }
        int gpus = gpuCount();
        if (index >= gpus) {
            throw new SouperException(ScoringErrorCode.DEVICE_UNAVAILABLE, "device '" + spec + "' requested but the "
                    + "PyTorch engine sees " + gpus + " GPU(s) (is a CUDA libtorch installed? see docs/gpu.md)");
        }
        return Device.gpu(index);
    }

    /** GPUs visible to DJL's PyTorch engine (0 with the CPU build of libtorch). */
    public static int gpuCount() {
        TorchThreads.configureDefaults();
        return Engine.getEngine("PyTorch").getGpuCount();
    }

    /** "cpu" or "gpu:N", the form EvaluationResult.device carries. */
    public static String describe(Device device) {
        return device.isGpu() ? "gpu:" + device.getDeviceId() : "cpu";
    }
}
