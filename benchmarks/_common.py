"""What the benchmark scripts share: timing, the machine line, markdown tables, the common
command-line options, and publishing a result table (results file, stdout, README section).

Every script renders its measurements into one markdown text and saves it as
``benchmarks/results/NAME.md``; that file is the saved result. ``--from-results`` renders the
saved text again without measuring, and ``--write-readme`` puts the text between the markers
``<!-- bench:NAME -->`` and ``<!-- /bench:NAME -->`` of README.md, so that the README's tables
are always a script's output and never copied by hand::

    python benchmarks/bench_cast.py --from-results --write-readme    # README from the saved results
    python benchmarks/bench_cast.py --write-readme                   # measure, save, and update README
"""
from __future__ import annotations

import argparse
import contextlib
import datetime
import os
import platform
import re
import time
from typing import Callable

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
README = os.path.join(os.path.dirname(HERE), "README.md")


def results_path(name: str) -> str:
    """Where the script ``name`` saves its table: benchmarks/results/NAME.md."""
    return os.path.join(HERE, "results", f"{name}.md")


def best_of(fn: Callable[[], object], repeats: int, clock: Callable[[], float] = time.perf_counter) -> float:
    """Best wall time (or time of another ``clock``: ``time.process_time`` counts this process'
    CPU time, which other processes on a shared machine do not inflate) of ``repeats`` calls
    after one warm-up call."""
    fn()
    best = float("inf")
    for _ in range(repeats):
        start = clock()
        fn()
        best = min(best, clock() - start)
    return best


@contextlib.contextmanager
def numfmt_threads(n: int):
    """Run the block with numfmt on n threads (``numfmt.set_num_threads``), the count before
    it restored after, also where the block raises."""
    import numfmt as nf
    old = nf.get_num_threads()
    nf.set_num_threads(n)
    try:
        yield
    finally:
        nf.set_num_threads(old)


def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo where there is one) and what Numba compiles
    for: LLVM's name of the host CPU and its widest vectors. The 2-core machine of this
    project's tables is a VM that has run on both a Zen 5 host (AVX-512) and a
    Zen 3 one (znver3, AVX2) under the one model name "AMD EPYC": its kernels, and the ratios
    between them, differ between the two."""
    from llvmlite import binding

    name = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            name = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), name)
    except OSError:
        pass
    features = binding.get_host_cpu_features()
    vectors = "AVX-512" if features.get("avx512f") else "AVX2" if features.get("avx2") else "no AVX2"
    return f"{name} (LLVM: {binding.get_host_cpu_name()}, {vectors})"


def speed_probe() -> float:
    """CPU seconds of 10**6 additions in a Python loop (best of 3): how fast the machine runs
    right now. The 2-core machine of this project's tables switches every few minutes between
    states up to about 2x apart (0.047 s and 0.074 s a minute apart), and between hosts
    (``cpu_model``: 0.020 s on the Zen 5 host, 0.034-0.068 s on the Zen 3 one); only figures
    taken side by side, in one state, compare, and the probe on each table hints which state it
    saw."""
    best = float("inf")
    for _ in range(3):
        start, total = time.process_time(), 0
        for i in range(10 ** 6):
            total += i
        best = min(best, time.process_time() - start)
    return best


def machine_line(command: str, probe: str | None = None) -> str:
    """The first line of every table: cores, CPU, Python and numpy versions, numfmt's default
    thread count (columns that say "1 thread" set it to 1), the date (UTC), the command and
    the ``speed_probe`` (``probe``: the script's own text of it; else one probe now)."""
    import numfmt

    probe = probe or f"{speed_probe():.3f} s"
    return (f"Machine: {os.cpu_count() or 1} cores (nproc), {cpu_model()}; Python {platform.python_version()}, "
            f"numpy {np.__version__}; numfmt threads: {numfmt.get_num_threads()}; "
            f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d}. Command: `{command}`. "
            f"Speed probe (``_common.speed_probe``): {probe}.")


def command(script: str, args: argparse.Namespace) -> str:
    """The command line that reproduces a measurement (--quick and --repeats as given)."""
    text = f"python benchmarks/{script}" + (" --quick" if args.quick else "")
    return text + (f" --repeats {args.repeats}" if args.repeats else "")


