package io.souper.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

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
                StreamsCommand.class,
                EvaluatorCommand.class,
        })
public final class SouperCli implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        int code = commandLine().execute(args);
        if (!Foreground.stopping()) {
            System.exit(code);
        }
    }

    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new SouperCli());
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            // users see one clear line; the stack trace is for --verbose logs
            commandLine.getErr().println("souper: " + ex.getMessage());
            org.slf4j.LoggerFactory.getLogger(SouperCli.class).debug("command failed", ex);
            return 1;
        });
        return cli;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = SouperCli.class.getPackage().getImplementationVersion();
            return new String[]{"souper " + (v == null ? "dev" : v)};
        }
    }
}
