package io.souper.cli;

import io.souper.kafka.KafkaClientConfigs;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The options are the source of truth for configuration: each has an environment variable (or is
 * marked as per-invocation), says so in its help, and the README's table lists exactly them.
 */
class ConfigurationTableTest {

    private static final String HEADER = "| variable | option | default | commands |";

    @Test
    void everyOptionHasAnEnvironmentVariableNamedInItsHelp() {
        List<String> problems = new ArrayList<>();
        forEachOption((command, option) -> {
            Optional<String> variable = EnvironmentDefaults.variable(option);
            if (option.usageHelp() || option.versionHelp()) {
                return;
            }
            if (variable.isEmpty()) {
                return; // @PerInvocation: checked below that only action commands have them
            }
            String help = String.join(" ", option.description());
            if (!help.contains("env " + variable.get())) {
                problems.add(command + " " + option.longestName() + ": help does not name env " + variable.get());
            }
            if (!variable.get().matches("SOUPER_[A-Z0-9_]+")) {
                problems.add(command + " " + option.longestName() + ": bad variable " + variable.get());
            }
            boolean clientPrefix = variable.get().startsWith(KafkaClientConfigs.KAFKA_ENV_PREFIX)
                    || variable.get().startsWith(KafkaClientConfigs.REGISTRY_ENV_PREFIX);
            if (clientPrefix && !KafkaClientConfigs.NOT_CLIENT_PROPERTIES.contains(variable.get())) {
                problems.add(command + " " + option.longestName() + ": " + variable.get()
                        + " would be read as a client property");
            }
        });
        assertThat(problems).isEmpty();
    }

    @Test
    void onlyWhatOneInvocationDoesHasNoEnvironmentVariable() {
        Map<String, List<String>> withoutVariable = new TreeMap<>();
        forEachOption((command, option) -> {
            if (!option.usageHelp() && !option.versionHelp() && EnvironmentDefaults.variable(option).isEmpty()) {
                withoutVariable.computeIfAbsent(command, c -> new ArrayList<>()).add(option.longestName());
            }
        });
        // services and connection settings are configuration: every one of them has a variable
        assertThat(withoutVariable.keySet()).containsOnly("publish-checkpoint", "report", "soup define", "soup show", "tail");
        assertThat(withoutVariable.values().stream().flatMap(List::stream))
                .doesNotContain("--bootstrap-servers", "--schema-registry-url", "--kafka-config", "--registry-config",
                        "--api");
    }

    @Test
    void theReadmeTableListsEveryOptionWithItsVariableAndDefault() throws IOException {
        String readme = Files.readString(Path.of("README.md"));
        int section = readme.indexOf("\n## Configuration\n");
        assertThat(section).as("README has a Configuration section").isPositive();
        int end = readme.indexOf("\n## ", section + 1);
        List<String> documented = readme.substring(section, end < 0 ? readme.length() : end).lines()
                .dropWhile(line -> !line.equals(HEADER)).skip(2).takeWhile(line -> line.startsWith("|")).toList();
        List<String> expected = expectedRows();
        assertThat(String.join("\n", documented))
                .as("README ## Configuration table; regenerate it as:\n%s\n|---|---|---|---|\n%s\n", HEADER,
                        String.join("\n", expected))
                .isEqualTo(String.join("\n", expected));
    }

    @Test
    void aVariableReplacesTheDefaultAndAnOptionWinsOverTheVariable() {
        Map<String, String> env = Map.of("SOUPER_GROUP_ID", "pool-from-env", "SOUPER_STORE_ROOTS", "/a:/b",
                "SOUPER_BOOTSTRAP_SERVERS", "kafka.example:9093", "SOUPER_BATCH_SIZE", "32");
        CommandLine cli = SouperCli.commandLine(env);
        CommandLine.ParseResult parsed = cli.parseArgs("evaluator", "--batch-size", "8");
        EvaluatorCommand evaluator = parsed.subcommand().commandSpec().commandLine().getCommand();
        assertThat(evaluator.settings().groupId()).isEqualTo("pool-from-env");
        assertThat(evaluator.settings().storeRoots()).containsExactly(Path.of("/a"), Path.of("/b"));
        assertThat(evaluator.settings().batchSize()).isEqualTo(8);
        assertThat(evaluator.connection.clientConfigs().bootstrapServers()).isEqualTo("kafka.example:9093");
    }

    /** One row per (variable, option, default), with the commands that have it. */
    static List<String> expectedRows() {
        Map<List<String>, TreeSet<String>> rows = new LinkedHashMap<>();
        forEachOption((command, option) -> EnvironmentDefaults.variable(option).ifPresent(variable -> rows
                .computeIfAbsent(List.of(variable, names(option), defaultText(option)), k -> new TreeSet<>())
                .add(command)));
        return rows.entrySet().stream()
                .map(row -> "| `" + row.getKey().get(0) + "` | " + row.getKey().get(1) + " | " + row.getKey().get(2)
                        + " | " + row.getValue().stream().map(c -> "`" + c + "`").collect(Collectors.joining(", ")) + " |")
                .sorted().toList();
    }

    private static String names(OptionSpec option) {
        return java.util.Arrays.stream(option.names()).map(n -> "`" + n + "`").collect(Collectors.joining(", "));
    }

    private static String defaultText(OptionSpec option) {
        String value = option.defaultValue();
        if (value == null) {
            return option.arity().max() == 0 ? "`false`" : "(none)";
        }
        return "`" + value + "`";
    }

    interface OptionVisitor {
        void visit(String command, OptionSpec option);
    }

    /** Every option of every command, with the command's name as typed ("soup define"). */
    static void forEachOption(OptionVisitor visitor) {
        visit(SouperCli.commandLine(Map.of()), visitor);
    }

    private static void visit(CommandLine command, OptionVisitor visitor) {
        if (command.getCommandName().equals("help")) {
            return;
        }
        String path = command.getCommandSpec().qualifiedName(" ").replaceFirst("^souper ?", "");
        if (!path.isEmpty()) {
            command.getCommandSpec().options().forEach(option -> visitor.visit(path, option));
        }
        command.getSubcommands().values().forEach(sub -> visit(sub, visitor));
    }
}
