"""Public names of a package imported on first use (PEP 562), written once.

A package whose modules are slow to import (folium, matplotlib, Altair; the
statistics behind the pipeline) re-exports its public names lazily: its
``__getattr__`` and ``__dir__`` call :func:`lazy_attribute` and
:func:`lazy_dir` with the table of where each name lives.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, MutableMapping
from importlib import import_module
from typing import Any

__all__ = ["lazy_attribute", "lazy_dir"]


def lazy_attribute(namespace: MutableMapping[str, Any], name: str, exports: Mapping[str, str],
                   modules: Collection[str]) -> Any:
    """Import the module behind a package's public name (or a sub-module) and keep it.

    Parameters
    ----------
    namespace
        The package's ``globals()``; the value is stored there, so the next
        access does not come back here.
    name
        The attribute asked for.
    exports
        Public name -> the module defining it: a sub-module of the package
        (``"web"``) or a dotted module (``"hotspots.pipeline.table"``).
    modules
        Sub-modules of the package reachable as attributes.

    Returns
    -------
    Any
        The object or module.

    Raises
    ------
    AttributeError
        ``name`` is neither a public name nor a sub-module.

    Examples
    --------
    >>> ns = {"__name__": "hotspots"}
    >>> lazy_attribute(ns, "jsonable", {"jsonable": "config"}, ()).__name__, "jsonable" in ns
    ('jsonable', True)
    >>> lazy_attribute(ns, "nothing", {}, ())
    Traceback (most recent call last):
    AttributeError: module 'hotspots' has no attribute 'nothing'
    """
    package = namespace["__name__"]
    if name in exports:
        where = exports[name]
        value = getattr(import_module(where if "." in where else f"{package}.{where}"), name)
    elif name in modules:
        value = import_module(f"{package}.{name}")
    else:
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    namespace[name] = value
    return value


def lazy_dir(namespace: Mapping[str, Any]) -> list[str]:
    """Return a lazy package's names: those loaded so far and every public one.

    Examples
    --------
    >>> lazy_dir({"__all__": ["b", "a"], "a": 1})
    ['__all__', 'a', 'b']
    """
    return sorted({*namespace, *namespace["__all__"]})
