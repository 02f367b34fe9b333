"""``numfmt study``: which low-precision format suits which tensor, measured bit-exactly.

For each tensor and bit width the study casts the tensor to every candidate format and measures
the error: every exponent/mantissa split of that width (with and without subnormals where the
split has mantissa bits), posits of that width (es 0..3), intN with a per-tensor scale, and the
block formats whose elements have that width (MXFP8/6/4, MXINT8, NVFP4). With no data of its own
the study uses synthetic tensors (Gaussian, Laplace, Student-t with 3 degrees of freedom,
uniform, Gaussian with 0.1% outliers at 50 sigma) and the weights and activations of a small MLP
trained on scikit-learn's digits, whose test accuracy it also measures with weights (and,
separately, activations) in each format.

Scaling, per family (the ``scaling`` column of the CSV):

- ``amax->max`` (split floats, intN, other integer and float formats): one float64 factor per
  tensor, ``c = max / amax`` rounded down, so the largest magnitude lands on the format's
  largest finite value and nothing clips (for intN that is the symmetric scale
  ``amax / (2**(N-1) - 1)``).
- ``rms->1`` (posits): ``c = 1 / rms``. Posits are most precise near 1 and have few fraction
  bits near maxpos, so amax->maxpos would waste them.
- ``block`` (MX, NVFP4): only the format's own block scales (and NVFP4's per-tensor scale).

Side by side with ``amax->max``, the study measures the per-tensor scale that
``numfmt.scaling.fit(objective="mse")`` searches for (the ``search_*`` columns of the CSV,
searched on a sample of ``SEARCH_SAMPLE`` elements of each tensor, compared with the max scale
on all of it): the SQNR, the fraction clipped and the searched scale over fit's max scale.

Every cast is one rounding of an exact value: the product x * c is formed exactly (Dekker's
two-product) and rounded to odd at float64's 53 bits, which the format's rounding to nearest
(at most 51 bits) then rounds as it would round x * c itself; the value is the rounded number
divided by c. The measures are computed in float64; the fractions clipped and flushed are the
cast's ``numfmt.CastReport`` counts (``measure``).

Example (one format, one tensor):
    >>> import numpy as np
    >>> x = synthetic_tensors(4096)["gaussian"]
    >>> fmt = study_formats([4], ["float"])[1]
    >>> fmt.label, fmt.scaling
    ('e2m1', 'amax->max')
    >>> m = measure(x, *quantize(x, fmt))
    >>> sorted(m), m["frac_clipped"]
    (['frac_clipped', 'frac_flushed', 'max_rel_error', 'mse', 'sqnr_db'], 0.0)
"""
from __future__ import annotations

import csv
import difflib
import math
import sys
import time
import warnings
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from . import scaling
from .casts import decode, encode, round as _round
from .formats import FloatFormat, PositFormat
from .formats.registry import format as _format, registered
from .report import CastReport

GROUPS = ("float", "posit", "int", "block")
DEFAULT_BITS = (4, 6, 8)
BITS_RANGE = (3, 16)
MAX_SPLIT_EXP_BITS = 8          # up to bfloat16's exponent; wider ones soon leave float64's range
POSIT_ES = (0, 1, 2, 3)
SIZES = {False: 1 << 18, True: 1 << 14}      # synthetic tensor size: full, --quick
SEED = 0
OUTLIER_FRACTION, OUTLIER_SIGMA = 1e-3, 50.0
EXTRA = 'pip install "numfmt[study]"'
MEASURES = ("mse", "sqnr_db", "max_rel_error", "frac_clipped", "frac_flushed")
SEARCH_MEASURES = ("search_sqnr_db", "search_frac_clipped", "search_scale_ratio")
SEARCH_SAMPLE = 1 << 12         # the mse search's sample of each tensor (scaling.fit's ``sample``)
SEARCH_TITLE = ("SQNR (dB) with the max scale / with the MSE-searched scale (numfmt.scaling.fit, "
                "per tensor); clipped %: the most the searched scale clips")
FORMAT_COLUMNS = ("bits", "format", "family", "exp_bits", "man_bits", "subnormals", "es", "scaling",
                  "bits_per_element")
MEASUREMENT_COLUMNS = FORMAT_COLUMNS + ("tensor", "size") + MEASURES + SEARCH_MEASURES
ACCURACY_COLUMNS = FORMAT_COLUMNS + ("quantized", "accuracy")


class MissingExtra(ImportError):
    """matplotlib, scikit-learn or tqdm is not installed."""


def _require(module: str):
    """Import one of the study's optional dependencies, or raise a one-line error naming the extra."""
    import importlib
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtra(f"numfmt study needs matplotlib, scikit-learn and tqdm ({module} is missing): "
                           f"{EXTRA}") from None


