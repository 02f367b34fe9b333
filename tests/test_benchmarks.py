"""Smoke tests of the benchmark scripts: each runs with --quick and writes its table.

The scripts of the newer families (block, matmul, arith, posit) compile many kernels in their
own process (a minute or more on a cold cache), so they run under ``-m slow``."""
import contextlib
import importlib
import io
import os
import re
import subprocess
import sys

import pytest

BENCH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks", "bench_cast.py")
ROOT = os.path.dirname(os.path.dirname(BENCH))
CHECKOUT_ENV = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")])))
FORMATS = ["binary16", "bfloat16", "e4m3", "e5m2", "e3m2", "e2m1", "int8"]


def test_bench_cast_quick(tmp_path):
    out = tmp_path / "cast.md"
    result = subprocess.run([sys.executable, BENCH, "--quick", "--out", str(out)],
                            capture_output=True, text=True, timeout=600, env=CHECKOUT_ENV)
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    assert text.startswith("Machine:") and "bench_cast.py --quick" in text
    rows = [line for line in text.splitlines() if line.startswith("| ") and not line.startswith("| format")]
    assert [row.split("|")[1].strip() for row in rows] == FORMATS
    header = next(line for line in text.splitlines() if line.startswith("| format"))
    columns = [c.strip() for c in header.strip("|").split("|")]
    assert columns == ["format", "numfmt 1 thread", "numfmt all cores", "ml_dtypes", "gfloat", "pychop",
                       "numpy", "torch", "copy", "numfmt/ml_dtypes", "numfmt/torch", "copy/numfmt"]
    assert all(len(row.strip("|").split("|")) == len(columns) for row in rows)


SCRIPTS = ["cast", "stochastic", "dyadic", "arith", "matmul", "posit", "block", "compile", "dask", "backends",
           "device_matmul", "report", "threads", "report_survey", "cast_formats"]
sys.path.insert(0, os.path.dirname(BENCH))
from _common import readme_section  # noqa: E402  (benchmarks/ is not a package)


@pytest.mark.parametrize("name", SCRIPTS)
def test_readme_tables_are_what_the_scripts_render(name):
    """Each README table (between its bench markers) is the script's rendering of its saved
    results: ``main(["--from-results"])`` of benchmarks/bench_NAME.py, which measures nothing
    (called in this process: a process per script was half a second each; the --write-readme
    test below runs one as a script)."""
    with open(os.path.join(ROOT, "README.md")) as f:
        readme = f.read()
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert importlib.import_module(f"bench_{name}").main(["--from-results"]) == 0
    assert readme_section(readme, name) == printed.getvalue().strip()


