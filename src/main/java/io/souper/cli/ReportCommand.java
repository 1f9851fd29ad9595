package io.souper.cli;

import io.souper.kafka.KafkaClientConfigs;
import io.souper.report.SoupReport;
import io.souper.report.SoupReports;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;

@Command(name = "report", mixinStandardHelpOptions = true,
        description = {"Write the paper's table for any soup: asks the evaluator (report requests on "
                + "souper.report-requests, answered on souper.report-results; the souper never sees them) for every "
                + "checkpoint of the soup alone, the uniform soup of all, the soup's greedy soup and the logit "
                + "ensemble of all, on held-out, test and every shift, waits for the answers, and writes report.md, "
                + "report.json and figure1.svg, with a paired 95%% interval and a verdict for every comparison with "
                + "the best single model. A report asked again reuses the answers already given.",
                "Needs a running evaluator and the soup's events on Kafka."})
public final class ReportCommand implements Callable<Integer> {

    @Mixin
    ConnectionOptions connection;

    @Parameters(index = "0", paramLabel = "SOUP_ID", description = "The soup to report on.")
    String soupId;

    @PerInvocation
    @Option(names = "--out", paramLabel = "DIR",
            description = "Where report.md, report.json and figure1.svg are written (default: report-SOUP_ID).")
    Path out;

    @EnvironmentVariable("SOUPER_REPORT_TIMEOUT")
    @Option(names = "--timeout", defaultValue = SoupReports.DEFAULT_TIMEOUT,
            description = "How long to wait for the evaluator's answers, ISO-8601 "
                    + "(env SOUPER_REPORT_TIMEOUT; default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Override
    public Integer call() {
        KafkaClientConfigs clients = connection.connect();
        SoupReport report = SoupReports.make(clients, clients.topics(), soupId, Optional.empty(), timeout,
                line -> System.err.println("souper report: " + line));
        Path dir = out != null ? out : Path.of("report-" + soupId);
        report.writeTo(dir);
        System.out.println(report.markdown());
        System.out.println("report: " + dir.resolve(SoupReport.MARKDOWN_FILE) + ", " + dir.resolve(SoupReport.JSON_FILE)
                + ", " + dir.resolve(SoupReport.SVG_FILE));
        return 0;
    }
}