def _one_blas_thread():
    """BLAS limited to one thread while the study multiplies matrices. Its products are small (the
    MLP: 1,257 x 64 by 64 x 64 at most), and more BLAS threads on them only wait on each other:
    on a busy 2-core machine ``train_mlp`` took 37 s of CPU with OpenBLAS's two threads, 2.8 s with
    one. threadpoolctl comes with scikit-learn."""
    return _require("threadpoolctl").threadpool_limits(1, user_api="blas")


# ----------------------------------------------------------------------------- formats
@dataclass(frozen=True)
class StudyFormat:
    """A format as the study uses it: the format, the width of its table, and its scaling.

    ``scaling`` is ``"amax->max"``, ``"rms->1"`` or ``"block"`` (see the module docstring);
    ``exp_bits``/``man_bits``/``subnormals`` describe float splits, ``es`` posits (else None).
    """

    label: str
    fmt: object
    bits: int
    family: str
    scaling: str
    exp_bits: int | None = None
    man_bits: int | None = None
    subnormals: bool | None = None
    es: int | None = None

    @property
    def bits_per_element(self) -> float:
        """Bits per element, a block's scale amortized over its elements."""
        return float(self.fmt.info.bits_per_element if self.family == "block" else self.fmt.bits)

    def row(self) -> dict:
        """The format's columns of the CSV files."""
        return {"bits": self.bits, "format": self.label, "family": self.family, "exp_bits": self.exp_bits,
                "man_bits": self.man_bits, "subnormals": self.subnormals, "es": self.es,
                "scaling": self.scaling, "bits_per_element": self.bits_per_element}


def _split(exp_bits: int, man_bits: int, subnormals: bool) -> StudyFormat:
    """A float split: every code a number (no Inf, no NaN, like OCP FP6/FP4), default bias (the
    per-tensor scale makes the bias irrelevant)."""
    fmt = FloatFormat(exp_bits, man_bits, special="finite", subnormals=subnormals)
    label = f"e{exp_bits}m{man_bits}" + ("" if subnormals else " nosub")
    return StudyFormat(label, fmt, fmt.bits, "float", "amax->max", exp_bits, man_bits, subnormals)


def _named(fmt) -> StudyFormat:
    """A format given by name: studied in the table of its own width."""
    if fmt.family == "block":
        return StudyFormat(fmt.name, fmt, fmt.element.bits, "block", "block")
    if not getattr(fmt, "signed", True):
        raise ValueError(f"--formats: {fmt.name} is unsigned; the study's tensors are signed")
    if fmt.family == "posit":
        return StudyFormat(fmt.name, fmt, fmt.bits, "posit", "rms->1", es=fmt.es)
    if fmt.family == "float":
        return StudyFormat(fmt.name, fmt, fmt.bits, "float", "amax->max", fmt.exp_bits, fmt.man_bits,
                           fmt.subnormals)
    return StudyFormat(fmt.name, fmt, fmt.bits, "int", "amax->max")


def study_formats(bits, formats) -> list[StudyFormat]:
    """The formats of a study: each group in ``formats`` at every width in ``bits``, and each
    format named in ``formats`` at its own width (in place of a split with the same label).

    Groups: ``float`` (every split eXmY of the width with X <= 8, all codes numbers, with and
    without subnormals where Y > 0), ``posit`` (es 0..3), ``int`` (intN), ``block`` (the
    registered block formats whose elements have that width). eXm0 has no subnormals to drop,
    and e1mY without them would waste half its codes (its only binade is the subnormal one), so
    those splits come once. Anything else must be a format
    name (``numfmt list``), else ValueError.

    >>> [f.label for f in study_formats([4], ["float", "int", "block"])]
    ['e1m2', 'e2m1', 'e2m1 nosub', 'e3m0', 'int4', 'mxfp4', 'nvfp4']
    >>> [f.label for f in study_formats([8], ["posit", "e4m3"])]
    ['e4m3', 'posit<8,0>', 'posit<8,1>', 'posit8', 'posit<8,3>']
    """
    out: dict[tuple, StudyFormat] = {}
    groups = [g for g in formats if g in GROUPS]
    for name in formats:
        if name not in GROUPS:
            sf = _named(_format(name))
            out[(sf.bits, sf.label)] = sf
    for n in bits:
        found = []
        if "float" in groups:
            for e in range(1, min(n - 1, MAX_SPLIT_EXP_BITS) + 1):
                m = n - 1 - e
                found += [_split(e, m, True)] + ([_split(e, m, False)] if e > 1 and m > 0 else [])
        if "posit" in groups:
            found += [StudyFormat(p.name, p, n, "posit", "rms->1", es=es)
                      for es in POSIT_ES for p in [PositFormat(n, es)]]
        if "int" in groups:
            found.append(StudyFormat(f"int{n}", _format(f"int{n}"), n, "int", "amax->max"))
        if "block" in groups:
            found += [StudyFormat(name, fmt, n, "block", "block") for name, _, fmt in registered()
                      if fmt.family == "block" and fmt.element.bits == n]
        for sf in found:
            out.setdefault((sf.bits, sf.label), sf)
    return sorted(out.values(), key=lambda f: (f.bits, GROUPS.index(f.family), f.exp_bits or 0, f.es or 0,
                                                not f.subnormals, f.label))


