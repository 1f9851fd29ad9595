package io.souper.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.souper.kafka.EmbeddedStack;
import io.souper.web.Json;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The CLI against the real embedded stack (broker + schema registry), as a user runs it. */
class CliEndToEndTest {

    @TempDir
    static Path dir;
    static EmbeddedStack stack;

    @BeforeAll
    static void start() {
        stack = EmbeddedStack.start(dir.resolve("data"), 0, 0, 2);
    }

    @AfterAll
    static void stop() {
        stack.close();
    }

    @Test
    void publishedCheckpointShowsUpInTailDecodedFieldForField() throws Exception {
        Path checkpoint = CliRun.tinyCheckpoint(dir.resolve("ckpt.safetensors"));
        Run published = run("publish-checkpoint", "--soup", "cli-soup", "--checkpoint", checkpoint.toString(),
                "--run-id", "run-7", "--step", "42", "--hp", "lr=0.01", "--hp", "seed=3", "--metric", "loss=0.5");
        assertThat(published.code).isZero();

        Run tail = run("tail", "souper.checkpoints", "--no-follow");
        assertThat(tail.code).isZero();
        JsonNode line = tail.lines().stream().map(CliEndToEndTest::json)
                .filter(n -> n.path("key").asText().equals("cli-soup")).findFirst().orElseThrow();
        JsonNode value = line.get("value");
        assertThat(value.get("checkpointId").asText()).isEqualTo("run-7@42");
        assertThat(value.get("uri").asText()).isEqualTo(checkpoint.toUri().toString());
        // sha256 of the file's bytes, computed by the CLI
        assertThat(value.get("sha256").asText())
                .isEqualTo(java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                        .digest(Files.readAllBytes(checkpoint))));
        assertThat(value.get("sizeBytes").asLong()).isEqualTo(Files.size(checkpoint));
        assertThat(value.get("hyperParameters").get("seed").asText()).isEqualTo("3");
        assertThat(value.get("metrics").get("loss").asDouble()).isEqualTo(0.5);
    }

    @Test
    void definedSoupIsOnTheCompactedDefinitionsTopic() {
        Run defined = run("soup", "define", "def-soup", "--no-check", "--architecture", "/models/cnn.pt",
                "--held-out", "/data/h.safetensors",
                "--shift", "noise=/data/noise.safetensors", "--policy", "online", "--accept", ">=");
        assertThat(defined.code).isZero();
        JsonNode value = run("tail", "souper.definitions", "--no-follow").lines().stream().map(CliEndToEndTest::json)
                .filter(n -> n.path("key").asText().equals("def-soup")).findFirst().orElseThrow().get("value");
        assertThat(value.get("architectureUri").asText()).isEqualTo("file:///models/cnn.pt");
        assertThat(value.get("policy").asText()).isEqualTo("ONLINE");
        assertThat(value.get("acceptRule").asText()).isEqualTo("GREATER_OR_EQUAL");
        assertThat(value.get("shiftUris").get("noise").asText()).isEqualTo("file:///data/noise.safetensors");
    }

    @Test
    void badInputGivesOneClearLineAndAFailingExitCode() {
        Run run = run("soup", "define", "x", "--no-check", "--architecture", "a.pt", "--held-out", "h", "--policy", "greedy");
        assertThat(run.code).isEqualTo(1);
        assertThat(run.err).contains("--policy must be sorted or online, got 'greedy'");
        Run missing = run("publish-checkpoint", "--soup", "s", "--checkpoint", dir.resolve("nope").toString(), "--run-id", "r");
        assertThat(missing.code).isEqualTo(1);
        assertThat(missing.err).contains("FILE_NOT_FOUND", "no such file");
    }

    @Test
    void defineChecksTheLocalFilesAndPublishesNothingWhenOneIsMissing() throws Exception {
        Path architecture = Path.of("models/fmnist_cnn.pt").toAbsolutePath();
        Path heldOut = dir.resolve("held-out.safetensors");
        io.souper.data.DatasetFiles.write(heldOut, new io.souper.data.LabeledImages("h", new float[3 * 4], new int[]{0, 1, 2},
                1, 2, 2));
        Path notAModel = Files.writeString(dir.resolve("weights.pt"), "pickle, not TorchScript");

        Run missing = run("soup", "define", "checked-soup", "--architecture", architecture.toString(),
                "--held-out", heldOut.toString(), "--shift", "noise=" + dir.resolve("no-such-shift.safetensors"));
        assertThat(missing.code).isEqualTo(1);
        assertThat(missing.err.lines().filter(l -> l.startsWith("souper:")).toList()).singleElement().asString()
                .contains("not published: shift noise", "no-such-shift.safetensors", "no such file", "--no-check");

        Run wrongFormat = run("soup", "define", "checked-soup", "--architecture", notAModel.toString(),
                "--held-out", heldOut.toString());
        assertThat(wrongFormat.code).isEqualTo(1);
        assertThat(wrongFormat.err).contains("not a TorchScript archive");
        assertThat(run("tail", "souper.definitions", "--no-follow").lines()).noneMatch(l -> l.contains("checked-soup"));

        PrintStream oldErr = System.err;
        ByteArrayOutputStream findings = new ByteArrayOutputStream();
        Run ok;
        try {
            System.setErr(new PrintStream(findings, true, StandardCharsets.UTF_8));
            ok = run("soup", "define", "checked-soup", "--architecture", architecture.toString(), "--held-out",
                    heldOut.toString(), "--test", "s3://bucket/test.safetensors");
        } finally {
            System.setErr(oldErr);
        }
        assertThat(ok.code).as(ok.err).isZero();
        assertThat(findings.toString(StandardCharsets.UTF_8)).contains("ok    architecture", "TorchScript archive",
                "ok    held-out", "3 labelled examples", "ok    test s3://bucket/test.safetensors: not checked");
        assertThat(run("tail", "souper.definitions", "--no-follow").lines()).anyMatch(l -> l.contains("checked-soup"));
    }

    @Test
    void topicsListShowsWhatTheClusterHasAndWhetherItMatches() {
        Run list = run("topics", "list");
        assertThat(list.code).isZero();
        assertThat(list.out).contains("souper.definitions   ok        2 partitions, cleanup.policy=compact",
                "souper.dlq           ok        2 partitions, cleanup.policy=delete", "other topics: _schemas");
        Run wrongCount = run("topics", "list", "--partitions", "3");
        assertThat(wrongCount.code).isEqualTo(1);
        assertThat(wrongCount.out).contains("souper.updates       DIFFERENT 2 partitions, cleanup.policy=compact "
                + "(2 partitions, wanted 3)", "do not match");
    }

    @Test
    void helpNeverBreaksAUrlOrAnAddressAcrossLines() {
        List<CommandLine> all = new ArrayList<>();
        collect(SouperCli.commandLine(), all);
        for (CommandLine command : all) {
            String help = command.getUsageMessage(CommandLine.Help.Ansi.OFF);
            assertThat(help).as("help of %s", command.getCommandName())
                    .doesNotContainPattern("(https?|mock|file):\\s*\\n\\s*//")
                    .doesNotContainPattern("localhost:\\s*\\n");
        }
        assertThat(SouperCli.commandLine().getSubcommands().get("streams").getUsageMessage(CommandLine.Help.Ansi.OFF))
                .contains("http://localhost:8081", "localhost:9092");
    }

    @Test
    void everyCommandAndOptionHasHelpText() {
        List<CommandLine> all = new ArrayList<>();
        collect(SouperCli.commandLine(), all);
        assertThat(all).extracting(CommandLine::getCommandName)
                .contains("dev-stack", "topics", "soup", "define", "publish-checkpoint", "tail", "streams");
        for (CommandLine command : all) {
            assertThat(command.getCommandSpec().usageMessage().description())
                    .as("description of %s", command.getCommandName()).isNotEmpty();
            command.getCommandSpec().options().forEach(option -> assertThat(option.description())
                    .as("help of %s %s", command.getCommandName(), option.longestName()).isNotEmpty());
        }
    }

    private static void collect(CommandLine command, List<CommandLine> out) {
        if (!command.getCommandName().equals("help")) {
            out.add(command);
        }
        command.getSubcommands().values().forEach(sub -> collect(sub, out));
    }

    private record Run(int code, String out, String err) {
        List<String> lines() {
            return out.lines().filter(l -> l.startsWith("{")).toList();
        }
    }

    private static Run run(String... args) {
        List<String> full = new ArrayList<>(List.of(args));
        full.addAll(List.of("--bootstrap-servers", stack.bootstrapServers(), "--schema-registry-url", stack.schemaRegistryUrl()));
        PrintStream oldOut = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        java.io.StringWriter err = new java.io.StringWriter();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            CommandLine cli = SouperCli.commandLine();
            cli.setErr(new java.io.PrintWriter(err, true));
            int code = cli.execute(full.toArray(String[]::new));
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString());
        } finally {
            System.setOut(oldOut);
        }
    }

    private static JsonNode json(String line) {
        try {
            return Json.MAPPER.readTree(line);
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + line, e);
        }
    }
}
