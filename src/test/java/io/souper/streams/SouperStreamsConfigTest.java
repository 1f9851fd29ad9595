package io.souper.streams;

import io.souper.kafka.KafkaClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SouperStreamsConfigTest {

    @TempDir
    Path stateDir;

    private final KafkaClientConfigs clients = new KafkaClientConfigs("localhost:9092", null);
    private static final String INSTANCE_ID = StreamsConfig.consumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);

    @Test
    void aGivenInstanceIdWinsOverTheStateDirectorysAndTheDirectorysIsStableWithoutOne() throws Exception {
        Properties kept = SouperStreamsConfig.create(clients, "souper", stateDir, null, 1, SouperStreamsSettings.defaults());
        assertThat(kept.get(INSTANCE_ID)).asString().startsWith("souper-")
                .isEqualTo(Files.readString(stateDir.resolve(InstanceId.FILE)).strip());
        assertThat(SouperStreamsConfig.create(clients, "souper", stateDir, null, 1, SouperStreamsSettings.defaults())
                .get(INSTANCE_ID)).as("a restart keeps it").isEqualTo(kept.get(INSTANCE_ID));

        Properties given = SouperStreamsConfig.create(clients, "souper", stateDir, null, 1,
                SouperStreamsSettings.defaults().withInstanceId("souper-0"));
        assertThat(given.get(INSTANCE_ID)).isEqualTo("souper-0");
        assertThatThrownBy(() -> SouperStreamsSettings.defaults().withInstanceId("two words"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--instance-id");
    }

    @Test
    void oneStandbyReplicaByDefaultAndTheSettingReachesKafkaStreams() {
        assertThat(SouperStreamsConfig.create(clients, "souper", stateDir, null, 1, SouperStreamsSettings.defaults())
                .get(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG)).isEqualTo(1);
        assertThat(SouperStreamsConfig.create(clients, "souper", stateDir, null, 1,
                SouperStreamsSettings.defaults().withStandbyReplicas(0)).get(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG))
                .isEqualTo(0);
        assertThatThrownBy(() -> SouperStreamsSettings.defaults().withStandbyReplicas(-1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(new SouperStreamsSettings(Duration.ofMinutes(1), 1, Duration.ofSeconds(1)).poisonAttempts())
                .isEqualTo(SouperStreamsSettings.DEFAULT_POISON_ATTEMPTS);
    }

    @Test
    void aFailedThreadIsReplacedButAnErrorOfTheJvmStopsTheSouper() {
        assertThat(SouperStreamsApp.onThreadFailure(new StreamsException(new IllegalStateException("bug"))))
                .isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
        assertThat(SouperStreamsApp.onThreadFailure(new StreamsException(new java.io.IOException("disk gone"))))
                .isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
        assertThat(SouperStreamsApp.onThreadFailure(new StreamsException(new OutOfMemoryError("Java heap space"))))
                .isEqualTo(StreamThreadExceptionResponse.SHUTDOWN_CLIENT);
    }
}
