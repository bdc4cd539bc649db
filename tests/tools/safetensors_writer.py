"""tests/tools/safetensors_writer.py — writes Hugging Face safetensors files
from numpy arrays, for tests that build tiny models (no PyPI package needed).

    from safetensors_writer import write_safetensors, write_sharded
    write_safetensors(path, {"w": np.ones((2, 3), np.float32)}, "bf16")

dtype is "f32", "bf16" or "f16" (or None: keep float32/float16 arrays as
they are).  bf16 is produced by rounding float32 to nearest even through
uint16, as torch does.
"""
import json
import os
import struct

import numpy as np

_NAMES = {"f32": "F32", "bf16": "BF16", "f16": "F16"}


def f32_to_bf16_bits(array):
    """float32 array -> uint16 array of bf16 bits, round to nearest even."""
    bits = np.ascontiguousarray(array, dtype=np.float32).view(np.uint32).astype(np.uint64)
    nan = np.isnan(np.asarray(array, dtype=np.float32))
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    rounded = np.where(nan, (bits >> 16) | 0x40, rounded)
    return rounded.astype(np.uint16)


def bf16_bits_to_f32(bits):
    """uint16 array of bf16 bits -> float32 array (exact)."""
    return (np.asarray(bits, dtype=np.uint32) << 16).view(np.float32)


def encode(array, dtype):
    """(safetensors dtype name, raw little-endian bytes) of array in dtype."""
    array = np.asarray(array)
    if dtype is None:
        dtype = "f16" if array.dtype == np.float16 else "f32"
    if dtype == "bf16":
        raw = f32_to_bf16_bits(array.astype(np.float32)).astype("<u2").tobytes()
    elif dtype == "f16":
        raw = array.astype("<f2").tobytes()
    elif dtype == "f32":
        raw = array.astype("<f4").tobytes()
    else:
        raise ValueError(f"unsupported dtype {dtype!r}")
    return _NAMES[dtype], raw


def write_safetensors(path, tensors, dtype="f32", metadata=None):
    """Writes {name: array} to path; dtype applies to every tensor unless a
    value is a (array, dtype) pair."""
    header, blobs, offset = {}, [], 0
    if metadata is not None:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for name, value in tensors.items():
        array, this_dtype = value if isinstance(value, tuple) else (value, dtype)
        st_dtype, raw = encode(array, this_dtype)
        header[name] = {"dtype": st_dtype, "shape": list(np.shape(array)),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)  # data area 8-aligned, as the reference writer does
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in blobs:
            f.write(raw)


def write_sharded(folder, tensors, dtype="f32", n_shards=2):
    """Splits {name: array} over n_shards files plus
    model.safetensors.index.json in folder."""
    names = list(tensors)
    weight_map = {}
    for i in range(n_shards):
        shard = f"model-{i + 1:05d}-of-{n_shards:05d}.safetensors"
        part = {n: tensors[n] for n in names[i::n_shards]}
        write_safetensors(os.path.join(folder, shard), part, dtype)
        weight_map.update({n: shard for n in part})
    with open(os.path.join(folder, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {}, "weight_map": weight_map}, f, indent=1)
