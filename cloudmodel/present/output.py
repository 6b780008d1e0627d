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
* **Ordinary I/O failures are exit 2.** A full disk, a quota, a read-only or vanished folder
  while writing (whichever library writes: Python, polars, xlsxwriter, matplotlib) is an
  :class:`~cloudmodel.errors.InputError` naming the file and the system's reason; the temporary
  file is removed, so nothing partial is left.
* **stdout is an output like any other** (:func:`to_stdout`): closed (``>&-``), full
  (``> /dev/full``) or a broken pipe (``| head``) is exit 2 with a message; characters its
  encoding cannot hold are written escaped (``\\u4e07``; in JSON as JSON escapes, so the document
  stays the same data). ``--output -`` writes to stdout: text formats as text, binary ones
  (parquet, xlsx, png) as bytes, but never to a terminal.
* **Text is never a formula** (:func:`escape_cells`): in CSV and Excel outputs a text cell that
  begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (and is not a plain number)
  gets a leading apostrophe, the OWASP recommendation against formula injection; workbooks are
  written with xlsxwriter's ``strings_to_formulas`` off. Numbers stay numbers (``-0.5``).
"""

from __future__ import annotations

import codecs
import errno
import io
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

#: What ``--output -`` (and ``--plot -``) stands for. :func:`check_target` returns it only for
#: the name ``-``: given as a name, ``/dev/stdout`` is a symbolic link to a device and is refused.
STDOUT = Path("/dev/stdout")
#: Binary outputs: to stdout only when it is not a terminal.
BINARY_OUT = ("parquet", "xlsx", "png")
#: Characters that make a spreadsheet read a cell as a formula (OWASP, "CSV injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
#: A plain number (``-0.5``, ``+1``, ``1e-3``): read by a spreadsheet as the number it is, so
#: never escaped even when it starts with a sign.
PLAIN_NUMBER = r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$"
_FORMULA_START = r"^[=+\-@\t\r]"
#: Options of every workbook written: text is text, never a formula, a number or a link.
WORKBOOK_OPTIONS = {"strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False}


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
    if isinstance(path, str) and text == "-":  # stdout (a file named "-" is ./-)
        for item in inputs:
            register_input(item)
        _stdout(option)
        return STDOUT
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
    to_stdout_ = path == STDOUT  # made in a private temporary folder, then sent to stdout
    folder = Path(tempfile.gettempdir()) if to_stdout_ else path.parent
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
            handle, temp = tempfile.mkstemp(dir=folder, prefix=f".{path.name[:TEMP_NAME_CHARS]}.", suffix=".tmp")
            os.close(handle)
        except OSError as exc:
            raise InputError.one(option, "", text, f"cannot create a file in {str(folder)!r}: {exc.strerror}",
                                 "choose a folder you can write to") from None
        finally:
            _unblock(blocked)
        try:
            writer(Path(temp))
            if to_stdout_:
                bytes_to_stdout(Path(temp).read_bytes(), option)
                return
            os.chmod(temp, 0o666 & ~_umask())
            _place(temp, path, force, option)
        except OSError as exc:
            raise InputError.one(option, "", "-" if to_stdout_ else text, f"cannot be written: {exc.strerror or exc}",
                                 _FULL_HINT if _is_full(exc) else "") from None
        except InputError:
            raise
        except Exception as exc:  # a library's own error around a failed write (xlsxwriter, polars)
            reason = io_failure(exc) or _probe_write(temp)
            if reason is None:
                raise
            raise InputError.one(option, "", "-" if to_stdout_ else text, f"cannot be written: {reason}",
                                 _FULL_HINT if "space" in reason else "") from None
    finally:
        if temp is not None:
            try:
                os.unlink(temp)
            except FileNotFoundError:
                pass
        for sig, handler in previous.items():
            signal.signal(sig, handler)


_FULL_HINT = "free some space, or write somewhere else"


def _is_full(exc: OSError) -> bool:
    return exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC))


def io_failure(exc: BaseException) -> str | None:
    """The system's reason when ``exc`` is an I/O failure a library wrapped in its own error type
    (xlsxwriter's ``FileCreateError``, polars' ``ComputeError: … (os error 28)``), else None."""
    import re

    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 8:  # the exception itself and what it was raised from
        if isinstance(current, OSError):
            return current.strerror or str(current)
        seen += 1
        current = current.__cause__ or current.__context__
    for arg in getattr(exc, "args", ()):
        if isinstance(arg, OSError):
            return arg.strerror or str(arg)
    found = re.search(r"os error (\d+)|\[Errno (\d+)\]", str(exc))
    if found:
        return os.strerror(int(found.group(1) or found.group(2)))
    return None


def _probe_write(temp: str) -> str | None:
    """The system's reason a write to ``temp`` fails, found by writing to it again, or None: a library
    may report a failed write as its own error with no system error in it (polars' parquet writer on a
    full disk says "Invalid thrift: transport error")."""
    try:
        with open(temp, "ab") as probe:
            probe.write(b"\0" * 4096)
            probe.flush()
            os.fsync(probe.fileno())
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


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

    target = STDOUT if output is None else check_target(output, force, inputs)
    if fmt == "json":
        save_text(target, json_text(), force, json_text=True)
    elif fmt == "csv":
        save_text(target, csv_text(table), force)
    elif fmt == "parquet":
        write_atomic(target, lambda p: table.write_parquet(p), force)
    elif fmt == "xlsx":
        write_atomic(target, lambda p: write_sheets({"forecast": table}, p), force)
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
    if isinstance(path, str) and path == "-":
        if fmt in BINARY_OUT and stdout_is_terminal():
            raise InputError.one(option, "", path, f"{fmt} is binary and stdout is a terminal",
                                 "redirect stdout (> FILE or | PROGRAM), or give a file name")
        return
    suffix = Path(str(path)).suffix.lower()
    allowed = EXTENSIONS.get(fmt, ())
    if not suffix or suffix in allowed or not allowed:
        return
    raise InputError.one(option, "", str(path), f"has the extension {suffix}, which does not match the format {fmt} "
                         f"(expected {' or '.join(allowed)})", f"name it {Path(str(path)).stem}{allowed[0]}")


def check_format_extension(path: str | Path, fmt: str) -> None:
    """:func:`check_extension` for the ``--output`` of a verb that has ``--format``: the hint also
    offers the format the extension names (report, calibrate's TOML and ``--plot`` have none)."""
    try:
        check_extension(path, fmt)
    except InputError as exc:
        suffix = Path(str(path)).suffix.lower()
        other = next((name for name, ends in EXTENSIONS.items() if suffix in ends), None)
        if other not in FORMATS:
            raise
        first = exc.problems[0]
        raise InputError.one(first.file, first.key, first.value, first.rule, f"{first.hint}, or give --format {other}") from None


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
    """An Excel workbook with one sheet per frame (header row frozen, columns sized); text cells
    are strings, never formulas (:data:`WORKBOOK_OPTIONS`, :func:`escape_cells`)."""
    import xlsxwriter

    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer, WORKBOOK_OPTIONS | {"in_memory": True}) as book:
        for name, frame in frames.items():
            if frame is None:
                continue
            flat = escape_cells(flat_frame(frame))
            flat.write_excel(book, worksheet=name[:31], autofit=True, freeze_panes=(1, 0),
                             float_precision=6, dtype_formats={})
    write_bytes(path, buffer.getvalue())


