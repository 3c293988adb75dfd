#!/usr/bin/env python3
"""Cross-checks the project's transformer block and attention against PyTorch.

Usage: crosscheck_transformer.py FILE.safetensors [TOLERANCE]

FILE (written by the C# test PyTorchTransformerCrossCheckTests) holds
  pre/<TransformerEncoderLayer state-dict names, '/' for '.'>    a pre-norm block (self_attn.in_proj_weight, ..., norm2.bias)
  post/<TransformerEncoderLayer state-dict names>   a post-norm block
  mha/<MultiheadAttention state-dict names>         in_proj_weight, in_proj_bias, out_proj.weight, out_proj.bias
  input [batch, length, model], mask [batch, length] (int64, 1 = real token), heads (int64 scalar), causal (int64)
  expected/pre, expected/post, expected/mha          what the C# side computed (padded positions are zeros)
Each block is loaded with load_state_dict(strict=True) into torch.nn.TransformerEncoderLayer(batch_first=True,
norm_first=True/False, activation="gelu", dropout=0) and the attention into torch.nn.MultiheadAttention(batch_first=True);
the script runs the input with the key-padding mask (and the causal mask when asked) and exits 1 unless every real
position of every row with a real token agrees to TOLERANCE (default 1e-5). No package besides torch is needed.
Written for PyTorch 1.13 (Debian 12's python3-torch) and later.
"""
import sys

import torch

from crosscheck_pytorch import read_safetensors, under


def state_dict(tensors, prefix):
    """The tensors under prefix, named as PyTorch's state dict: our tree paths write '/' where PyTorch writes '.'."""
    return {name.replace("/", "."): value for name, value in under(tensors, prefix).items()}


def main():
    torch.set_num_threads(1)
    path = sys.argv[1]
    tolerance = float(sys.argv[2]) if len(sys.argv) > 2 else 1e-5
    tensors = read_safetensors(path)
    x = tensors["input"]
    real = tensors["mask"].bool()
    heads = int(tensors["heads"].item())
    causal = bool(tensors["causal"].item())
    model = x.shape[-1]
    length = x.shape[1]
    hidden_mask = torch.triu(torch.ones(length, length, dtype=torch.bool), diagonal=1) if causal else None
    padding = ~real
    results = {}
    for name, norm_first in (("pre", True), ("post", False)):
        state = state_dict(tensors, name + "/")
        hidden = state["linear1.weight"].shape[0]
        layer = torch.nn.TransformerEncoderLayer(model, heads, hidden, dropout=0.0, activation="gelu",
                                                 batch_first=True, norm_first=norm_first)
        layer.load_state_dict(state, strict=True)
        layer.eval()
        print(f"torch {torch.__version__}: {name}-norm block loaded by name (strict): {', '.join(sorted(state))}")
        with torch.no_grad():
            results[name] = layer(x, src_mask=hidden_mask, src_key_padding_mask=padding)
    state = state_dict(tensors, "mha/")
    attention = torch.nn.MultiheadAttention(model, heads, batch_first=True)
    attention.load_state_dict(state, strict=True)
    attention.eval()
    print(f"MultiheadAttention loaded by name (strict): {', '.join(sorted(state))}")
    with torch.no_grad():
        results["mha"], _ = attention(x, x, x, key_padding_mask=padding, attn_mask=hidden_mask, need_weights=False)

    rows = real.any(dim=1)
    failed = False
    for name, actual in results.items():
        expected = tensors["expected/" + name]
        if tuple(expected.shape) != tuple(actual.shape):
            print(f"{name}: shape {tuple(actual.shape)} in PyTorch, {tuple(expected.shape)} from C#")
            failed = True
            continue
        where = real[rows]
        difference = (actual[rows][where] - expected[rows][where]).abs().max().item() if where.any() else 0.0
        ok = difference <= tolerance
        failed |= not ok
        print(f"{name} {tuple(actual.shape)}: max |PyTorch - C#| over real positions = {difference:.3g} "
              f"({'ok' if ok else 'FAIL'}, tolerance {tolerance:g})")
    if failed:
        print("cross-check FAILED")
        sys.exit(1)
    print("cross-check passed")


if __name__ == "__main__":
    main()
