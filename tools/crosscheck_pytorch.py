#!/usr/bin/env python3
"""Cross-checks the project's recurrent and linear layers against PyTorch.

Usage: crosscheck_pytorch.py FILE.safetensors [TOLERANCE]

FILE (written by the C# test PyTorchCrossCheckTests) holds
  lstm/<PyTorch LSTM state-dict names>   a bidirectional 2-layer LSTM (weight_ih_l0, ..., bias_hh_l1_reverse)
  linear/weight, linear/bias             a Linear from the LSTM's output width
  input                                  [batch, length, features]
  expected/output, expected/hidden, expected/cell, expected/linear   what the C# side computed
The tensors are loaded with load_state_dict(strict=True) into torch.nn.LSTM(bidirectional=True, num_layers=2,
batch_first=True) and torch.nn.Linear; the script runs the input and exits 1 unless every output agrees to TOLERANCE
(default 1e-5). Safetensors is read by hand (8-byte little-endian header length, JSON header, raw data): no package
besides torch is needed. Written for PyTorch 1.13 (Debian 12's python3-torch) and later.
"""
import json
import struct
import sys

import torch

DTYPES = {"F32": torch.float32, "F64": torch.float64, "I64": torch.int64, "I32": torch.int32}


def read_safetensors(path, dtypes=DTYPES):
    """The tensors of a safetensors file by name; dtypes maps the format's dtype names to torch's."""
    with open(path, "rb") as f:
        data = f.read()
    (header_length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + header_length].decode("utf-8"))
    body = data[8 + header_length:]
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        dtype = dtypes[entry["dtype"]]
        raw = bytearray(body[begin:end])
        flat = torch.frombuffer(raw, dtype=dtype) if end > begin else torch.empty(0, dtype=dtype)
        tensors[name] = flat.reshape(entry["shape"]).clone()
    return tensors


def under(tensors, prefix):
    return {name[len(prefix):]: value for name, value in tensors.items() if name.startswith(prefix)}


def main():
    path = sys.argv[1]
    tolerance = float(sys.argv[2]) if len(sys.argv) > 2 else 1e-5
    tensors = read_safetensors(path)
    lstm_state = under(tensors, "lstm/")
    linear_state = under(tensors, "linear/")
    x = tensors["input"]
    inputs = x.shape[-1]
    hidden = lstm_state["weight_hh_l0"].shape[1]
    lstm = torch.nn.LSTM(inputs, hidden, num_layers=2, bidirectional=True, batch_first=True)
    lstm.load_state_dict(lstm_state, strict=True)
    linear = torch.nn.Linear(linear_state["weight"].shape[1], linear_state["weight"].shape[0])
    linear.load_state_dict(linear_state, strict=True)
    print(f"torch {torch.__version__}: loaded {len(lstm_state)} LSTM tensors ({', '.join(sorted(lstm_state))}) "
          f"and {len(linear_state)} Linear tensors by name (strict)")

    with torch.no_grad():
        output, (h, c) = lstm(x)
        projected = linear(output)
    results = {"output": output, "hidden": h, "cell": c, "linear": projected}
    failed = False
    for name, actual in results.items():
        expected = tensors["expected/" + name]
        if tuple(expected.shape) != tuple(actual.shape):
            print(f"{name}: shape {tuple(actual.shape)} in PyTorch, {tuple(expected.shape)} from C#")
            failed = True
            continue
        difference = (actual - expected).abs().max().item()
        ok = difference <= tolerance
        failed |= not ok
        print(f"{name} {tuple(actual.shape)}: max |PyTorch - C#| = {difference:.3g} ({'ok' if ok else 'FAIL'}, tolerance {tolerance:g})")
    if failed:
        print("cross-check FAILED")
        sys.exit(1)
    print("cross-check passed")


if __name__ == "__main__":
    main()
