#!/usr/bin/python3
"""Writes torch_fixtures.json: reference trajectories computed with PyTorch for optim's tests.

Run with Debian's python3-torch:  /usr/bin/python3 optim/testdata/gen_torch.py
All computations are float64 on the CPU; nothing is random.

sgd:  torch.optim.SGD on f(w) = 1/2 w^T A w (gradient by autograd), 4 steps, several settings.
sam:  SAM in the style of davda54/sam (first_step / second_step, weights restored from a saved
      copy, rho / (grad_norm + 1e-12)), with m-sharpness done as in the paper: the batch is split
      into contiguous micro-batches, each gets its own ascent and descent, the descent gradients
      are averaged and handed to torch.optim.SGD. Per-example losses l_i = 1/2 (x_i^T w - y_i)^2,
      mean over the (micro-)batch. Two weight-decay conventions:
        "l2":      0.5*wd*||w||^2 added to the loss of every pass (the paper's code);
        "coupled": torch.optim.SGD(weight_decay=wd), ascent without it (davda54 + torch SGD).
"""
import json
import math

import torch

torch.set_default_dtype(torch.float64)

A = torch.tensor([[2.0, 1.0, 0.0], [1.0, 3.0, -0.5], [0.0, -0.5, 1.5]])
W0 = [1.0, -2.0, 0.5]


def sgd_case(name, momentum, dampening, nesterov, wd, lr=0.1, steps=4):
    w = torch.tensor(W0, requires_grad=True)
    opt = torch.optim.SGD([w], lr=lr, momentum=momentum, dampening=dampening,
                          nesterov=nesterov, weight_decay=wd)
    traj = []
    for _ in range(steps):
        opt.zero_grad()
        loss = 0.5 * w @ (A @ w)
        loss.backward()
        opt.step()
        traj.append(w.detach().tolist())
    return dict(name=name, lr=lr, momentum=momentum, dampening=dampening,
                nesterov=nesterov, weight_decay=wd, w0=W0, traj=traj)


# Least squares data: 8 examples, 3 features, deterministic.
N, D = 8, 3
X = torch.tensor([[math.sin(3 * i + k + 1) for k in range(D)] for i in range(N)])
Y = torch.tensor([math.cos(2 * i + 1) for i in range(N)])
V0 = [0.3, -0.7, 1.1]


def mean_loss(w, lo, hi, wd_l2):
    r = X[lo:hi] @ w - Y[lo:hi]
    loss = 0.5 * (r * r).mean()
    if wd_l2:
        loss = loss + 0.5 * wd_l2 * (w * w).sum()
    return loss


def sam_case(name, m, rho, decay, wd, unnormalized=False, lr=0.1, momentum=0.9, steps=3):
    w = torch.tensor(V0, requires_grad=True)
    opt = torch.optim.SGD([w], lr=lr, momentum=momentum,
                          weight_decay=wd if decay == "coupled" else 0.0)
    wd_l2 = wd if decay == "l2" else 0.0
    traj = []
    for _ in range(steps):
        acc = torch.zeros(D)
        nm = N // m
        for j in range(nm):
            lo, hi = j * m, (j + 1) * m
            # first_step
            w.grad = None
            mean_loss(w, lo, hi, wd_l2).backward()
            g = w.grad.clone()
            with torch.no_grad():
                old = w.detach().clone()
                if unnormalized:
                    e = rho * g
                else:
                    e = g * (rho / (g.norm(p=2) + 1e-12))
                w.add_(e)
            # second_step: gradient at the perturbed point, then restore by copy
            w.grad = None
            mean_loss(w, lo, hi, wd_l2).backward()
            acc += w.grad
            with torch.no_grad():
                w.copy_(old)
        w.grad = acc / nm
        opt.step()
        traj.append(w.detach().tolist())
    return dict(name=name, m=m, rho=rho, decay=decay, weight_decay=wd,
                unnormalized=unnormalized, lr=lr, momentum=momentum, w0=V0, traj=traj)


out = dict(
    A=A.tolist(),
    X=X.tolist(),
    Y=Y.tolist(),
    sgd=[
        sgd_case("plain", 0.0, 0.0, False, 0.0),
        sgd_case("momentum", 0.9, 0.0, False, 0.0),
        sgd_case("nesterov", 0.9, 0.0, True, 0.0),
        sgd_case("dampening", 0.9, 0.3, False, 0.0),
        sgd_case("momentum_wd", 0.9, 0.0, False, 0.05),
        sgd_case("nesterov_wd", 0.8, 0.0, True, 0.05),
        sgd_case("plain_wd", 0.0, 0.0, False, 0.05),
    ],
    sam=[
        sam_case("nsam", 8, 0.05, "l2", 0.0),
        sam_case("msam4", 2, 0.05, "l2", 0.0),
        sam_case("msam1_unnormalized", 1, 0.05, "l2", 0.0, unnormalized=True),
        sam_case("nsam_l2", 8, 0.05, "l2", 0.01),
        sam_case("msam2_l2", 4, 0.05, "l2", 0.01),
        sam_case("nsam_coupled", 8, 0.05, "coupled", 0.01),
        sam_case("msam4_coupled", 2, 0.05, "coupled", 0.01),
    ],
)
with open(__file__.replace("gen_torch.py", "torch_fixtures.json"), "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
