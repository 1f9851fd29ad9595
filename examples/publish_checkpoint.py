#!/usr/bin/python3
"""Announce a finished checkpoint to Souper: publish a CheckpointReady event.

A training job calls this (or copies its few lines) after it has written its
checkpoint (safetensors) to the checkpoint store:

    /usr/bin/python3 examples/publish_checkpoint.py \\
        --bootstrap localhost:9092 --registry http://localhost:8081 \\
        --soup fashion-cnn --checkpoint-id run-7-final \\
        --uri file:///data/checkpoints/run-7.safetensors --run-id run-7 \\
        --hp lr=0.01 epochs=2 --metric train_loss=0.31

It uses Confluent's own Python client (confluent_kafka.avro.AvroProducer, Debian
packages python3-confluent-kafka and python3-avro): the value is written in the
Confluent Schema Registry wire format (0x00, 4-byte schema id, Avro binary), the
schema registered under the subject "<topic>-value", exactly as Souper's Java
serde does. The key is the soup id as plain UTF-8, like every Souper topic.

The schema comes from Souper's schemas/ directory. The legacy AvroProducer
takes one self-contained avro Schema object, so the shared named types of
schemas/common/ are inlined where a schema first refers to them.

timestamp-millis: python3-avro (1.11) only accepts a timezone-aware
datetime.datetime for a timestamp-millis field (an int or a naive datetime is
rejected as "not an example of the schema"), so producedAt is built as an
exact UTC datetime from milliseconds.
"""

import argparse
import copy
import datetime
import json
import os
import sys
import time

import avro.schema
import requests
from confluent_kafka import Producer
from confluent_kafka.avro import AvroProducer, ClientError, SerializerError

DEFAULT_SCHEMAS = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "schemas")
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
PRIMITIVES = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}


def load_schema(schemas_dir, file_name):
    """The schema in schemas_dir/file_name, with the types of schemas_dir/common inlined."""
    common = {}
    common_dir = os.path.join(schemas_dir, "common")
    if os.path.isdir(common_dir):
        for name in sorted(os.listdir(common_dir)):
            if name.endswith(".avsc"):
                with open(os.path.join(common_dir, name)) as f:
                    definition = json.load(f)
                common[_full_name(definition, None)] = definition
    with open(os.path.join(schemas_dir, file_name)) as f:
        root = json.load(f)
    inlined = _inline(root, common, defined=set(), namespace=None)
    return avro.schema.parse(json.dumps(inlined))


def _full_name(definition, namespace):
    name = definition["name"]
    if "." in name:
        return name
    ns = definition.get("namespace", namespace)
    return ns + "." + name if ns else name


def _inline(node, common, defined, namespace):
    """Replaces the first reference to each common type by its definition (Avro forbids redefining)."""
    if isinstance(node, str):
        if node in PRIMITIVES:
            return node
        full = node if "." in node or not namespace else namespace + "." + node
        if full in common and full not in defined:
            definition = copy.deepcopy(common[full])
            return _inline(definition, common, defined, namespace)
        return node
    if isinstance(node, list):
        return [_inline(branch, common, defined, namespace) for branch in node]
    if isinstance(node, dict):
        kind = node.get("type")
        if kind in ("record", "error", "enum", "fixed"):
            full = _full_name(node, namespace)
            defined.add(full)
            namespace = full.rsplit(".", 1)[0] if "." in full else None
            if kind in ("record", "error"):
                for field in node.get("fields", []):
                    field["type"] = _inline(field["type"], common, defined, namespace)
            return node
        if kind == "array":
            node["items"] = _inline(node["items"], common, defined, namespace)
        elif kind == "map":
            node["values"] = _inline(node["values"], common, defined, namespace)
        elif kind is not None:
            node["type"] = _inline(kind, common, defined, namespace)
        return node
    return node


def millis_to_datetime(millis):
    """Exact (no float rounding) UTC datetime for epoch milliseconds, as python3-avro wants it."""
    return EPOCH + datetime.timedelta(milliseconds=millis)


def key_values(pairs, convert, what):
    result = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise SystemExit("--%s expects key=value, got %r" % (what, pair))
        key, value = pair.split("=", 1)
        try:
            result[key] = convert(value)
        except ValueError:
            raise SystemExit("--%s %s: %r is not a valid value" % (what, key, value))
    return result


