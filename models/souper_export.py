"""Helpers shared by Souper's Python tools: TorchScript export and safetensors I/O.

Only torch and the standard library are used (Debian's python3-torch has no
`safetensors` package), and no pickle is ever written for weights.
"""
import json
import struct
from collections import OrderedDict

import torch

# safetensors dtype names <-> torch dtypes (the ones Souper's Java side reads).
_DTYPES = OrderedDict([
    ("F64", torch.float64), ("F32", torch.float32), ("F16", torch.float16), ("BF16", torch.bfloat16),
    ("I64", torch.int64), ("I32", torch.int32), ("U8", torch.uint8), ("BOOL", torch.bool),
])
_NAMES = {v: k for k, v in _DTYPES.items()}

BUFFERS_METHOD = "souper_buffers"


def _access_path(name):
    """TorchScript expression reaching a state-dict entry, e.g. features.1.running_mean ->
    self.features[1].running_mean (numeric components index a Sequential/ModuleList)."""
    expr = "self"
    for part in name.split("."):
        if part.isdigit():
            expr += "[%s]" % part
        elif part.isidentifier():
            expr += "." + part
        else:
            raise ValueError("state-dict key %r has a component TorchScript cannot address" % name)
    return expr


def buffer_names(model):
    """Persistent buffers: state-dict entries that are not parameters (BatchNorm running stats...)."""
    params = {n for n, _ in model.named_parameters()}
    return [k for k in model.state_dict().keys() if k not in params]


def buffers_method_source(model):
    """TorchScript source of `souper_buffers()`: the model's persistent buffers by state-dict key,
    returned as aliases so that writing into them changes the module (an empty dict if none)."""
    entries = ", ".join('"%s": %s' % (n, _access_path(n)) for n in buffer_names(model))
    if not entries:
        return ("def %s(self) -> Dict[str, Tensor]:\n"
                "    empty: Dict[str, Tensor] = {}\n"
                "    return empty\n" % BUFFERS_METHOD)
    return "def %s(self) -> Dict[str, Tensor]:\n    return {%s}\n" % (BUFFERS_METHOD, entries)


def export_torchscript(model, path):
    """Scripts `model` and saves it so that Souper's evaluator can load any checkpoint into it.

    DJL can overwrite parameters but cannot see buffers, so the module gets an extra exported
    method `souper_buffers() -> Dict[str, Tensor]` returning its persistent buffers themselves
    (aliases, not copies; empty for a model without buffers); the evaluator copies a
    checkpoint's buffers into them. An architecture that holds tensors besides its parameters
    and lacks that method is refused by the evaluator.

    Note: TorchScript caches the compiled class, so after this call a plain torch.jit.script
    of another instance of the same class in this process also carries the method.
    """
    model = model.eval()
    scripted = torch.jit.script(model)
    scripted.define(buffers_method_source(model))
    scripted.save(str(path))
    return scripted


def save_safetensors(tensors, path, metadata=None):
    """Writes an ordered mapping name -> tensor as a safetensors file (sorted by name, like the
    reference implementation, 8-byte aligned header)."""
    header = OrderedDict()
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name].detach().to("cpu").contiguous()
        if t.dtype not in _NAMES:
            raise ValueError("tensor %r has unsupported dtype %s" % (name, t.dtype))
        data = _tensor_bytes(t)
        header[name] = {"dtype": _NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * ((8 - len(raw) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for b in blobs:
            f.write(b)


def load_safetensors(path):
    """Reads a safetensors file into an ordered dict name -> tensor (copies, CPU)."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    base = 8 + n
    out = OrderedDict()
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = _DTYPES[info["dtype"]]
        start, end = info["data_offsets"]
        shape = info["shape"]
        out[name] = _tensor_from_bytes(blob[base + start:base + end], dtype, shape)
    return out


def _tensor_bytes(t):
    # Go through uint8 views so bf16/bool need no numpy support; assumes a little-endian host.
    if t.numel() == 0:
        return b""
    return bytes(t.reshape(-1).view(torch.uint8).numpy().tobytes()) if t.dtype != torch.bool \
        else bytes(t.to(torch.uint8).numpy().tobytes())


def _tensor_from_bytes(data, dtype, shape):
    raw = torch.frombuffer(bytearray(data), dtype=torch.uint8) if data else torch.empty(0, dtype=torch.uint8)
    if dtype == torch.bool:
        return raw.to(torch.bool).reshape(shape)
    return raw.view(dtype).reshape(shape).clone()
