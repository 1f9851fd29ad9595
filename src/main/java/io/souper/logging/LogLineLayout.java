package io.souper.logging;

import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.LayoutBase;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Instant;
import java.util.Locale;
import java.util.Map;

/**
 * Souper's log lines, in the format {@code SOUPER_LOG_FORMAT} names (logback.xml passes it in):
 * {@code text} (default) for people, or {@code json} for log collectors: one JSON object per
 * line with an ISO-8601 UTC timestamp, level, logger, thread, message, the MDC and, when there
 * is one, the whole stack trace in {@code exception}, so a multi-line trace stays one record.
 */
public final class LogLineLayout extends LayoutBase<ILoggingEvent> {

    /** The text form: ISO-8601 time, so lines from different days and zones still sort. */
    static final String TEXT_PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level %logger{20} - %msg%n";

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private String format = "text";
    private boolean json;
    private PatternLayout text;

    /** Set by logback from the configuration: {@code text} or {@code json}. */
    public void setFormat(String format) {
        this.format = format;
    }

    @Override
    public void start() {
        String chosen = format == null ? "text" : format.trim().toLowerCase(Locale.ROOT);
        if (!chosen.equals("text") && !chosen.equals("json")) {
            addError("SOUPER_LOG_FORMAT must be text or json, not '" + format + "'; logging as text");
            chosen = "text";
        }
        json = chosen.equals("json");
        text = new PatternLayout();
        text.setContext(getContext());
        text.setPattern(TEXT_PATTERN);
        text.start();
        super.start();
    }

    @Override
    public String doLayout(ILoggingEvent event) {
        if (!json) {
            return text.doLayout(event);
        }
        ObjectNode line = MAPPER.createObjectNode();
        line.put("timestamp", Instant.ofEpochMilli(event.getTimeStamp()).toString());
        line.put("level", event.getLevel().toString());
        line.put("logger", event.getLoggerName());
        line.put("thread", event.getThreadName());
        line.put("message", event.getFormattedMessage());
        Map<String, String> mdc = event.getMDCPropertyMap();
        if (mdc != null && !mdc.isEmpty()) {
            ObjectNode context = line.putObject("mdc");
            mdc.forEach(context::put);
        }
        IThrowableProxy thrown = event.getThrowableProxy();
        if (thrown != null) {
            line.put("exception", ThrowableProxyUtil.asString(thrown));
        }
        try {
            // Jackson escapes every newline inside strings: the record is exactly one line.
            return MAPPER.writeValueAsString(line) + CoreConstants.LINE_SEPARATOR;
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a log line as JSON", e);
        }
    }
}
