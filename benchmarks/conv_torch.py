#!/usr/bin/python3
"""Time PyTorch CPU convolutions on the layer shapes of BenchmarkConv (graph/cpu).

Run with Debian's python3-torch:  /usr/bin/python3 benchmarks/conv_torch.py [--threads 1 2]
Prints one line per (layer, pass, threads) in the units of the Go benchmark (ms per call and
GFLOP/s, 2*N*K*C*R*S*OH*OW flops per pass), so ratios can be taken line by line.
"""
import argparse
import time

import torch

# name, N, C, H, W, K, R, S, stride, pad: CIFAR ResNet-18 at batch 32 (same list as the Go
# benchmark's convBenchShapes).
SHAPES = [
    ("stem_c3_k64_32x32", 32, 3, 32, 32, 64, 3, 3, 1, 1),
    ("c64_32x32", 32, 64, 32, 32, 64, 3, 3, 1, 1),
    ("c64_k128_s2", 32, 64, 32, 32, 128, 3, 3, 2, 1),
    ("c128_16x16", 32, 128, 16, 16, 128, 3, 3, 1, 1),
    ("c256_8x8", 32, 256, 8, 8, 256, 3, 3, 1, 1),
    ("c512_4x4", 32, 512, 4, 4, 512, 3, 3, 1, 1),
    ("sc_c256_k512_1x1_s2", 32, 256, 8, 8, 512, 1, 1, 2, 0),
]


def best_time(fn, reps):
    fn()
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, mkldnn {torch.backends.mkldnn.is_available()}")
    for threads in args.threads:
        torch.set_num_threads(threads)
        for name, n, c, h, w, k, r, s, st, pad in SHAPES:
            x = torch.randn(n, c, h, w, requires_grad=True)
            conv = torch.nn.Conv2d(c, k, (r, s), stride=st, padding=pad, bias=False)
            y = conv(x)
            oh, ow = y.shape[2], y.shape[3]
            dy = torch.randn_like(y)
            flops = 2.0 * n * k * c * r * s * oh * ow

            def fwd():
                with torch.no_grad():
                    conv(x)

            def bwd_data():
                torch.autograd.grad(conv(x), x, dy)

            def bwd_filter():
                torch.autograd.grad(conv(x), conv.weight, dy)

            tf = best_time(fwd, args.reps)
            # Backward passes are timed with their forward and the forward subtracted.
            td = best_time(bwd_data, args.reps) - tf
            tw = best_time(bwd_filter, args.reps) - tf
            for pass_, t in (("forward", tf), ("backward_data", td), ("backward_filter", tw)):
                print(f"{name}/{pass_}/par={threads}\t{t*1e3:.3f} ms\t{flops/t/1e9:.1f} GFLOP/s")


if __name__ == "__main__":
    main()