def same(a, b) -> bool:
    """Equal as values (NaN equals NaN; the sign of zero counts)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return a.shape == b.shape and bool(np.all((a == b) & (np.signbit(a) == np.signbit(b))
                                              | (np.isnan(a) & np.isnan(b))))


def measure(fn, n: int, repeats: int, check=None, note: list | None = None,
            clock: Callable[[], float] = time.perf_counter):
    """(Melem/s of fn, flag): None if it fails (the error goes to ``note``); the flag is '*' when
    ``check(result)`` is False. ``clock`` as ``best_of``."""
    try:
        result = fn()
        flag = "*" if check is not None and not check(result) else ""
        return n / best_of(fn, repeats, clock) / 1e6, flag
    except Exception as exc:  # noqa: BLE001 - a failing peer is reported, never fatal
        if note is not None:
            note.append(f"{type(exc).__name__}: {str(exc).splitlines()[0][:120] if str(exc) else ''}")
        return None, ""


def fmt_rate(rate, flag: str = "") -> str:
    """A rate as a table cell: n/a, thousands separated, or 3 significant digits below 100."""
    if rate is None:
        return "n/a"
    return (f"{rate:,.0f}" if rate >= 100 else f"{rate:.1f}" if rate >= 1 else f"{rate:.2f}") + flag


def fmt_ratio(a, b) -> str:
    """a / b as ``1.23x`` (n/a when either is missing)."""
    return "n/a" if a is None or b is None or b == 0 else f"{a / b:.2f}x"


def markdown_table(header: list[str], rows: list[list[str]], left: int = 1) -> list[str]:
    """The lines of a markdown table; the first ``left`` columns left-aligned, the rest right.

    >>> markdown_table(["format", "rate"], [["e4m3", "1,243"]])
    ['| format | rate |', '|---|---:|', '| e4m3 | 1,243 |']
    """
    rule = "|" + "|".join("---" if i < left else "---:" for i in range(len(header))) + "|"
    return ["| " + " | ".join(header) + " |", rule] + ["| " + " | ".join(row) + " |" for row in rows]


def parse_args(doc: str, name: str, argv=None, repeats: int | None = None) -> argparse.Namespace:
    """The options every script takes: --quick, --out, --from-results, --write-readme, and
    --repeats where the script has a default number of timed calls (``repeats``)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small inputs, for smoke tests")
    parser.add_argument("--out", default=None,
                        help=f"the results file (default: {results_path(name)}; none for --quick, whose "
                             "figures are a smoke run's)")
    if repeats is not None:
        parser.add_argument("--repeats", type=int, default=None,
                            help=f"timed calls per measurement (default {repeats})")
    parser.add_argument("--from-results", action="store_true",
                        help="measure nothing: render the table saved in --out")
    parser.add_argument("--write-readme", nargs="?", const=README, default=None, metavar="README",
                        help=f"put the table between the <!-- bench:{name} --> markers of README "
                             "(default README.md of this checkout)")
    args = parser.parse_args(argv)
    if args.out is None and (args.from_results or not args.quick):
        args.out = results_path(name)
    if repeats is None:
        args.repeats = None
    return args


def publish(args: argparse.Namespace, name: str, render: Callable[[], str]) -> int:
    """Measure and render (``render()``) and save the table in --out, or with --from-results
    read the saved one; print it; with --write-readme put it into the README section."""
    if args.from_results:
        with open(args.out) as f:
            text = f.read()
    else:
        text = render()
        if args.out is not None:
            os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
            with open(args.out, "w") as f:
                f.write(text)
    print(text)
    if args.write_readme:
        write_readme_section(args.write_readme, name, text)
    return 0


def _markers(name: str) -> tuple[str, str]:
    return f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"


def readme_section(readme_text: str, name: str) -> str:
    """The text between the markers of ``name`` in a README (without the newlines next to them).

    >>> readme_section("a\\n<!-- bench:x -->\\n| t |\\n<!-- /bench:x -->\\nb", "x")
    '| t |'
    """
    start, end = _markers(name)
    match = re.search(re.escape(start) + r"\n(.*?)\n?" + re.escape(end), readme_text, re.DOTALL)
    if match is None:
        raise ValueError(f"README has no section {start} ... {end}")
    return match.group(1)


def write_readme_section(readme: str, name: str, text: str) -> None:
    """Replace the section of ``name`` in the README file with ``text`` (its surroundings kept)."""
    with open(readme) as f:
        old = f.read()
    readme_section(old, name)                        # raises if the markers are missing
    start, end = _markers(name)
    new = re.sub(re.escape(start) + r"\n.*?" + re.escape(end),
                 lambda _: f"{start}\n{text.strip()}\n{end}", old, count=1, flags=re.DOTALL)
    with open(readme, "w") as f:
        f.write(new)