def parse_formats(text: str) -> list[str]:
    """``--formats``: comma-separated groups (float, posit, int, block) and format names, checked.

    >>> parse_formats("float,posit8")
    ['float', 'posit8']
    >>> parse_formats("flaot")
    Traceback (most recent call last):
    ...
    ValueError: --formats: unknown format or group 'flaot'; did you mean float or bfloat16? (groups: float, posit, int, block; format names: `numfmt list`)
    """
    items = [t.strip() for t in text.split(",") if t.strip()]
    if not items:
        raise ValueError("--formats: expected groups (float, posit, int, block) or format names, comma separated")
    for item in items:
        if item in GROUPS:
            continue
        try:
            fmt = _format(item)
        except (ValueError, KeyError, TypeError):
            names = list(GROUPS) + [n for n, _, _ in registered()]
            close = difflib.get_close_matches(item, names, n=2, cutoff=0.6)
            hint = f"did you mean {' or '.join(close)}? " if close else ""
            raise ValueError(f"--formats: unknown format or group {item!r}; {hint}(groups: {', '.join(GROUPS)}; "
                             "format names: `numfmt list`)") from None
        _named(fmt)
    return items


def parse_bits(text: str) -> tuple[int, ...]:
    """``--bits``: comma-separated widths from 3 to 16.

    >>> parse_bits("4,8")
    (4, 8)
    >>> parse_bits("0")
    Traceback (most recent call last):
    ...
    ValueError: --bits: expected widths from 3 to 16, comma separated (such as 4,6,8); got '0'
    """
    lo, hi = BITS_RANGE
    parts = [t.strip() for t in text.split(",")]
    if not all(p.isdigit() and lo <= int(p) <= hi for p in parts):
        raise ValueError(f"--bits: expected widths from {lo} to {hi}, comma separated (such as 4,6,8); got {text!r}")
    return tuple(sorted({int(p) for p in parts}))


