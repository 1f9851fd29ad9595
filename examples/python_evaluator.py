#!/usr/bin/python3
"""An evaluator of your own: Souper's evaluation protocol in plain PyTorch.

Souper's souper (the Kafka Streams service that keeps the greedy soups) does not care who
scores a checkpoint. Any process that follows docs/protocol.md can answer for a soup; this
is such a process, in about 400 lines of Python with Confluent's client and PyTorch:

    /usr/bin/python3 examples/python_evaluator.py \\
        --bootstrap localhost:9092 --registry http://localhost:8081 \\
        --name python --store-root /data --artifacts /data/artifacts-python --device auto

It answers the soups whose definition names it (`SoupDefinition.evaluator == --name`), and
leaves every other soup to the evaluator named there (Souper's own Java evaluator answers
soups that name none, or "souper"), so the two are interchangeable per soup:

  * souper.checkpoints (CheckpointReady): score the checkpoint alone on the soup's held-out,
    test and shift splits;
  * souper.candidates (EvaluationRequest): CANDIDATE = the uniform average of the ingredients'
    weights (a float64 sum in ingredient order, divided by the count, rounded to each tensor's
    dtype), scored on held-out (and on every split when reportSplits is set), and written as a
    safetensors artifact; ENSEMBLE = the mean of the ingredients' logits;
  * every answer is one EvaluationResult on souper.evaluations, keyed by soup id, echoing the
    subject's id (checkpoint id or request id), kind, baseVersion and ingredients (with their
    sha256), so the souper can match it and recognise a redelivery;
  * a failure is an answer too: the same result with `error` {code, message, retriable} and
    no scores. Input offsets are committed only after the answer is delivered (at least once;
    the souper drops duplicates by subject id).

Keys are plain UTF-8 soup ids; values are Avro in the Confluent wire format (magic byte 0,
4-byte schema id, Avro binary) through the schema registry. The producer uses librdkafka's
default partitioner (CRC32 of the key, not the Java client's murmur2): the souper re-keys and
repartitions what it reads by soup id, so partitioning is not part of the contract.

Checkpoints and datasets are file: URIs under --store-root (anything else is refused with
URI_OUTSIDE_ROOTS). Datasets as docs/data.md says: an IDX pair (?split=train|t10k&from=&to=
&mean=&std=), a safetensors file (or directory of shards) of images with `inputs` and `labels`,
or, for a soup naming `inputNames`, the named tensors passed to forward() in that order with
`targets` (a language model's next tokens; `ignoreIndex` marks padding). Metrics per split:
accuracy, top5_accuracy, mean_loss (cross-entropy, natural log) and perplexity (exp of mean_loss).
"""

import argparse
import datetime
import functools
import gzip
import hashlib
import json
import math
import os
import signal
import sys
import tempfile
import time
import traceback
import urllib.parse
import uuid

import numpy as np
import torch
import torch.nn.functional as F
from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.avro.cached_schema_registry_client import CachedSchemaRegistryClient
from confluent_kafka.avro.serializer.message_serializer import MessageSerializer

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, os.pardir, "models"))
from publish_checkpoint import DEFAULT_SCHEMAS, load_schema  # noqa: E402  (Avro schema with shared types inlined)
from souper_export import load_safetensors, save_safetensors  # noqa: E402  (safetensors in plain Python)

DEFINITIONS = "souper.definitions"
CHECKPOINTS = "souper.checkpoints"
CANDIDATES = "souper.candidates"
EVALUATIONS = "souper.evaluations"
SOUPER_EVALUATOR = "souper"  # the name Souper's own evaluator answers to (and soups naming none)
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
BATCH = 256
FASHION_MNIST_MEAN = 0.2860
FASHION_MNIST_STD = 0.3530


class Refused(Exception):
    """A subject that cannot be scored as asked: answered with this code, never retried by the souper
    unless `retriable` (the file may appear later, the disk may come back)."""

    def __init__(self, code, message, retriable=False):
        super().__init__(message)
        self.code = code
        self.retriable = retriable


# ---------------------------------------------------------------- files: confined to the store roots

