"""Numba's disk cache for numfmt's kernels, keyed on every numfmt module that holds compiled code.

Numba decides whether a cached kernel is fresh from the stamp of the one file that defines it.
numfmt's kernels inline helpers from other files (the rounding of ``kernels/floating.py`` runs
inside the arithmetic, accumulation and block kernels), so a change to a helper, or an upgrade
of numfmt, would leave the dependent kernels returning the old code's results. Here every
kernel defined inside the package gets one stamp instead: a hash of every module of the package
that imports Numba or numfmt's decorators of compiled code (the kernels, ``lanes.py``,
``rounding.py``, ``random.py``: the only modules whose code or constants a kernel can compile
in; keep it that way) and the Numba version. A change to any of
them recompiles every kernel once; a change to the pure-Python front end (argument checks, the
command line) recompiles nothing. Nothing else about Numba's caching changes (same cache
folders, and ``NUMBA_CACHE_DIR`` is still honoured). Kernels of other packages are not affected.

Processes that share a cache folder (pytest-xdist workers, Dask workers, a multiprocessing pool)
compile each kernel signature once between them: a process that misses the cache takes a lock
file for that kernel and signature beside the cache's index (``<index>-<signature hash>.lock``,
``fcntl.flock``: released by the OS if the process dies), looks in the cache again (the process
that held the lock saved it there) and compiles only if it is still missing, releasing the lock
once it has saved the result. A lock held longer than ``LOCK_WAIT`` seconds (a compile that
failed and left it held) is passed by: the waiting process compiles too, as without the lock.
Where fcntl is missing (Windows) nothing is locked.

``install()`` runs when ``numfmt.kernels`` is imported, before any kernel is defined.
"""
from __future__ import annotations

import functools
import hashlib
import os
import pickle
import re
import time
from pathlib import Path

try:
    import fcntl
except ImportError:         # (Windows: no cross-process compile lock)
    fcntl = None

import numba
from numba.core import caching

PACKAGE_DIR = Path(__file__).resolve().parent.parent
LOCK_WAIT = 300.0           # seconds a process waits for another's compile of the same signature
LOCK_POLL = 0.02            # seconds between its tries


# a module that holds code a kernel can compile: it imports Numba, or numfmt's decorators of
# compiled code (``kernels.inner``, ``kernels.pipeline``), as lanes.py and kernels/exact.py do
_COMPILED_CODE = re.compile(rb"^(import numba|from numba|from \.+(kernels\.)?(inner|pipeline) import)", re.MULTILINE)


def stamped_files() -> list[Path]:
    """The .py files of the package whose code or constants a kernel can compile in, sorted:
    those that import Numba or numfmt's decorators of compiled code."""
    return [path for path in sorted(PACKAGE_DIR.rglob("*.py")) if _COMPILED_CODE.search(path.read_bytes())]


@functools.lru_cache(maxsize=None)
def source_stamp() -> str:
    """sha256 over the path and bytes of every ``stamped_files()`` file and over Numba's version.

    >>> len(source_stamp())
    64
    """
    digest = hashlib.sha256(f"numba {numba.__version__}".encode())
    for path in stamped_files():
        digest.update(str(path.relative_to(PACKAGE_DIR)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _in_package(py_file: str) -> bool:
    try:
        return Path(py_file).resolve().is_relative_to(PACKAGE_DIR)
    except (OSError, ValueError):
        return False


class _PackageStamp:
    """Locator mixin: numfmt's files only, stamped with ``source_stamp()``."""

    def get_source_stamp(self):
        return source_stamp()

    @classmethod
    def from_function(cls, py_func, py_file):
        if not _in_package(py_file):
            return None
        return super().from_function(py_func, py_file)


def _impl_class():
    """The class holding Numba's list of cache locators (renamed in Numba 0.61)."""
    return getattr(caching, "CacheImpl", None) or getattr(caching, "_CacheImpl")


class _CompileLock:
    """An exclusive flock on the lock file of one kernel signature in its cache folder."""

    def __init__(self, cache, sig):
        digest = hashlib.sha256(str(sig).encode()).hexdigest()[:16]
        self.path = os.path.join(cache._cache_path, f"{cache._impl.filename_base}-{digest}.lock")
        self.fd = None

    def acquire(self, wait: float) -> bool:
        """Take the lock within wait seconds; False (and nothing held) where it could not."""
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError:         # an unwritable cache folder: Numba will not save there either
            return False
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self.fd = fd
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    return False
                time.sleep(LOCK_POLL)

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)       # (closing the descriptor drops its flock)
            self.fd = None


_HELD: dict = {}        # (cache id, signature) -> the _CompileLock held from a miss to its save


def _readable_load(load, cache, sig, target_context):
    """load(cache, sig, target_context), where an index of numfmt's that no longer unpickles
    (its signatures name a class that a later numfmt moved or removed: Numba reads them before
    it compares the stamp, and raises) is removed and counts as a miss, as a stale one does."""
    try:
        return load(cache, sig, target_context)
    except (AttributeError, ImportError, pickle.UnpicklingError, EOFError):
        if not isinstance(cache._impl.locator, _PackageStamp):
            raise
        try:
            os.remove(cache._cache_file._index_path)
        except OSError:
            pass
        return None


def _locked_load(load):
    """Cache.load_overload that, for numfmt's kernels, takes the signature's compile lock on a
    miss, loads again under it, and keeps it held (in _HELD) where it still misses; an index
    that no longer unpickles is a miss (``_readable_load``)."""
    @functools.wraps(load)
    def load_overload(self, sig, target_context):
        cres = _readable_load(load, self, sig, target_context)
        if cres is not None or fcntl is None or not isinstance(self._impl.locator, _PackageStamp):
            return cres
        key = (id(self), str(sig))
        stale = _HELD.pop(key, None)        # a compile of this signature that raised
        if stale is not None:
            stale.release()
        lock = _CompileLock(self, sig)
        if not lock.acquire(LOCK_WAIT):
            return None
        cres = _readable_load(load, self, sig, target_context)
        if cres is not None:
            lock.release()
        else:
            _HELD[key] = lock
        return cres
    return load_overload


def _unlocking_save(save):
    """Cache.save_overload that releases the signature's compile lock once saved."""
    @functools.wraps(save)
    def save_overload(self, sig, data):
        try:
            save(self, sig, data)
        finally:
            lock = _HELD.pop((id(self), str(sig)), None)
            if lock is not None:
                lock.release()
    return save_overload


def install() -> None:
    """Put package-stamped twins of Numba's file-backed locators first in its list, and the
    compile lock around Numba's cache loads and saves (idempotent)."""
    impl = _impl_class()
    locators = impl._locator_classes
    if any(issubclass(cls, _PackageStamp) for cls in locators):
        return
    caching.Cache.load_overload = _locked_load(caching.Cache.load_overload)
    caching.Cache.save_overload = _unlocking_save(caching.Cache.save_overload)
    twins = [type(f"Numfmt{cls.__name__.lstrip('_')}", (_PackageStamp, cls), {"__module__": __name__})
             for cls in locators if issubclass(cls, caching._SourceFileBackedLocatorMixin)]
    impl._locator_classes = twins + list(locators)


install()
