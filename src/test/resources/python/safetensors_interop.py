"""Independent safetensors reader/writer (struct + json + numpy, no safetensors package)
used by SafetensorsPythonInteropTest to check Souper's Java codec from the outside.

  describe FILE             print the file's metadata and tensors (values) as JSON
  write-numpy FILE          write a fixed numpy state dict, print it as `describe` would
  write-torch FILE          same with torch tensors (exit 3 when torch is missing)
  mean OUT IN...            torch's mean of the inputs, fp64 then cast, written to OUT
  has-torch                 exit 0 iff `import torch` works
"""
import json
import struct
import sys

import numpy as np

DTYPES = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "BF16": np.uint16,
          "I64": np.int64, "I32": np.int32, "U8": np.uint8, "BOOL": np.bool_}
NAMES = {np.dtype(v): k for k, v in DTYPES.items() if k != "BF16"}


def read(path, require_aligned=True):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    assert 8 + n <= len(raw), "header length beyond file"
    header_bytes = raw[8:8 + n]
    assert header_bytes[:1] == b"{", "header must start with {"
    assert not require_aligned or (8 + n) % 8 == 0, "data section must start 8-aligned (header padded with spaces)"
    header = json.loads(header_bytes.decode("utf-8"))
    data = raw[8 + n:]
    metadata = header.pop("__metadata__", {})
    tensors, covered = {}, 0
    for name, info in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"]):
        begin, end = info["data_offsets"]
        assert begin == covered, "hole or overlap at " + name
        covered = end
        array = np.frombuffer(data[begin:end], dtype=np.dtype(DTYPES[info["dtype"]]).newbyteorder("<"))
        tensors[name] = (info["dtype"], info["shape"], array.reshape(info["shape"]))
    assert covered == len(data), "data section not fully covered"
    return metadata, tensors, list(header.keys())


def values(dtype, array):
    flat = array.reshape(-1)
    if dtype == "BF16":
        flat = (flat.astype(np.uint32) << 16).view(np.float32)
    if dtype in ("F64", "F32", "F16", "BF16"):
        return [float(x) for x in flat.astype(np.float64)]
    return [int(x) for x in flat]


def describe(metadata, tensors, key_order):
    return {"metadata": metadata, "key_order": key_order,
            "tensors": {k: {"dtype": d, "shape": list(s), "values": values(d, a)} for k, (d, s, a) in tensors.items()}}


def write(path, tensors, metadata=None, sort_keys=False, pad=True):
    """tensors: {name: (dtype name, numpy array)}; insertion order kept unless sort_keys."""
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    items = sorted(tensors.items()) if sort_keys else list(tensors.items())
    for name, (dtype, array) in items:
        blob = np.ascontiguousarray(array).astype(np.dtype(DTYPES[dtype]).newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": dtype, "shape": list(array.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    if pad:
        text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def numpy_state_dict():
    rng = np.random.default_rng(20240611)
    return {
        "z.weight": ("F32", rng.standard_normal((3, 5)).astype(np.float32)),
        "a.bias": ("F64", rng.standard_normal(4)),
        "half": ("F16", rng.standard_normal((2, 3)).astype(np.float16)),
        "steps": ("I64", np.array(7, dtype=np.int64)),
        "counts": ("I32", np.array([-3, 0, 2147483647], dtype=np.int32)),
        "pixels": ("U8", np.arange(250, 256, dtype=np.uint8)),
        "mask": ("BOOL", np.array([[True, False], [False, True]])),
        "empty": ("F32", np.zeros((0, 4), dtype=np.float32)),
    }


def torch_state_dict():
    import torch
    torch.manual_seed(7)
    return {
        "layer.weight": ("F32", torch.randn(4, 6).numpy()),
        "layer.bias": ("F16", torch.randn(6).half().numpy()),
        "norm.running_mean": ("BF16", torch.randn(5).bfloat16().view(torch.int16).numpy().view(np.uint16)),
        "norm.num_batches_tracked": ("I64", torch.tensor(123456789012).numpy()),
        "double": ("F64", torch.randn(3, dtype=torch.float64).numpy()),
    }


def mean(out, inputs):
    import torch
    loaded = [read(p)[1] for p in inputs]
    result = {}
    for name, (dtype, _shape, _array) in loaded[0].items():
        if dtype == "BF16":
            continue  # torch casts fp64 -> bf16 through fp32 (double rounding); checked in Java instead
        stacked = torch.stack([torch.from_numpy(np.array(t[name][2])) for t in loaded])
        if dtype in ("F32", "F64", "F16"):
            m = stacked.to(torch.float64).mean(dim=0)
            if dtype == "F16":  # numpy rounds fp64 -> fp16 directly; torch would go through fp32
                arr = m.numpy().astype(np.float16)
            else:
                arr = m.to(torch.float32 if dtype == "F32" else torch.float64).numpy()
        else:
            total = stacked.to(torch.int64).sum(dim=0)
            arr = torch.div(total, len(loaded), rounding_mode="floor").numpy().astype(np.dtype(DTYPES[dtype]))
        result[name] = (dtype, arr)
    write(out, result, sort_keys=True)


def main():
    command, args = sys.argv[1], sys.argv[2:]
    if command == "describe":
        print(json.dumps(describe(*read(args[0]))))
    elif command == "write-numpy":
        write(args[0], numpy_state_dict(), metadata={"format": "np", "note": "written by python"})
        print(json.dumps(describe(*read(args[0]))))
    elif command == "write-torch":
        try:
            state = torch_state_dict()
        except ImportError:
            sys.exit(3)
        write(args[0], state, metadata={"format": "pt"}, pad=False)  # readers must not need padding
        print(json.dumps(describe(*read(args[0], require_aligned=False))))
    elif command == "mean":
        mean(args[0], args[1:])
    elif command == "has-torch":
        import torch  # noqa: F401
    else:
        sys.exit("unknown command " + command)


if __name__ == "__main__":
    main()
