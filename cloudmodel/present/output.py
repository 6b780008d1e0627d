"""Writing results: JSON, CSV, Parquet, Excel — to stdout or, atomically, to a file.

Files are safe:

* **Never over an input.** Every file a run reads (driver files, scenario files, actuals, the
  history, the cache) is registered here by its loader (:func:`register_input`); an output aimed
  at one of them — by name, through a symlink or a hard link — is refused whatever the flags.
  Nothing is written inside the cache folder, nor a ``*.toml`` inside a drivers folder (the next
  run would read it as a driver file).
* **Only regular files.** An existing symlink, FIFO, device, socket or folder is never replaced,
  even with ``--force``.
* **Atomic and exclusive.** The content goes to a unique temporary file in the same folder,
  which is then hard-linked into place (``os.link`` fails if the name exists, so two writers of
  the same new file cannot both succeed) or, with ``force``, renamed over the old file
  (``os.replace``). The temporary file is removed on every exit path, including Ctrl-C and
  SIGTERM (turned into an exception while a write is under way).
"""

from __future__ import annotations

import errno
import json
import math
import os
import signal
import stat
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from cloudmodel.errors import InputError
from cloudmodel.inputs.files import (  # noqa: F401 - the registry of inputs is re-exported for writers
    _identity,
    _inputs,
    _protected_dirs,
    _resolved,
    protect_dir,
    register_input,
    reset_inputs,
)

FORMATS = ("table", "csv", "json", "parquet", "xlsx")
BINARY = ("parquet", "xlsx")
#: The temporary file's name starts with this much of the target's name: enough to tell which
#: write it belongs to, short enough that prefix + random part + suffix fit any file system's
#: 255-byte name limit even for a target whose own name is at that limit.
TEMP_NAME_CHARS = 40
#: Signals that end a run while a file is being written; each becomes an exception so the
#: temporary file is removed. SIGINT already raises KeyboardInterrupt.
_CLEANUP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))

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


_KINDS = ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def _not_regular(mode: int) -> str:
    for test, name in _KINDS:
        if test(mode):
            return name
    return "" if stat.S_ISREG(mode) else "not a regular file"


def check_target(path: str | Path, force: bool, inputs: Iterable[str | Path] = (), option: str = "--output") -> Path:
    """Refuse an output that is an input of this run, not a regular file, or exists without ``force``."""
    text = str(path)
    if not text.strip():
        raise InputError.one(option, "", text, "is empty; give a file name")
    target = Path(path)
    try:
        st: os.stat_result | None = os.lstat(target)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise InputError.one(option, "", text, f"cannot be used as an output: {exc.strerror}") from None
    if st is not None:
        kind = _not_regular(st.st_mode)
        if kind:
            raise InputError.one(option, "", text, f"is {kind}; outputs are written only as new or regular files",
                                 "give another file name")
    for item in inputs:
        register_input(item)
    resolved = _resolved(target)
    identity = _identity(target)
    for name, ident in _inputs.items():
        if name == resolved or (identity is not None and ident == identity):
            raise InputError.one(option, "", text, "is an input of this run (a driver, scenario, actuals, history or "
                                 "cache file) and is never overwritten")
    parent = os.path.dirname(resolved)
    for folder, suffix in _protected_dirs.items():
        inside = parent == folder or (suffix == "*" and resolved.startswith(folder + os.sep))
        if inside and (suffix == "*" or resolved.endswith(suffix)):
            what = "the cache folder" if suffix == "*" else f"a drivers folder (a {suffix} file there is read as a driver file)"
            raise InputError.one(option, "", text, f"lies in {what}; outputs are never written there")
    if st is not None and not force:
        raise InputError.one(option, "", text, "already exists", "pass --force to replace it")
    folder = target.parent
    if not folder.is_dir():
        raise InputError.one(option, "", text, f"its folder {str(folder)!r} does not exist")
    return target


class Terminated(SystemExit):
    """A termination signal arrived during a write (exit 128 + the signal number)."""


