"""Collage's claim on the digits MLP: bfloat16 weights stagnate under small updates; 2-term
bfloat16 multi-component floats (``numfmt.mcf``) track the float32 master weights.

    python examples/collage.py [--epochs 80] [--lr 0.01]

The MLP of ``examples/digits.py`` (64-64-10, torch, float32 forward and backward passes) is
trained with plain SGD three times, from the same initial weights (torch's, rounded to
bfloat16) and in the same data order. Only the stored weights and their update differ:

- float32 master weights: ``w = w - lr * g`` in float32;
- bfloat16 weights: ``w = RN_bf16(w - u)`` with ``numfmt.sub`` (one rounding, nearest even),
  where ``u = RN_bf16(fl32(lr * g))`` is float32's update rounded to bfloat16 (the weights
  are updated in bfloat16 arithmetic, as in Collage);
- 2-term bfloat16 MCF weights: ``w = numfmt.mcf.sub(w, u)`` with the same update ``u``; the
  forward pass uses the MCF's value rounded to float32 (``numfmt.add`` of its components in
  binary32: one rounding).

The gradients ``g`` are float32, from torch, at each run's own weights. The output is a table
of the test accuracy of each run and the distance of its weights from the float32 run's
(relative to the float32 weights, and to how far those moved from the initial weights),
followed by the tiny-step demonstration: a weight of 1.0 receiving 1000 updates of +1e-4
(about 2**-13.3, below half a bfloat16 ulp of 1.0, 2**-8). bfloat16 stays at 1.0. The 2-term
MCF moves, but not to 1.1 within 1e-5: near 1.1 its second component is up to 2**-7 in size,
with an ulp up to 2**-15 (3e-5), and each addition of the 1e-4 update rounds there (an error
below 2**-14 relative per ``mcf.add``, ``numfmt.mcf.error_bound``); over 1000 updates that
leaves it 2.8e-3 above 1.1, 2.7e-3 above the exact sum of the bfloat16 updates, against
bfloat16's 0.1 below. A 3-term MCF holds that exact sum.
"""
from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path

import numpy as np

import numfmt as nf

EPOCHS = 80
LR = 0.01
FORMAT = "bfloat16"
WEIGHTS = ("float32 master", "bfloat16", "2-term bf16 MCF")


def _digits():
    """examples/digits.py as a module (its data loader and the MLP's sizes)."""
    spec = importlib.util.spec_from_file_location("digits_example", Path(__file__).resolve().parent / "digits.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Weights:
    """One tensor's stored weights in one of the representations of ``WEIGHTS``."""

    def __init__(self, kind: str, init: np.ndarray):
        self.kind = kind
        if kind == WEIGHTS[0]:
            self.w = init.astype(np.float32)
        elif kind == WEIGHTS[1]:
            self.w = init.astype(np.float64)
        else:
            self.w = nf.mcf.from_float(init, FORMAT)        # exact: init is a bfloat16 value

    def value(self) -> np.ndarray:
        """The weights as float32, for the forward pass (an MCF's sum rounded once to float32)."""
        if self.kind == WEIGHTS[2]:
            return np.asarray(nf.add(self.w[..., 0], self.w[..., 1], "binary32"), dtype=np.float32)
        return self.w.astype(np.float32)

    def step(self, g: np.ndarray, lr: float) -> None:
        """One SGD step with the float32 gradient g: the float32 update lr * g (the float32
        run's), rounded to bfloat16 for the bfloat16 and MCF weights."""
        if self.kind == WEIGHTS[0]:
            self.w = self.w - np.float32(lr) * g
            return
        u = np.asarray(nf.round(np.float32(lr) * g, FORMAT), dtype=np.float64)
        if self.kind == WEIGHTS[1]:
            self.w = np.asarray(nf.sub(self.w, u, FORMAT), dtype=np.float64)
        else:
            self.w = nf.mcf.sub(self.w, u[..., None], FORMAT)


def train(epochs: int = EPOCHS, lr: float = LR, seed: int = 0) -> list:
    """[(weights, test accuracy, distance, distance per travel, seconds)] for the three
    representations of ``WEIGHTS``, over all parameters: distance = ||w - w_fp32|| / ||w_fp32||,
    distance per travel = ||w - w_fp32|| / ||w_fp32 - w_init|| (float32's weights: w_fp32)."""
    import torch

    digits = _digits()
    data = [torch.from_numpy(a) for a in digits.load_digits_split()]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)        # tiny layers: more threads only contend
    try:
        torch.manual_seed(seed)
        model = torch.nn.Sequential(torch.nn.Linear(64, digits.HIDDEN), torch.nn.ReLU(),
                                    torch.nn.Linear(digits.HIDDEN, 10))
        init = [np.asarray(nf.round(p.detach().numpy(), FORMAT), dtype=np.float64) for p in model.parameters()]
        runs = []
        for kind in WEIGHTS:
            start = time.perf_counter()
            weights = [_Weights(kind, w) for w in init]
            accuracy = _sgd(torch, model, weights, data, epochs, lr, seed, digits.BATCH)
            runs.append((kind, accuracy, np.concatenate([w.value().ravel() for w in weights]),
                         time.perf_counter() - start))
    finally:
        torch.set_num_threads(threads)
    reference = runs[0][2].astype(np.float64)
    travel = np.linalg.norm(reference - np.concatenate([w.ravel() for w in init]))
    return [(kind, accuracy, float(np.linalg.norm(flat - reference) / np.linalg.norm(reference)),
             float(np.linalg.norm(flat - reference) / travel), seconds) for kind, accuracy, flat, seconds in runs]