def local_path(uri, roots):
    """The file a file: URI names, refused unless it lies under one of the roots (after resolving
    symlinks, so neither `..` nor a link can reach outside)."""
    parsed = urllib.parse.urlparse(uri)
    if parsed.scheme != "file":
        raise Refused("UNSUPPORTED_URI", "%s: this evaluator reads file: URIs only" % uri)
    path = os.path.realpath(urllib.parse.unquote(parsed.path))
    if not any(path == r or path.startswith(r + os.sep) for r in roots):
        raise Refused("URI_OUTSIDE_ROOTS", "%s is outside the store roots %s" % (uri, roots))
    if not os.path.exists(path):
        raise Refused("FILE_NOT_FOUND", "%s does not exist" % uri, retriable=True)
    return path, urllib.parse.parse_qs(parsed.query)


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def checked_weights(uri, expected_sha256, roots):
    """(state dict, sha256) of a checkpoint, its hash verified when the event carries one."""
    path, _ = local_path(uri, roots)
    actual = sha256_of(path)
    if expected_sha256 and expected_sha256.lower() != actual:
        raise Refused("HASH_MISMATCH", "%s hashes to %s, the event says %s" % (uri, actual, expected_sha256))
    try:
        state = load_safetensors(path)
    except Exception as e:  # a truncated or malformed file is the file's fault
        raise Refused("BAD_CHECKPOINT", "%s is not a readable safetensors file: %s" % (uri, e))
    for name, tensor in state.items():
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            raise Refused("NON_FINITE_WEIGHTS", "%s: tensor %s holds NaN or Inf" % (uri, name))
    return state, actual


# ---------------------------------------------------------------- datasets

def read_idx(path):
    opener = gzip.open if open(path, "rb").read(2) == b"\x1f\x8b" else open
    with opener(path, "rb") as f:
        raw = f.read()
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(raw[3])]
    if 4 + 4 * len(dims) + int(np.prod(dims)) != len(raw):
        raise Refused("BAD_DATASET", "%s: the IDX header does not match the file's size" % path)
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * len(dims)).reshape(dims)


def idx_file(directory, base):
    for name in (base, base + ".gz"):
        if os.path.isfile(os.path.join(directory, name)):
            return os.path.join(directory, name)
    raise Refused("FILE_NOT_FOUND", "no %s[.gz] in %s" % (base, directory))


def one(query, name, default=None):
    return query[name][0] if name in query else default


def load_tensors(path):
    """A safetensors file, or a directory of shards concatenated along the first dimension."""
    if not os.path.isdir(path):
        return load_safetensors(path)
    shards = [load_safetensors(os.path.join(path, n)) for n in sorted(os.listdir(path)) if n.endswith(".safetensors")]
    if not shards:
        raise Refused("BAD_DATASET", "%s holds no .safetensors shards" % path)
    return {k: torch.cat([shard[k] for shard in shards]) for k in shards[0]}


def load_split(uri, roots, definition):
    """(inputs, targets) of a dataset URI as docs/data.md says: `inputs` is a tuple of the tensors
    forward() takes, in order. Image soups (no inputNames): one float32 NCHW tensor from IDX or
    safetensors images, normalised; otherwise the named tensors as they are."""
    path, query = local_path(uri, roots)
    names = definition.get("inputNames") or []
    mean = float(one(query, "mean", FASHION_MNIST_MEAN))
    std = float(one(query, "std", FASHION_MNIST_STD))
    if "split" in query:
        split = {"test": "t10k"}.get(one(query, "split"), one(query, "split"))
        images = read_idx(idx_file(path, split + "-images-idx3-ubyte"))
        labels = read_idx(idx_file(path, split + "-labels-idx1-ubyte"))
        x = torch.from_numpy(images.copy()).float().unsqueeze(1)
        inputs = ((x / 255 - mean) / std,)
        y = torch.from_numpy(labels.astype(np.int64))
    else:
        tensors = load_tensors(path)
        y = (tensors["targets"] if "targets" in tensors else tensors["labels"]).long()
        if names:
            missing = [n for n in names if n not in tensors]
            if missing:
                raise Refused("BAD_DATASET", "%s has no input tensor %s" % (uri, missing))
            inputs = tuple(tensors[n] for n in names)
        else:
            x = tensors["inputs"]
            if x.dim() == 3:
                x = x.unsqueeze(1)
            if x.dtype == torch.uint8:
                x = (x.float() / 255 - mean) / std
            inputs = (x,)
    start = int(one(query, "from", 0))
    end = int(one(query, "to", y.shape[0]))
    if not 0 <= start <= end <= y.shape[0]:
        raise Refused("BAD_DATASET", "%s: range [%d, %d) is outside the split's %d examples" % (uri, start, end, y.shape[0]))
    return tuple(t[start:end] for t in inputs), y[start:end]


# ---------------------------------------------------------------- scoring

