package io.souper.cli;

import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.lang.reflect.Field;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Every setting can come from the environment, so containers are configured without arguments:
 * the option {@code --work-dir} reads {@code SOUPER_WORK_DIR} (the rule: {@code SOUPER_} and the long
 * name in upper case, dashes as underscores; {@link EnvironmentVariable} names an exception). The
 * environment's value replaces the option's default; an option on the command line wins over both.
 * Options marked {@link PerInvocation} have none.
 */
final class EnvironmentDefaults implements CommandLine.IDefaultValueProvider {

    static final String PREFIX = "SOUPER_";

    private final Map<String, String> environment;

    EnvironmentDefaults(Map<String, String> environment) {
        this.environment = Map.copyOf(environment);
    }

    @Override
    public String defaultValue(ArgSpec arg) {
        if (arg instanceof OptionSpec option) {
            return variable(option).map(environment::get).orElse(null);
        }
        return null;
    }

    /** The option's environment variable; empty for --help, --version and {@link PerInvocation} options. */
    static Optional<String> variable(OptionSpec option) {
        if (option.usageHelp() || option.versionHelp()) {
            return Optional.empty();
        }
        Optional<Field> field = field(option);
        if (field.isPresent() && field.get().isAnnotationPresent(PerInvocation.class)) {
            return Optional.empty();
        }
        if (field.isPresent() && field.get().isAnnotationPresent(EnvironmentVariable.class)) {
            return Optional.of(field.get().getAnnotation(EnvironmentVariable.class).value());
        }
        return Optional.of(PREFIX + option.longestName().replaceFirst("^-+", "")
                .toUpperCase(Locale.ROOT).replace('-', '_'));
    }

    private static Optional<Field> field(OptionSpec option) {
        return option.userObject() instanceof Field f ? Optional.of(f) : Optional.empty();
    }

    /** The environment a command runs in: the root {@link SouperCli}'s, else the process's. */
    static Map<String, String> of(CommandSpec spec) {
        CommandSpec root = spec;
        while (root.parent() != null) {
            root = root.parent();
        }
        return root.userObject() instanceof SouperCli cli ? cli.environment : System.getenv();
    }
}