# ----------------------------------------------------------------------------- exact scaling
def _split_hi_lo(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Veltkamp's split: a = hi + lo exactly, each with at most 26 significant bits."""
    t = a * 134217729.0                      # 2**27 + 1
    hi = t - (t - a)
    return hi, a - hi


def scaled_to_odd(x: np.ndarray, c: float) -> np.ndarray:
    """x * c rounded to odd at float64's 53 bits: the exact product where it is a float64, else
    the neighbour with an odd last bit. Rounding that to nearest at 51 bits or fewer gives the
    rounding of the exact x * c (one rounding, no double rounding). The product is formed with
    Dekker's two-product, exact while x * c stays well inside float64's normal range.

    >>> scaled_to_odd(np.array([1.0 + 2.0 ** -52]), 1.0 + 2.0 ** -52)[0].hex()    # 1 + 2**-51 + 2**-104
    '0x1.0000000000003p+0'
    >>> scaled_to_odd(np.array([3.0, -0.1]), 0.5).tolist()
    [1.5, -0.05]
    """
    x = np.asarray(x, dtype=np.float64)
    p = x * c
    xh, xl = _split_hi_lo(x)
    ch, cl = _split_hi_lo(np.float64(c))
    err = ((xh * ch - p) + xh * cl + xl * ch) + xl * cl        # x * c - p, exactly
    move = (err != 0) & (p.view(np.int64) & 1 == 0)
    return np.where(move, np.nextafter(p, np.where(err > 0, np.inf, -np.inf)), p)


def scale_factor(x: np.ndarray, sf: StudyFormat) -> float:
    """The per-tensor factor c of a study format's scaling (x is cast as x * c, 1 for a zero x):
    ``amax->max``: max / amax rounded down to a float64, the largest c with amax * c <= max
    exactly (so nothing clips); ``rms->1``: 1 / rms in float64. Block formats: 1.

    >>> int4 = study_formats([4], ["int"])[0]
    >>> scale_factor(np.array([0.5, -2.0]), int4)
    3.5
    """
    x = np.asarray(x, dtype=np.float64)
    if sf.scaling == "block":
        return 1.0
    if sf.scaling == "rms->1":
        rms = float(np.sqrt(np.mean(x * x)))
        return 1.0 / rms if rms else 1.0
    amax, target = float(np.max(np.abs(x), initial=0.0)), sf.fmt.info.max
    if amax == 0:
        return 1.0
    c = target / amax
    if Fraction(amax) * Fraction(c) > Fraction(target):
        c = float(np.nextafter(c, 0.0))
    return c


def quantize(x: np.ndarray, sf: StudyFormat, axis: int = -1) -> tuple[np.ndarray, CastReport]:
    """x cast to a study format with its scaling: (values, report).

    ``values`` are the format's numbers, scaled back (float64), shaped like x; ``report`` is
    the cast's ``numfmt.CastReport`` (of the scaled x, or of the block elements). Block formats
    block along ``axis``, zero-padding a last partial block.

    >>> sf = study_formats([4], ["int"])[0]
    >>> values, report = quantize(np.array([-1.0, 0.1, 0.3, 0.7]), sf)
    >>> (values * 7).round(12).tolist(), report.overflow, report.inexact
    ([-7.0, 1.0, 2.0, 5.0], 0, 3)
    """
    x = np.asarray(x, dtype=np.float64)
    fmt = sf.fmt
    if sf.family == "block":
        enc, report = encode(x, fmt, axis=axis, pad=True, report=True)
        return decode(enc, fmt, np.float64), report
    c = scale_factor(x, sf)
    values, report = _round(scaled_to_odd(x, c), fmt, overflow="saturate", report=True)
    return values / c, report


def measure(x: np.ndarray, values: np.ndarray, report: CastReport) -> dict[str, float]:
    """The error measures of a cast of x: mse, sqnr_db (10 log10 of signal over error energy),
    max_rel_error (over the non-zero elements), and from the cast's report: frac_clipped
    (``overflow``: exact values beyond the largest finite value after rounding, which the
    study's ``saturate`` policy and the block formats clamp to ±max; ``saturated`` would also
    count posits' minpos clamps) and frac_flushed (``flushed_to_zero``: non-zero values that
    became 0), each over the report's ``n``.

    >>> m = measure(np.array([1.0, 2.0, 0.1]), np.array([1.0, 2.0, 0.0]), CastReport(n=3, flushed_to_zero=1))
    >>> round(m["sqnr_db"], 2), m["max_rel_error"], round(m["frac_flushed"], 3)
    (27.0, 1.0, 0.333)
    """
    x = np.asarray(x, np.float64).ravel()
    err = np.asarray(values, np.float64).ravel() - x
    noise, signal = float(np.sum(err * err)), float(np.sum(x * x))
    nonzero = x != 0
    n = max(report.n, 1)
    return {"mse": noise / max(x.size, 1),
            "sqnr_db": math.inf if noise == 0 else (10 * math.log10(signal / noise) if signal else -math.inf),
            "max_rel_error": float(np.max(np.abs(err[nonzero]) / np.abs(x[nonzero]), initial=0.0)),
            "frac_clipped": report.overflow / n, "frac_flushed": report.flushed_to_zero / n}


def search_measures(x: np.ndarray, sf: StudyFormat) -> dict:
    """The ``search_*`` columns: for formats scaled ``amax->max``, x cast with the per-tensor
    scale s of ``numfmt.scaling.fit(objective="mse", sample=SEARCH_SAMPLE)`` (its SQNR, the
    fraction of elements with |x| / s beyond the format's max, which saturate, and s over
    fit's max scale); None for the other scalings and for tensors beyond fit's range.

    >>> x = np.random.default_rng(0).standard_t(3, 4096)
    >>> int4 = study_formats([4], ["int"])[0]
    >>> m = search_measures(x, int4)
    >>> m["search_sqnr_db"] > measure(x, *quantize(x, int4))["sqnr_db"] + 3, m["search_scale_ratio"] < 0.5
    (True, True)
    """
    x = np.asarray(x, dtype=np.float64)
    if sf.scaling != "amax->max" or np.max(np.abs(x), initial=0.0) > scaling.MAX_MAGNITUDE:
        return dict.fromkeys(SEARCH_MEASURES)
    scale = scaling.fit(x, sf.fmt, objective="mse", sample=SEARCH_SAMPLE)
    s = float(scale.values)
    err = scaling.quantize(x, sf.fmt, scale) - x
    noise, signal = float(np.sum(err * err)), float(np.sum(x * x))
    sqnr = math.inf if noise == 0 else (10 * math.log10(signal / noise) if signal else -math.inf)
    return {"search_sqnr_db": sqnr, "search_frac_clipped": float(np.mean(np.abs(x) > sf.fmt.info.max * s)),
            "search_scale_ratio": s / float(scaling.fit(x, sf.fmt).values)}


# ----------------------------------------------------------------------------- tensors
@dataclass(frozen=True)
class Tensor:
    """A tensor of the study; block formats block along ``axis`` (the dot-product axis)."""

    name: str
    data: np.ndarray
    axis: int = -1


def synthetic_tensors(size: int, seed: int = SEED) -> dict[str, np.ndarray]:
    """The built-in synthetic tensors, ``size`` elements each (float64, unit variance except
    Student-t and the outlier tensor): gaussian, laplace, student_t3, uniform, and
    gaussian_outliers (a Gaussian with a fraction 0.001 of its elements at +-50 sigma).

    >>> t = synthetic_tensors(2000)
    >>> list(t), int(np.sum(np.abs(t["gaussian_outliers"]) == 50.0))
    (['gaussian', 'laplace', 'student_t3', 'uniform', 'gaussian_outliers'], 2)
    """
    rng = np.random.default_rng(seed)
    outliers = rng.standard_normal(size)
    where = rng.choice(size, max(1, round(size * OUTLIER_FRACTION)), replace=False)
    outliers[where] = OUTLIER_SIGMA * rng.choice([-1.0, 1.0], where.size)
    return {"gaussian": rng.standard_normal(size),
            "laplace": rng.laplace(scale=math.sqrt(0.5), size=size),
            "student_t3": rng.standard_t(3, size),
            "uniform": rng.uniform(-math.sqrt(3), math.sqrt(3), size),
            "gaussian_outliers": outliers}


@dataclass
class Mlp:
    """A trained two-layer ReLU perceptron (weights in float64) and its test set."""

    weights: list[np.ndarray]
    biases: list[np.ndarray]
    x_test: np.ndarray
    y_test: np.ndarray

    def layer_inputs(self) -> list[np.ndarray]:
        """The input of each layer on the test set (the activations the study quantizes)."""
        h = np.maximum(self.x_test @ self.weights[0] + self.biases[0], 0.0)
        return [self.x_test, h]

    def accuracy(self, cast_weight=None, cast_input=None) -> float:
        """Test accuracy, with each weight matrix and/or each layer's input cast (biases stay).

        >>> import numfmt as nf
        >>> mlp = train_mlp()
        >>> mlp.accuracy() > 0.95, mlp.accuracy(cast_weight=lambda w: nf.round(w, "e2m1")) < mlp.accuracy()
        (True, True)
        """
        h = self.x_test
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            h = (cast_input(h) if cast_input else h) @ (cast_weight(w) if cast_weight else w) + b
            if i + 1 < len(self.weights):
                h = np.maximum(h, 0.0)
        return float(np.mean(np.argmax(h, axis=1) == self.y_test))


def train_mlp(seed: int = SEED) -> Mlp:
    """A 64-64-10 ReLU MLP trained on scikit-learn's digits (pixels / 16; 70/30 split, stratified),
    fixed seed; about a second on a CPU. Needs scikit-learn.

    >>> [w.shape for w in train_mlp().weights]
    [(64, 64), (64, 10)]
    """
    datasets = _require("sklearn.datasets")
    selection = _require("sklearn.model_selection")
    neural = _require("sklearn.neural_network")
    x, y = datasets.load_digits(return_X_y=True)
    x_train, x_test, y_train, y_test = selection.train_test_split(x / 16.0, y, test_size=0.3, random_state=seed,
                                                                  stratify=y)
    with warnings.catch_warnings(), _one_blas_thread():
        warnings.simplefilter("ignore")     # ConvergenceWarning at max_iter: the accuracy is what counts
        clf = neural.MLPClassifier((64,), max_iter=300, random_state=seed).fit(x_train, y_train)
    return Mlp([w.astype(np.float64) for w in clf.coefs_], [b.astype(np.float64) for b in clf.intercepts_],
               x_test, y_test)


def load_data(paths) -> list[Tensor]:
    """Tensors from .npy files (named by file stem) and .npz files (stem:key), checked: real,
    finite, non-empty. Block formats block along the last axis.

    >>> load_data(["missing.npy"])
    Traceback (most recent call last):
    ...
    ValueError: --data missing.npy: no such file
    """
    tensors = []
    for path in map(Path, paths):
        if not path.is_file():
            raise ValueError(f"--data {path}: no such file")
        if path.suffix not in (".npy", ".npz"):
            raise ValueError(f"--data {path}: expected a .npy or .npz file")
        try:
            loaded = np.load(path, allow_pickle=False)
        except (ValueError, OSError) as exc:
            raise ValueError(f"--data {path}: not a numpy file ({exc})") from None
        arrays = {path.stem: loaded} if path.suffix == ".npy" else {f"{path.stem}:{k}": loaded[k] for k in loaded}
        for name, a in arrays.items():
            if a.dtype.kind not in "fiu" or a.size == 0 or a.ndim == 0:
                raise ValueError(f"--data {path}: {name} must be a non-empty real array; got dtype {a.dtype}, "
                                 f"shape {a.shape}")
            a = a.astype(np.float64)
            if not np.all(np.isfinite(a)):
                raise ValueError(f"--data {path}: {name} has {int(np.sum(~np.isfinite(a)))} NaN or infinite elements")
            if np.max(np.abs(a)) > 1e300:      # scaled_to_odd's exact product needs room above
                raise ValueError(f"--data {path}: {name} has magnitudes above 1e300")
            tensors.append(Tensor(name, a))
    return tensors


# ----------------------------------------------------------------------------- the study
@dataclass
class StudyResult:
    """What a study measured: one dict per (format, tensor), one per (format, what was quantized)
    of the MLP's accuracy, the float64 accuracy, and the files written."""

    measurements: list[dict]
    accuracy: list[dict]
    baseline_accuracy: float | None
    files: list[Path]


def _study(tensors: list[Tensor], formats: list[StudyFormat], mlp: Mlp | None, progress) -> tuple[list, list]:
    measurements, accuracy = [], []
    for sf in progress(formats):
        for t in tensors:
            measurements.append({**sf.row(), "tensor": t.name, "size": t.data.size,
                                 **measure(t.data, *quantize(t.data, sf, t.axis)), **search_measures(t.data, sf)})
        if mlp is not None:
            for quantized, kwargs in (("weights", {"cast_weight": lambda w: quantize(w, sf, 0)[0]}),
                                      ("activations", {"cast_input": lambda a: quantize(a, sf, 1)[0]})):
                accuracy.append({**sf.row(), "quantized": quantized, "accuracy": mlp.accuracy(**kwargs)})
    return measurements, accuracy


def _best(rows: list[dict], key: str) -> dict:
    """The best format (highest value of key; ties: fewer bits per element, then first) per group."""
    return max(rows, key=lambda r: (r[key], -r["bits_per_element"]))


def _cell(value: float, digits: int = 1) -> str:
    return "inf" if value == math.inf else ("-inf" if value == -math.inf else f"{value:.{digits}f}")


def _tables(result: StudyResult, markdown: bool = False) -> dict[int, str]:
    """One table per bit width: SQNR (dB) of each format (rows) on each tensor (columns), the best
    per tensor marked with ``*``; with an MLP, its test accuracy (%) with weights and with
    activations in the format."""
    out = {}
    for bits in sorted({r["bits"] for r in result.measurements}):
        rows = [r for r in result.measurements if r["bits"] == bits]
        labels = list(dict.fromkeys(r["format"] for r in rows))
        tensors = list(dict.fromkeys(r["tensor"] for r in rows))
        cells = {(r["format"], r["tensor"]): r for r in rows}
        best = {t: _best([r for r in rows if r["tensor"] == t], "sqnr_db")["format"] for t in tensors}
        acc = [r for r in result.accuracy if r["bits"] == bits]
        acc_cells = {(r["format"], r["quantized"]): r["accuracy"] for r in acc}
        kinds = list(dict.fromkeys(r["quantized"] for r in acc))
        best_acc = {k: _best([r for r in acc if r["quantized"] == k], "accuracy")["format"] for k in kinds}
        header = ["format", "scaling"] + tensors + [f"acc {k} %" for k in kinds]
        body = []
        for label in labels:
            line = [label, cells[(label, tensors[0])]["scaling"]]
            line += [_cell(cells[(label, t)]["sqnr_db"]) + ("*" if best[t] == label else " ") for t in tensors]
            line += [_cell(100 * acc_cells[(label, k)]) + ("*" if best_acc[k] == label else " ") for k in kinds]
            body.append(line)
        out[bits] = _render(header, body, markdown)
    return out


def _render(header: list[str], body: list[list[str]], markdown: bool) -> str:
    """A table as Markdown or as aligned text (the first two columns left-aligned)."""
    if markdown:
        return "\n".join("| " + " | ".join(c.strip() for c in line) + " |"
                         for line in [header, ["---"] * len(header)] + body)
    widths = [max(len(line[i]) for line in [header] + body) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in
                               enumerate(zip(line, widths))).rstrip() for line in [header] + body)


