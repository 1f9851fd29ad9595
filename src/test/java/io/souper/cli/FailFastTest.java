package io.souper.cli;

import io.souper.kafka.FreePorts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/** With no broker at the address, every command says so in one line within seconds. */
class FailFastTest {

    @TempDir
    Path dir;

    @Test
    void everyCommandFailsFastNamingTheAddressItTried() throws Exception {
        String nowhere = "localhost:" + FreePorts.pick();
        Path checkpoint = CliRun.tinyCheckpoint(dir.resolve("c.safetensors"));
        Map<String, String[]> commands = new LinkedHashMap<>();
        commands.put("topics create", new String[]{"topics", "create"});
        commands.put("topics list", new String[]{"topics", "list"});
        commands.put("soup define", new String[]{"soup", "define", "s", "--no-check", "--architecture", "/a.pt",
                "--held-out", "/h"});
        commands.put("publish-checkpoint", new String[]{"publish-checkpoint", "--soup", "s", "--checkpoint",
                checkpoint.toString(), "--run-id", "r"});
        commands.put("tail", new String[]{"tail", "souper.updates", "--no-follow"});
        commands.put("evaluator", new String[]{"evaluator", "--store-root", dir.toString(), "--http-port", "0",
                "--work-dir", dir.resolve("work").toString()});
        commands.put("streams", new String[]{"streams", "--http-port", "0", "--state-dir", dir.resolve("state").toString()});

        // in parallel: each waits for the same few seconds of silence
        Map<String, CompletableFuture<CliRun>> runs = new LinkedHashMap<>();
        commands.forEach((name, args) -> {
            String[] full = java.util.stream.Stream.concat(java.util.Arrays.stream(args),
                    java.util.stream.Stream.of("-b", nowhere, "-r", "mock://nowhere")).toArray(String[]::new);
            runs.put(name, CompletableFuture.supplyAsync(() -> CliRun.run(Map.of(), full)));
        });
        for (var entry : runs.entrySet()) {
            CliRun run = entry.getValue().get();
            assertThat(run.code()).as(entry.getKey()).isEqualTo(1);
            assertThat(run.millis()).as(entry.getKey() + " took %d ms", run.millis()).isLessThan(20_000);
            List<String> lines = run.errorLines();
            assertThat(lines).as(entry.getKey()).singleElement().asString()
                    .startsWith("souper: cannot reach Kafka at " + nowhere);
        }
    }
}
