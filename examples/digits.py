"""Train a small MLP (64-64-10) on scikit-learn's digits data set (shipped with scikit-learn: no
download) in float32 and with emulated low-precision formats, and print the test accuracy of
each next to float32's. Runs on a laptop CPU in well under two minutes per framework.

    python examples/digits.py [--framework torch|jax] [--epochs 30]

Variants (every Linear layer; ``numfmt.torch.quantize_model`` / ``numfmt.jax.quantized_dense``):

- float32;
- e4m3 weights and activations (saturating), the gradients rounded stochastically to e5m2
  (the error arriving at each layer's output and the weight gradients), float32 accumulation;
- the same with the matmuls accumulated in bfloat16 (``numfmt.torch.matmul`` /
  ``numfmt.jax.matmul``, the emulated device matmul);
- MXFP4 weights (blocks of 32 along the reduction axis).

The float32 master weights are what Adam updates; the forward pass rounds them each step.
Stochastic rounding draws a new seed per call in torch; under ``jax.jit`` the seed is drawn
when the step is traced, so JAX reuses one seed per layer (the gradients still differ each step).
"""
from __future__ import annotations

import argparse
import gzip
import importlib.util
import sys
import time
from pathlib import Path

import numpy as np

HIDDEN = 64
BATCH = 64
LR = 1e-2


def load_digits_split(seed: int = 0):
    """(x_train, y_train, x_test, y_test): pixels scaled to [0, 1], float32; a stratified 75/25
    split. The data is scikit-learn's own copy (sklearn/datasets/data/digits.csv.gz, the file
    ``sklearn.datasets.load_digits`` reads), read without importing scikit-learn (seconds)."""
    location = importlib.util.find_spec("sklearn")
    if location is None:
        raise ModuleNotFoundError("the digits data set ships with scikit-learn: pip install scikit-learn")
    path = Path(location.submodule_search_locations[0]) / "datasets" / "data" / "digits.csv.gz"
    with gzip.open(path) as f:
        data = np.loadtxt(f, delimiter=",", dtype=np.float32)
    x, y = data[:, :-1] / np.float32(16), data[:, -1].astype(np.int64)
    rng = np.random.default_rng(seed)
    test = np.zeros(len(y), bool)
    for label in range(10):
        members = rng.permutation(np.flatnonzero(y == label))
        test[members[:round(len(members) * 0.25)]] = True
    return x[~test], y[~test], x[test], y[test]


def variants(quant) -> list:
    """(label, layer formats) per row."""
    e4m3 = quant("e4m3", "nearest_even", {"overflow": "saturate"})
    fp8 = {"weight": e4m3, "act": e4m3, "grad": quant("e5m2", "stochastic")}
    return [
        ("float32", {}),
        ("e4m3 w/a, SR e5m2 grads", fp8),
        ("e4m3 w/a, bf16 acc, SR e5m2 grads", dict(fp8, accumulator="bfloat16")),
        ("MXFP4 weights", {"weight": "mxfp4"}),
    ]


def train_torch(formats: dict, data, epochs: int, seed: int = 0) -> float:
    """Test accuracy of the MLP trained with these layer formats (torch, Adam)."""
    import torch
    import numfmt.torch as nft

    threads = torch.get_num_threads()
    torch.set_num_threads(1)     # the layers are tiny: more threads only contend (100 ms a step instead of 5)
    try:
        return _train_torch(torch, nft, formats, data, epochs, seed)
    finally:
        torch.set_num_threads(threads)


def _train_torch(torch, nft, formats: dict, data, epochs: int, seed: int) -> float:
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(64, HIDDEN), torch.nn.ReLU(), torch.nn.Linear(HIDDEN, 10))
    if formats:
        nft.quantize_model(model, **formats)
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    x_train, y_train, x_test, y_test = (torch.from_numpy(a) for a in data)
    order = np.random.default_rng(seed)
    for _ in range(epochs):
        perm = torch.from_numpy(order.permutation(len(x_train)))
        for i in range(0, len(perm) - BATCH + 1, BATCH):
            idx = perm[i:i + BATCH]
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(x_train[idx]), y_train[idx]).backward()
            opt.step()
    with torch.no_grad():
        return float((model(x_test).argmax(1) == y_test).float().mean())


def train_jax(formats: dict, data, epochs: int, seed: int = 0) -> float:
    """Test accuracy of the MLP trained with these layer formats (JAX, jit, Adam written out)."""
    import jax
    import jax.numpy as jnp
    import numfmt.jax as nfj

    k1, k2 = jax.random.split(jax.random.PRNGKey(seed))
    params = {"w1": jax.random.uniform(k1, (64, HIDDEN), minval=-1, maxval=1) / 8.0, "b1": jnp.zeros(HIDDEN),
              "w2": jax.random.uniform(k2, (HIDDEN, 10), minval=-1, maxval=1) / 8.0, "b2": jnp.zeros(10)}

    def logits(p, x):
        h = jax.nn.relu(nfj.quantized_dense(x, p["w1"], p["b1"], **formats))
        return nfj.quantized_dense(h, p["w2"], p["b2"], **formats)

    def loss(p, x, y):
        return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits(p, x)), y[:, None], axis=1))

    @jax.jit
    def step(p, m, v, t, x, y):
        g = jax.grad(loss)(p, x, y)
        m = jax.tree.map(lambda m, g: 0.9 * m + 0.1 * g, m, g)
        v = jax.tree.map(lambda v, g: 0.999 * v + 0.001 * g * g, v, g)
        scale = LR * jnp.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t)
        return jax.tree.map(lambda p, m, v: p - scale * m / (jnp.sqrt(v) + 1e-8), p, m, v), m, v

    x_train, y_train, x_test, y_test = data
    m = jax.tree.map(jnp.zeros_like, params)
    v = jax.tree.map(jnp.zeros_like, params)
    order, t = np.random.default_rng(seed), 0
    for _ in range(epochs):
        perm = order.permutation(len(x_train))
        for i in range(0, len(perm) - BATCH + 1, BATCH):
            idx = perm[i:i + BATCH]
            t += 1
            params, m, v = step(params, m, v, t, x_train[idx], y_train[idx].astype(np.int32))
    return float(jnp.mean(jnp.argmax(logits(params, x_test), axis=1) == y_test))


def run(framework: str = "torch", epochs: int = 30) -> list:
    """[(label, accuracy, seconds)] for every variant."""
    if framework == "torch":
        import numfmt.torch as module
        train = train_torch
    elif framework == "jax":
        import numfmt.jax as module
        train = train_jax
    else:
        raise ValueError(f"framework must be 'torch' or 'jax'; got {framework!r}")
    data = load_digits_split()
    rows = []
    for label, formats in variants(module.Quant):
        start = time.perf_counter()
        accuracy = train(formats, data, epochs)
        rows.append((label, accuracy, time.perf_counter() - start))
    return rows


def table(rows: list, framework: str) -> str:
    """The rows as a Markdown table, accuracy in percent next to float32's."""
    base = rows[0][1]
    lines = [f"| {framework}: variant | test accuracy | vs float32 | time |", "|---|---|---|---|"]
    for label, accuracy, seconds in rows:
        lines.append(f"| {label} | {100 * accuracy:.1f} % | {100 * (accuracy - base):+.1f} | {seconds:.0f} s |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--framework", choices=("torch", "jax"), default="torch")
    parser.add_argument("--epochs", type=int, default=30)
    args = parser.parse_args(argv)
    print(table(run(args.framework, args.epochs), args.framework))
    return 0


if __name__ == "__main__":
    sys.exit(main())
