package io.souper.evaluator;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;

/** What one class logs while open, DEBUG included, captured from its logback logger. */
final class LogLines implements AutoCloseable {
    private final Logger logger;
    private final Level level;
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    LogLines(Class<?> source) {
        logger = (Logger) LoggerFactory.getLogger(source);
        level = logger.getLevel();
        appender.start();
        logger.addAppender(appender);
        logger.setLevel(Level.DEBUG);
    }

    /** Formatted messages at exactly {@code level} containing {@code text}. */
    List<String> matching(Level at, String text) {
        List<ILoggingEvent> events;
        synchronized (appender) { // appends hold the appender's lock
            events = new ArrayList<>(appender.list);
        }
        return events.stream().filter(e -> e.getLevel() == at).map(ILoggingEvent::getFormattedMessage)
                .filter(m -> m.contains(text)).toList();
    }

    @Override
    public void close() {
        logger.detachAppender(appender);
        logger.setLevel(level);
    }
}