def write_bytes(path: Path, data: bytes) -> None:
    """Bytes to a (temporary) file. A workbook is zipped in memory and written here, so a full
    disk is one plain ``OSError`` (zipfile writing to a full disk leaves a half-closed archive
    that complains again when it is collected)."""
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()


# ----------------------------------------------------------------------------- text that is not a formula

def escape_text(value: str) -> str:
    """``value`` with a leading apostrophe when a spreadsheet would read it as a formula: it starts
    with one of :data:`FORMULA_TRIGGERS` and is not a plain number."""
    import re

    if value and value.startswith(FORMULA_TRIGGERS) and not re.match(PLAIN_NUMBER, value):
        return "'" + value
    return value


def escape_cells(frame: Any) -> Any:
    """The frame with :func:`escape_text` applied to every text column (numbers untouched)."""
    import polars as pl

    text = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    if not text:
        return frame
    return frame.with_columns(
        pl.when(pl.col(name).str.contains(_FORMULA_START) & ~pl.col(name).str.contains(PLAIN_NUMBER))
        .then(pl.lit("'") + pl.col(name)).otherwise(pl.col(name)).alias(name)
        for name in text)


def csv_text(table: Any) -> str:
    """A table as CSV, its text cells escaped (:func:`escape_cells`)."""
    return escape_cells(table).write_csv()


