#!/usr/bin/python3
"""Checks a weights file written by 'samtrain export' against PyTorch.

Loads it with strict load_state_dict into the reference definition of the
network (nets/resnet/testdata/gen_fixtures.py), evaluates it in eval mode on a
CIFAR-10 test batch file and prints the loss and error, to compare with
'samtrain eval'. Run from the repository root with Debian's python3-torch:

    /usr/bin/python3 train/testdata/check_export.py MODEL WIDTH WEIGHTS.safetensors TEST_BATCH.bin

MODEL is preact-resnet18, resnet18 or resnet34.
"""
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "nets", "resnet", "testdata"))
from gen_fixtures import Net  # noqa: E402


def read_safetensors(path):
    with open(path, "rb") as f:
        b = f.read()
    n = struct.unpack("<Q", b[:8])[0]
    header = json.loads(b[8:8 + n])
    header.pop("__metadata__", None)
    kinds = {"F32": np.float32, "I64": np.int64, "F64": np.float64}
    out = {}
    for name, h in header.items():
        lo, hi = h["data_offsets"]
        a = np.frombuffer(b[8 + n + lo:8 + n + hi], dtype=kinds[h["dtype"]]).reshape(h["shape"])
        out[name] = torch.from_numpy(a.copy())
    return out


def main():
    model, width, weights, test = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    blocks = {"preact-resnet18": [2, 2, 2, 2], "resnet18": [2, 2, 2, 2], "resnet34": [3, 4, 6, 3]}[model]
    net = Net(model.startswith("preact"), blocks, width, 10, "bn")
    net.load_state_dict(read_safetensors(weights), strict=True)
    net.eval()
    raw = np.fromfile(test, dtype=np.uint8).reshape(-1, 3073)
    y = torch.from_numpy(raw[:, 0].astype(np.int64))
    x = torch.from_numpy(raw[:, 1:].astype(np.float32).reshape(-1, 3, 32, 32) / 255)
    with torch.no_grad():
        z = net(x)
    loss = F.cross_entropy(z, y).item()
    err = (z.argmax(1) != y).float().mean().item()
    print("pytorch: test loss %.4f error %.2f%% (%d images)" % (loss, 100 * err, len(y)))


if __name__ == "__main__":
    main()
