"""Writing results: JSON, CSV, Parquet, Excel — to stdout or, atomically, to a file.

An existing file is never replaced without ``force``; an input file (a driver file, an
actuals file) is never written whatever the flags.
"""

from __future__ import annotations

import json
import math
import os
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from .errors import InputError

FORMATS = ("table", "csv", "json", "parquet", "xlsx")
BINARY = ("parquet", "xlsx")


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def to_json(document: dict[str, Any]) -> str:
    """JSON with NaN/inf written as null (JSON has no NaN)."""
    return json.dumps(_clean(document), ensure_ascii=False, indent=1)


def check_target(path: str | Path, force: bool, inputs: Iterable[str | Path] = ()) -> Path:
    """Refuse to write over an input, or over an existing file without ``force``."""
    target = Path(path)
    resolved = target.resolve()
    for item in inputs:
        if Path(item).resolve() == resolved:
            raise InputError.one(str(target), "--output", str(path), "is an input of this run and is never overwritten")
    if target.is_dir():
        raise InputError.one(str(target), "--output", str(path), "is a directory; give a file name")
    if target.exists() and not force:
        raise InputError.one(str(target), "--output", str(path), "already exists", "pass --force to replace it")
    if not target.parent.exists():
        raise InputError.one(str(target), "--output", str(path), "its folder does not exist")
    return target


def write_atomic(path: Path, writer: Callable[[Path], None]) -> None:
    """Write through a temporary file in the same folder, then rename over ``path``."""
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        writer(Path(temp))
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def document_json(meta: dict[str, Any], table: Any) -> str:
    """``{"meta": {...}, "rows": [...]}`` with the rows serialised by polars (fast; NaN → null)."""
    return '{"meta": ' + to_json(meta) + ',\n "rows": ' + table.write_json() + "}\n"


def emit(fmt: str, table: Any, document: dict[str, Any] | None, output: str | None, force: bool,
         inputs: Iterable[str | Path] = (), meta: dict[str, Any] | None = None) -> None:
    """Write a polars table (csv/parquet/xlsx) or a JSON document to ``output`` or stdout.

    For JSON, either a whole ``document`` or ``meta`` with ``table`` as its rows."""
    if fmt in BINARY and not output:
        raise InputError.one("--format", fmt, fmt, f"{fmt} is binary: pass --output FILE")

    def json_text() -> str:
        return document_json(meta, table) if meta is not None else to_json(document) + "\n"

    if output is None:
        sys.stdout.write(json_text() if fmt == "json" else table.write_csv())
        return
    target = check_target(output, force, inputs)
    if fmt == "json":
        write_atomic(target, lambda p: p.write_text(json_text(), encoding="utf-8"))
    elif fmt == "csv":
        write_atomic(target, lambda p: table.write_csv(p))
    elif fmt == "parquet":
        write_atomic(target, lambda p: table.write_parquet(p))
    elif fmt == "xlsx":
        write_atomic(target, lambda p: table.write_excel(p, worksheet="forecast"))
    else:
        raise InputError.one("--format", fmt, fmt, f"unknown format; formats are {', '.join(FORMATS)}")