# ----------------------------------------------------------------------------- stdout

def save_text(target: Path, text: str, force: bool, option: str = "--output", json_text: bool = False) -> None:
    """Text to ``target`` atomically, or to stdout when ``target`` is :data:`STDOUT`."""
    if target == STDOUT:
        to_stdout(text, json_text, option)
        return
    write_atomic(target, lambda p: p.write_text(text, encoding="utf-8"), force, option)


def _stdout(option: str = "stdout") -> Any:
    """sys.stdout, or exit 2 when it is closed (``>&-``)."""
    stream = sys.stdout
    if stream is None or getattr(stream, "closed", False):
        raise InputError.one("stdout", "", None, "is closed, so the output cannot be written",
                             "run without >&-, or write to a file with --output FILE")
    return stream


def stdout_is_terminal() -> bool:
    try:
        return bool(sys.stdout is not None and sys.stdout.isatty())
    except (ValueError, OSError):
        return False


def require_stdout() -> None:
    """Before any work: refuse a closed stdout when the output goes there."""
    _stdout()


def _json_escape(error: UnicodeError) -> tuple[str, int]:
    """A codec error handler: characters the encoding lacks as JSON ``\\uXXXX`` escapes."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    out = []
    for char in error.object[error.start:error.end]:
        code = ord(char)
        if code > 0xFFFF:
            code -= 0x10000
            out.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
        else:
            out.append(f"\\u{code:04x}")
    return "".join(out), error.end


codecs.register_error("cloudmodel-json", _json_escape)


def _encodable(stream: Any, text: str, json_text: bool) -> str:
    """``text`` as ``stream``'s encoding can hold it: JSON with JSON escapes (the same document),
    other text with ``\\uXXXX`` escapes and one warning on stderr."""
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        text.encode(encoding)
        return text
    except UnicodeEncodeError:
        pass
    except LookupError:
        return text
    if json_text:
        return text.encode(encoding, "cloudmodel-json").decode(encoding)
    warn(f"stdout's encoding ({encoding}) cannot hold every character of this output; those are written as "
         "\\uXXXX escapes (use a UTF-8 locale or PYTHONIOENCODING=utf-8, or --output FILE, which is UTF-8)")
    return text.encode(encoding, "backslashreplace").decode(encoding)


def warn(message: str) -> None:
    """One line on stderr that never fails the run (stderr may be closed too)."""
    try:
        if sys.stderr is not None:
            from cloudmodel.errors import clean_text

            sys.stderr.write(f"cloudmodel: warning: {clean_text(message)}\n")
            sys.stderr.flush()
    except (OSError, ValueError):
        pass


def notice(message: str) -> None:
    """A courtesy line on stdout (``wrote FILE``) that never fails a run whose work is done:
    a closed, full or broken stdout only loses the line."""
    try:
        stream = sys.stdout
        if stream is None or getattr(stream, "closed", False):
            return
        stream.write(_encodable(stream, message, True))
        stream.flush()
    except (OSError, ValueError):
        _silence_stdout()


def to_stdout(text: str, json_text: bool = False, option: str = "stdout") -> None:
    """Write ``text`` to stdout and flush it: exit 2 (an :class:`InputError` naming stdout) when
    stdout is closed, full, a broken pipe or otherwise fails; never a traceback."""
    stream = _stdout(option)
    text = _encodable(stream, text, json_text)
    try:
        stream.write(text)
        stream.flush()
    except (OSError, ValueError) as exc:
        _failed(exc)


def bytes_to_stdout(data: bytes, option: str = "--output") -> None:
    """Binary output (``--output -`` with parquet or xlsx, ``--plot -``) to stdout's byte stream;
    refused on a terminal (where it would only garble the screen)."""
    stream = _stdout(option)
    if stdout_is_terminal():
        raise InputError.one(option, "", "-", "binary output is not written to a terminal",
                             "redirect stdout (> FILE or | PROGRAM), or give a file name")
    buffer = getattr(stream, "buffer", None)
    if buffer is None:
        raise InputError.one(option, "", "-", "stdout here takes text only, not binary output", "give a file name")
    try:
        stream.flush()
        buffer.write(data)
        buffer.flush()
    except (OSError, ValueError) as exc:
        _failed(exc)


def _failed(exc: BaseException) -> None:
    _silence_stdout()
    if isinstance(exc, BrokenPipeError):
        raise InputError.one("stdout", "", None, "the reader closed the pipe before the whole output was written "
                             "(broken pipe)", "read all of it, or write it to a file with --output FILE") from None
    if isinstance(exc, ValueError):  # an operation on a closed file
        raise InputError.one("stdout", "", None, "was closed while the output was written",
                             "write to a file with --output FILE") from None
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    raise InputError.one("stdout", "", None, f"cannot be written: {reason}",
                         "free some space, or write to a file with --output FILE") from None


def _silence_stdout() -> None:
    """After stdout failed: point its file descriptor at /dev/null, so that the interpreter's own
    flush at exit cannot fail again (and print a traceback). Only the process's real stdout."""
    stream = sys.stdout
    if stream is None or stream is not sys.__stdout__:
        return
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, stream.fileno())
        finally:
            os.close(null)
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        pass