def _raise_on_signal(signum: int, _frame: Any) -> None:
    raise Terminated(128 + signum)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomic(path: Path, writer: Callable[[Path], None], force: bool = False, option: str = "--output") -> None:
    """Write through a unique temporary file in the same folder, then link it into place.

    Without ``force`` the name must still be free when the file is linked (exclusive create);
    with it an existing regular file is replaced in one rename. The temporary file never
    survives: not an error, not Ctrl-C, not SIGTERM."""
    path = Path(path)
    text = str(path)
    main = threading.current_thread() is threading.main_thread()
    previous = {}
    temp = None
    try:
        if main:
            for sig in _CLEANUP_SIGNALS:
                previous[sig] = signal.signal(sig, _raise_on_signal)
        # no signal between creating the temporary file and knowing its name: they wait until then
        blocked = _block((signal.SIGINT, *_CLEANUP_SIGNALS)) if main else None
        try:
            handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name[:TEMP_NAME_CHARS]}.", suffix=".tmp")
            os.close(handle)
        except OSError as exc:
            raise InputError.one(option, "", text, f"cannot create a file in {str(path.parent)!r}: {exc.strerror}",
                                 "choose a folder you can write to") from None
        finally:
            _unblock(blocked)
        try:
            writer(Path(temp))
            os.chmod(temp, 0o666 & ~_umask())
            _place(temp, path, force, option)
        except OSError as exc:
            raise InputError.one(option, "", text, f"cannot be written: {exc.strerror or exc}") from None
    finally:
        if temp is not None:
            try:
                os.unlink(temp)
            except FileNotFoundError:
                pass
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _block(signals: tuple) -> Any:
    if not hasattr(signal, "pthread_sigmask"):
        return None
    return signal.pthread_sigmask(signal.SIG_BLOCK, signals)


def _unblock(previous: Any) -> None:
    if previous is not None:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _place(temp: str, path: Path, force: bool, option: str) -> None:
    if force:
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            st = None
        if st is not None and _not_regular(st.st_mode):
            raise InputError.one(option, "", str(path), f"became {_not_regular(st.st_mode)} while the run was writing; not replaced")
        os.replace(temp, path)
        return
    try:
        os.link(temp, path)
    except FileExistsError:
        raise InputError.one(option, "", str(path), "already exists (created while this run was writing)",
                             "pass --force to replace it") from None
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK, errno.ENOSYS):
            raise
        # No hard links here: claim the name exclusively, then rename over our own empty file.
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        except FileExistsError:
            raise InputError.one(option, "", str(path), "already exists (created while this run was writing)",
                                 "pass --force to replace it") from None
        os.replace(temp, path)


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
        write_atomic(target, lambda p: p.write_text(json_text(), encoding="utf-8"), force)
    elif fmt == "csv":
        write_atomic(target, lambda p: table.write_csv(p), force)
    elif fmt == "parquet":
        write_atomic(target, lambda p: table.write_parquet(p), force)
    elif fmt == "xlsx":
        write_atomic(target, lambda p: table.write_excel(p, worksheet="forecast"), force)
    else:
        raise InputError.one("--format", fmt, fmt, f"unknown format; formats are {', '.join(FORMATS)}")


# ----------------------------------------------------------------------------- every verb, every format

#: File extensions each output kind may carry (a file without an extension is accepted as named).
EXTENSIONS = {"table": (".txt", ".text", ".md", ".log"), "csv": (".csv", ".tsv", ".txt"), "json": (".json",),
              "parquet": (".parquet", ".pq"), "xlsx": (".xlsx",), "html": (".html", ".htm"), "png": (".png",),
              "toml": (".toml",)}


def check_extension(path: str | Path, fmt: str, option: str = "--output") -> None:
    """Refuse a file whose extension says another format than the one asked for (``out.json`` with
    ``--format csv``); a name without an extension is taken as given."""
    suffix = Path(str(path)).suffix.lower()
    allowed = EXTENSIONS.get(fmt, ())
    if not suffix or suffix in allowed or not allowed:
        return
    other = next((name for name, ends in EXTENSIONS.items() if suffix in ends), None)
    hint = f"name it {Path(str(path)).stem}{allowed[0]}" + (f", or give --format {other}" if other in FORMATS else "")
    raise InputError.one(option, "", str(path), f"has the extension {suffix}, which does not match the format {fmt} "
                         f"(expected {' or '.join(allowed)})", hint)


