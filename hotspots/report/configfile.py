"""A board-pack config written back: the TOML keys, and a TOML file, that rebuild it.

:func:`config_to_mapping` is the inverse of
:func:`hotspots.report.config.config_from_mapping` (the manifest records it);
:func:`config_toml` writes it as the ``board_pack_config.toml`` every pack
carries, so a pack built on the page (with the page's choices) can be rebuilt
with ``python -m hotspots report --config``.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from hotspots.report.config import ReportConfig

__all__ = ["config_to_mapping", "config_toml"]


def config_to_mapping(cfg: ReportConfig) -> dict[str, Any]:
    """Return the config as the TOML keys that rebuild it (:func:`config_from_mapping`).

    What the board pack's manifest records, so that a reader can write it to a
    ``.toml`` file and run ``python -m hotspots report --config`` on it. Keys
    at their default are written too (the record is complete); ``None``
    values (no distance band, no bins) are left out, as TOML has no null.

    Parameters
    ----------
    cfg
        A config.

    Returns
    -------
    dict
        Top-level keys and the ``data``, ``period``, ``map``, ``statistics``,
        ``disclosure`` and ``patrol`` tables.

    Examples
    --------
    >>> from hotspots.report.config import config_from_mapping
    >>> cfg = ReportConfig(measures=("crime:major:ROBBERY",), rate="per_1000")
    >>> config_from_mapping(config_to_mapping(cfg)).rate
    'per_1000'
    """
    def drop_none(d: dict[str, Any]) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in d.items()
                if v is not None}

    data: dict[str, Any] = dict(cfg.files) if cfg.files else (
        {"pack": str(cfg.pack)} if cfg.pack is not None else {})
    pp = cfg.patrol.params
    patrol = drop_none({
        "enabled": cfg.patrol.enabled, "cell_size": pp.cell_size, "shape": pp.shape,
        **({"top_n": pp.top_n} if pp.top_n is not None else {"area_share": pp.area_share}),
        "method": pp.method or "best", "permutations": pp.permutations, "seed": pp.seed,
        "alpha": pp.alpha, "train_months": pp.train_months, "from": pp.month_from,
        "to": pp.month_to, "crime_types": pp.crime_types or None,
        "boroughs": cfg.patrol.boroughs or None})
    mc = cfg.map_classes
    return {
        "title": cfg.title, "author": cfg.author, "organisation": cfg.organisation,
        "marking": cfg.marking, "measures": list(cfg.measures), "rate": cfg.rate,
        "boroughs": list(cfg.boroughs), "top_wards": cfg.top_wards,
        "caveats": list(cfg.caveats), "output": str(cfg.output), "formats": list(cfg.formats),
        "data": data,
        "period": drop_none({"from": cfg.month_from, "to": cfg.month_to,
                             "latest_months": cfg.latest_months,
                             "comparison": cfg.comparison}),
        "map": drop_none({"scheme": mc.scheme, "classes": mc.k, "bins": mc.bins,
                          "palette": mc.palette, "first_class_from_zero": mc.from_zero}),
        "statistics": drop_none(asdict(cfg.statistics)),
        "disclosure": {"threshold": cfg.suppress_below},
        "patrol": patrol,
    }


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return json.dumps(str(v), ensure_ascii=False)  # a TOML basic string is JSON's


def config_toml(cfg: ReportConfig, *, note: str = "") -> str:
    """Return the config as a TOML file that rebuilds the same pack (its output folder aside).

    Parameters
    ----------
    cfg
        A config.
    note
        A comment for the top of the file (e.g. that the pack was built from
        uploaded files, which a config cannot name).

    Returns
    -------
    str
        TOML text: ``python -m hotspots report --config FILE --out DIR`` reads it.

    Examples
    --------
    >>> text = config_toml(ReportConfig(measures=("crime:major:ROBBERY",), rate="per_1000"))
    >>> 'rate = "per_1000"' in text and "[statistics]" in text
    True
    """
    data = config_to_mapping(cfg)
    data.pop("output")
    head = ["# Board pack config written by the pack itself: rebuild it with",
            "#   python -m hotspots report --config <this file> --out <folder>",
            *(f"# {line}" for line in note.splitlines() if line)]
    lines = [*head, ""]
    lines += [f"{k} = {_toml_value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    for k, v in data.items():
        if isinstance(v, dict) and v:
            lines += ["", f"[{k}]", *(f"{kk} = {_toml_value(vv)}" for kk, vv in v.items())]
    return "\n".join(lines) + "\n"
