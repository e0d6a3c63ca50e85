"""Generate kioku's serialization fixtures from PyTorch (run with Debian's python3-torch):

    /usr/bin/python3 scripts/fixtures_io.py            # writes test/fixtures/io_*
    /usr/bin/python3 scripts/fixtures_io.py --check FILE [FILE...]
        # load safetensors files written by kioku into the PyTorch module their
        # metadata names (module, input_size, ...) with load_state_dict(strict=True)

Writes, with `safetensors_py.save_file`:
  io_lstm.safetensors       nn.LSTM(3, 4, num_layers=2, bidirectional=True) state_dict
  io_gru.safetensors        nn.GRU(3, 5) state_dict
  io_rnn.safetensors        nn.RNN(4, 3, num_layers=2) state_dict (tanh)
  io_linear.safetensors     nn.Linear(5, 3) state_dict
  io_embedding.safetensors  nn.Embedding(7, 4) state_dict
  io_dtypes.safetensors     one tensor per dtype kioku reads, special values included
  io_fixtures.json          for each file: metadata, for modules a probe (the module's
                            output on a fixed input, see sample_input) and, per tensor, dtype, shape, float64
                            sum, sha256 of the stored bytes, the first values (all values
                            for io_dtypes; non-finite floats and -0 as strings, int64 as
                            decimal strings)

and, with numpy (which comes with python3-torch):
  io_float16.json           float32 bit patterns and the IEEE half bits numpy's
                            astype(np.float16) rounds them to (round to nearest, ties to
                            even; NaN payloads kept): edge cases, random bit patterns, random
                            values across the half range and random ties; PyTorch's .half()
                            is checked to agree on every non-NaN value

Each file is read back with `safetensors_py.load_file` and compared with what was written
(values, dtypes, shapes, metadata), and each state_dict is loaded into a fresh module
(strict) whose outputs must equal the original's, so the fixtures are known good before
the TypeScript tests read them. The test suite itself never runs Python.
"""

import hashlib
import json
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_py import load_file, load_metadata, save_file  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "test", "fixtures")
HEAD = 5  # values listed per tensor in the JSON (all for io_dtypes)


def make_module(meta):
    """Build the PyTorch module a fixture's metadata describes."""
    kind = meta["module"]
    if kind in ("LSTM", "GRU", "RNN"):
        cls = getattr(torch.nn, kind)
        kwargs = dict(
            input_size=int(meta["input_size"]),
            hidden_size=int(meta["hidden_size"]),
            num_layers=int(meta.get("num_layers", "1")),
            bidirectional=meta.get("bidirectional", "false") == "true",
        )
        if kind == "RNN":
            kwargs["nonlinearity"] = meta.get("nonlinearity", "tanh")
        return cls(**kwargs)
    if kind == "Linear":
        return torch.nn.Linear(int(meta["in_features"]), int(meta["out_features"]))
    if kind == "Embedding":
        return torch.nn.Embedding(int(meta["num_embeddings"]), int(meta["embedding_dim"]))
    raise ValueError(f"unknown module {kind!r}")


def sample_input(module, meta):
    """A fixed probe input that the TypeScript test rebuilds from the same formula:
    floats x[i] = ((37 i) mod 17) / 8 - 1 over the flat index, ids[i] = (5 i) mod num."""
    kind = meta["module"]
    if kind == "Embedding":
        n = int(meta["num_embeddings"])
        return torch.tensor([(5 * i) % n for i in range(6)], dtype=torch.int64).reshape(3, 2)  # [T, B]
    shape = [3, 2, int(meta["input_size"])] if kind in ("LSTM", "GRU", "RNN") else [2, int(meta["in_features"])]
    numel = 1
    for d in shape:
        numel *= d
    return torch.tensor([((37 * i) % 17) / 8 - 1 for i in range(numel)], dtype=torch.float32).reshape(shape)


def outputs(module, x):
    with torch.no_grad():
        y = module(x)
    return y[0] if isinstance(y, tuple) else y


def encode_value(v, dtype):
    """A JSON-safe value: floats as numbers except non-finite / -0 (strings); int64 as strings."""
    if dtype == "I64":
        return str(int(v))
    if dtype in ("I32", "I16", "I8", "U8", "BOOL"):
        return int(v)
    v = float(v)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    if v == 0 and math.copysign(1, v) < 0:
        return "-0"
    return v


ST_DTYPE = {
    torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
    torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8",
    torch.uint8: "U8", torch.bool: "BOOL",
}


def describe(tensors, all_values):
    out = {}
    for name, t in tensors.items():
        dtype = ST_DTYPE[t.dtype]
        flat = t.detach().reshape(-1)
        raw = flat.view(torch.int16) if t.dtype == torch.bfloat16 else flat
        values = flat.tolist() if all_values else flat[:HEAD].tolist()
        entry = {
            "dtype": dtype,
            "shape": list(t.shape),
            "sha256": hashlib.sha256(raw.numpy().tobytes() if flat.numel() else b"").hexdigest(),
            "values": [encode_value(v, dtype) for v in values],
        }
        if t.dtype.is_floating_point:
            entry["sum"] = float(flat.double().sum()) if torch.isfinite(flat).all() else None
        out[name] = entry
    return out