def _from_results(name: str, *args: str) -> str:
    """What benchmarks/bench_NAME.py --from-results prints, run as a script (it measures nothing)."""
    path = os.path.join(os.path.dirname(BENCH), f"bench_{name}.py")
    result = subprocess.run([sys.executable, path, "--from-results", *args], capture_output=True, text=True,
                            timeout=300, env=CHECKOUT_ENV)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_write_readme_replaces_only_its_section(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# title\n\n<!-- bench:dyadic -->\nold table\n<!-- /bench:dyadic -->\n\nafter\n")
    saved = tmp_path / "dyadic.md"
    saved.write_text("Machine: test.\n\n| task | ms |\n|---|---:|\n| a | 1.0 |\n")
    _from_results("dyadic", "--out", str(saved), "--write-readme", str(readme))
    assert readme.read_text() == ("# title\n\n<!-- bench:dyadic -->\nMachine: test.\n\n| task | ms |\n|---|---:|\n"
                                  "| a | 1.0 |\n<!-- /bench:dyadic -->\n\nafter\n")
    readme.write_text("no markers\n")
    path = os.path.join(os.path.dirname(BENCH), "bench_dyadic.py")
    result = subprocess.run([sys.executable, path, "--from-results", "--out", str(saved), "--write-readme",
                             str(readme)], capture_output=True, text=True, timeout=300, env=CHECKOUT_ENV)
    assert result.returncode != 0 and "no section <!-- bench:dyadic -->" in result.stderr


def _run_quick(script: str, out) -> str:
    """Run benchmarks/<script> --quick against this checkout's numfmt, whatever is installed."""
    path = os.path.join(os.path.dirname(BENCH), script)
    result = subprocess.run([sys.executable, path, "--quick", "--out", str(out)],
                            capture_output=True, text=True, timeout=600, env=CHECKOUT_ENV)
    assert result.returncode == 0, result.stderr
    return out.read_text()


def test_bench_stochastic_quick(tmp_path):
    text = _run_quick("bench_stochastic.py", tmp_path / "sr.md")
    rows = [line.split("|")[1].strip() for line in text.splitlines() if line.startswith("| ") and "format" not in line]
    assert rows == ["bfloat16", "binary16", "e4m3", "e5m2", "e2m1"]


def test_bench_dyadic_quick(tmp_path):
    text = _run_quick("bench_dyadic.py", tmp_path / "dyadic.md")
    assert "requantize" in text and "int8 linear" in text


def test_bench_threads_quick(tmp_path):
    """The three plain loops, then numfmt's threaded calls, each with a speed-up of 1 thread over
    all cores."""
    text = _run_quick("bench_threads.py", tmp_path / "threads.md")
    rows = [line.split("|") for line in text.splitlines() if line.startswith("| ") and not line.startswith("| task")]
    assert [r[1].split()[0] for r in rows[:3]] == ["scalar", "vector", "rows"]
    assert all(r[1].strip().startswith("numfmt ") for r in rows[3:]) and len(rows) == 7
    assert all(float(r[4].strip().rstrip("x")) > 0 for r in rows)


@pytest.mark.slow
def test_bench_block_quick(tmp_path):
    """One row per MX format and nvfp4 (the script checks gfloat's results equal numfmt's)."""
    text = _run_quick("bench_block.py", tmp_path / "block.md")
    rows = [line.split("|")[1].strip() for line in text.splitlines() if line.startswith("| ") and "format" not in line]
    assert rows == ["mxfp8_e4m3", "mxfp8_e5m2", "mxfp6_e3m2", "mxfp6_e2m3", "mxfp4", "mxint8", "nvfp4"]


@pytest.mark.slow
def test_bench_matmul_quick(tmp_path):
    text = _run_quick("bench_matmul.py", tmp_path / "matmul.md")
    rows = [line.split("|") for line in text.splitlines() if line.startswith("| ") and "inputs" not in line]
    assert [row[1].strip() for row in rows] == ["e4m3 x binary32", "bfloat16 x binary32",
                                               "e4m3 x binary32 fused (k = 16, 24 bits)", "e4m3 x bfloat16"]
    assert all(row[3].strip() != "n/a" and not row[5].strip().endswith("*") for row in rows)  # k-loop agrees


@pytest.mark.slow
def test_bench_arith_quick(tmp_path):
    text = _run_quick("bench_arith.py", tmp_path / "arith.md")
    assert "bench_arith.py --quick" in text
    rows = [line.strip("|").split("|") for line in text.splitlines()
            if line.startswith("| ") and not line.startswith("| op")]
    peers, own = [r for r in rows if len(r) == 9], [r for r in rows if len(r) == 4]
    assert [(r[0].strip(), r[1].strip()) for r in peers] == [
        (op, f) for f in ("binary16", "bfloat16", "e4m3") for op in ("add", "mul")]
    assert all("*" not in cell for r in peers for cell in r)      # the peers agree with numfmt's RNE
    e4m3, bfloat16 = own[:12], own[12:]         # the tables of e4m3's and bfloat16's operations against their cast
    assert [r[0].strip() for r in e4m3] == ["cast", "add", "mul", "add", "mul", "div", "div", "div", "sqrt", "sqrt",
                                             "fma", "fma"]
    assert [(r[0].strip(), r[1].strip()) for r in bfloat16] == importlib.import_module("bench_arith").BFLOAT16_CASES
    assert e4m3[0][3].strip() == bfloat16[0][3].strip() == "1.00x"


@pytest.mark.slow
def test_bench_report_quick(tmp_path):
    text = _run_quick("bench_report.py", tmp_path / "report.md")
    rows = [line.split("|")[1:3] for line in text.splitlines() if line.startswith("| ") and "format" not in line]
    formats = ["e4m3", "e5m2", "binary16", "bfloat16", "e2m1", "posit16", "int8", "mxfp8_e4m3", "nvfp4"]
    formats += ["e4m3 stochastic", "bfloat16 stochastic", "mxfp4 stochastic", "e4m3 toward_zero", "nvfp4 float64",
                "e4m3 float64 encode", "mxfp8_e4m3 per_block", "nvfp4 per_block", "mxfp8_e4m3 axis 0", "nvfp4 axis 0"]
    formats += [f"{name} encode" for name in ("e4m3", "bfloat16", "mxfp8_e4m3", "nvfp4", "posit16")]
    formats += [f"e4m3 {op}" for op in ("add", "mul", "div", "sqrt", "fma")] + ["e4m3 mul toward_positive"]
    formats += ["bfloat16 add", "bfloat16 mul", "bfloat16 div"]
    formats += ["binary32 sum", "e4m3 sum -> bfloat16", "e4m3 matmul -> binary32", "e4m3 matmul fused -> binary32"]
    assert [(f.strip(), k.strip()) for f, k in rows] == [(f, k) for k in ("normal", "wide") for f in formats]


@pytest.mark.slow
def test_bench_report_survey_quick(tmp_path):
    text = _run_quick("bench_report_survey.py", tmp_path / "report_survey.md")
    header = "| format | " + " | ".join(f"{t} {m}" for t in ("float32", "float64", "relu float32")
                                       for m in ("nearest_even", "toward_zero", "stochastic")) + " |"
    tables = [t for t in text.split("\n\n") if t.startswith("| ")]      # the large inputs', the small ones'
    assert len(tables) == 2 and "64 x 64" in text and "32 x 32" in text and "(50 calls timed together)" in text
    for table in tables:
        lines = table.splitlines()
        assert lines[0] == header
        rows = [line.split("|")[1:-1] for line in lines[2:]]
        assert [r[0].strip() for r in rows][:3] == ["e4m3", "e5m2", "binary16"] and len(rows) == 16
        assert all(cell.strip().endswith("x") and float(cell.strip()[:-1]) > 0 for r in rows for cell in r[1:])


@pytest.mark.slow
def test_bench_cast_formats_quick(tmp_path):
    text = _run_quick("bench_cast_formats.py", tmp_path / "cast_formats.md")
    lines = [line for line in text.splitlines() if line.startswith("| ")]
    assert lines[0] == "| format | numfmt | copy | numfmt / copy |"
    rows = [line.split("|")[1:-1] for line in lines[1:]]
    assert {"e4m3", "bfloat16", "e8m0", "p3109_p1"} <= {r[0].strip() for r in rows}
    assert all(r[3].strip().endswith("x") and float(r[3].strip()[:-1]) > 0 for r in rows)


@pytest.mark.slow
def test_bench_posit_quick(tmp_path):
    text = _run_quick("bench_posit.py", tmp_path / "posit.md")
    rows = [line.split("|")[1].strip() for line in text.splitlines() if line.startswith("| ") and "task" not in line]
    assert rows[:2] == ["float32 -> posit16 -> float32 (round)", "float32 -> posit16 codes (encode)"]
    assert "posit16 add" in rows and "bfloat16 round (numfmt fast path)" in rows
    assert "issue 17's target: at most 2x" in text


def test_bench_compile_times_one_entry_point():
    """--only runs the named entry points (each in a fresh process, empty cache) and saves nothing;
    the table states the speed probe at the start and the end."""
    path = os.path.join(os.path.dirname(BENCH), "bench_compile.py")
    result = subprocess.run([sys.executable, path, "--only", "decode e4m3", "--no-tour", "--passes", "1"], capture_output=True,
                            text=True, timeout=600, env=CHECKOUT_ENV)
    assert result.returncode == 0, result.stderr
    rows = [line for line in result.stdout.splitlines() if line.startswith("| decode e4m3 |")]
    assert len(rows) == 1 and float(rows[0].split("|")[2]) > 0
    assert re.search(r"Speed probe \(``_common.speed_probe``\): [0-9.]+ s at the start, [0-9.]+ s at the end\.",
                     result.stdout)


def test_run_all_runs_the_scripts_and_leaves_the_readme_alone_when_quick():
    """run_all.py --quick runs the named scripts on small inputs; quick figures never reach the README."""
    with open(os.path.join(ROOT, "README.md")) as f:
        before = f.read()
    path = os.path.join(os.path.dirname(BENCH), "run_all.py")
    result = subprocess.run([sys.executable, path, "--quick", "--only", "dyadic"], capture_output=True, text=True,
                            timeout=600, env=CHECKOUT_ENV)
    assert result.returncode == 0, result.stderr
    assert "== dyadic" in result.stdout and "numfmt threads:" in result.stdout
    with open(os.path.join(ROOT, "README.md")) as f:
        assert f.read() == before
    bad = subprocess.run([sys.executable, path, "--only", "nosuch"], capture_output=True, text=True, env=CHECKOUT_ENV)
    assert bad.returncode == 2 and "unknown benchmark nosuch" in bad.stderr