def check_output(path: str | Path | None, fmt: str, force: bool, inputs: Iterable[str | Path] = (),
                 option: str = "--output") -> Path | None:
    """:func:`check_target` (never an input, only regular files, ``--force``), then the extension."""
    if path is None:
        return None
    target = check_target(path, force, inputs, option=option)
    check_extension(path, fmt, option)
    return target


def flat_frame(frame: Any) -> Any:
    """A frame whose nested columns (lists, structs, objects) are written as JSON text, so that
    CSV and Excel can hold it."""
    import polars as pl

    nested = [name for name, dtype in frame.schema.items() if dtype.is_nested() or dtype == pl.Object]
    if not nested:
        return frame
    return frame.with_columns(pl.col(name).map_elements(lambda v: json.dumps(_clean(_plain(v)), ensure_ascii=False),
                                                        return_dtype=pl.String) for name in nested)


def _plain(value: Any) -> Any:
    if hasattr(value, "to_list"):
        return value.to_list()
    return value


def frame_of(records: list[dict[str, Any]]) -> Any:
    """A polars frame of records whose values may be lists or objects (written as JSON text)."""
    import polars as pl

    rows = [{k: (json.dumps(_clean(v), ensure_ascii=False) if isinstance(v, list | dict | tuple) else v)
             for k, v in r.items()} for r in records]
    try:
        return pl.DataFrame(rows, infer_schema_length=None)
    except (TypeError, ValueError, pl.exceptions.PolarsError):  # mixed types in a column: as text
        return pl.DataFrame([{k: (None if v is None else str(v)) for k, v in r.items()} for r in rows],
                            infer_schema_length=None)


def one_frame(frames: dict[str, Any]) -> Any:
    """One table of several: itself, or stacked with a leading ``table`` column naming the part."""
    import polars as pl

    parts = {name: flat_frame(f) for name, f in frames.items() if f is not None}
    if len(parts) == 1:
        return next(iter(parts.values()))
    tagged = [f.select(pl.lit(name).alias("table"), pl.all()) for name, f in parts.items()]
    try:
        return pl.concat(tagged, how="diagonal_relaxed")
    except pl.exceptions.PolarsError:
        return pl.concat([f.select(pl.all().cast(pl.String)) for f in tagged], how="diagonal")


def write_sheets(frames: dict[str, Any], path: Path) -> None:
    """An Excel workbook with one sheet per frame (header row frozen, columns sized)."""
    import xlsxwriter

    with xlsxwriter.Workbook(str(path)) as book:
        for name, frame in frames.items():
            if frame is None:
                continue
            flat = flat_frame(frame)
            flat.write_excel(book, worksheet=name[:31], autofit=True, freeze_panes=(1, 0),
                             float_precision=6, dtype_formats={})


def emit_frames(fmt: str, frames: dict[str, Any], document: Any, output: str | None, force: bool,
                inputs: Iterable[str | Path] = ()) -> None:
    """A verb's result in a machine format: ``document`` as JSON; the frames as CSV or Parquet
    (stacked into one table when there are several) or as Excel (a sheet each)."""
    if fmt in BINARY and not output:
        raise InputError.one("--format", fmt, fmt, f"{fmt} is binary: pass --output FILE")
    if fmt == "json":
        text = to_json(document) + "\n"
        if output is None:
            sys.stdout.write(text)
            return
        target = check_output(output, fmt, force, inputs)
        write_atomic(target, lambda p: p.write_text(text, encoding="utf-8"), force)
        return
    if fmt == "xlsx":
        target = check_output(output, fmt, force, inputs)
        write_atomic(target, lambda p: write_sheets(frames, p), force)
        return
    table = one_frame(frames)
    if fmt == "csv" and output is None:
        sys.stdout.write(table.write_csv())
        return
    target = check_output(output, fmt, force, inputs)
    if fmt == "csv":
        write_atomic(target, lambda p: table.write_csv(p), force)
    elif fmt == "parquet":
        write_atomic(target, lambda p: table.write_parquet(p), force)
    else:
        raise InputError.one("--format", fmt, fmt, f"unknown format; formats are {', '.join(FORMATS)}")


def write_text(output: str, text: str, force: bool, inputs: Iterable[str | Path] = (), fmt: str = "table") -> None:
    """Text (a table as the terminal shows it) to ``output``, atomically."""
    target = check_output(output, fmt, force, inputs)
    write_atomic(target, lambda p: p.write_text(text, encoding="utf-8"), force)
