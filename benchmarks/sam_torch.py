#!/usr/bin/python3
"""PyTorch reference for `samtrain bench`: images/s of ERM, n-SAM and m-SAM training steps.

Run from the repository root with Debian's python3-torch:

    /usr/bin/python3 benchmarks/sam_torch.py --width 16 --batch-size 128 --steps 3 --warmup 1

It measures the same steps as samtrain bench (train.Bench), the same way: the network is the
reference PreActResNet18 of nets/resnet/testdata/gen_fixtures.py (float32, 10 classes, 3x32x32
random normal inputs, random labels); ERM is one forward-backward pass plus torch.optim.SGD
(momentum 0.9, lr 0.01) with weight decay 5e-4 added to the gradient as an L2 term; a SAM step
is sam_step of optim/testdata/gen_sam_resnet.py (the step the Go fixtures check: contiguous
micro-batches of m examples, each with its own normalised ascent and descent pass, running
statistics updated in both passes, descent gradients averaged into one SGD step). Every method
makes --warmup untimed steps, then --steps rounds each make one timed step of every method in
turn, so that a change in the machine's load slows all methods alike. Wall time
(time.perf_counter) and process CPU time (time.process_time, all threads) are recorded.
torch.set_num_threads(--threads, default 2).
"""
import argparse
import importlib.util
import json
import os
import platform
import statistics
import sys
import time

import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load(name, *path):
    spec = importlib.util.spec_from_file_location(name, os.path.join(ROOT, *path))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


ref = load("resnet_reference", "nets", "resnet", "testdata", "gen_fixtures.py")
samref = load("sam_reference", "optim", "testdata", "gen_sam_resnet.py")

LR, MOMENTUM, WD = 0.01, 0.9, 5e-4


def erm_step(model, opt, x, y, wd):
    """One ERM step: a training-mode pass, the L2 term's gradient wd*p, an SGD step."""
    model.train()
    model.zero_grad(set_to_none=True)
    F.cross_entropy(model(x), y).backward()
    with torch.no_grad():
        for p in model.parameters():
            p.grad.add_(p, alpha=wd)
    opt.step()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--width", type=int, default=64)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--m", default="", help="comma-separated m-SAM micro-batch sizes (default B,B/2,B/4,32,8)")
    ap.add_argument("--rho", type=float, default=0.05)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", default="")
    a = ap.parse_args()
    B = a.batch_size
    ms = [int(v) for v in a.m.split(",")] if a.m else [B, B // 2, B // 4, 32, 8]
    for m in ms:
        if m <= 0 or B % m:
            sys.exit("--m %d: want a divisor of --batch-size %d" % (m, B))
    methods = [("ERM", 0.0, 0), ("n-SAM", a.rho, B)]
    for m in ms:
        if m not in [mm for _, _, mm in methods]:
            methods.append(("m-SAM", a.rho, m))

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    model = ref.Net(True, [2, 2, 2, 2], a.width, 10, "bn")
    x = torch.randn(B, 3, 32, 32)
    y = torch.randint(0, 10, (B,))
    opts = [torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM) for _ in methods]

    def step(i):
        name, rho, m = methods[i]
        if rho == 0:
            erm_step(model, opts[i], x, y, WD)
        else:
            samref.sam_step(model, opts[i], x, y, m, rho, WD, "both")

    for i in range(len(methods)):
        for _ in range(a.warmup + 1):
            step(i)
    wall = [[] for _ in methods]
    cpu = [0.0 for _ in methods]
    for _ in range(a.steps):
        for i in range(len(methods)):
            c0, t0 = time.process_time(), time.perf_counter()
            step(i)
            wall[i].append(time.perf_counter() - t0)
            cpu[i] += time.process_time() - c0

    results = []
    for i, (name, rho, m) in enumerate(methods):
        secs = sum(wall[i])
        results.append(dict(name=name, rho=rho, m=m, batch=B, passes=1 if rho == 0 else 2 * B // m,
                            steps=a.steps, seconds=secs, step_seconds=wall[i],
                            images_per_sec=B * a.steps / secs,
                            median_images_per_sec=B / statistics.median(wall[i]),
                            cpu_seconds=cpu[i]))
    for r in results:
        r["time_ratio"] = results[0]["images_per_sec"] / r["images_per_sec"]
        r["median_time_ratio"] = results[0]["median_images_per_sec"] / r["median_images_per_sec"]
        r["cpu_ratio"] = r["cpu_seconds"] / results[0]["cpu_seconds"]
    date = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    print("pytorch %s preact-resnet18 width %d, batch %d, float32, %d threads, %d timed steps after %d+1 warm-up, %s"
          % (torch.__version__, a.width, B, a.threads, a.steps, a.warmup, date))
    print("%8s %4s %6s %7s %9s %16s %9s %16s %11s %8s" % ("method", "m", "passes", "s/step", "images/s",
          "median images/s", "time/ERM", "median time/ERM", "cpu-s/step", "cpu/ERM"))
    for r in results:
        print("%8s %4s %6d %7.3f %9.1f %16.1f %9.3f %16.3f %11.3f %8.3f" % (
            r["name"], "-" if r["rho"] == 0 else r["m"], r["passes"], r["seconds"] / a.steps,
            r["images_per_sec"], r["median_images_per_sec"], r["time_ratio"], r["median_time_ratio"],
            r["cpu_seconds"] / a.steps, r["cpu_ratio"]))
    if a.json:
        rep = dict(date=date, torch=torch.__version__, python=platform.python_version(), model="preact-resnet18",
                   width=a.width, batch=B, threads=a.threads, steps=a.steps, warmup=a.warmup, results=results)
        tmp = a.json + ".tmp"
        with open(tmp, "w") as f:
            json.dump(rep, f, indent=2)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, a.json)


if __name__ == "__main__":
    main()
