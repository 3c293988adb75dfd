#!/usr/bin/env python3
"""PyTorch's side of the import tests (PropertyTests/Interop). No package besides torch is needed.

Usage:
  interop_pytorch.py write OUTDIR
      Builds nn.Linear(5, 3), nn.LSTM(5, 4, num_layers=2, bidirectional=True, batch_first=True), nn.Embedding(10, 4),
      nn.LayerNorm(6), nn.Conv2d(3, 4, 3, padding=1) and nn.BatchNorm2d(4) (running statistics moved by three training
      batches, then eval) under one nn.Module (names linear., lstm., embedding., norm., conv., bn.), seeded, and writes
        OUTDIR/modules.pt                 torch.save(state_dict()) (the zip format)
        OUTDIR/modules.safetensors        the same state dict as safetensors, written by hand (JSON header + raw bytes)
        OUTDIR/sharded/model.safetensors.index.json + model-0000{1,2}-of-00002.safetensors   the same, sharded as
                                          Hugging Face does (a weight_map from name to shard file)
        OUTDIR/halves.safetensors         the state dict in F16, BF16 and F64 (the C# side casts to its float32 record)
        OUTDIR/io.safetensors             fixed inputs and PyTorch's outputs: linear_in/out, lstm_in/out/h/c,
                                          embedding_ids/out, norm_in/out, conv_in/out (NCHW), bn_in/out (NCHW, eval)
        OUTDIR/evil.pt                    a torch.save zip whose pickle asks for posix.system (it must be refused)
  interop_pytorch.py digits FILE.safetensors [TOLERANCE]
      FILE (written by the C# test from ConvDigitClassifier's PyTorch export) holds the strict state dict of the
      PyTorch port below (conv1, bn1, conv2, bn2, fc) plus "pixels" [batch, 784] and "expected" (our logits); the
      script loads it with load_state_dict(strict=True) into the port, runs it in eval mode and exits 1 unless the
      logits agree to TOLERANCE (default 1e-5).
Written for PyTorch 1.13 (Debian 12's python3-torch) and later.
"""
import io
import json
import os
import pickle
import struct
import sys
import zipfile

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import crosscheck_pytorch  # noqa: E402  (the one safetensors reader of the tools)

torch.set_num_threads(1)

NAMES = {torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
         torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8",
         torch.bool: "BOOL"}
DTYPES = {name: dtype for dtype, name in NAMES.items()}


def raw_bytes(t):
    t = t.detach().contiguous()
    if t.dtype == torch.bfloat16:
        t = t.view(torch.int16)
    return t.numpy().tobytes() if t.numel() else b""