def same(a, b):
    """Equal dtype, shape and bits (so NaN == NaN and -0 != 0)."""
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.dtype == torch.bfloat16:
        a, b = a.view(torch.int16), b.view(torch.int16)
    elif a.dtype.is_floating_point:
        same_value = (a == b) & (torch.signbit(a) == torch.signbit(b))
        return bool((same_value | (a.isnan() & b.isnan())).all())
    return bool((a == b).all())


def write_and_verify(name, tensors, meta):
    path = os.path.join(OUT, name)
    save_file(tensors, path, meta)
    back = load_file(path)
    assert set(back) == set(tensors), f"{name}: names differ"
    for k, t in tensors.items():
        assert same(t.detach(), back[k]), f"{name}: {k} differs after round trip"
    assert load_metadata(path) == meta, f"{name}: metadata differs"
    return path


def module_fixture(name, meta):
    torch.manual_seed(0)
    module = make_module(meta)
    state = module.state_dict()
    path = write_and_verify(name, state, meta)
    # A fresh module (different seed) loaded from the file computes exactly what the original does.
    torch.manual_seed(123)
    fresh = make_module(meta)
    fresh.load_state_dict(load_file(path), strict=True)
    x = sample_input(module, meta)
    y = outputs(module, x)
    assert torch.equal(y, outputs(fresh, x)), f"{name}: outputs differ after reload"
    probe = {"input_shape": list(x.shape), "output_shape": list(y.shape),
             "output": [float(v) for v in y.reshape(-1).tolist()]}
    return {"metadata": meta, "probe": probe, "tensors": describe(state, all_values=False)}


def dtypes_fixture():
    f16 = torch.tensor([1.0, -2.5, 65504.0, 6.103515625e-05, 5.960464477539063e-08, float("inf"),
                        float("-inf"), float("nan"), -0.0, 0.333251953125], dtype=torch.float16)
    bf16 = torch.tensor([1.0, -2.5, 3.3895313892515355e38, 9.183549615799121e-41, float("inf"),
                         float("-inf"), float("nan"), -0.0, 0.333984375], dtype=torch.bfloat16)
    tensors = {
        "f64": torch.tensor([[1.0 / 3.0, -1e-300, 2.0**60], [math.pi, -0.0, 1e308]], dtype=torch.float64),
        "f32_odd": torch.arange(6, dtype=torch.float32).reshape(2, 1, 3) / 7,
        "f32_scalar": torch.tensor(-1.5, dtype=torch.float32),
        "f32_empty": torch.zeros(0, 3, dtype=torch.float32),
        "f16": f16,
        "bf16": bf16,
        "i64": torch.tensor([0, -1, 2**53 + 1, -(2**63), 2**63 - 1], dtype=torch.int64),
        "i32": torch.tensor([[7, -2147483648], [2147483647, 0]], dtype=torch.int32),
        "i16": torch.tensor([-32768, 32767, 5], dtype=torch.int16),
        "i8": torch.tensor([-128, 127, -3], dtype=torch.int8),
        "u8": torch.tensor([0, 255, 17], dtype=torch.uint8),
        "bool": torch.tensor([True, False, True], dtype=torch.bool),
    }
    meta = {"purpose": "dtype coverage", "unicode": "記憶"}
    write_and_verify("io_dtypes.safetensors", tensors, meta)
    return {"metadata": meta, "tensors": describe(tensors, all_values=True)}


