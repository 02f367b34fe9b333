"""Where arrays of other libraries come in: a dask array given to a public function is handed
to ``numfmt.distributed``, which returns a lazy dask array.

Recognizing a dask array costs nothing and imports nothing (its type's module starts with
``dask.``), so dask is imported only when a dask array comes in. ``numfmt.distributed``
registers itself here when numfmt is imported: the modules below it cannot import it
without an import cycle (the pattern of ``numfmt.formats.values.use_decoder``).
"""
from __future__ import annotations

_BACKENDS: dict = {}


def is_dask(*arrays) -> bool:
    """Whether any of the arrays is a dask array (or a dask collection).

    >>> import numpy as np
    >>> is_dask(np.zeros(2), [1.0])
    False
    """
    return any(type(a).__module__.startswith("dask.") for a in arrays)


def register(name: str, module) -> None:
    """Make ``module`` the backend ``name`` (``"dask"``: ``numfmt.distributed``)."""
    _BACKENDS[name] = module


def dask():
    """The module that evaluates the public functions on dask arrays."""
    return _BACKENDS["dask"]


def no_dask_report(report: bool, call: str) -> None:
    """Refuse ``report=True`` for the dask input of ``numfmt.<call>`` (a lazy array has no
    counts to return yet): TypeError, the same for every call."""
    if report:
        raise TypeError(f"report=True needs NumPy input (a dask array is lazy); call numfmt.{call} on the "
                        "computed chunks to count them")
