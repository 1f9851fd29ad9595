package io.souper.cli;

import io.souper.evaluator.EvaluatorSettings;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EvaluatorCommandTest {

    @Test
    void helpDescribesEveryOption() {
        StringWriter out = new StringWriter();
        CommandLine cli = SouperCli.commandLine();
        cli.setOut(new PrintWriter(out));
        assertThat(cli.execute("evaluator", "--help")).isZero();
        // picocli may wrap a line after the dot of a topic name
        String help = out.toString().replaceAll("\\.\\s*\\n\\s*", ".");
        assertThat(help).contains("--store-root=DIR", "SOUPER_STORE_ROOTS", "--work-dir=DIR", "--device=DEVICE",
                "auto", "gpu:N", "--http-port=PORT", "--bootstrap-servers", "--schema-registry-url", "--group-id",
                "--batch-size", "--architecture-cache", "--data-cache", "--running-sums", "souper.checkpoints",
                "souper.candidates", "souper.evaluations", "souper.dlq", "Ctrl-C");
    }

    @Test
    void theTopLevelHelpListsTheEvaluator() {
        StringWriter out = new StringWriter();
        CommandLine cli = SouperCli.commandLine();
        cli.setOut(new PrintWriter(out));
        assertThat(cli.execute("--help")).isZero();
        assertThat(out.toString()).contains("evaluator");
    }

    @Test
    void storeRootsComeFromTheOptionsOrElseFromTheEnvironment() {
        EvaluatorSettings fromOptions = parse(Map.of("SOUPER_STORE_ROOTS", "/ignored"),
                "--store-root", "/data/ckpt", "--store-root", "/data/sets", "--device", "cpu", "--batch-size", "64",
                "--group-id", "gpu-pool", "--work-dir", "/var/souper", "--running-sums", "3");
        assertThat(fromOptions.storeRoots()).containsExactly(Path.of("/data/ckpt"), Path.of("/data/sets"));
        assertThat(fromOptions.device()).isEqualTo("cpu");
        assertThat(fromOptions.batchSize()).isEqualTo(64);
        assertThat(fromOptions.groupId()).isEqualTo("gpu-pool");
        assertThat(fromOptions.workDir()).isEqualTo(Path.of("/var/souper"));
        assertThat(fromOptions.runningSumCacheSize()).isEqualTo(3);

        EvaluatorSettings fromEnv = parse(Map.of("SOUPER_STORE_ROOTS", "/checkpoints::/datasets"));
        assertThat(fromEnv.storeRoots()).containsExactly(Path.of("/checkpoints"), Path.of("/datasets"));
        assertThat(fromEnv.groupId()).isEqualTo(EvaluatorSettings.DEFAULT_GROUP_ID);
    }

    @Test
    void withoutAStoreRootTheCommandSaysHowToGiveOne() {
        assertThatThrownBy(() -> parse(Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--store-root").hasMessageContaining("SOUPER_STORE_ROOTS");
    }

    private static EvaluatorSettings parse(Map<String, String> env, String... args) {
        String[] full = new String[args.length + 1];
        full[0] = "evaluator";
        System.arraycopy(args, 0, full, 1, args.length);
        CommandLine.ParseResult parsed = SouperCli.commandLine(env).parseArgs(full);
        EvaluatorCommand command = parsed.subcommand().commandSpec().commandLine().getCommand();
        return command.settings();
    }
}
