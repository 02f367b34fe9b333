"""``numfmt verify``: the quick run passes and lists every check; a mismatch or an error makes it
exit 1; --only filters; bad options give one line and exit status 2; a missing oracle skips its
checks."""
import os
import subprocess
import sys

import ml_dtypes
import numpy as np
import pytest

from numfmt import verify
from numfmt.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHECKOUT_ENV = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")])))


def _rows(out: str) -> dict[str, str]:
    """{check name: status} from the printed table."""
    lines = out.split("\n\n")[0].splitlines()[2:]
    return {line.split()[0]: line.split(None, 5)[5] for line in lines}


@pytest.mark.slow
def test_quick_passes_and_lists_every_check():
    """Every check in quick mode, as users run it (slow: about 25 s of the CI budget; the
    checks' oracles are the suite's own, and ``test_only_filters`` runs the command in CI)."""
    proc = subprocess.run([sys.executable, "-m", "numfmt", "verify", "--quick"], capture_output=True, text=True,
                          env=CHECKOUT_ENV, cwd=ROOT, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = _rows(proc.stdout)
    assert list(rows) == [c.name for c in verify.CHECKS]
    assert all(status == "ok" or status.startswith("skipped: ") for status in rows.values()), rows
    assert f"{len(rows)} checks:" in proc.stdout and "0 failed (quick mode" in proc.stdout


def test_a_mismatch_exits_1(monkeypatch, capsys):
    """A deliberately wrong numfmt.round (the last bit of one result flipped) is caught."""
    right = verify._round

    def wrong(x, fmt, *args, **kwargs):
        out = np.array(right(x, fmt, *args, **kwargs))
        out.reshape(-1)[:1].view(np.int64 if out.dtype == np.float64 else np.int32)[:] ^= 1
        return out

    monkeypatch.setattr(verify, "_round", wrong)
    assert main(["verify", "--only", "numpy.cast"]) == 1
    out = capsys.readouterr().out
    assert _rows(out)["numpy.cast.binary16"] == "MISMATCH"
    assert "numpy.cast.binary16: first mismatch: float64 " in out and "1 failed" in out


def test_an_error_exits_1(monkeypatch, capsys):
    def crash(oracle, batch, size):
        raise RuntimeError("LLVM\nsaid no")

    monkeypatch.setattr(verify, "CHECKS", [verify.Check("crash", "", crash, (1, 1), (1, 1))])
    assert main(["verify"]) == 1
    out = capsys.readouterr().out
    assert _rows(out) == {"crash": "ERROR"} and "crash: RuntimeError: LLVM said no" in out


def test_only_filters(capsys):
    assert main(["verify", "--only", "mpfr.cast"]) == 0
    assert list(_rows(capsys.readouterr().out)) == ["mpfr.cast.e4m3", "mpfr.cast.e5m2", "mpfr.cast.binary16",
                                                     "mpfr.cast.bfloat16"]


def _one_line_error(capsys) -> str:
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert captured.out == "" and len(lines) == 1, captured
    return lines[0]


def test_bad_options_exit_2(capsys):
    assert main(["verify", "--only", "no-such-check"]) == 2
    assert "'no-such-check' matches no check" in _one_line_error(capsys)
    assert main(["verify", "--quick", "--full"]) == 2
    assert "not allowed with argument" in _one_line_error(capsys)
    proc = subprocess.run([sys.executable, "-m", "numfmt", "verify", "--fast"], capture_output=True, text=True,
                          env=CHECKOUT_ENV, cwd=ROOT, timeout=300)
    assert proc.returncode == 2 and proc.stdout == "" and len(proc.stderr.strip().splitlines()) == 1
    assert "unrecognized arguments: --fast" in proc.stderr


def test_a_missing_oracle_is_skipped(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "softposit", None)       # import softposit now fails
    assert main(["verify", "--only", "softposit"]) == 0
    rows = _rows(capsys.readouterr().out)
    assert len(rows) == 7
    assert all(status.startswith("skipped: softposit not importable") for status in rows.values()), rows


def test_a_format_the_oracle_lacks_is_skipped(monkeypatch, capsys):
    monkeypatch.setitem(verify.ML_DTYPES, "e2m1", "float4_e9m9")        # as in an older ml_dtypes
    assert main(["verify", "--only", "ml_dtypes.cast.e2m1"]) == 0
    status = _rows(capsys.readouterr().out)["ml_dtypes.cast.e2m1"]
    assert status == f"skipped: ml_dtypes {ml_dtypes.__version__} has no float4_e9m9"
    assert main(["verify", "--only", "ml_dtypes.decode"]) == 0           # the other formats