class SoupKeyedAvroProducer(AvroProducer):
    """AvroProducer whose key is plain UTF-8 text.

    Souper keys every topic by soup id as a string (Kafka's StringSerializer);
    AvroProducer would Avro-encode any key, so the value goes through its
    serializer and the key is passed on as bytes.
    """

    def produce_checkpoint(self, topic, soup_id, value, on_delivery):
        encoded = self._serializer.encode_record_with_schema(topic, self._value_schema, value)
        Producer.produce(self, topic, encoded, soup_id.encode("utf-8"), on_delivery=on_delivery)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Publish a CheckpointReady event to Souper.")
    parser.add_argument("--bootstrap", required=True, help="Kafka bootstrap servers, host:port[,host:port]")
    parser.add_argument("--registry", required=True, help="schema registry URL, e.g. http://localhost:8081")
    parser.add_argument("--soup", required=True, help="soup id (the message key)")
    parser.add_argument("--checkpoint-id", required=True)
    parser.add_argument("--uri", required=True, help="file:// URI of the checkpoint in the store")
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--hp", nargs="*", action="extend", default=[], metavar="K=V",
                        help="hyper-parameters, e.g. --hp lr=0.01 epochs=2")
    parser.add_argument("--metric", nargs="*", action="extend", default=[], metavar="K=V",
                        help="the trainer's own metrics (numbers), e.g. --metric train_loss=0.31")
    parser.add_argument("--step", type=int, default=0)
    parser.add_argument("--sha256", help="hex sha256 of the checkpoint file (verified by the evaluator)")
    parser.add_argument("--size-bytes", type=int)
    parser.add_argument("--format", default="safetensors")
    parser.add_argument("--produced-at-ms", type=int, help="epoch milliseconds (default: now)")
    parser.add_argument("--topic", default="souper.checkpoints")
    parser.add_argument("--schemas", default=DEFAULT_SCHEMAS, help="Souper's schemas/ directory")
    args = parser.parse_args(argv)

    schema = load_schema(args.schemas, "CheckpointReady.avsc")
    produced_at = args.produced_at_ms if args.produced_at_ms is not None else int(time.time() * 1000)
    event = {
        "checkpointId": args.checkpoint_id,
        "soupId": args.soup,
        "uri": args.uri,
        "format": args.format,
        "sha256": args.sha256,
        "sizeBytes": args.size_bytes,
        "runId": args.run_id,
        "step": args.step,
        "hyperParameters": key_values(args.hp, str, "hp"),
        "metrics": key_values(args.metric, float, "metric"),
        "producedAt": millis_to_datetime(produced_at),
    }

    producer = SoupKeyedAvroProducer(
        {"bootstrap.servers": args.bootstrap, "schema.registry.url": args.registry,
         "acks": "all", "enable.idempotence": True},
        default_value_schema=schema)
    outcome = {}

    def delivered(error, message):
        outcome["error"] = error
        outcome["where"] = (message.topic(), message.partition(), message.offset()) if message else None

    try:
        producer.produce_checkpoint(args.topic, args.soup, event, delivered)
    except requests.exceptions.RequestException as e:
        print("schema registry not reachable at %s: %s" % (args.registry, e), file=sys.stderr)
        return 1
    except (ClientError, SerializerError) as e:
        # e.g. the registry refused the schema as incompatible with the subject's earlier versions
        print("checkpoint %s could not be serialized: %s" % (args.checkpoint_id, e), file=sys.stderr)
        return 1
    remaining = producer.flush(30)
    if remaining or "error" not in outcome:
        print("checkpoint %s was not delivered within 30 s" % args.checkpoint_id, file=sys.stderr)
        return 1
    if outcome["error"] is not None:
        print("checkpoint %s was not delivered: %s" % (args.checkpoint_id, outcome["error"]), file=sys.stderr)
        return 1
    topic, partition, offset = outcome["where"]
    print("published checkpoint %s of soup %s to %s[%d]@%d" % (args.checkpoint_id, args.soup, topic, partition, offset))
    return 0


if __name__ == "__main__":
    sys.exit(main())
