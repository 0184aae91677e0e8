#!/usr/bin/python3
"""Writes the PyTorch fixtures that nets/resnet's tests compare against.

Run from the repository root with Debian's python3-torch:

    /usr/bin/python3 nets/resnet/testdata/gen_fixtures.py

For each small network (width 4, 4 inputs of 3x16x16, float32) it writes
  <name>_weights.safetensors  the state_dict at PyTorch's default initialisation
  <name>_expect.safetensors   input, labels, logits, loss, grad.<param> for every
                              parameter, after.<buffer> for every BatchNorm buffer after
                              one training-mode forward, eval_logits (eval mode, after
                              that forward updated the running statistics), and for
                              preact18 eval_loss and eval_grad.<param> from an
                              eval-mode pass.

The models below are the reference definitions of nets/resnet: the paper's
PreActResNet18 (Andriushchenko & Flammarion, deep_nets/models.py: PreActBlock,
final BN-ReLU) and the post-activation ResNet-18/34 with the CIFAR stem
(BasicBlockResNet34 there). Pooling is adaptive average pooling, equal to the
paper's avg_pool2d(out, 4) on 32x32 inputs.
"""
import json
import os
import struct

import torch
import torch.nn as nn
import torch.nn.functional as F


def norm(kind, c, groups):
    return nn.BatchNorm2d(c) if kind == "bn" else nn.GroupNorm(groups, c)


class PreActBlock(nn.Module):
    def __init__(self, cin, planes, stride, kind, groups):
        super().__init__()
        self.bn1 = norm(kind, cin, groups)
        self.conv1 = nn.Conv2d(cin, planes, 3, stride, 1, bias=False)
        self.bn2 = norm(kind, planes, groups)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        if stride != 1 or cin != planes:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, planes, 1, stride, bias=False))

    def forward(self, x):
        a = F.relu(self.bn1(x))
        short = self.shortcut(a) if hasattr(self, "shortcut") else x
        out = self.conv2(F.relu(self.bn2(self.conv1(a))))
        return out + short


class BasicBlock(nn.Module):
    def __init__(self, cin, planes, stride, kind, groups):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 3, stride, 1, bias=False)
        self.bn1 = norm(kind, planes, groups)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = norm(kind, planes, groups)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != planes:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, planes, 1, stride, bias=False), norm(kind, planes, groups))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class Net(nn.Module):
    def __init__(self, preact, blocks, width, classes, kind):
        super().__init__()
        groups = max(1, width // 2)
        self.preact = preact
        self.conv1 = nn.Conv2d(3, width, 3, 1, 1, bias=False)
        if not preact:
            self.bn1 = norm(kind, width, groups)
        block = PreActBlock if preact else BasicBlock
        cin = width
        for l, nb in enumerate(blocks):
            planes = width << l
            layers = []
            for i in range(nb):
                stride = 2 if (i == 0 and l > 0) else 1
                layers.append(block(cin, planes, stride, kind, groups))
                cin = planes
            setattr(self, "layer%d" % (l + 1), nn.Sequential(*layers))
        if preact:
            self.bn = norm(kind, cin, groups)
        self.linear = nn.Linear(cin, classes)

    def forward(self, x):
        out = self.conv1(x)
        if not self.preact:
            out = F.relu(self.bn1(out))
        out = self.layer4(self.layer3(self.layer2(self.layer1(out))))
        if self.preact:
            out = F.relu(self.bn(out))
        out = F.adaptive_avg_pool2d(out, 1).flatten(1)
        return self.linear(out)


def write_safetensors(path, tensors, meta=None):
    """Writes tensors (name -> torch.Tensor, F32 or I64) in safetensors format, atomically,
    with meta (name -> value, stored as repr strings) as the header's __metadata__."""
    codes = {torch.float32: ("F32", "<f4"), torch.int64: ("I64", "<i8")}
    header, blobs, off = {}, [], 0
    if meta:
        header["__metadata__"] = {k: repr(v) for k, v in meta.items()}
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().cpu()
        dtype, _ = codes[t.dtype]
        data = t.numpy().tobytes() if t.dim() > 0 else t.reshape(1).numpy().tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [off, off + len(data)]}
        blobs.append(data)
        off += len(data)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def fixture(name, model, seed, outdir, eval_grads):
    g = torch.Generator().manual_seed(seed + 1000)
    x = torch.randn(4, 3, 16, 16, generator=g)
    y = torch.randint(0, model.linear.out_features, (4,), generator=g)
    weights = {k: v.clone() for k, v in model.state_dict().items()}
    model.train()
    logits = model(x)
    loss = F.cross_entropy(logits, y)
    loss.backward()
    expect = {"input": x, "labels": y, "logits": logits, "loss": loss}
    for k, p in model.named_parameters():
        expect["grad." + k] = p.grad.clone()
    for k, b in model.named_buffers():
        expect["after." + k] = b.clone()
    model.eval()
    with torch.no_grad():
        expect["eval_logits"] = model(x)
    write_safetensors(os.path.join(outdir, name + "_weights.safetensors"), weights)
    print(name, "loss", loss.item(), "params", sum(p.numel() for p in model.parameters()))
    if not eval_grads:
        write_safetensors(os.path.join(outdir, name + "_expect.safetensors"), expect)
        return
    # Gradients in eval mode (running statistics, as SAM's BNEval policy uses).
    model.zero_grad()
    eval_loss = F.cross_entropy(model(x), y)
    eval_loss.backward()
    expect["eval_loss"] = eval_loss
    for k, p in model.named_parameters():
        expect["eval_grad." + k] = p.grad.clone()
    write_safetensors(os.path.join(outdir, name + "_expect.safetensors"), expect)


def main():
    outdir = os.path.dirname(os.path.abspath(__file__))
    torch.set_default_dtype(torch.float32)
    specs = [
        ("preact18", True, [2, 2, 2, 2], 10, "bn", True),
        ("resnet34", False, [3, 4, 6, 3], 10, "bn", False),
        ("resnet18_gn", False, [2, 2, 2, 2], 100, "gn", False),
        ("preact18_gn", True, [2, 2, 2, 2], 10, "gn", False),
    ]
    for i, (name, preact, blocks, classes, kind, eval_grads) in enumerate(specs):
        torch.manual_seed(i)
        fixture(name, Net(preact, blocks, 4, classes, kind), i, outdir, eval_grads)


if __name__ == "__main__":
    main()