def _sgd(torch, model, weights: list, data, epochs: int, lr: float, seed: int, batch: int) -> float:
    """Train model (its parameters loaded from weights before each step) with SGD; test accuracy."""
    params = list(model.parameters())
    x_train, y_train, x_test, y_test = data

    def load():
        with torch.no_grad():
            for p, w in zip(params, weights):
                p.copy_(torch.from_numpy(w.value()))

    order = np.random.default_rng(seed)
    for _ in range(epochs):
        perm = torch.from_numpy(order.permutation(len(x_train)))
        for i in range(0, len(perm) - batch + 1, batch):
            idx = perm[i:i + batch]
            load()
            model.zero_grad()
            torch.nn.functional.cross_entropy(model(x_train[idx]), y_train[idx]).backward()
            for p, w in zip(params, weights):
                w.step(p.grad.numpy(), lr)
    load()
    with torch.no_grad():
        return float((model(x_test).argmax(1) == y_test).float().mean())


def tiny_steps(steps: int = 1000, update: float = 1e-4) -> dict:
    """weights -> the value of a weight of 1.0 after ``steps`` updates of +``update``: float32
    adds the update in float32; bfloat16 (``numfmt.add``) and the 2-term MCF (``numfmt.mcf.add``)
    add it rounded to bfloat16, and so does a 3-term MCF; "exact sum" is 1 + steps * (the bfloat16 update), exact in float64."""
    u = np.asarray(nf.round(update, FORMAT), dtype=np.float64)
    w32, w16 = np.float32(1.0), np.float64(1.0)
    w2, w3 = nf.mcf.from_float(1.0, FORMAT, 2), nf.mcf.from_float(1.0, FORMAT, 3)
    for _ in range(steps):
        w32 = w32 + np.float32(update)
        w16 = np.asarray(nf.add(w16, u, FORMAT), dtype=np.float64)
        w2, w3 = nf.mcf.add(w2, u[None], FORMAT), nf.mcf.add(w3, u[None], FORMAT)
    return {WEIGHTS[0]: float(w32), WEIGHTS[1]: float(w16), WEIGHTS[2]: float(nf.mcf.to_float(w2)),
            "3-term bf16 MCF": float(nf.mcf.to_float(w3)), "exact sum": 1 + steps * float(u)}


def table(rows: list) -> str:
    """The rows of ``train`` as a Markdown table."""
    lines = ["| weights | test accuracy | distance from float32 weights | per float32's travel | time |",
             "|---|---|---|---|---|"]
    for kind, accuracy, distance, per_travel, seconds in rows:
        lines.append(f"| {kind} | {100 * accuracy:.1f} % | {distance:.2e} | {per_travel:.2e} | {seconds:.1f} s |")
    return "\n".join(lines)


def tiny_table(values: dict, steps: int = 1000, update: float = 1e-4) -> str:
    """The result of ``tiny_steps`` as a Markdown table."""
    target = 1 + steps * update
    lines = [f"| 1.0 + {steps} x {update:g} in | value | - {target:g} |", "|---|---|---|"]
    for kind, value in values.items():
        lines.append(f"| {kind} | {value:.9f} | {value - target:+.2e} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--lr", type=float, default=LR)
    args = parser.parse_args(argv)
    print(f"SGD, lr {args.lr:g}, {args.epochs} epochs")
    print(table(train(args.epochs, args.lr)))
    print()
    print(tiny_table(tiny_steps()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
