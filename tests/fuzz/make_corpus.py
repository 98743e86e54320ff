#!/usr/bin/python3
"""Writes the seed corpora of tests/fuzz/corpus/ (deterministic: run again after changing a seed).

fuzz_ir_parser: every program of tests/ir/programs and each function text of tests/passes/cases.
fuzz_npy:       small arrays of every dtype mxjit reads (v1 and v2 headers), plus a few it must reject.
fuzz_ops:       one short input per op (the defaults: a valid call) and random byte strings.
"""
import io
import pathlib
import random

import numpy as np

here = pathlib.Path(__file__).resolve().parent
root = here.parent.parent
corpus = here / "corpus"


def write(target, name, data):
    d = corpus / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data)


def ir_parser():
    for p in sorted((root / "tests/ir/programs").glob("*.mxir")):
        write("fuzz_ir_parser", p.name, p.read_bytes())
    for p in sorted((root / "tests/passes/cases").glob("*.mxir")):
        # A case is its input then "// ----- <pass> -----" and the expected output: one seed each.
        parts = [[]]
        for line in p.read_text().splitlines(keepends=True):
            if line.startswith("// -----"):
                parts.append([])
            else:
                parts[-1].append(line)
        for i, part in enumerate(parts):
            text = "".join(part)
            if "func @" in text:
                write("fuzz_ir_parser", f"{p.stem}.{i}.mxir", text.encode())


def npy_bytes(array, version=None):
    buf = io.BytesIO()
    if version is None:
        np.save(buf, array, allow_pickle=False)
    else:
        np.lib.format.write_array(buf, array, version=version, allow_pickle=False)
    return buf.getvalue()


def npy():
    rng = np.random.default_rng(2026)
    arrays = {
        "f32_2x3": rng.standard_normal((2, 3)).astype("<f4"),
        "i32_offs": np.array([3, 3, 7], dtype="<i4"),
        "bf16_bits_4x32": rng.integers(0, 1 << 16, (4, 32)).astype("<u2"),
        "u8_codes_2x2x4": rng.integers(0, 256, (2, 2, 4)).astype("|u1"),
        "f32_scalar": np.array(1.5, dtype="<f4"),
        "f32_empty_0x5": np.zeros((0, 5), dtype="<f4"),
    }
    for name, a in arrays.items():
        write("fuzz_npy", f"{name}.npy", npy_bytes(a))
    write("fuzz_npy", "f32_v2.npy", npy_bytes(arrays["f32_2x3"], version=(2, 0)))
    write("fuzz_npy", "i32_v3.npy", npy_bytes(arrays["i32_offs"], version=(3, 0)))
    # Rejected: Fortran order, big endian, an unsupported dtype, data cut short.
    write("fuzz_npy", "reject_fortran.npy", npy_bytes(np.asfortranarray(arrays["f32_2x3"])))
    write("fuzz_npy", "reject_big_endian.npy", npy_bytes(arrays["f32_2x3"].astype(">f4")))
    write("fuzz_npy", "reject_f64.npy", npy_bytes(arrays["f32_2x3"].astype("<f8")))
    write("fuzz_npy", "reject_truncated.npy", npy_bytes(arrays["f32_2x3"])[:-5])


def ops():
    # The first byte picks the op (0 grouped_mm, 1 quantize, 2 grouped_mm_backward); missing bytes
    # read as 0, the valid default of every later choice.
    for op, name in enumerate(["grouped_mm", "quantize", "grouped_mm_backward"]):
        write("fuzz_ops", f"{name}_default", bytes([op]))
    rng = random.Random(2026)
    for i in range(12):
        data = bytes([i % 3]) + bytes(rng.choice([0, 0, 1, 2, rng.randrange(256)]) for _ in range(47))
        write("fuzz_ops", f"random_{i:02d}", data)


if __name__ == "__main__":
    ir_parser()
    npy()
    ops()