class Model:
    """The soup's TorchScript architecture on the chosen device, its weights swapped per subject."""

    def __init__(self, path, device):
        self.module = torch.jit.load(path, map_location=device).eval()
        self.device = device

    def logits(self, state, inputs):
        """Logits for every example, batches cut along the first dimension of every input."""
        self.module.load_state_dict(state, strict=True)
        out = []
        with torch.no_grad():
            for i in range(0, inputs[0].shape[0], BATCH):
                out.append(self.module(*(t[i:i + BATCH].to(self.device) for t in inputs)).float().cpu())
        return torch.cat(out) if out else torch.empty(0, 0)


def split_metrics(name, logits, targets, ignore_index):
    """SplitMetrics of one split over its scored targets (all labels of a classifier; the tokens
    that are not ignore_index for a language model): counts, the correctness bitset, every metric."""
    logits = logits.reshape(-1, logits.shape[-1])
    targets = targets.reshape(-1)
    if ignore_index is not None:
        keep = targets != ignore_index
        logits, targets = logits[keep], targets[keep]
    total = int(targets.shape[0])
    if total == 0:
        raise Refused("EMPTY_SPLIT", "split %s has nothing to score" % name)
    right = (logits.argmax(1) == targets).numpy()
    correct = int(right.sum())
    target_logit = logits.gather(1, targets.unsqueeze(1))
    top5 = int(((logits > target_logit).sum(1) < 5).sum())  # fewer than 5 classes score above the target
    mean_loss = float(F.cross_entropy(logits.double(), targets, reduction="mean"))
    return {
        "split": name,
        "correct": correct,
        "total": total,
        "accuracy": correct / total,
        # bit i (byte i // 8, bit i % 8) set when scored target i was right
        "correctMask": np.packbits(right.astype(np.uint8), bitorder="little").tobytes(),
        "metrics": {"accuracy": correct / total, "top5_accuracy": top5 / total,
                    "mean_loss": mean_loss, "perplexity": math.exp(min(mean_loss, 700.0))},
    }


def uniform_average(states):
    """Each tensor: float64 sum in ingredient order, divided by the count, rounded to its dtype
    (float dtypes that differ across ingredients: to torch.promote_types of them)."""
    names = list(states[0])
    for s in states[1:]:
        if sorted(s) != sorted(names):
            raise Refused("KEY_MISMATCH", "the ingredients do not name the same tensors")
    out = {}
    for name in names:
        dtypes = {s[name].dtype for s in states}
        if len(dtypes) != 1 and not all(d.is_floating_point for d in dtypes):
            raise Refused("MIXED_DTYPES", "tensor %s has dtypes %s across the ingredients" % (name, sorted(map(str, dtypes))))
        # mixed float dtypes (an fp16 run beside fp32 ones): the soup is written in the promoted dtype
        dtype = functools.reduce(torch.promote_types, dtypes)
        acc = states[0][name].double().clone()
        for s in states[1:]:
            if s[name].shape != acc.shape:
                raise Refused("SHAPE_MISMATCH", "tensor %s has shapes %s and %s" % (name, list(acc.shape), list(s[name].shape)))
            acc += s[name].double()
        out[name] = (acc / len(states)).to(dtype)
    return out


# ---------------------------------------------------------------- the service

