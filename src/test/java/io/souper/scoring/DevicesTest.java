package io.souper.scoring;

import io.souper.errors.SouperException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import org.junit.jupiter.api.Test;

class DevicesTest {

    @Test
    void autoPicksAGpuOnlyWhenTheEngineSeesOne() {
        Device expected = Devices.gpuCount() > 0 ? Device.gpu(0) : Device.cpu();
        assertThat(Devices.resolve("auto")).isEqualTo(expected);
        assertThat(Devices.resolve(null)).isEqualTo(expected);
        assertThat(Devices.resolve(" ")).isEqualTo(expected);
    }

    @Test
    void explicitSpecs() {
        assertThat(Devices.resolve("cpu")).isEqualTo(Device.cpu());
        assertThat(Devices.resolve("CPU")).isEqualTo(Device.cpu());
        assertThat(Devices.describe(Device.cpu())).isEqualTo("cpu");
        assertThat(Devices.describe(Device.gpu(1))).isEqualTo("gpu:1");
    }

    @Test
    void aGpuThatIsNotThereIsAnErrorNotACpuFallback() {
        int gpus = Devices.gpuCount();
        assertThatThrownBy(() -> Devices.resolve("gpu:" + gpus))
                .isInstanceOfSatisfying(SouperException.class,
                        e -> assertThat(e.code()).isEqualTo(ScoringErrorCode.DEVICE_UNAVAILABLE))
                .hasMessageContaining("gpu:" + gpus);
        if (gpus == 0) {
            assertThatThrownBy(() -> Devices.resolve("gpu")).isInstanceOf(SouperException.class);
            assertThatThrownBy(() -> Devices.resolve("cuda:0")).isInstanceOf(SouperException.class);
        }
    }

    @Test
    void malformedSpecsAreRejected() {
        assertThatThrownBy(() -> Devices.resolve("tpu")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("tpu");
        assertThatThrownBy(() -> Devices.resolve("gpu:x")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Devices.resolve("gpu:-1")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void threadPoolsAreConfigured() {
        Devices.gpuCount(); // starts the engine with Souper's defaults
        assertThat(TorchThreads.intraOpThreads()).isPositive();
        assertThat(System.getProperty(TorchThreads.INTER_OP_PROPERTY)).isNotNull();
    }
}
