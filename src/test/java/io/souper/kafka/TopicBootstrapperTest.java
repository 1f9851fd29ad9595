package io.souper.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TopicBootstrapperTest {

    @TempDir
    static Path dataDir;
    static EmbeddedKafkaBroker broker;
    static Admin admin;

    @BeforeAll
    static void start() {
        broker = EmbeddedKafkaBroker.start(dataDir);
        admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()));
    }

    @AfterAll
    static void stop() {
        admin.close();
        broker.close();
    }

    @Test
    void createsEveryTopicOnceWithCompactionWhereTheDesignSaysSo() throws Exception {
        TopicBootstrapper bootstrapper = new TopicBootstrapper(admin);
        assertThat(bootstrapper.ensure(TopicNames.all(3), (short) 1)).containsExactlyInAnyOrderElementsOf(TopicNames.names());
        assertThat(bootstrapper.ensure(TopicNames.all(3), (short) 1)).isEmpty();

        var descriptions = admin.describeTopics(TopicNames.names()).allTopicNames().get();
        assertThat(descriptions.values()).allSatisfy(d -> assertThat(d.partitions()).hasSize(3));
        Map<ConfigResource, Config> configs = admin.describeConfigs(List.of(
                new ConfigResource(ConfigResource.Type.TOPIC, TopicNames.UPDATES),
                new ConfigResource(ConfigResource.Type.TOPIC, TopicNames.DEFINITIONS),
                new ConfigResource(ConfigResource.Type.TOPIC, TopicNames.DECISIONS))).all().get();
        assertThat(configs.get(new ConfigResource(ConfigResource.Type.TOPIC, TopicNames.UPDATES))
                .get("cleanup.policy").value()).isEqualTo("compact");
        assertThat(configs.get(new ConfigResource(ConfigResource.Type.TOPIC, TopicNames.DEFINITIONS))
                .get("cleanup.policy").value()).isEqualTo("compact");
        assertThat(configs.get(new ConfigResource(ConfigResource.Type.TOPIC, TopicNames.DECISIONS))
                .get("cleanup.policy").value()).isEqualTo("delete");
    }

    @Test
    void refusesTopicsWhosePartitionCountsNoLongerMatch() {
        TopicBootstrapper bootstrapper = new TopicBootstrapper(admin);
        bootstrapper.ensure(List.of(new TopicSpec("mismatch", 2, Map.of())), (short) 1);
        assertThatThrownBy(() -> bootstrapper.ensure(List.of(new TopicSpec("mismatch", 4, Map.of())), (short) 1))
                .hasMessageContaining("mismatch has 2 partitions but 4 are configured");
    }
}
