#!/usr/bin/python3
"""Time PyTorch CPU convolutions on the layer shapes of BenchmarkConv (graph/cpu).

Run with Debian's python3-torch:

    /usr/bin/python3 benchmarks/conv_torch.py [--threads 1 2] [--go go-bench.txt]

For each (layer, pass, threads) it prints the best of --reps calls as GFLOP/s of wall time
and GFLOP per CPU-second of the process (2*N*K*C*R*S*OH*OW flops per pass), the metrics of
the Go benchmark. With --go, the output of

    go test -run XXX -bench Conv -count 3 ./graph/cpu > go-bench.txt

is read as well (best of the runs per benchmark) and a Markdown table of the ratios Go/PyTorch
is printed. Backward passes are timed alone, on a graph kept from one forward pass.
"""
import argparse
import re
import time

import torch

# name, N, C, H, W, K, R, S, stride, pad: CIFAR ResNet-18 at batch 32 (the list
# convBenchShapes of graph/cpu/conv_bench_test.go).
SHAPES = [
    ("stem_c3_k64_32x32", 32, 3, 32, 32, 64, 3, 3, 1, 1),
    ("c64_32x32", 32, 64, 32, 32, 64, 3, 3, 1, 1),
    ("c64_k128_s2", 32, 64, 32, 32, 128, 3, 3, 2, 1),
    ("c128_16x16", 32, 128, 16, 16, 128, 3, 3, 1, 1),
    ("c256_8x8", 32, 256, 8, 8, 256, 3, 3, 1, 1),
    ("c512_4x4", 32, 512, 4, 4, 512, 3, 3, 1, 1),
    ("sc_c256_k512_1x1_s2", 32, 256, 8, 8, 512, 1, 1, 2, 0),
]
PASSES = ("forward", "backward_data", "backward_filter")


def best_time(fn, reps):
    """Returns the least wall and the least process CPU seconds of reps calls of fn."""
    fn()
    wall = cpu = float("inf")
    for _ in range(reps):
        t, c = time.perf_counter(), time.process_time()
        fn()
        wall = min(wall, time.perf_counter() - t)
        cpu = min(cpu, time.process_time() - c)
    return wall, cpu


def torch_results(threads_list, reps):
    res = {}
    for threads in threads_list:
        torch.set_num_threads(threads)
        for name, n, c, h, w, k, r, s, st, pad in SHAPES:
            x = torch.randn(n, c, h, w, requires_grad=True)
            conv = torch.nn.Conv2d(c, k, (r, s), stride=st, padding=pad, bias=False)
            y = conv(x)
            dy = torch.randn_like(y)
            flops = 2.0 * n * k * c * r * s * y.shape[2] * y.shape[3]

            def fwd():
                with torch.no_grad():
                    conv(x)

            def bwd_data():
                torch.autograd.grad(y, x, dy, retain_graph=True)

            def bwd_filter():
                torch.autograd.grad(y, conv.weight, dy, retain_graph=True)

            for pass_, fn in zip(PASSES, (fwd, bwd_data, bwd_filter)):
                wall, cpu = best_time(fn, reps)
                key = f"{name}/{pass_}/par={threads}"
                res[key] = (flops / wall / 1e9, flops / cpu / 1e9)
                print(f"{key}\t{res[key][0]:.1f} GFLOP/s\t{res[key][1]:.1f} GFLOP/cpu-s", flush=True)
    return res


def go_results(path):
    """Best GFLOP/s and GFLOP/cpu-s per benchmark in go test -bench output."""
    res = {}
    pat = re.compile(r"^BenchmarkConv/(\S+?)-\d+\s.*?([\d.]+) GFLOP/cpu-s\s+([\d.]+) GFLOP/s")
    with open(path) as f:
        for line in f:
            m = pat.match(line)
            if m:
                key, cpu, wall = m.group(1), float(m.group(2)), float(m.group(3))
                old = res.get(key, (0.0, 0.0))
                res[key] = (max(old[0], wall), max(old[1], cpu))
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--go", help="go test -bench output to compare with")
    args = ap.parse_args()
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, mkldnn {torch.backends.mkldnn.is_available()}")
    tr = torch_results(args.threads, args.reps)
    if not args.go:
        return
    gr = go_results(args.go)
    print("\n| layer / pass / threads | Go GFLOP/s | PyTorch GFLOP/s | ratio | Go GFLOP/cpu-s | PyTorch GFLOP/cpu-s | ratio |")
    print("|---|---|---|---|---|---|---|")
    flops = {name: 2.0 * n * k * c * r * s * ((h + 2 * pad - r) // st + 1) * ((w + 2 * pad - s) // st + 1)
             for name, n, c, h, w, k, r, s, st, pad in SHAPES}
    # Σ seconds over all listed layer passes, per threads: [go wall, torch wall, go cpu, torch cpu].
    total = {}
    for key, (twall, tcpu) in tr.items():
        if key not in gr:
            continue
        gwall, gcpu = gr[key]
        print(f"| {key} | {gwall:.1f} | {twall:.1f} | {gwall / twall:.2f} | {gcpu:.1f} | {tcpu:.1f} | {gcpu / tcpu:.2f} |")
        f = flops[key.split("/")[0]] / 1e9
        t = total.setdefault(key.split("/")[-1], [0.0, 0.0, 0.0, 0.0])
        for i, v in enumerate((gwall, twall, gcpu, tcpu)):
            t[i] += f / v
    for par, (gw, tw, gc, tc) in total.items():
        print(f"| all listed passes, {par} (ratio of summed times) | | | {tw / gw:.2f} | | | {tc / gc:.2f} |")


if __name__ == "__main__":
    main()
