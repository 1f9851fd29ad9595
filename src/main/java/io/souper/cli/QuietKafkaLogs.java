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

    static void apply() {
        for (String name : new String[]{"org.apache.kafka", "kafka"}) {
            if (LoggerFactory.getLogger(name) instanceof Logger logger) {
                logger.setLevel(Level.OFF);
            }
        }
    }
}
