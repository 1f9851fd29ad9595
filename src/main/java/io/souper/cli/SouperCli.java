package io.souper.cli;

import io.souper.registry.SchemaRegistryException;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.util.List;
import java.util.Map;
import java.util.Set;

/** The one {@code souper} command line; every process of Souper starts here. */
@Command(name = "souper",
        mixinStandardHelpOptions = true,
        versionProvider = SouperCli.Version.class,
        description = "Keeps greedy model soups up to date as fine-tuning runs finish.",
        subcommands = {
                CommandLine.HelpCommand.class,
                DemoCommand.class,
                DevStackCommand.class,
                TopicsCommand.class,
                SoupCommand.class,
                PublishCheckpointCommand.class,
                TailCommand.class,
                ReportCommand.class,
                StreamsCommand.class,
                EvaluatorCommand.class,
        })
public final class SouperCli implements Runnable {

    /** Long-running services keep the Kafka clients' warnings: an operator reads them in the service's log. */
    static final Set<String> SERVICES = Set.of("demo", "dev-stack", "streams", "evaluator");

    /** Where options without a value on the command line look for one (see {@link EnvironmentDefaults}). */
    final Map<String, String> environment;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    SouperCli(Map<String, String> environment) {
        this.environment = Map.copyOf(environment);
    }

    public static void main(String[] args) {
        int code = commandLine().execute(args);
        if (!Foreground.stopping()) {
            System.exit(code);
        }
    }

    public static CommandLine commandLine() {
        return commandLine(System.getenv());
    }

    /** The command line reading its settings from {@code environment}. */
    static CommandLine commandLine(Map<String, String> environment) {
        CommandLine cli = new CommandLine(new SouperCli(environment));
        cli.setDefaultValueProvider(new EnvironmentDefaults(environment));
        cli.setExecutionStrategy(parseResult -> {
            List<CommandLine> chosen = parseResult.asCommandLineList();
            if (SERVICES.stream().noneMatch(name -> chosen.get(chosen.size() - 1).getCommandName().equals(name))) {
                QuietKafkaLogs.apply();
            }
            return new CommandLine.RunLast().execute(parseResult);
        });
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            // users see one clear line; the stack trace is for --verbose logs
            commandLine.getErr().println("souper: " + oneLine(ex));
            LoggerFactory.getLogger(SouperCli.class).debug("command failed", ex);
            return 1;
        });
        return cli;
    }

    /**
     * The line that says what went wrong: the registry's own words when it refused a request (a
     * serializer wraps them in "Error serializing..."), else the exception's message, first line only.
     */
    static String oneLine(Throwable error) {
        Throwable shown = error;
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof SchemaRegistryException) {
                shown = t;
                break;
            }
        }
        String message = shown.getMessage() != null ? shown.getMessage() : shown.getClass().getSimpleName();
        return message.lines().findFirst().orElse(message);
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[]{"souper " + SouperVersion.get()};
        }
    }
}