def _search_tables(result: StudyResult, markdown: bool = False) -> dict[int, str]:
    """One table per bit width, for the formats scaled amax->max: SQNR (dB) with the max scale
    and with the MSE-searched scale side by side (``max / search``) on each tensor, and the
    largest fraction of elements the searched scales clip."""
    out = {}
    for bits in sorted({r["bits"] for r in result.measurements}):
        rows = [r for r in result.measurements if r["bits"] == bits and r["search_sqnr_db"] is not None]
        if not rows:
            continue
        tensors = list(dict.fromkeys(r["tensor"] for r in rows))
        cells = {(r["format"], r["tensor"]): r for r in rows}
        header = ["format", "clipped %"] + tensors
        body = []
        for label in dict.fromkeys(r["format"] for r in rows):
            mine = [cells[(label, t)] for t in tensors if (label, t) in cells]
            line = [label, _cell(100 * max(r["search_frac_clipped"] for r in mine), 2)]
            line += [f"{_cell(c['sqnr_db'])} / {_cell(c['search_sqnr_db'])}" if c else "-"
                     for c in (cells.get((label, t)) for t in tensors)]
            body.append(line)
        out[bits] = _render(header, body, markdown)
    return out


def _write_csv(path: Path, rows: list[dict], columns) -> None:
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(columns))
        writer.writeheader()
        for r in rows:
            writer.writerow({k: ("" if r[k] is None else r[k]) for k in columns})


