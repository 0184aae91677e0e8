#!/usr/bin/python3
"""Writes the PyTorch fixtures of optim's ResNet test (optim/resnet_test.go): m-SAM steps of a
small PreAct ResNet-18 computed by PyTorch, for m = B and m = B/4 and each BatchNorm policy.

Run from the repository root with Debian's python3-torch:

    /usr/bin/python3 optim/testdata/gen_sam_resnet.py

The network is the paper's PreActResNet18 as defined in nets/resnet/testdata/gen_fixtures.py
(imported from there), width 4, 10 classes, inputs 3x16x16. Its weights are PyTorch's default
initialisation (seed 0); the BatchNorm running statistics are then moved away from (0, 1) by
three training-mode forward passes on random inputs, so that eval-mode statistics and their
updates are not trivial.

The step (sam_step below) is the paper's m-SAM step, "Towards Understanding Sharpness-Aware
Minimization" (Andriushchenko & Flammarion, ICML 2022), with the same batch for the ascent and the
descent: the batch of B examples is split into B/m contiguous micro-batches; for each micro-batch
I_j, in order,
    g_j = grad L_j(w) + wd*w                      (clean pass; weight decay is the L2 term
                                                   wd/2*||w||^2 of the loss, so it enters the ascent)
    eps_j = rho * g_j / (||g_j||_2 + 1e-12)       (one norm over all parameters)
    h_j = grad L_j(w + eps_j) + wd*(w + eps_j)    (perturbed pass)
and torch.optim.SGD(lr, momentum) (no weight decay of its own) steps with (1/(B/m)) sum_j h_j.
The weights are restored from a saved copy after each perturbed pass. BatchNorm policies:
    both:  training mode in both passes (running statistics updated by every pass)
    first: training mode in both passes, but the running statistics (and num_batches_tracked) are
           saved before each perturbed pass and restored after it: only clean passes move them
    eval:  eval mode (running statistics, never updated) in both passes.

The reference is computed in float64 from the float32 initial values (converted exactly), so the
fixtures carry no float32 rounding of their own; results are stored as float32.

Files (about 1.4 MB in all):
  sam_resnet_weights.safetensors          state_dict before the steps (F32; counters I64)
  sam_resnet_batch.safetensors            input [steps, B, 3, 16, 16] (F32), labels [steps, B] (I64);
                                          metadata: the hyperparameters
  sam_resnet_m<m>_<policy>.safetensors    state_dict after the steps (parameters and buffers)
"""
import importlib.util
import os
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def load_reference():
    """Imports nets/resnet/testdata/gen_fixtures.py, the reference model definitions."""
    path = os.path.join(ROOT, "nets", "resnet", "testdata", "gen_fixtures.py")
    spec = importlib.util.spec_from_file_location("resnet_reference", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


ref = load_reference()

# Hyperparameters (the paper's, except the small batch): also written to the batch file's
# metadata, which the Go test reads.
B, STEPS, WIDTH, SIZE = 8, 2, 4, 16
LR, MOMENTUM, WD, RHO = 0.1, 0.9, 5e-4, 0.05
MS = [B, B // 4]
POLICIES = ["both", "first", "eval"]


def set_bn(model, policy):
    """Training mode for "both" and "first", eval mode for "eval"."""
    model.train(policy != "eval")


def sam_step(model, opt, x, y, m, rho, wd, policy):
    """One m-SAM step on the batch (x, y) with micro-batches of m examples (see the module doc).

    Weight decay is added to the gradients as wd*p after each backward pass: the gradient of
    the L2 term wd/2*||w||^2 of the loss, without building it in the autograd graph."""
    params = list(model.parameters())
    nm = x.shape[0] // m
    saved = [p.detach().clone() for p in params]
    acc = [torch.zeros_like(p) for p in params]
    for j in range(nm):
        xs, ys = x[j * m:(j + 1) * m], y[j * m:(j + 1) * m]
        # Clean (ascent) pass at w.
        set_bn(model, policy)
        model.zero_grad(set_to_none=True)
        F.cross_entropy(model(xs), ys).backward()
        with torch.no_grad():
            g = [p.grad + wd * p for p in params]
            norm = torch.sqrt(sum((gi * gi).sum() for gi in g))
            c = rho / (norm + 1e-12)
            for p, s, gi in zip(params, saved, g):
                p.copy_(s + c * gi)
        # Perturbed (descent) pass at w + eps_j.
        bufs = None
        if policy == "first":
            bufs = [b.detach().clone() for b in model.buffers()]
        model.zero_grad(set_to_none=True)
        F.cross_entropy(model(xs), ys).backward()
        with torch.no_grad():
            for p, a in zip(params, acc):
                a.add_(p.grad + wd * p)
            for p, s in zip(params, saved):
                p.copy_(s)
            if bufs is not None:
                for b, v in zip(model.buffers(), bufs):
                    b.copy_(v)
    for p, a in zip(params, acc):
        p.grad = a / nm
    opt.step()


def main():
    torch.manual_seed(0)
    model = ref.Net(True, [2, 2, 2, 2], WIDTH, 10, "bn")
    g = torch.Generator().manual_seed(1)
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn(B, 3, SIZE, SIZE, generator=g) * 2 + 0.5)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    x = torch.randn(STEPS, B, 3, SIZE, SIZE, generator=g)
    y = torch.randint(0, 10, (STEPS, B), generator=g)

    meta = {"batch": B, "steps": STEPS, "width": WIDTH, "size": SIZE, "lr": LR,
            "momentum": MOMENTUM, "weight_decay": WD, "rho": RHO}
    ref.write_safetensors(os.path.join(HERE, "sam_resnet_weights.safetensors"), before)
    ref.write_safetensors(os.path.join(HERE, "sam_resnet_batch.safetensors"), {"input": x, "labels": y}, meta)
    for m in MS:
        for policy in POLICIES:
            net = ref.Net(True, [2, 2, 2, 2], WIDTH, 10, "bn")
            net.load_state_dict(before)
            net.double()
            opt = torch.optim.SGD(net.parameters(), lr=LR, momentum=MOMENTUM)
            for s in range(STEPS):
                sam_step(net, opt, x[s].double(), y[s], m, RHO, WD, policy)
            after = {}
            for k, v in net.state_dict().items():
                after[k] = v.float() if v.is_floating_point() else v
            ref.write_safetensors(os.path.join(HERE, "sam_resnet_m%d_%s.safetensors" % (m, policy)), after)
            d = max((after[k] - before[k].float()).abs().max().item() for k, _ in net.named_parameters())
            print("m=%d %-5s max |w_after - w_before| = %.4g" % (m, policy, d))


if __name__ == "__main__":
    sys.exit(main())
