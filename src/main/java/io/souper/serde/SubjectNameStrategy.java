package io.souper.serde;

import java.util.Map;
import org.apache.avro.Schema;
import org.apache.kafka.common.config.ConfigException;

/** Names the registry subject a topic's keys or values are registered under. */
public interface SubjectNameStrategy {

    String subjectName(String topic, boolean isKey, Schema schema);

    /**
     * The strategy a config value names: our class names, their simple names, or Confluent's class
     * names ({@code io.confluent.kafka.serializers.subject.*}) for drop-in configurations; any other
     * value must be a class implementing this interface with a no-argument constructor.
     */
    static SubjectNameStrategy named(String configKey, String name) {
        String trimmed = name == null ? "" : name.trim();
        Map<String, SubjectNameStrategy> builtIn = Map.of(
                "TopicNameStrategy", new TopicNameStrategy(),
                "RecordNameStrategy", new RecordNameStrategy(),
                "TopicRecordNameStrategy", new TopicRecordNameStrategy());
        for (Map.Entry<String, SubjectNameStrategy> entry : builtIn.entrySet()) {
            String simple = entry.getKey();
            if (trimmed.equals(simple) || trimmed.equals("io.souper.serde." + simple)
                    || trimmed.equals("io.confluent.kafka.serializers.subject." + simple)) {
                return entry.getValue();
            }
        }
        try {
            Class<?> type = Class.forName(trimmed, true, Thread.currentThread().getContextClassLoader());
            if (!SubjectNameStrategy.class.isAssignableFrom(type)) {
                throw new ConfigException(configKey, name, "class does not implement " + SubjectNameStrategy.class.getName());
            }
            return (SubjectNameStrategy) type.getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException | LinkageError e) {
            throw new ConfigException(configKey, name, "not a known subject name strategy (TopicNameStrategy,"
                    + " RecordNameStrategy, TopicRecordNameStrategy) nor a loadable class: " + e);
        }
    }
}