def _plots(result: StudyResult, out: Path) -> list[Path]:
    """SQNR against exponent bits per tensor at each width; MLP accuracy against format."""
    matplotlib = _require("matplotlib")
    matplotlib.use("Agg")
    plt = _require("matplotlib.pyplot")
    files = []
    splits = [r for r in result.measurements if r["family"] == "float" and r["subnormals"] and
              r["exp_bits"] is not None and r["format"].startswith("e")]
    widths = sorted({r["bits"] for r in splits})
    if splits:
        fig, axes = plt.subplots(1, len(widths), figsize=(3.2 * len(widths) + 1.6, 3.0), squeeze=False)
        for ax, bits in zip(axes[0], widths):
            rows = [r for r in splits if r["bits"] == bits]
            for tensor in dict.fromkeys(r["tensor"] for r in rows):
                pts = sorted((r["exp_bits"], r["sqnr_db"]) for r in rows if r["tensor"] == tensor)
                ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", ms=3, lw=1.2, label=tensor)
            ax.set_title(f"{bits}-bit floats (amax->max)", fontsize=9)
            ax.set_xlabel("exponent bits", fontsize=8)
            ax.set_xticks(sorted({p for r in rows for p in [r["exp_bits"]]}))
            ax.tick_params(labelsize=7)
            ax.grid(alpha=0.3)
        axes[0][0].set_ylabel("SQNR (dB)", fontsize=8)
        axes[0][-1].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0))
        fig.tight_layout()
        files.append(out / "sqnr_vs_exponent_bits.png")
        fig.savefig(files[-1], dpi=90)
        plt.close(fig)
    if result.accuracy:
        widths = sorted({r["bits"] for r in result.accuracy})
        fig, axes = plt.subplots(len(widths), 1, figsize=(9, 2.6 * len(widths)), squeeze=False)
        for ax, bits in zip(axes[:, 0], widths):
            rows = [r for r in result.accuracy if r["bits"] == bits]
            labels = list(dict.fromkeys(r["format"] for r in rows))
            for kind, marker in (("weights", "o"), ("activations", "s")):
                acc = {r["format"]: r["accuracy"] for r in rows if r["quantized"] == kind}
                ax.plot(range(len(labels)), [100 * acc[label] for label in labels], marker, ms=4, label=kind)
            if result.baseline_accuracy is not None:
                ax.axhline(100 * result.baseline_accuracy, color="gray", lw=0.8, ls="--", label="float64")
            ax.set_xticks(range(len(labels)), labels, rotation=60, ha="right", fontsize=7)
            ax.set_ylabel(f"{bits}-bit: accuracy %", fontsize=8)
            ax.tick_params(axis="y", labelsize=7)
            ax.grid(alpha=0.3)
        axes[0][0].legend(fontsize=7, loc="lower right")
        axes[0][0].set_title("MLP on digits: test accuracy, weights or activations in each format", fontsize=9)
        fig.tight_layout()
        files.append(out / "accuracy.png")
        fig.savefig(files[-1], dpi=90)
        plt.close(fig)
    return files


