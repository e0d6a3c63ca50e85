"""A tiny pure-Python safetensors writer/reader for kioku's fixture scripts.

The `safetensors` Python package is not installed on the fixture machine, so this module
implements the format (https://github.com/huggingface/safetensors) with the standard
library and torch only:

    [8 bytes]  N, little-endian u64: size of the JSON header
    [N bytes]  JSON {"__metadata__": {str: str}, name: {"dtype", "shape", "data_offsets"}}
               padded with spaces to a multiple of 8 bytes
    [rest]     tensor bytes, little-endian, row-major; offsets relative to here

It mirrors kioku's `src/io/safetensors.ts`: same layout rules (widest dtype first, then
insertion order; `__metadata__` first; compact JSON), so both writers produce identical
bytes for the same tensors, and the same strict validation on read.

Usage (from another script in `scripts/`):

    import sys, os
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from safetensors_py import save_file, load_file, load_metadata

    save_file(model.state_dict(), "test/fixtures/foo.safetensors", {"note": "hi"})
    state = load_file("test/fixtures/foo.safetensors")   # dict[str, torch.Tensor]
    meta = load_metadata("test/fixtures/foo.safetensors")  # dict[str, str]
"""

import json
import os
import struct
import sys
import tempfile

import torch

__all__ = ["save_file", "load_file", "load_metadata", "load", "save"]

if sys.byteorder != "little":  # torch/numpy buffers are native-endian below
    raise RuntimeError("safetensors_py assumes a little-endian host")

# safetensors dtype name <-> torch dtype, and element sizes.
_TO_TORCH = {
    "F64": torch.float64,
    "F32": torch.float32,
    "F16": torch.float16,
    "BF16": torch.bfloat16,
    "I64": torch.int64,
    "I32": torch.int32,
    "I16": torch.int16,
    "I8": torch.int8,
    "U8": torch.uint8,
    "BOOL": torch.bool,
}
_FROM_TORCH = {v: k for k, v in _TO_TORCH.items()}
_ITEM_SIZE = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1}
_MAX_HEADER = 100_000_000


def _tensor_bytes(t):
    """Raw little-endian bytes of a tensor (contiguous, on CPU, detached)."""
    t = t.detach().cpu().contiguous()
    if t.numel() == 0:
        return b""
    if t.dtype == torch.bfloat16:  # numpy has no bfloat16: reinterpret the bits as int16
        t = t.view(torch.int16)
    return t.numpy().tobytes()


def save(tensors, metadata=None):
    """Serialise `tensors` (dict[str, torch.Tensor]) to safetensors bytes."""
    entries = []
    for name, t in tensors.items():
        if not isinstance(name, str) or name == "__metadata__":
            raise ValueError(f"save: bad tensor name {name!r}")
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"save: {name!r} must be a torch.Tensor, got {type(t).__name__}")
        if t.dtype not in _FROM_TORCH:
            raise ValueError(f"save: {name!r} has unsupported dtype {t.dtype}")
        entries.append((name, _FROM_TORCH[t.dtype], list(t.shape), _tensor_bytes(t)))
    # Widest first (stable sort keeps insertion order otherwise), as kioku's writer does.
    entries.sort(key=lambda e: -_ITEM_SIZE[e[1]])
    header = {}
    if metadata:
        for k, v in metadata.items():
            if not isinstance(k, str) or not isinstance(v, str):
                raise TypeError(f"save: metadata must map str to str, got {k!r}: {v!r}")
        header["__metadata__"] = dict(metadata)
    offset = 0
    for name, dtype, shape, data in entries:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    js = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    js += b" " * ((8 - len(js) % 8) % 8)
    return b"".join([struct.pack("<Q", len(js)), js] + [e[3] for e in entries])


def save_file(tensors, path, metadata=None):
    """Write `tensors` to `path` atomically (temp file in the same directory, then rename)."""
    data = save(tensors, metadata)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _parse(data, where):
    """Validate and split safetensors bytes: (header dict without metadata, metadata, data start)."""
    if len(data) < 8:
        raise ValueError(f"{where}: {len(data)} bytes, expected at least 8")
    (n,) = struct.unpack("<Q", data[:8])
    if n > len(data) - 8:
        raise ValueError(f"{where}: header size {n} is larger than the file ({len(data) - 8} bytes)")
    if n > _MAX_HEADER:
        raise ValueError(f"{where}: header size {n} exceeds {_MAX_HEADER}")

    def no_duplicates(pairs):
        keys = [k for k, _ in pairs]
        dup = {k for k in keys if keys.count(k) > 1}
        if dup:
            raise ValueError(f"{where}: {sorted(dup)[0]!r} is named twice in the header")
        return dict(pairs)

    try:
        header = json.loads(data[8 : 8 + n].decode("utf-8"), object_pairs_hook=no_duplicates)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{where}: header is not UTF-8 JSON ({e})") from None
    if not isinstance(header, dict):
        raise ValueError(f"{where}: header must be a JSON object")
    metadata = header.pop("__metadata__", {}) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise ValueError(f"{where}: __metadata__ must map str to str")
    infos = []
    for name, info in header.items():
        if not isinstance(info, dict):
            raise ValueError(f"{where}: tensor {name!r}: expected {{dtype, shape, data_offsets}}, got {info!r}")
        dtype = info.get("dtype")
        if dtype not in _TO_TORCH:
            raise ValueError(f"{where}: tensor {name!r}: unknown dtype {dtype!r}")
        shape = info.get("shape")
        if not (isinstance(shape, list) and all(isinstance(d, int) and d >= 0 for d in shape)):
            raise ValueError(f"{where}: tensor {name!r}: bad shape {shape!r}")
        offsets = info.get("data_offsets")
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(isinstance(o, int) for o in offsets)):
            raise ValueError(f"{where}: tensor {name!r}: bad data_offsets {offsets!r}")
        begin, end = offsets
        numel = 1
        for d in shape:
            numel *= d
        if not (0 <= begin <= end) or numel * _ITEM_SIZE[dtype] != end - begin:
            raise ValueError(f"{where}: tensor {name!r}: shape {shape} of {dtype} does not fit [{begin}, {end}]")
        infos.append((begin, end, name))
    pos = 0
    for begin, end, name in sorted(infos):
        if begin != pos:
            raise ValueError(f"{where}: tensor {name!r} starts at {begin}, expected {pos} (hole or overlap)")
        pos = end
    available = len(data) - 8 - n
    if pos != available:
        raise ValueError(f"{where}: header says {pos} bytes of data, file has {available}")
    return header, metadata, 8 + n


def load(data, where="load"):
    """Parse safetensors bytes into dict[str, torch.Tensor] (in data order)."""
    header, _, start = _parse(data, where)
    out = {}
    for name, info in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        dtype = _TO_TORCH[info["dtype"]]
        begin, end = info["data_offsets"]
        raw = bytearray(data[start + begin : start + end])  # writable copy for frombuffer
        if dtype == torch.bfloat16:
            t = (torch.frombuffer(raw, dtype=torch.int16) if raw else torch.empty(0, dtype=torch.int16))
            t = t.view(torch.bfloat16)
        else:
            t = torch.frombuffer(raw, dtype=dtype) if raw else torch.empty(0, dtype=dtype)
        out[name] = t.reshape(info["shape"])
    return out


def load_file(path):
    """Read a .safetensors file into dict[str, torch.Tensor]."""
    with open(path, "rb") as f:
        return load(f.read(), where=path)


def load_metadata(path):
    """The `__metadata__` map of a .safetensors file (empty dict if none)."""
    with open(path, "rb") as f:
        return _parse(f.read(), path)[1]