def float16_fixture():
    """float32 bits → numpy's float16 bits, for the TypeScript rounding (floatToHalf)."""
    f32 = lambda x: int(np.array([x], dtype=np.float32).view(np.uint32)[0])
    edges = [
        0.0, -0.0, 1.0, -2.5, 1 / 3, math.pi, 1e-3, -1e4,
        1 + 2**-11, 1 + 3 * 2**-11, 1 + 2**-11 + 2**-23,  # ties to even (down, up), just above a tie
        65504.0, 65519.99609375, 65520.0, 65536.0, 1e9, -1e9, 3.4028234663852886e38,
        2**-14, 2**-14 * (1 - 2**-11), 2**-14 - 2**-25,  # smallest normal; tie 0x3ff | 0x400 → 0x400
        2**-24, 2**-25, 2**-25 * (1 + 2**-23), 3 * 2**-25, 5 * 2**-25, 2**-26, -(2**-25),
        1.401298464324817e-45, 1.1754942106924411e-38,  # float32 subnormals: → 0
    ]
    bits = [f32(x) for x in edges]
    bits += [0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00000, 0x7F800001, 0x7F802000, 0x7FBFFFFF,
             0x7FFFFFFF, 0xFF801FFF, 0x7FC01234]  # ±Inf, quiet/signalling NaNs, payloads
    rng = np.random.RandomState(16)
    bits += rng.randint(0, 2**32, size=2000, dtype=np.uint64).tolist()  # any bit pattern
    # values across the half range: exponent −27 … 16, random sign and mantissa
    exps = rng.randint(127 - 27, 127 + 17, size=2000, dtype=np.uint64)
    mants = rng.randint(0, 2**23, size=2000, dtype=np.uint64)
    signs = rng.randint(0, 2, size=2000, dtype=np.uint64)
    bits += ((signs << 31) | (exps << 23) | mants).tolist()
    # exact ties: the midpoint between a random finite half and the next one up
    h = rng.randint(0, 0x7BFF, size=1000, dtype=np.uint64).astype(np.uint16)
    lo = h.view(np.float16).astype(np.float64)
    hi = (h + 1).view(np.float16).astype(np.float64)
    bits += np.array((lo + hi) / 2, dtype=np.float32).view(np.uint32).tolist()
    x = np.array(bits, dtype=np.uint64).astype(np.uint32)
    with np.errstate(over="ignore"):  # overflow to ±Inf is part of what is tested
        half = x.view(np.float32).astype(np.float16)
    # PyTorch rounds the same way (NaN payloads aside, which it may canonicalise).
    t = torch.from_numpy(x.view(np.float32).copy()).half().numpy()
    finite = ~np.isnan(half)
    assert (t.view(np.uint16)[finite] == half.view(np.uint16)[finite]).all(), "torch and numpy disagree"
    pairs = [[int(a), int(b)] for a, b in zip(x.tolist(), half.view(np.uint16).tolist())]
    return {"generator": "scripts/fixtures_io.py", "numpy": np.__version__,
            "rounding": "numpy astype(np.float16): round to nearest, ties to even",
            "pairs": pairs}


MODULES = {
    "io_lstm.safetensors": {"module": "LSTM", "input_size": "3", "hidden_size": "4", "num_layers": "2",
                            "bidirectional": "true"},
    "io_gru.safetensors": {"module": "GRU", "input_size": "3", "hidden_size": "5", "num_layers": "1",
                           "bidirectional": "false"},
    "io_rnn.safetensors": {"module": "RNN", "input_size": "4", "hidden_size": "3", "num_layers": "2",
                           "bidirectional": "false", "nonlinearity": "tanh"},
    "io_linear.safetensors": {"module": "Linear", "in_features": "5", "out_features": "3"},
    "io_embedding.safetensors": {"module": "Embedding", "num_embeddings": "7", "embedding_dim": "4"},
}


def to_json(summary):
    """Indented JSON with one line per tensor entry (diffable, yet small)."""
    compact = lambda v: json.dumps(v, ensure_ascii=False, separators=(",", ":"))
    files = []
    for name, fx in summary["files"].items():
        tensors = ",\n".join(f"    {compact(k)}: {compact(v)}" for k, v in fx["tensors"].items())
        probe = f'   "probe": {compact(fx["probe"])},\n' if "probe" in fx else ""
        files.append(f'  {compact(name)}: {{\n   "metadata": {compact(fx["metadata"])},\n{probe}'
                     f'   "tensors": {{\n{tensors}\n   }}\n  }}')
    head = ",\n".join(f" {compact(k)}: {compact(v)}" for k, v in summary.items() if k != "files")
    body = ",\n".join(files)
    return f'{{\n{head},\n "files": {{\n{body}\n }}\n}}'


def generate():
    os.makedirs(OUT, exist_ok=True)
    summary = {"generator": "scripts/fixtures_io.py", "torch": torch.__version__, "files": {}}
    for name, meta in MODULES.items():
        summary["files"][name] = module_fixture(name, meta)
    summary["files"]["io_dtypes.safetensors"] = dtypes_fixture()
    with open(os.path.join(OUT, "io_fixtures.json"), "w", encoding="utf-8") as f:
        f.write(to_json(summary) + "\n")
    fx = float16_fixture()
    with open(os.path.join(OUT, "io_float16.json"), "w", encoding="utf-8") as f:
        head = ",\n".join(f" {json.dumps(k)}: {json.dumps(v)}" for k, v in fx.items() if k != "pairs")
        rows = ",\n".join(json.dumps(fx["pairs"][i:i + 8], separators=(",", ":"))[1:-1]
                          for i in range(0, len(fx["pairs"]), 8))
        f.write(f'{{\n{head},\n "pairs": [\n{rows}\n ]\n}}\n')
    print(f"wrote test/fixtures/io_float16.json ({len(fx['pairs'])} float32 → float16 pairs)")
    for name in summary["files"]:
        print(f"wrote test/fixtures/{name} ({os.path.getsize(os.path.join(OUT, name))} bytes)")
    print("wrote test/fixtures/io_fixtures.json")


def check(paths):
    """Load kioku-written files into PyTorch modules (strict) and run them once."""
    for path in paths:
        meta = load_metadata(path)
        module = make_module(meta)
        state = load_file(path)
        module.load_state_dict(state, strict=True)
        y = outputs(module, sample_input(module, meta))
        print(f"{path}: {meta['module']} loaded ({len(state)} tensors), output sum {float(y.double().sum()):.6f}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--check":
        check(sys.argv[2:])
    else:
        generate()