def _findings(result: StudyResult) -> list[str]:
    """A Markdown table: per tensor and width, the best format and the best float split (SQNR, dB)."""
    widths = sorted({r["bits"] for r in result.measurements})
    tensors = list(dict.fromkeys(r["tensor"] for r in result.measurements))
    lines = ["| tensor | " + " | ".join(f"{b} bits: best | {b} bits: best split" for b in widths) + " |",
             "| --- " * (1 + 2 * len(widths)) + "|"]
    for t in tensors:
        cells = []
        for bits in widths:
            rows = [r for r in result.measurements if r["bits"] == bits and r["tensor"] == t]
            splits = [r for r in rows if r["exp_bits"] is not None]
            cells += [f"{r['format']} ({_cell(r['sqnr_db'])})" if r else "-"
                      for r in (_best(rows, "sqnr_db"), _best(splits, "sqnr_db") if splits else None)]
        lines.append(f"| {t} | " + " | ".join(cells) + " |")
    return lines


def _report(result: StudyResult, out: Path, settings: str, plots: list[Path]) -> Path:
    md = ["# numfmt study", "", settings, "",
          "Scaling: split floats, intN and other integer and float formats use one per-tensor factor that maps "
          "the tensor's largest magnitude (amax) to the format's largest finite value (`amax->max`; for intN "
          "the symmetric scale amax / (2^(N-1) - 1)); posits map the tensor's RMS to 1 (`rms->1`, where posits "
          "are most precise); MX and NVFP4 formats use only their own block scales (`block`). Every cast rounds "
          "the exact scaled value once, to nearest, ties to even; the measures are computed in float64. "
          "Side by side with `amax->max`, each table's second part gives the SQNR with the per-tensor scale "
          "that minimizes the squared error (`numfmt.scaling.fit(objective=\"mse\")`, searched on "
          f"{SEARCH_SAMPLE} elements of each tensor, never worse than its max scale on all of it): the "
          "`search_*` columns of the CSV. The CSV's `frac_clipped` and `frac_flushed` are the cast's "
          "`numfmt.CastReport` counts over its elements: `overflow` (exact values beyond the largest finite "
          "value after rounding, clamped to it) and `flushed_to_zero` (non-zero values that became 0).",
          "", "Measurements: [measurements.csv](measurements.csv)"
          + (", MLP accuracy: [accuracy.csv](accuracy.csv)" if result.accuracy else "") + ".", ""]
    for p in plots:
        md += [f"![{p.stem}]({p.name})", ""]
    md += ["## Best formats", "", "SQNR in dB of the best format and of the best eXmY split.", "",
           *_findings(result), ""]
    if result.baseline_accuracy is not None:
        md += [f"MLP test accuracy in float64: {100 * result.baseline_accuracy:.1f} %.", ""]
    searched = _search_tables(result, markdown=True)
    for bits, table in _tables(result, markdown=True).items():
        md += [f"## {bits} bits", "", "SQNR in dB (higher is better), `*` the best per column.", "", table, ""]
        if bits in searched:
            md += [SEARCH_TITLE, "", searched[bits], ""]
    path = out / "report.md"
    path.write_text("\n".join(md))
    return path


