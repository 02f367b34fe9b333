"""The numfmt command line: every command through main(), and the installed console script."""
import shutil
import subprocess

import pytest

from numfmt.cli import main


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
    assert [line.rsplit("  ", 1)[1].strip() for line in table] == [
        "1.015625",           # (1 + 2**-7)**2 = 1 + 2**-6 + 2**-14 rounded to bfloat16
        "6.103515625e-05",    # fma gives the exact rounding error, 2**-14
        "256",                # the bfloat16 sequential sum of 1000 ones stagnates
        "952",                # stochastic rounding, seed 0
        "0.3333740234375",    # 1/3 in posit16
        "0 0 8 96",           # one mxfp4 block: scale 2**4 from amax 100, 0.1 and 1 flush to 0
    ]
    assert main([]) == 0
    assert capsys.readouterr().out == out


@pytest.mark.skipif(shutil.which("numfmt") is None, reason="numfmt console script not on PATH")
def test_console_script_demo():
    result = subprocess.run(["numfmt", "demo"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "e4m3" in result.stdout and "nearest_even" in result.stdout
    bad = subprocess.run(["numfmt", "info", "e4m4x"], capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "e4m3" in bad.stderr