def write_safetensors(path, tensors, metadata=None):
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name in sorted(tensors):
        data = raw_bytes(tensors[name])
        header[name] = {"dtype": NAMES[tensors[name].dtype], "shape": list(tensors[name].shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def read_safetensors(path):
    return crosscheck_pytorch.read_safetensors(path, DTYPES)


class Modules(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(5, 3)
        self.lstm = torch.nn.LSTM(5, 4, num_layers=2, bidirectional=True, batch_first=True)
        self.embedding = torch.nn.Embedding(10, 4)
        self.norm = torch.nn.LayerNorm(6)
        self.conv = torch.nn.Conv2d(3, 4, 3, padding=1)
        self.bn = torch.nn.BatchNorm2d(4)


def write(out):
    torch.manual_seed(1234)
    m = Modules()
    with torch.no_grad():
        # Non-trivial LayerNorm and BatchNorm affine parameters and running statistics.
        m.norm.weight.uniform_(0.5, 1.5)
        m.norm.bias.uniform_(-0.5, 0.5)
        m.bn.weight.uniform_(0.5, 1.5)
        m.bn.bias.uniform_(-0.5, 0.5)
    m.bn.train()
    for _ in range(3):
        m.bn(torch.randn(8, 4, 5, 5) * 2 + 1)
    m.eval()
    io_tensors = {}
    with torch.no_grad():
        io_tensors["linear_in"] = torch.randn(2, 5)
        io_tensors["linear_out"] = m.linear(io_tensors["linear_in"])
        io_tensors["lstm_in"] = torch.randn(3, 6, 5)
        output, (h, c) = m.lstm(io_tensors["lstm_in"])
        io_tensors["lstm_out"], io_tensors["lstm_h"], io_tensors["lstm_c"] = output, h, c
        io_tensors["embedding_ids"] = torch.tensor([[1, 9, 0], [4, 4, 7]], dtype=torch.int64)
        io_tensors["embedding_out"] = m.embedding(io_tensors["embedding_ids"])
        io_tensors["norm_in"] = torch.randn(2, 3, 6)
        io_tensors["norm_out"] = m.norm(io_tensors["norm_in"])
        io_tensors["conv_in"] = torch.randn(2, 3, 5, 5)
        io_tensors["conv_out"] = m.conv(io_tensors["conv_in"])
        io_tensors["bn_in"] = torch.randn(2, 4, 5, 5)
        io_tensors["bn_out"] = m.bn(io_tensors["bn_in"])
    state = m.state_dict()
    os.makedirs(os.path.join(out, "sharded"), exist_ok=True)
    torch.save(state, os.path.join(out, "modules.pt"))
    write_safetensors(os.path.join(out, "modules.safetensors"), dict(state), {"format": "pt"})
    names = sorted(state)
    shards = {"model-00001-of-00002.safetensors": names[: len(names) // 2],
              "model-00002-of-00002.safetensors": names[len(names) // 2:]}
    weight_map = {}
    for shard, shard_names in shards.items():
        write_safetensors(os.path.join(out, "sharded", shard), {n: state[n] for n in shard_names}, {"format": "pt"})
        weight_map.update({n: shard for n in shard_names})
    total = sum(v.numel() * v.element_size() for v in state.values())
    with open(os.path.join(out, "sharded", "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)
    halves = {}
    for i, name in enumerate(names):
        value = state[name]
        if value.is_floating_point():
            value = value.to([torch.float16, torch.bfloat16, torch.float64][i % 3])
        halves[name] = value
    write_safetensors(os.path.join(out, "halves.safetensors"), halves)
    write_safetensors(os.path.join(out, "io.safetensors"), io_tensors)
    write_evil(os.path.join(out, "evil.pt"), os.path.join(out, "pwned"))
    print(f"torch {torch.__version__}: wrote {len(state)} tensors ({', '.join(names)}) to {out}")


class Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def write_evil(path, marker):
    """A torch.save-shaped zip whose data.pkl calls os.system(touch MARKER) when unpickled by pickle.load."""
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("evil/data.pkl", pickle.dumps({"weight": Evil(marker)}, protocol=2))
        z.writestr("evil/version", "3\n")


class DigitPort(torch.nn.Module):
    """The obvious PyTorch port of ConvDigitClassifier (channels-first, flatten C·H·W)."""

    def __init__(self, channels):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, channels, 3, padding=1, bias=False)
        self.bn1 = torch.nn.BatchNorm2d(channels)
        self.conv2 = torch.nn.Conv2d(channels, 2 * channels, 3, padding=1, bias=False)
        self.bn2 = torch.nn.BatchNorm2d(2 * channels)
        self.fc = torch.nn.Linear(7 * 7 * 2 * channels, 10)

    def forward(self, pixels):
        x = pixels.reshape(-1, 1, 28, 28)
        x = torch.nn.functional.max_pool2d(torch.relu(self.bn1(self.conv1(x))), 2)
        x = torch.nn.functional.max_pool2d(torch.relu(self.bn2(self.conv2(x))), 2)
        return self.fc(torch.flatten(x, 1))


def digits(path, tolerance):
    tensors = read_safetensors(path)
    pixels, expected = tensors.pop("pixels"), tensors.pop("expected")
    port = DigitPort(tensors["conv1.weight"].shape[0])
    port.load_state_dict(tensors, strict=True)
    port.eval()
    with torch.no_grad():
        logits = port(pixels)
    difference = (logits - expected).abs().max().item()
    print(f"torch {torch.__version__}: the strict port loaded {len(tensors)} tensors; "
          f"max |PyTorch - C#| over {tuple(logits.shape)} logits = {difference:.3g} (tolerance {tolerance:g})")
    if not difference <= tolerance:
        print("digits port FAILED")
        sys.exit(1)
    print("digits port passed")


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "write":
        write(sys.argv[2])
    elif len(sys.argv) >= 3 and sys.argv[1] == "digits":
        digits(sys.argv[2], float(sys.argv[3]) if len(sys.argv) > 3 else 1e-5)
    else:
        print(__doc__)
        sys.exit(2)


if __name__ == "__main__":
    main()
