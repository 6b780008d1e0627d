"""Saved forecast runs (``forecast --format json --output A.json``), read back for ``diff`` and checked
shape by shape: a file that is not one is an input error naming the key, never a traceback."""

from __future__ import annotations

from typing import Any

from cloudmodel.errors import InputError

#: A saved forecast run is ~2 MB of JSON (every line, every period); 64 MB leaves room for long
#: horizons while refusing to parse a file that cannot be one.
MAX_SAVED_RUN_BYTES = 64 * 1024 * 1024


def load_saved_run(name: str) -> dict[str, Any]:
    """A saved forecast run (``forecast --format json``), checked shape by shape."""
    import json as jsonlib
    from pathlib import Path

    from cloudmodel.inputs.drivers import MAX_NESTING, nesting_depth, read_text

    path = Path(name)
    text = read_text(path, MAX_SAVED_RUN_BYTES, "saved run")
    try:
        doc = jsonlib.loads(text)
    except jsonlib.JSONDecodeError as exc:
        raise InputError.one(name, "", None, f"is not JSON: {exc}") from None
    except RecursionError:
        doc = None
    if doc is None or nesting_depth(doc) > MAX_NESTING:
        raise InputError.one(name, "", None, f"nests lists or objects more than {MAX_NESTING} deep; not a saved forecast")
    hint = "save one with: cloudmodel forecast --format json --output FILE"
    if not isinstance(doc, dict) or not isinstance(doc.get("meta"), dict) or not isinstance(doc.get("rows"), list):
        raise InputError.one(name, "", None, "is not a saved forecast (expected {\"meta\": {…}, \"rows\": […]})", hint)
    _check_saved_meta(name, doc["meta"], hint)
    _check_saved_rows(name, doc["rows"], hint)
    return doc


def _check_saved_meta(name: str, meta: dict[str, Any], hint: str) -> None:
    for key in ("scenario", "drivers_hash"):
        if key in meta and not isinstance(meta[key], str | None):
            raise InputError.one(name, f"meta.{key}", meta[key], "must be a string", hint)
    units = meta.get("driver_units", {})
    if not isinstance(units, dict) or not all(isinstance(v, str) for v in units.values()):
        raise InputError.one(name, "meta.driver_units", units, "must be an object of driver id: unit", hint)
    for key in ("drivers", "overrides"):
        value = meta.get(key, {})
        if not isinstance(value, dict) or not all(
                isinstance(v, int | float) and not isinstance(v, bool) or v is None for v in value.values()):
            raise InputError.one(name, f"meta.{key}", value, "must be an object of driver id: number", hint)


def _check_saved_rows(name: str, rows: list[Any], hint: str) -> None:
    import math

    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            raise InputError.one(name, f"rows[{i}]", row, "must be an object {line, period, basis, value, unit}", hint)
        for key in ("line", "period", "unit"):
            if not isinstance(row.get(key), str):
                raise InputError.one(name, f"rows[{i}].{key}", row.get(key), "must be a string", hint)
        value = row.get("value")
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value)):
            raise InputError.one(name, f"rows[{i}].value", value, "must be a finite number (or null)", hint)
