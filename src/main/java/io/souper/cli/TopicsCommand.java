package io.souper.cli;

import io.souper.kafka.EmbeddedStack;
import io.souper.kafka.KafkaClientConfigs;
import io.souper.kafka.TopicBootstrapper;
import io.souper.kafka.TopicNames;
import io.souper.kafka.TopicSpec;
import org.apache.kafka.clients.admin.Admin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "topics", mixinStandardHelpOptions = true,
        description = "Manage Souper's Kafka topics.",
        subcommands = {TopicsCommand.Create.class, TopicsCommand.ListTopics.class})
public final class TopicsCommand {

    /** Replication factor of a single-broker cluster; production clusters want 3. */
    static final short DEFAULT_REPLICATION_FACTOR = 1;

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = {"Create every Souper topic that is missing (compacted souper.definitions and "
                    + "souper.updates; all topics keyed by soup id with one partition count, so they stay "
                    + "co-partitioned). Existing topics are checked, never altered."})
    static final class Create implements Callable<Integer> {
        @Mixin
        ConnectionOptions connection;

        @Option(names = "--partitions", defaultValue = "" + EmbeddedStack.DEFAULT_PARTITIONS,
                description = "Partitions of every topic (env SOUPER_PARTITIONS; default: ${DEFAULT-VALUE}).")
        int partitions;

        @Option(names = "--replication-factor", defaultValue = "" + DEFAULT_REPLICATION_FACTOR,
                description = "Replication factor; use 3 on a production cluster (env SOUPER_REPLICATION_FACTOR; "
                        + "default: ${DEFAULT-VALUE}).")
        short replicationFactor;

        @Override
        public Integer call() {
            KafkaClientConfigs clients = connection.connect();
            try (Admin admin = Admin.create(clients.admin())) {
                List<TopicSpec> specs = TopicNames.all(partitions);
                List<String> created = new TopicBootstrapper(admin).ensure(specs, replicationFactor);
                for (TopicSpec spec : specs) {
                    System.out.printf("%-20s %d partitions  %s  %s%n", spec.name(), spec.partitions(),
                            spec.compacted() ? "compact" : "delete ",
                            created.contains(spec.name()) ? "created" : "exists");
                }
            }
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = {"List the topics the cluster has and whether Souper's match their specs: present, "
                    + "one partition count for all (co-partitioned; --partitions when given), and the "
                    + "cleanup.policy each needs. Exit code 1 when one does not match."})
    static final class ListTopics implements Callable<Integer> {
        @Mixin
        ConnectionOptions connection;

        @Option(names = "--partitions",
                description = "Partition count Souper's topics must have (env SOUPER_PARTITIONS; default: "
                        + "whatever count they share).")
        Integer partitions;

        @Override
        public Integer call() {
            KafkaClientConfigs clients = connection.connect();
            TopicInventory inventory;
            try (Admin admin = Admin.create(clients.admin())) {
                inventory = TopicInventory.read(admin, partitions);
            }
            inventory.lines().forEach(System.out::println);
            return inventory.matches() ? 0 : 1;
        }
    }
}