def run(data=None, bits=DEFAULT_BITS, formats=GROUPS, out="numfmt-study", quick: bool = False,
        verbose: bool = True) -> StudyResult:
    """Run a study and write its files to ``out``: measurements.csv (one row per format and
    tensor), accuracy.csv (the MLP's test accuracy per format, built-in data only), PNG plots
    and report.md, which links them.

    Args:
        data: paths of .npy/.npz files; None for the built-in tensors (synthetic ones and the
            weights and activations of an MLP trained on scikit-learn's digits).
        bits: widths for the format groups (3 to 16).
        formats: groups (``float``, ``posit``, ``int``, ``block``) and format names.
        out: the output directory (created).
        quick: smaller synthetic tensors (2**14 instead of 2**18 elements).
        verbose: print the tables and a progress bar.

    Raises ValueError for bad arguments and MissingExtra without matplotlib, scikit-learn, tqdm.

    Example (it trains the MLP: a few seconds):
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as out:
        ...     result = run(bits=[4], formats=["int", "mxfp4"], out=out, quick=True, verbose=False)
        ...     sorted(p.name for p in result.files)
        ['accuracy.csv', 'accuracy.png', 'measurements.csv', 'report.md']
        >>> sorted({(r["format"], r["scaling"]) for r in result.measurements})
        [('int4', 'amax->max'), ('mxfp4', 'block')]
    """
    bits = parse_bits(",".join(map(str, bits))) if bits else DEFAULT_BITS
    formats = parse_formats(",".join(formats))
    for module in ("matplotlib", "sklearn"):
        _require(module)
    tqdm = _require("tqdm").tqdm
    chosen = study_formats(bits, formats)
    start = time.perf_counter()
    with _one_blas_thread():
        if data:
            tensors, mlp = load_data(data), None
        else:
            tensors = [Tensor(name, a) for name, a in synthetic_tensors(SIZES[quick]).items()]
            mlp = train_mlp()
            inputs = mlp.layer_inputs()
            tensors += [Tensor("mlp.w1", mlp.weights[0], 0), Tensor("mlp.w2", mlp.weights[1], 0),
                        Tensor("mlp.x1", inputs[0], 1), Tensor("mlp.x2", inputs[1], 1)]
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)

        def progress(items):
            return tqdm(items, desc="numfmt study", unit="format", disable=None if verbose else True, file=sys.stderr)

        measurements, accuracy = _study(tensors, chosen, mlp, progress)
        result = StudyResult(measurements, accuracy, mlp.accuracy() if mlp else None, [])
    _write_csv(out / "measurements.csv", measurements, MEASUREMENT_COLUMNS)
    result.files.append(out / "measurements.csv")
    if accuracy:
        _write_csv(out / "accuracy.csv", accuracy, ACCURACY_COLUMNS)
        result.files.append(out / "accuracy.csv")
    plots = _plots(result, out)
    source = (f"built-in: synthetic, {SIZES[quick]} elements each, and an MLP on digits" if mlp
              else "from --data")
    settings = (f"{len(tensors)} tensors ({source}), {len(chosen)} formats, widths "
                f"{', '.join(map(str, sorted({f.bits for f in chosen})))}; {time.perf_counter() - start:.1f} s.")
    result.files += plots + [_report(result, out, settings, plots)]
    if verbose:
        searched = _search_tables(result)
        for width, table in _tables(result).items():
            print(f"\n{width} bits: SQNR (dB), * = best per tensor"
                  + (f"; MLP accuracy in float64 {100 * result.baseline_accuracy:.1f} %" if mlp else "") + "\n")
            print(table)
            if width in searched:
                print(f"\n{width} bits: {SEARCH_TITLE}\n")
                print(searched[width])
        print(f"\nwrote {', '.join(str(p) for p in result.files)}")
    return result
