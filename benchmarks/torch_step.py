#!/usr/bin/python3
"""PyTorch CPU reference for BenchmarkResNet18Step (benchmarks/resnet_test.go).

Times the same training step (forward, cross-entropy, backward, an SGD update
without momentum) of the paper's PreAct ResNet-18 (width 64, CIFAR-10, float32)
on random inputs with torch.set_num_threads(2), and prints images/s and the
process's peak RSS. Run one batch size per process so the peak is that batch's:

    /usr/bin/python3 benchmarks/torch_step.py --batch 32
    /usr/bin/python3 benchmarks/torch_step.py --batch 128
"""
import argparse
import os
import resource
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "nets", "resnet", "testdata"))
from gen_fixtures import Net  # noqa: E402  (the reference model definitions)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = Net(True, [2, 2, 2, 2], 64, 10, "bn")
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=1e-3)
    x = torch.randn(args.batch, 3, 32, 32)
    y = torch.randint(0, 10, (args.batch,))

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()

    step()  # warm-up, as the Go benchmark plans and allocates outside the timing
    t0 = time.perf_counter()
    for _ in range(args.steps):
        step()
    dt = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print("torch %s batch=%d threads=%d steps=%d: %.2f images/s, %.3f s/step, peak RSS %.0f MiB" % (
        torch.__version__, args.batch, args.threads, args.steps,
        args.batch * args.steps / dt, dt / args.steps, peak))


if __name__ == "__main__":
    main()
