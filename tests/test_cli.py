"""The numfmt command line: every command through main(), and ``python -m numfmt`` in a subprocess
(GNU coreutils ships another ``numfmt`` program, which may come first on PATH)."""
import os
import subprocess
import sys

import numpy as np
import pytest

import numfmt as nf
from numfmt.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHECKOUT_ENV = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")])))


def _error(capsys) -> str:
    """The one line a failing command printed on stderr (nothing on stdout)."""
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    return lines[0]


def test_list_shows_formats_and_aliases(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    line = next(l for l in out.splitlines() if l.startswith("e4m3 "))
    assert "float8_e4m3fn" in line and "448" in line and "0.001953125" in line
    assert "bfloat16" in out and "e2m1" in out and "int8" in out


def test_info_e2m1_shows_every_value(capsys):
    assert main(["info", "e2m1"]) == 0
    out = capsys.readouterr().out
    assert "smallest_subnormal" in out and "has_nan" in out
    table = out.split("values by code")[1]
    cells = table.split()
    assert "6" in cells and "-6" in cells and "0.5" in cells and "0xf" in cells


def test_info_alias_and_wide_format(capsys):
    assert main(["info", "float8_e4m3fn"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("e4m3 ") and "448" in out and "nan" in out
    assert main(["info", "bf16"]) == 0
    assert "no value table" in capsys.readouterr().out


def test_unknown_format_exits_2_with_suggestion(capsys):
    assert main(["info", "e4m4x"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    err = captured.err.strip()
    assert len(err.splitlines()) == 1 and "unknown format" in err and "e4m3" in err
    assert main(["round", "bfloat61", "1.0"]) == 2
    assert "bfloat16" in capsys.readouterr().err


def test_unknown_rounding_exits_2(capsys):
    assert main(["round", "e4m3", "1.0", "--rounding", "nearest"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "nearest_even" in err


def test_round_values_and_codes(capsys):
    assert main(["round", "e4m3", "0.1", "-2.5", "465", "1/3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["0.1 -> 0.1015625 (code 0x1d)", "-2.5 -> -2.5 (code 0xc2)",
                     "465 -> nan (code 0x7f)", "1/3 -> 0.34375 (code 0x2b)"]
    assert main(["round", "e2m1", "2.5", "-2.5", "--rounding", "rna"]) == 0
    assert capsys.readouterr().out.split() == ["2.5", "->", "3", "(code", "0x5)",
                                               "-2.5", "->", "-3", "(code", "0xd)"]
    assert main(["round", "e4m3", "465", "--overflow", "saturate"]) == 0
    assert "448" in capsys.readouterr().out
    assert main(["round", "e4m3", "1e9", "--overflow", "raise"]) == 2
    assert "overflow" in capsys.readouterr().err


def test_demo_runs_and_is_the_default(capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    for name in ("binary16", "bfloat16", "e4m3", "e5m2", "e2m1", "nearest_away", "toward_negative", "odd"):
        assert name in out
    assert "0x3dcd" in out          # 0.1 in bfloat16
    table = out.split("Beyond casts")[1].split("\n\nTry:")[0].splitlines()[4:]   # below the rule
    results = [line.rsplit("  ", 1)[1].strip() for line in table]
    assert results[:3] == [
        "1.015625",           # (1 + 2**-7)**2 = 1 + 2**-6 + 2**-14 rounded to bfloat16
        "6.103515625e-05",    # fma gives the exact rounding error, 2**-14
        "256",                # the bfloat16 sequential sum of 1000 ones stagnates
    ]
    # stochastic rounding, seed 0: the library's result for that seed, a bfloat16 value, and near the
    # exact 1000 (each of the 1000 roundings adds at most ulp/2 = 2 of standard deviation: sd <= 64)
    sr_sum = float(results[3])
    assert sr_sum == float(nf.sum(np.ones(1000), "bfloat16", rounding="sr", seed=0))
    assert float(nf.round(sr_sum, "bfloat16")) == sr_sum and abs(sr_sum - 1000) < 5 * 64
    assert results[4:] == [
        "0.3333740234375",    # 1/3 in posit16
        "0 0 8 96",           # one mxfp4 block: scale 2**4 from amax 100, 0.1 and 1 flush to 0
    ]
    assert main([]) == 0
    assert capsys.readouterr().out == out


def _run(*args):
    """``python -m numfmt ARGS`` against this checkout's numfmt, whatever is installed."""
    return subprocess.run([sys.executable, "-m", "numfmt", *args], capture_output=True, text=True,
                          timeout=300, env=CHECKOUT_ENV, cwd=ROOT)


def test_python_m_numfmt_version_and_errors():
    version = _run("--version")
    assert version.returncode == 0 and version.stdout.strip() == f"numfmt {nf.__version__}"
    bad = _run("info", "e4m4x")
    assert bad.returncode == 2 and bad.stdout == "" and "e4m3" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
    ok = _run("round", "e4m3", "465", "-o", "saturate")
    assert ok.returncode == 0 and ok.stdout == "465 -> 448 (code 0x7e)\n"


@pytest.mark.parametrize("seed", range(12))
def test_stochastic_round_prints_the_value_of_its_code(capsys, seed):
    """Regression: `round e2m1 2.5 -r sr` printed a value and a code from two different random
    draws (2 with code 0x5 half the time). Now one draw: the library's, for that seed."""
    assert main(["round", "e2m1", "2.5", "-2.5", "1.25", "-r", "sr", "--seed", str(seed)]) == 0
    lines = capsys.readouterr().out.splitlines()
    x = np.array([2.5, -2.5, 1.25])
    values, codes = nf.round(x, "e2m1", "sr", seed=seed), nf.encode(x, "e2m1", "sr", seed=seed)
    assert lines == [f"{t} -> {v:g} (code 0x{c:x})" for t, v, c in zip(["2.5", "-2.5", "1.25"], values, codes)]


def test_stochastic_round_without_seed_is_one_draw(capsys):
    for _ in range(20):
        assert main(["round", "e2m1", "2.5", "-r", "sr"]) == 0
        captured = capsys.readouterr()
        assert captured.out in ("2.5 -> 2 (code 0x4)\n", "2.5 -> 3 (code 0x5)\n")
        seed = int(captured.err.split("--seed")[1])         # printed, so that the draw can be repeated
        assert captured.out.split()[2] == f"{float(nf.round(2.5, 'e2m1', 'sr', seed=seed)):g}"


def test_sr_bits_and_seed_options(capsys):
    x = np.linspace(1, 2, 17)
    assert main(["round", "e4m3", *[repr(float(v)) for v in x], "-r", "sr", "--seed", "0x2a", "--sr-bits", "2"]) == 0
    printed = [float(line.split()[2]) for line in capsys.readouterr().out.splitlines()]
    assert printed == nf.round(x, "e4m3", "sr", seed=42, sr_bits=2).tolist()
    assert main(["round", "e4m3", "1", "--seed", "3"]) == 2
    assert "--seed applies to --rounding stochastic" in _error(capsys)
    assert main(["round", "e4m3", "1", "-r", "sr", "--sr-bits", "63"]) == 2
    assert "--sr-bits" in _error(capsys)


def test_rng_option(capsys):
    x = np.linspace(1, 2, 17)
    assert main(["round", "e4m3", *[repr(float(v)) for v in x], "-r", "sr", "--seed", "5", "--rng", "squares"]) == 0
    printed = [float(line.split()[2]) for line in capsys.readouterr().out.splitlines()]
    assert printed == nf.round(x, "e4m3", "sr", seed=5, rng="squares").tolist()
    assert main(["round", "e4m3", "1", "--rng", "squares"]) == 2
    assert "--rng applies to --rounding stochastic" in _error(capsys)
    assert main(["round", "e4m3", "1", "-r", "sr", "--rng", "mt"]) == 2
    assert "--rng" in capsys.readouterr().err


@pytest.mark.parametrize("text", ["abc", "1f", "ff", "1/0", "0x38", "1e", "", "1.2.3", "0x1.8", "nan1", "1/-2"])
def test_a_bad_value_is_a_one_line_error(capsys, text):
    """Regression: bare hex (abc, 1f) was read as a hex float (2748, 31) and 1/0 printed a traceback."""
    assert main(["round", "e4m3", text]) == 2
    err = _error(capsys)
    assert err.startswith("numfmt: error: not a value:") and repr(text) in err


def test_values_are_read_exactly(capsys):
    """Hex floats, fractions and decimals are exact: no rounding through float64 first."""
    assert main(["round", "e4m3", "--", "0x1.8p+1", "0x1.cp+5", "-0x1p-9", "1/3"]) == 0
    assert capsys.readouterr().out.split("\n")[:4] == [
        "0x1.8p+1 -> 3 (code 0x44)", "0x1.cp+5 -> 56 (code 0x66)", "-0x1p-9 -> -0.001953125 (code 0x81)",
        "1/3 -> 0.34375 (code 0x2b)"]
    # Regression (double rounding): this decimal lies just above the tie 1.0625 between 1 and 1.125;
    # float64 rounds it onto the tie, which then went to the even 1.
    assert main(["round", "e4m3", "1.0625000000000000001", "0x1.10000000000001p+0"]) == 0
    assert [line.split()[2] for line in capsys.readouterr().out.splitlines()] == ["1.125", "1.125"]
    # beyond float64's range: still the right side of every threshold
    assert main(["round", "e4m3", "1e400", "1e-400", "-r", "rtz"]) == 0
    assert [line.split()[2] for line in capsys.readouterr().out.splitlines()] == ["448", "0"]
    assert main(["round", "e4m3", "1e-400", "-r", "rup"]) == 0
    assert capsys.readouterr().out.split()[2] == "0.001953125"


def test_errors_are_phrased_for_the_command_line(capsys):
    assert main(["round", "e2m1", "nan"]) == 2
    err = _error(capsys)
    assert "--nan ml_dtypes" in err and "nan=" not in err
    assert main(["round", "int8", "nan"]) == 2
    assert "--nan zero" in _error(capsys)
    assert main(["round", "e2m1", "nan", "--nan", "zero"]) == 2
    assert "--nan raise or --nan ml_dtypes" in _error(capsys)
    assert main(["round", "e4m3", "2", "1e9", "--overflow", "raise"]) == 2
    err = _error(capsys)
    assert "1e9 overflows e4m3" in err and "--overflow raise" in err and "np.float64" not in err
    assert main(["round", "e4m3", "1", "--overflow", "wrap"]) == 2
    assert "--overflow wrap applies to integer" in _error(capsys)
    assert main(["round", "e4m3", "1", "--overflow", "bogus"]) == 2
    assert "invalid choice: 'bogus'" in _error(capsys)
    assert main(["encode", "mxfp4", "1"]) == 2
    assert "block format" in _error(capsys)


def test_nan_help_lists_every_choice_per_family(capsys):
    assert main(["round", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    nan_help = text.split("--nan N")[-1]          # the options section, not the usage line
    for phrase in ("Float formats (FP6, FP4): raise", "ml_dtypes", "fixed-point formats: raise or zero",
                   "posits: NaN always becomes NaR"):
        assert phrase in nan_help
    for mode in ("nearest_even", "nearest_away", "toward_zero", "toward_positive", "toward_negative", "odd",
                 "stochastic", "rto", "sr"):
        assert mode in text


def test_encode_and_decode(capsys):
    assert main(["encode", "e4m3", "1", "-448", "0.1"]) == 0
    assert capsys.readouterr().out.splitlines() == ["1 -> 0x38", "-448 -> 0xfe", "0.1 -> 0x1d"]
    assert main(["encode", "bf16", "1", "-r", "rup"]) == 0
    assert capsys.readouterr().out == "1 -> 0x3f80\n"
    assert main(["decode", "e4m3", "0x38", "0X7E", "127", "0xff"]) == 0
    assert capsys.readouterr().out.splitlines() == ["0x38 -> 1", "0X7E -> 448", "127 -> nan", "0xff -> nan"]
    assert main(["decode", "posit16", "0x4000", "0x8000"]) == 0
    assert capsys.readouterr().out.splitlines() == ["0x4000 -> 1", "0x8000 -> nan"]
    for code, message in (("0x100", "out of range for e4m3"), ("ff", "not a code: 'ff'"), ("-1", "not a code")):
        assert main(["decode", "e4m3", "--", code]) == 2
        assert message in _error(capsys)


def test_help_pages_and_version(capsys):
    for command in ("list", "demo", "encode", "decode"):
        assert main([command, "--help"]) == 0
        description = capsys.readouterr().out.split("\n\n")[1]
        assert len(description.split()) > 8, description      # a sentence, not just the options
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"numfmt {nf.__version__}"


def test_info_aliases_posits_and_blocks(capsys):
    assert main(["info", "e4m3"]) == 0
    lines = [line.split() for line in capsys.readouterr().out.splitlines()]
    assert ["aliases", "float8_e4m3fn,", "e4m3fn,", "fp8_e4m3"] in lines
    assert main(["info", "posit16"]) == 0
    out = capsys.readouterr().out
    rows = [line.split() for line in out.split("regimes")[1].splitlines()[3:] if line.strip()][:-1]
    assert rows[0] == ["-14", "2**-56", "2**-52", "0", "0"] and rows[-1] == ["13", "2**52", "2**56", "0", "0"]
    assert ["0", "2**0", "2**4", "2", "11"] in rows          # 11 fraction bits in [1, 16)
    assert main(["info", "mxfp4"]) == 0
    out = capsys.readouterr().out
    assert ["aliases", "mxfp4_e2m1"] in [line.split() for line in out.splitlines()]
    assert "max                6 x 2**127 = 1.0208471007628154e+39" in out    # the max, explained
    assert "bits per element   4 + 8 / 32 = 4.25" in out
    assert main(["info", "nvfp4"]) == 0
    out = capsys.readouterr().out
    assert "6 x 448 = 2688" in out and "tensor scale" in out
