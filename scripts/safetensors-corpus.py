"""Tricky safetensors headers, and what Hugging Face's reference implementation does with them.

Writes test/fixtures/safetensors-corpus.json, read by test/safetensors-corpus.test.ts (the
suite itself needs no Python). Each case is a header text plus a data length; `reference`
is "accept" or "refuse".

With the reference installed (`apt-get install -y python3-safetensors` or
`pip install safetensors`), run `python3 scripts/safetensors-corpus.py` and each case's
verdict comes from `safetensors.deserialize` itself. Without it (as on the machine this
corpus was first written on: Debian has no python3-safetensors and pip is offline), the
verdicts below were written by hand from the reference's documented rules
(safetensors/src/tensor.rs: serde_json into `HashMetadata`, then `Metadata::validate`),
and the script keeps them. `kioku` says where kioku deliberately differs (see docs/loaders.md).
"""

import json
import os
import struct

CASES = [
    # name, header, data bytes, reference verdict, kioku's verdict when it differs (+ why)
    ("minimal", '{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', 4, "accept"),
    ("empty", "{}", 0, "accept"),
    ("metadata only", '{"__metadata__":{"a":"b"}}', 0, "accept"),
    ("metadata null", '{"__metadata__":null}', 0, "accept"),
    ("metadata number value", '{"__metadata__":{"a":1}}', 0, "refuse"),
    ("trailing spaces", '{"w":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}   ', 2, "accept"),
    ("leading space", ' {"w":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}', 2, "refuse"),
    ("byte-order mark", '\ufeff{"w":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}', 2, "refuse"),
    ("trailing NUL padding", '{"w":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}\u0000', 2, "refuse"),
    ("duplicate field", '{"w":{"dtype":"F32","dtype":"F64","shape":[1],"data_offsets":[0,8]}}', 8, "refuse"),
    ("duplicate __metadata__", '{"__metadata__":{},"__metadata__":{}}', 0, "refuse"),
    ("duplicate tensor name", '{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', 1, "accept",
     "refuse", "a repeated tensor name hides one tensor (serde keeps the last); kioku refuses repeated keys everywhere"),
    ("duplicate metadata key", '{"__metadata__":{"a":"1","a":"2"}}', 0, "accept",
     "refuse", "kioku refuses repeated keys everywhere, so no value is silently dropped"),
    ("2.0 as a count", '{"w":{"dtype":"U8","shape":[2.0],"data_offsets":[0,2]}}', 2, "refuse"),
    ("1e1 as a count", '{"w":{"dtype":"U8","shape":[1e1],"data_offsets":[0,10]}}', 10, "refuse"),
    ("-0 as a count", '{"w":{"dtype":"U8","shape":[-0],"data_offsets":[0,0]}}', 0, "refuse"),
    ("negative dim", '{"w":{"dtype":"U8","shape":[-1],"data_offsets":[0,0]}}', 0, "refuse"),
    ("lone surrogate in a name", '{"\\ud800":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', 1, "refuse"),
    ("surrogate pair in a name", '{"\\ud83d\\ude00":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', 1, "accept"),
    ("__proto__ as a name", '{"__proto__":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', 1, "accept"),
    ("constructor as a name", '{"constructor":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', 1, "accept"),
    ("empty name", '{"":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', 1, "accept"),
    ("scalar shape", '{"w":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}', 4, "accept"),
    ("zero-size tensors", '{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"b":{"dtype":"F32","shape":[0,3],"data_offsets":[0,0]}}', 0, "accept"),
    ("unknown extra field", '{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"x":1}}', 1, "accept"),
    ("missing shape", '{"w":{"dtype":"U8","data_offsets":[0,1]}}', 1, "refuse"),
    ("unknown dtype", '{"w":{"dtype":"Q4","shape":[1],"data_offsets":[0,1]}}', 1, "refuse"),
    ("lower-case dtype", '{"w":{"dtype":"f32","shape":[1],"data_offsets":[0,4]}}', 4, "refuse"),
    ("F8_E4M3 dtype", '{"w":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}}', 1, "accept",
     "refuse", "kioku computes in float32/float64 and does not decode 8-bit floats"),
    ("U16 dtype", '{"w":{"dtype":"U16","shape":[1],"data_offsets":[0,2]}}', 2, "accept",
     "refuse", "kioku's IntTensor has no unsigned 16/32/64-bit arrays"),
    ("three offsets", '{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1,1]}}', 1, "refuse"),
    ("offsets reversed", '{"w":{"dtype":"U8","shape":[0],"data_offsets":[1,0]}}', 1, "refuse"),
    ("hole", '{"w":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}', 2, "refuse"),
    ("overlap", '{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}}', 3, "refuse"),
    ("size mismatch", '{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}', 4, "refuse"),
    ("trailing data", '{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', 2, "refuse"),
    ("truncated data", '{"w":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}}', 2, "refuse"),
    ("huge dims times zero", '{"w":{"dtype":"U8","shape":[18446744073709551615,0],"data_offsets":[0,0]}}', 0, "accept",
     "refuse", "kioku counts in JavaScript numbers: a dimension over 2^53 - 1 is refused even when another is 0"),
    ("overflowing shape", '{"w":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,0]}}', 0, "refuse"),
    ("array header", "[]", 0, "refuse"),
    ("not JSON", "{w}", 0, "refuse"),
    ("trailing comma", '{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},}', 1, "refuse"),
    ("deep metadata", '{"__metadata__":{"a":' + "[" * 200 + "]" * 200 + "}}", 0, "refuse"),
    ("tensor entry is a string", '{"w":"x"}', 0, "refuse"),
    ("escaped name", '{"\\u0077":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', 1, "accept"),
]


def build(header: str, data_len: int) -> bytes:
    h = header.encode("utf-8", "surrogatepass")
    return struct.pack("<Q", len(h)) + h + bytes(data_len)


def reference_verdict(blob: bytes):
    try:
        import safetensors  # noqa: F401
        from safetensors import deserialize
    except ImportError:
        return None
    try:
        deserialize(blob)
        return "accept"
    except Exception:  # the reference raises SafetensorError (and serde errors) on refusal
        return "refuse"


def main() -> None:
    out = []
    for case in CASES:
        name, header, data_len, hand = case[:4]
        measured = reference_verdict(build(header, data_len))
        entry = {
            "name": name,
            "header": header,
            "dataBytes": data_len,
            "reference": measured or hand,
            "source": "safetensors.deserialize" if measured else "hand-written from the reference's rules",
        }
        if len(case) > 4:
            entry["kioku"] = case[4]
            entry["why"] = case[5]
        out.append(entry)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    path = os.path.join(root, "test", "fixtures", "safetensors-corpus.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1, ensure_ascii=True)
        f.write("\n")
    print(f"wrote {len(out)} cases to {path}")


if __name__ == "__main__":
    main()
