#!/usr/bin/env python3
"""PyTorch reference for samtrain on a GPU: images/s of one training step of the CIFAR
ResNet-18 (post-activation, 3x3 stem, no max-pool, as nets/resnet builds it) with

  erm   one forward+backward, SGD (momentum 0.9, weight decay 5e-4)
  sam   n-SAM: gradient, ascent w + rho*g/||g||, gradient there, restore w by copy, SGD
  msam  m-SAM: the batch split into micro-batches of --m examples, each with its own ascent
        step; their gradients averaged, then SGD

in eager mode, in each precision of --precision (the settings of samtrain --precision):

  fp32  float32, TF32 off (torch.backends.cuda.matmul.allow_tf32 and cudnn.allow_tf32 False)
  tf32  float32 with TF32 allowed in cuBLAS and cuDNN (both flags True)
  bf16  TF32 off, forward pass and loss under torch.autocast(dtype=torch.bfloat16):
        convolutions and the linear layer on bfloat16 copies, float32 weights, gradients
        and optimizer state; backward outside autocast, as PyTorch recommends

with cudnn.benchmark on (algorithms chosen per shape, as samtrain's cuDNN binding does),
inputs already on the device (no data loading), BatchNorm statistics updated in every pass
(the paper's setting). Timed with CUDA events after warm-up steps. Writes one JSON object
(--json) and prints it.

  python3 benchmarks/torch_gpu.py --batch 128 --precision fp32,tf32,bf16 --json torch.json
  python3 benchmarks/torch_gpu.py --device cpu --batch 8 --steps 2 --warmup 1   # smoke test
"""
import contextlib
import argparse
import json
import platform
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNet18(nn.Module):
    def __init__(self, classes=10, width=64):
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        layers, cin = [], width
        for i, stride in enumerate([1, 2, 2, 2]):
            cout = width * 2**i
            layers.append(nn.Sequential(BasicBlock(cin, cout, stride), BasicBlock(cout, cout, 1)))
            cin = cout
        self.layer1, self.layer2, self.layer3, self.layer4 = layers
        self.linear = nn.Linear(cin, classes)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer4(self.layer3(self.layer2(self.layer1(out))))
        out = F.adaptive_avg_pool2d(out, 1).flatten(1)
        return self.linear(out)


# autocast is the context of each forward pass: a no-op, or torch.autocast for bf16 (set by
# set_precision).
autocast = contextlib.nullcontext


def set_precision(name, dev):
    """Sets the TF32 flags and the forward pass's autocast context for one --precision."""
    global autocast
    if name not in ("fp32", "tf32", "bf16"):
        raise ValueError("unknown precision %r: want fp32, tf32 or bf16" % name)
    if dev.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = name == "tf32"
        torch.backends.cudnn.allow_tf32 = name == "tf32"
    if name == "bf16":
        autocast = lambda: torch.autocast(device_type=dev.type, dtype=torch.bfloat16)
    else:
        autocast = contextlib.nullcontext


def grads(model, x, y):
    model.zero_grad(set_to_none=False)
    with autocast():
        loss = F.cross_entropy(model(x), y)
    loss.backward()
    return loss


def sam_grad(model, params, x, y, rho):
    """Leaves in p.grad the gradient at w + rho*g/||g|| and restores w by copy."""
    grads(model, x, y)
    with torch.no_grad():
        saved = [p.detach().clone() for p in params]
        norm = torch.sqrt(sum((p.grad * p.grad).sum() for p in params))
        scale = rho / (norm + 1e-12)
        for p in params:
            p.add_(p.grad, alpha=scale)
    loss = grads(model, x, y)
    with torch.no_grad():
        for p, s in zip(params, saved):
            p.copy_(s)
    return loss


def make_step(kind, model, opt, params, x, y, rho, m):
    if kind == "erm":
        def step():
            grads(model, x, y)
            opt.step()
    elif kind == "sam":
        def step():
            sam_grad(model, params, x, y, rho)
            opt.step()
    elif kind == "msam":
        acc = [torch.zeros_like(p) for p in params]
        k = x.shape[0] // m

        def step():
            for a in acc:
                a.zero_()
            for i in range(k):
                sam_grad(model, params, x[i * m:(i + 1) * m], y[i * m:(i + 1) * m], rho)
                with torch.no_grad():
                    for a, p in zip(acc, params):
                        a.add_(p.grad, alpha=1.0 / k)
            with torch.no_grad():
                for a, p in zip(acc, params):
                    p.grad.copy_(a)
            opt.step()
    else:
        raise ValueError(kind)
    return step


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--rho", type=float, default=0.05)
    ap.add_argument("--m", type=int, default=32, help="m-SAM micro-batch size (must divide --batch)")
    ap.add_argument("--width", type=int, default=64)
    ap.add_argument("--kinds", default="erm,sam,msam")
    ap.add_argument("--precision", default="fp32", help="comma-separated: fp32, tf32, bf16 (see above)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", default="")
    a = ap.parse_args()
    if a.batch % a.m:
        ap.error("--m %d does not divide --batch %d" % (a.m, a.batch))

    torch.manual_seed(a.seed)
    dev = torch.device(a.device)
    cuda = dev.type == "cuda"
    precisions = a.precision.split(",")
    for p in precisions:
        if p not in ("fp32", "tf32", "bf16"):
            ap.error("--precision %s: want fp32, tf32 or bf16" % p)
    if cuda:
        torch.backends.cudnn.benchmark = True
    model = ResNet18(width=a.width).to(dev)
    params = [p for p in model.parameters()]
    opt = torch.optim.SGD(params, lr=0.1, momentum=0.9, weight_decay=5e-4)
    x = torch.randn(a.batch, 3, 32, 32, device=dev)
    y = torch.randint(0, 10, (a.batch,), device=dev)

    report = {
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "cudnn": torch.backends.cudnn.version() if cuda else None,
        "device": torch.cuda.get_device_name(dev) if cuda else platform.processor() or "cpu",
        "precisions": precisions,
        "model": "resnet18-cifar width %d" % a.width,
        "batch": a.batch, "steps": a.steps, "warmup": a.warmup, "rho": a.rho, "m": a.m,
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "results": [],
    }
    for prec, kind in [(p, k) for p in precisions for k in a.kinds.split(",")]:
        set_precision(prec, dev)
        step = make_step(kind, model, opt, params, x, y, a.rho, a.m)
        for _ in range(a.warmup):
            step()
        if cuda:
            torch.cuda.synchronize()
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            for _ in range(a.steps):
                step()
            end.record()
            end.synchronize()
            ms = start.elapsed_time(end)
        else:
            t0 = time.perf_counter()
            for _ in range(a.steps):
                step()
            ms = (time.perf_counter() - t0) * 1e3
        report["results"].append({
            "step": kind,
            "precision": prec,
            "ms_per_step": ms / a.steps,
            "images_per_s": a.batch * a.steps / (ms / 1e3),
        })
    if cuda:
        report["max_memory_bytes"] = torch.cuda.max_memory_allocated(dev)
    out = json.dumps(report, indent=2)
    print(out)
    if a.json:
        with open(a.json, "w") as f:
            f.write(out + "\n")


if __name__ == "__main__":
    main()
