"""``numfmt study``: the built-in study (--quick) through ``python -m numfmt``, the qualitative
findings of the seed papers on its CSV, its files, its errors, and the exactness of its casts."""
import csv
import math
import os
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest

import numfmt as nf
from numfmt import reference, reference_posit, study
from numfmt.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHECKOUT_ENV = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")])))


def _read(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    """One built-in study with --quick, run as users run it: (stdout, output directory)."""
    out = tmp_path_factory.mktemp("study")
    proc = subprocess.run([sys.executable, "-m", "numfmt", "study", "--quick", "--out", str(out)],
                          capture_output=True, text=True, env=CHECKOUT_ENV, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout, out


def _sqnr(rows, bits, tensor, fmt=None, family=None):
    return {r["format"]: float(r["sqnr_db"]) for r in rows if int(r["bits"]) == bits and r["tensor"] == tensor
            and (fmt is None or r["format"] == fmt) and (family is None or r["family"] == family)}


def test_csv_columns_and_contents(quick):
    _, out = quick
    rows = _read(out / "measurements.csv")
    assert list(rows[0]) == list(study.MEASUREMENT_COLUMNS)
    tensors = {r["tensor"] for r in rows}
    assert {"gaussian", "laplace", "student_t3", "uniform", "gaussian_outliers"} <= tensors
    assert {"mlp.w1", "mlp.w2", "mlp.x1", "mlp.x2"} <= tensors
    formats = {(int(r["bits"]), r["format"]) for r in rows}
    assert {(4, "e2m1"), (4, "e2m1 nosub"), (4, "mxfp4"), (4, "nvfp4"), (4, "int4"), (6, "mxfp6_e2m3"),
            (8, "e4m3"), (8, "e7m0"), (8, "posit<8,0>"), (8, "posit<8,3>"), (8, "mxint8")} <= formats
    for r in rows:
        assert 0 <= float(r["frac_clipped"]) <= 1 and 0 <= float(r["frac_flushed"]) <= 1
        assert float(r["mse"]) >= 0 and float(r["max_rel_error"]) >= 0
        if r["scaling"] == "amax->max":
            assert float(r["frac_clipped"]) == 0        # amax lands on max, rounded down: nothing clips
        if r["family"] == "posit":
            assert float(r["frac_flushed"]) == 0        # posits never round a non-zero value to 0
    acc = _read(out / "accuracy.csv")
    assert list(acc[0]) == list(study.ACCURACY_COLUMNS)
    assert {r["quantized"] for r in acc} == {"weights", "activations"}
    assert max(float(r["accuracy"]) for r in acc if r["bits"] == "8") > 0.95    # the float64 MLP: ~0.98


def test_heavier_tails_want_more_exponent_bits_at_8_bits(quick):
    """The seed papers' finding: the best 8-bit split moves to more exponent bits as the tails get
    heavier (Student-t with 3 degrees of freedom, 0.1% outliers at 50 sigma)."""
    rows = [r for r in _read(quick[1] / "measurements.csv") if r["bits"] == "8" and r["exp_bits"]]

    def best_exp_bits(tensor):
        best = max((r for r in rows if r["tensor"] == tensor), key=lambda r: float(r["sqnr_db"]))
        return int(best["exp_bits"])

    light = max(best_exp_bits("gaussian"), best_exp_bits("uniform"))
    assert min(best_exp_bits("student_t3"), best_exp_bits("gaussian_outliers")) > light


def test_block_scales_beat_a_per_tensor_scale_on_outliers_at_4_bits(quick):
    rows = _read(quick[1] / "measurements.csv")
    e2m1 = _sqnr(rows, 4, "gaussian_outliers", "e2m1")["e2m1"]
    assert _sqnr(rows, 4, "gaussian_outliers", "mxfp4")["mxfp4"] > e2m1
    assert _sqnr(rows, 4, "gaussian_outliers", "nvfp4")["nvfp4"] > e2m1


def test_report_plots_and_tables(quick):
    stdout, out = quick
    report = (out / "report.md").read_text()
    for png in ("sqnr_vs_exponent_bits.png", "accuracy.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"]({png})" in report
    assert "measurements.csv" in report and "accuracy.csv" in report and "amax->max" in report
    for bits in (4, 6, 8):
        assert f"{bits} bits: SQNR (dB), * = best per tensor" in stdout
    table = stdout.split("4 bits: SQNR")[1].split("6 bits: SQNR")[0]
    stars = [line for line in table.splitlines() if "*" in line]
    assert any(line.startswith("nvfp4") for line in stars)


def test_splits_with_one_exponent_bit_are_intN(quick):
    """e1m(N-2) with subnormals is the symmetric integer grid: with amax scaling it equals intN."""
    rows = _read(quick[1] / "measurements.csv")
    for bits in (4, 6, 8):
        for tensor in ("gaussian", "mlp.w1"):
            split = _sqnr(rows, bits, tensor, f"e1m{bits - 2}")[f"e1m{bits - 2}"]
            assert split == pytest.approx(_sqnr(rows, bits, tensor, f"int{bits}")[f"int{bits}"], rel=1e-12)


def test_mse_searched_scales_side_by_side(quick):
    """The search_* columns: for the formats scaled amax->max, the SQNR with the per-tensor scale
    of numfmt.scaling.fit(objective="mse"), which is never worse than fit's max scale (itself
    within a 24-bit rounding of the study's amax->max factor), and much better on heavy tails
    at 4 bits; the other scalings leave the columns empty. The tables show both numbers."""
    stdout, out = quick
    rows = _read(out / "measurements.csv")
    for r in rows:
        if r["scaling"] == "amax->max":
            assert float(r["search_sqnr_db"]) >= float(r["sqnr_db"]) - 1e-3, r
            assert 0 < float(r["search_scale_ratio"]) <= 2 ** (3 / 16) and 0 <= float(r["search_frac_clipped"]) <= 1
        else:
            assert r["search_sqnr_db"] == r["search_frac_clipped"] == r["search_scale_ratio"] == ""
    t3 = {r["format"]: r for r in rows if r["bits"] == "4" and r["tensor"] == "student_t3" and r["search_sqnr_db"]}
    assert all(float(r["search_sqnr_db"]) > float(r["sqnr_db"]) + 3 for f, r in t3.items() if f != "e3m0")
    assert "with the MSE-searched scale" in (out / "report.md").read_text()
    table = stdout.split("4 bits: SQNR (dB) with the max scale / with the MSE-searched scale")[1].split("6 bits")[0]
    int4 = next(line for line in table.splitlines() if line.startswith("int4"))
    r = next(r for r in rows if r["format"] == "int4" and r["tensor"] == "gaussian")
    assert f"{float(r['sqnr_db']):.1f} / {float(r['search_sqnr_db']):.1f}" in int4


@pytest.mark.parametrize("argv, expected", [
    (["study", "--bits", "0"], "--bits: expected widths from 3 to 16"),
    (["study", "--bits", "4,x"], "--bits: expected widths from 3 to 16"),
    (["study", "--formats", "e4m4x"], "unknown format or group 'e4m4x'"),
    (["study", "--formats", "uint8"], "uint8 is unsigned"),
    (["study", "--data", "no-such-file.npy"], "--data no-such-file.npy: no such file"),
])
def test_bad_arguments_are_one_line_errors(capsys, tmp_path, argv, expected):
    assert main(argv + ["--out", str(tmp_path / "out")]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], captured.err


def test_bad_data_files(capsys, tmp_path):
    np.save(tmp_path / "text.npy", np.array(["a", "b"]))
    np.save(tmp_path / "nan.npy", np.array([1.0, np.nan]))
    (tmp_path / "x.txt").write_text("1 2 3")
    for name, expected in (("text.npy", "must be a non-empty real array"), ("nan.npy", "1 NaN or infinite"),
                           ("x.txt", "expected a .npy or .npz file")):
        assert main(["study", "--data", str(tmp_path / name), "--out", str(tmp_path / "out")]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and expected in err, err


def test_missing_extra_names_it(capsys, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)          # import tqdm now raises ImportError
    assert main(["study", "--quick", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and 'pip install "numfmt[study]"' in err and "tqdm" in err


def test_data_files_and_named_formats(capsys, tmp_path):
    rng = np.random.default_rng(1)
    np.savez(tmp_path / "acts.npz", a=rng.standard_normal((4, 40)).astype(np.float32),
             b=np.array([-8, -4, -2, -1, 0, 1, 2, 4, 8]))
    np.save(tmp_path / "w.npy", rng.laplace(size=100))
    out = tmp_path / "out"
    assert main(["study", "--data", str(tmp_path / "acts.npz"), str(tmp_path / "w.npy"),
                 "--formats", "e4m3,posit8,mxfp8_e4m3,nvfp4", "--out", str(out)]) == 0
    rows = _read(out / "measurements.csv")
    assert {r["tensor"] for r in rows} == {"acts:a", "acts:b", "w"}
    assert {(r["bits"], r["format"]) for r in rows} == {("8", "e4m3"), ("8", "posit8"), ("8", "mxfp8_e4m3"),
                                                       ("4", "nvfp4")}
    assert not (out / "accuracy.csv").exists() and (out / "report.md").exists()
    assert "8 bits: SQNR" in capsys.readouterr().out
    # powers of two up to 8 in e4m3 with amax -> 448: scaled by 56 = 1.11b * 2**5, all exact
    b = next(r for r in rows if r["tensor"] == "acts:b" and r["format"] == "e4m3")
    assert float(b["mse"]) == 0 and math.isinf(float(b["sqnr_db"]))


# ----------------------------------------------------------------------------- exactness
def _odd53(q: Fraction) -> float:
    """Round-to-odd of an exact positive or negative rational at 53 bits, from Fractions."""
    f = float(q)                              # nearest
    if Fraction(f) == q:
        return f
    other = math.nextafter(f, 0.0 if abs(Fraction(f)) > abs(q) else math.copysign(math.inf, f))
    return f if np.float64(f).view(np.int64) & 1 else other


def test_scaled_to_odd_is_the_exact_product_rounded_to_odd():
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.standard_normal(2000), rng.standard_normal(200) * 2.0 ** rng.integers(-40, 40, 200),
                        [0.0, -0.0, 1.0, -3.0]])
    for c in (1.0, 0.1, 1 / 3, 7 / 4.123456789, 448 / 6.02, float(np.nextafter(2.0, 3.0))):
        got = study.scaled_to_odd(x, c)
        expected = [_odd53(Fraction(float(v)) * Fraction(c)) for v in x]
        assert got.tolist() == expected


def _near_ties(sf, amax: float, rng) -> np.ndarray:
    """A tensor of amax and of values whose exact product with the scale factor lies within a few
    float64 ulps of a rounding tie of sf (and of values exactly on ties where the product is exact)."""
    c = study.scale_factor(np.array([amax]), sf)
    grid = np.unique(np.abs(sf.fmt.values()))
    grid = grid[np.isfinite(grid) & (grid <= sf.fmt.info.max)]
    ties = (grid[1:] + grid[:-1]) / 2
    near = [np.nextafter(t / c, direction) for t in ties for direction in (-np.inf, np.inf)]
    near += [t / c for t in ties]
    x = np.array([amax] + near + list(rng.standard_normal(300)))
    assert np.all(np.abs(x[1:]) < amax)
    return x


@pytest.mark.parametrize("label", ["e2m1", "e3m4 nosub", "e4m3", "int8"])
def test_casts_round_the_exact_scaled_value_once(label):
    """Against the Fraction reference: round(x * c exactly) / c, on values next to ties, where
    rounding the float64 product x * c first would be double rounding (shown to differ)."""
    sf = next(f for f in study.study_formats([4, 8], ["float", "int"]) if f.label == label)
    x = _near_ties(sf, 7.25, np.random.default_rng(4))
    c = study.scale_factor(x, sf)
    values, report = study.quantize(x, sf)
    if sf.family == "int":
        exact = [float(round(Fraction(float(v)) * Fraction(c))) for v in x]      # Python rounds half to even
    else:
        exact = [reference.round_value(Fraction(float(v)) * Fraction(c), sf.fmt, overflow="saturate") for v in x]
    assert values.tolist() == [e / c for e in exact]
    assert report.overflow == report.saturated == 0 and report.n == x.size
    naive = nf.round(x * c, sf.fmt, overflow="saturate") / c
    assert np.any(naive != values), "the test needs values where the float64 product is a double rounding"


def test_posit_casts_are_exact():
    sf = next(f for f in study.study_formats([8], ["posit"]) if f.es == 1)
    x = np.random.default_rng(5).standard_t(3, 2000)
    c = study.scale_factor(x, sf)
    values, _ = study.quantize(x, sf)
    exact = [reference_posit.round_value(Fraction(float(v)) * Fraction(c), sf.fmt) for v in x]
    assert values.tolist() == [e / c for e in exact]
