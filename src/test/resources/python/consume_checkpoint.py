#!/usr/bin/python3
"""Read CheckpointReady events with Confluent's Python AvroConsumer; print each as one JSON line.

Used by PythonInteropTest to prove that events written by Souper's Java serde read
with Confluent's own client. Output per message:
  {"key": "<soup id>", "partition": 0, "offset": 0, "value": {...fields...}}
timestamp-millis fields come back from python3-avro as aware datetimes and are
printed as epoch milliseconds; bytes as lists of ints.
"""

import argparse
import datetime
import json
import sys
import time
import uuid

from confluent_kafka.avro import AvroConsumer

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def plain(value):
    if isinstance(value, datetime.datetime):
        return (value - EPOCH) // datetime.timedelta(milliseconds=1)
    if isinstance(value, bytes):
        return list(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--registry", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--count", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=30.0)
    args = parser.parse_args()

    consumer = AvroConsumer({
        "bootstrap.servers": args.bootstrap,
        "schema.registry.url": args.registry,
        "group.id": "consume-checkpoint-" + uuid.uuid4().hex,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
    })
    # Keys are plain UTF-8 soup ids, not Avro: AvroConsumer decodes only framed keys, so keep the raw bytes.
    consumer._serializer.decode_message = _values_only(consumer._serializer.decode_message)
    consumer.subscribe([args.topic])
    seen = 0
    deadline = time.monotonic() + args.timeout
    try:
        while seen < args.count:
            if time.monotonic() > deadline:
                print("timed out after %.0f s with %d of %d messages" % (args.timeout, seen, args.count),
                      file=sys.stderr)
                return 2
            message = consumer.poll(0.5)
            if message is None:
                continue
            if message.error():
                print("consumer error: %s" % message.error(), file=sys.stderr)
                return 1
            key = message.key()
            print(json.dumps({
                "key": key.decode("utf-8") if isinstance(key, bytes) else key,
                "partition": message.partition(),
                "offset": message.offset(),
                "value": plain(message.value()),
            }, sort_keys=True), flush=True)
            seen += 1
    finally:
        consumer.close()
    return 0


def _values_only(decode):
    def decode_message(payload, is_key=False):
        return payload if is_key else decode(payload, is_key=is_key)
    return decode_message


if __name__ == "__main__":
    sys.exit(main())
