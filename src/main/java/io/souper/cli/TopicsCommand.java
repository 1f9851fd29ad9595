package io.souper.cli;

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

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = {"Create every Souper topic that is missing (compacted souper.definitions and "
                    + "souper.updates; all topics keyed by soup id with one partition count, so they stay "
                    + "co-partitioned). Existing topics are checked, never altered."})
    static final class Create implements Callable<Integer> {
        @Mixin
        ConnectionOptions connection;

        @Option(names = "--partitions", defaultValue = "${env:SOUPER_PARTITIONS:-6}",
                description = "Partitions of every topic (default: ${DEFAULT-VALUE}).")
        int partitions;

        @Option(names = "--replication-factor", defaultValue = "${env:SOUPER_REPLICATION_FACTOR:-1}",
                description = "Replication factor (default: ${DEFAULT-VALUE}; use 3 on a production cluster).")
        short replicationFactor;

        @Override
        public Integer call() {
            try (Admin admin = Admin.create(connection.clientConfigs().admin())) {
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

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the topics Souper uses and their settings.")
    static final class ListTopics implements Callable<Integer> {
        @Option(names = "--partitions", defaultValue = "${env:SOUPER_PARTITIONS:-6}",
                description = "Partition count to show (default: ${DEFAULT-VALUE}).")
        int partitions;

        @Override
        public Integer call() {
            for (TopicSpec spec : TopicNames.all(partitions)) {
                System.out.printf("%-20s %s%n", spec.name(), spec.configs());
            }
            return 0;
        }
    }
}