def emit_frames(fmt: str, frames: dict[str, Any], document: Any, output: str | None, force: bool,
                inputs: Iterable[str | Path] = ()) -> None:
    """A verb's result in a machine format: ``document`` as JSON; the frames as CSV or Parquet
    (stacked into one table when there are several) or as Excel (a sheet each)."""
    if fmt in BINARY and not output:
        raise InputError.one("--format", fmt, fmt, f"{fmt} is binary: pass --output FILE")
    target = STDOUT if output is None else check_output(output, fmt, force, inputs)
    if fmt == "json":
        save_text(target, to_json(document) + "\n", force, json_text=True)
        return
    if fmt == "xlsx":
        write_atomic(target, lambda p: write_sheets(frames, p), force)
        return
    table = one_frame(frames)
    if fmt == "csv":
        save_text(target, csv_text(table), force)
    elif fmt == "parquet":
        write_atomic(target, lambda p: table.write_parquet(p), force)
    else:
        raise InputError.one("--format", fmt, fmt, f"unknown format; formats are {', '.join(FORMATS)}")


def write_text(output: str, text: str, force: bool, inputs: Iterable[str | Path] = (), fmt: str = "table") -> None:
    """Text (a table as the terminal shows it) to ``output``, atomically."""
    save_text(check_output(output, fmt, force, inputs), text, force)


def save_calibrated(text: str, drivers: Any, write: bool, toml_output: str | None, force: bool,
                    inputs: Iterable[str | Path]) -> Path | None:
    """``calibrate``'s TOML: over ``calibrated.toml`` with ``--write`` (what it is for; the folder must still
    load), to ``toml_output`` (never over an input), or nowhere (None)."""
    from cloudmodel.inputs.drivers import CALIBRATED_FILE

    if write:
        target = Path(drivers.directory) / CALIBRATED_FILE
    elif toml_output:
        target = check_output(toml_output, "toml", force, list(inputs))
    else:
        return None
    save_text(target, text, force=write or force)
    if write:
        from cloudmodel.inputs.drivers import load_drivers

        load_drivers(target.parent)  # a written drivers directory must still load
    return target