class PythonEvaluator:

    def __init__(self, args):
        self.args = args
        self.roots = [os.path.realpath(r) for r in args.store_root]
        self.device = pick_device(args.device)
        self.registry = CachedSchemaRegistryClient({"url": args.registry})
        self.serializer = MessageSerializer(self.registry)
        self.result_schema = load_schema(args.schemas, "EvaluationResult.avsc")
        # the SplitMetrics fields this schema version has (older ones lack `metrics`): send only those
        split_schema = [s for s in self.result_schema.fields_dict["heldOut"].type.schemas if s.type == "record"][0]
        self.split_fields = {f.name for f in split_schema.fields}
        self.definitions = {}
        self.models = {}
        self.splits = {}
        common = {"bootstrap.servers": args.bootstrap}
        self.producer = Producer(dict(common, **{"acks": "all", "enable.idempotence": True}))
        self.work = Consumer(dict(common, **{"group.id": args.group, "auto.offset.reset": "earliest",
                                             "enable.auto.commit": False, "max.poll.interval.ms": 600000}))
        self.defs = Consumer(dict(common, **{"group.id": "python-evaluator-definitions-" + uuid.uuid4().hex,
                                             "auto.offset.reset": "earliest", "enable.auto.commit": False}))
        self.stopping = False

    # definitions: the whole compacted topic, latest per soup
    def read_definitions(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = self.defs.poll(0.1)
            if message is None:
                return
            if message.error() or message.value() is None:
                continue
            try:
                definition = self.serializer.decode_message(message.value())
            except Exception as e:
                log("unreadable definition at %s[%d]@%d skipped: %s" % (message.topic(), message.partition(),
                                                                        message.offset(), e))
                continue
            soup = definition["soupId"]
            old = self.definitions.get(soup)
            if old is not None and (old["heldOutUri"], old["architectureUri"]) != (definition["heldOutUri"], definition["architectureUri"]):
                # as the souper does: a soup's data and architecture never change, or scores would be incomparable
                log("redefinition of soup %s with other data or architecture ignored" % soup)
                continue
            self.definitions[soup] = definition

    def answers(self, definition):
        return (definition.get("evaluator") or SOUPER_EVALUATOR) == self.args.name

    def run(self):
        self.defs.subscribe([DEFINITIONS])
        self.work.subscribe([CHECKPOINTS, CANDIDATES])
        log("python evaluator %r on %s answering its soups" % (self.args.name, self.device))
        while not self.stopping:
            self.read_definitions(0.5)
            message = self.work.poll(0.5)
            if message is None:
                continue
            if message.error():
                if message.error().code() != KafkaError._PARTITION_EOF:
                    log("consumer error: %s" % message.error())
                continue
            self.handle(message)
            self.producer.flush(30)
            self.work.commit(message=message, asynchronous=False)
        self.work.close()
        self.defs.close()
        self.producer.flush(30)

    def handle(self, message):
        try:
            event = self.serializer.decode_message(message.value())
        except Exception as e:
            log("undecodable record %s[%d]@%d skipped: %s" % (message.topic(), message.partition(), message.offset(), e))
            return
        soup = event.get("soupId")
        definition = self.await_definition(soup)
        if definition is None or not self.answers(definition):
            return  # another evaluator's soup (or one never defined: the souper dead-letters its results)
        start = time.monotonic()
        checkpoint = message.topic() == CHECKPOINTS
        try:
            result = self.score_checkpoint(event, definition) if checkpoint else self.score_request(event, definition)
        except Refused as e:
            result = {"error": {"code": e.code, "message": str(e), "retriable": e.retriable}}
        except Exception as e:
            traceback.print_exc()
            result = {"error": {"code": "INTERNAL_ERROR", "message": repr(e), "retriable": False}}
        result = dict(self.echo(event, checkpoint), **result)  # scored ingredients (with sha256) win
        result["durationMs"] = int((time.monotonic() - start) * 1000)
        self.publish(soup, result)
        log("%s %s of soup %s: %s" % ("checkpoint" if checkpoint else event["kind"], result["subjectId"], soup,
                                      result["error"]["code"] if result.get("error") else
                                      "held-out %d/%d" % (result["heldOut"]["correct"], result["heldOut"]["total"])))

    def await_definition(self, soup, timeout=60.0):
        """A checkpoint may arrive before its soup's definition is read: wait for it a while."""
        deadline = time.monotonic() + timeout
        while soup not in self.definitions and time.monotonic() < deadline and not self.stopping:
            self.read_definitions(0.5)
        return self.definitions.get(soup)

    def echo(self, event, checkpoint):
        """What the souper matches an answer by: subject id, kind, base version, soup."""
        base = {"soupId": event["soupId"], "device": self.device, "evaluatedAt": datetime.datetime.now(datetime.timezone.utc)}
        if checkpoint:
            base.update({"subjectId": event["checkpointId"], "subjectKind": "CHECKPOINT", "baseVersion": None,
                         "runId": event.get("runId"), "hyperParameters": event.get("hyperParameters") or {}})
            base["ingredients"] = [{"checkpointId": event["checkpointId"], "uri": event["uri"],
                                    "sha256": event.get("sha256")}]
        else:
            kind = "ENSEMBLE" if event.get("kind") == "ENSEMBLE" else "CANDIDATE"
            base.update({"subjectId": event["requestId"], "subjectKind": kind, "baseVersion": event["baseVersion"]})
            base["ingredients"] = event["ingredients"]
        return base

    def model(self, definition):
        uri = definition["architectureUri"]
        if uri not in self.models:
            path, _ = local_path(uri, self.roots)
            self.models[uri] = Model(path, self.device)
        return self.models[uri]

    def data(self, definition, every_split):
        names = [("held-out", definition["heldOutUri"])]
        if every_split:
            if definition.get("testUri"):
                names.append(("test", definition["testUri"]))
            names += sorted((definition.get("shiftUris") or {}).items())
        out = []
        for name, uri in names:
            key = (uri, tuple(definition.get("inputNames") or []))
            if key not in self.splits:
                self.splits[key] = load_split(uri, self.roots, definition)
            out.append((name, self.splits[key]))
        return out

    def score_checkpoint(self, event, definition):
        state, sha = checked_weights(event["uri"], event.get("sha256"), self.roots)
        result = self.scores(definition, [state], True, ensemble=False)
        result["ingredients"] = [{"checkpointId": event["checkpointId"], "uri": event["uri"], "sha256": sha}]
        return result

    def score_request(self, event, definition):
        if event.get("kind") not in ("CANDIDATE", "ENSEMBLE"):
            raise Refused("INVALID_EVENT", "request %s has kind %s" % (event["requestId"], event.get("kind")))
        refs = event["ingredients"]
        if not refs:
            raise Refused("INVALID_EVENT", "request %s names no ingredients" % event["requestId"])
        states, echoed = [], []
        for ref in refs:
            state, sha = checked_weights(ref["uri"], ref.get("sha256"), self.roots)
            states.append(state)
            echoed.append({"checkpointId": ref["checkpointId"], "uri": ref["uri"], "sha256": sha})
        ensemble = event["kind"] == "ENSEMBLE"
        result = self.scores(definition, states, event.get("reportSplits", False), ensemble)
        result["ingredients"] = echoed
        if not ensemble:
            result["artifactUri"], result["artifactSha256"] = self.write_artifact(uniform_average(states))
        return result

    def scores(self, definition, states, every_split, ensemble):
        model = self.model(definition)
        weights = None if ensemble else (states[0] if len(states) == 1 else uniform_average(states))
        result = {"shifts": []}
        for name, (x, y) in self.data(definition, every_split):
            if ensemble:
                logits = sum(model.logits(s, x).double() for s in states) / len(states)
            else:
                logits = model.logits(weights, x)
            scored = split_metrics(name, logits, y, definition.get("ignoreIndex"))
            metrics = {k: v for k, v in scored.items() if k in self.split_fields}
            if name == "held-out":
                result["heldOut"] = metrics
            elif name == "test":
                result["test"] = metrics
            else:
                result["shifts"].append(metrics)
        return result

    def write_artifact(self, state):
        """Content-addressed: the file is named by its own sha256, so a redelivered request rewrites nothing."""
        os.makedirs(self.args.artifacts, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.args.artifacts, suffix=".tmp")
        os.close(fd)
        save_safetensors(state, tmp)
        sha = sha256_of(tmp)
        final = os.path.join(self.args.artifacts, sha + ".safetensors")
        os.replace(tmp, final)
        return "file://" + os.path.realpath(final), sha

    def publish(self, soup, result):
        # python3-avro writes no defaults for absent fields: fill them in as a reader would
        for field in self.result_schema.fields:
            if field.name not in result and field.has_default:
                result[field.name] = field.default
        value = self.serializer.encode_record_with_schema(EVALUATIONS, self.result_schema, result)
        errors = []
        self.producer.produce(EVALUATIONS, value=value, key=soup.encode("utf-8"),
                              on_delivery=lambda err, _: errors.append(err) if err else None)
        if self.producer.flush(30) or errors:
            raise SystemExit("result for %s not delivered: %s" % (result["subjectId"], errors))


def pick_device(requested):
    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if requested.startswith("cuda") and not torch.cuda.is_available():
        raise SystemExit("--device %s asked for, but PyTorch sees no CUDA device" % requested)
    return requested


def log(text):
    print("%s python-evaluator %s" % (time.strftime("%H:%M:%S"), text), flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Answer Souper's evaluation protocol with plain PyTorch.")
    parser.add_argument("--bootstrap", required=True, help="Kafka bootstrap servers")
    parser.add_argument("--registry", required=True, help="schema registry URL")
    parser.add_argument("--name", default="python", help="the evaluator name soups choose in their definition")
    parser.add_argument("--group", help="consumer group (default: souper-evaluator-<name>)")
    parser.add_argument("--store-root", action="append", required=True, help="directory checkpoints, "
                        "architectures and datasets must lie under (repeatable)")
    parser.add_argument("--artifacts", required=True, help="directory the candidate soups are written to")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    parser.add_argument("--threads", type=int, default=0, help="torch intra-op threads (0: PyTorch's default)")
    parser.add_argument("--schemas", default=DEFAULT_SCHEMAS, help="Souper's schemas/ directory")
    args = parser.parse_args(argv)
    args.group = args.group or "souper-evaluator-" + args.name
    if args.threads:
        torch.set_num_threads(args.threads)
    evaluator = PythonEvaluator(args)

    def stop(*_):
        evaluator.stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    evaluator.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
