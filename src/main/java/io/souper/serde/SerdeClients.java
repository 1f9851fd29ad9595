package io.souper.serde;

import io.souper.registry.SchemaRegistryClient;
import io.souper.registry.SchemaRegistryClients;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;

/** The registry client a serde configured only by properties talks to. */
final class SerdeClients {
    private SerdeClients() {}

    static SchemaRegistryClient fromConfig(AvroSerdeConfig config, Map<String, ?> originals) {
        String url = config.registryUrl();
        if (url == null || url.isBlank()) {
            throw new ConfigException(AvroSerdeConfig.SCHEMA_REGISTRY_URL + " is required (http://host:port or"
                    + " mock://scope) unless the serde is constructed with a SchemaRegistryClient");
        }
        try {
            return SchemaRegistryClients.forUrl(url, originals);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(AvroSerdeConfig.SCHEMA_REGISTRY_URL, url, e.getMessage());
        }
    }
}
