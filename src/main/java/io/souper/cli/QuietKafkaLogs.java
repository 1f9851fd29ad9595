package io.souper.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import org.slf4j.LoggerFactory;

/**
 * A short command (publish, define, tail, topics) reports its own failure in one line; the Kafka
 * clients' retry warnings ("Connection to node -1 could not be established", dozens of them) would
 * bury it. Services keep those warnings in their logs.
 */
final class QuietKafkaLogs {

    private QuietKafkaLogs() {
    }

    private static final String[] KAFKA_LOGGERS = {"org.apache.kafka", "kafka"};

    static void apply() {
        for (String name : KAFKA_LOGGERS) {
            if (LoggerFactory.getLogger(name) instanceof Logger logger) {
                logger.setLevel(Level.OFF);
            }
        }
    }

    /** Runs {@code action} with the Kafka loggers off, then puts their levels back (a service's probe). */
    static void during(Runnable action) {
        Level[] before = new Level[KAFKA_LOGGERS.length];
        for (int i = 0; i < KAFKA_LOGGERS.length; i++) {
            if (LoggerFactory.getLogger(KAFKA_LOGGERS[i]) instanceof Logger logger) {
                before[i] = logger.getLevel();
            }
        }
        apply();
        try {
            action.run();
        } finally {
            for (int i = 0; i < KAFKA_LOGGERS.length; i++) {
                if (LoggerFactory.getLogger(KAFKA_LOGGERS[i]) instanceof Logger logger) {
                    logger.setLevel(before[i]);
                }
            }
        }
    }
}
