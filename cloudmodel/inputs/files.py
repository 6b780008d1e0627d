"""The files a run reads, registered as it reads them, so that no output can replace one.

Every loader (driver files, scenario files, actuals, the history, the cache) registers what it
reads here; :mod:`cloudmodel.present.output` refuses an output aimed at one of them — by name,
through a symlink or a hard link (same device and inode) — and any output inside a protected
folder (the cache) or with a protected suffix there (``*.toml`` in a drivers folder).
"""

from __future__ import annotations

import os
from pathlib import Path

_inputs: dict[str, tuple[int, int] | None] = {}  # resolved path -> (device, inode)
_protected_dirs: dict[str, str] = {}  # resolved folder -> "*" (everything) or a suffix


def _identity(path: str | Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return (st.st_dev, st.st_ino)


def _resolved(path: str | Path) -> str:
    try:
        return str(Path(path).resolve())
    except (OSError, RuntimeError, ValueError):
        return os.path.abspath(path)


def register_input(path: str | Path) -> None:
    """Mark a file as read by this run: no output may replace it."""
    _inputs[_resolved(path)] = _identity(path)


def protect_dir(path: str | Path, suffix: str = "*") -> None:
    """No output inside this folder (``*``), or none with this suffix (``.toml``)."""
    _protected_dirs[_resolved(path)] = suffix


def reset_inputs() -> None:
    """Forget the inputs of an earlier run (the CLI calls this as each command starts)."""
    _inputs.clear()
    _protected_dirs.clear()


def registered() -> tuple[dict[str, tuple[int, int] | None], dict[str, str]]:
    """The registered inputs (resolved path -> (device, inode)) and protected folders."""
    return _inputs, _protected_dirs


__all__ = ["protect_dir", "register_input", "registered", "reset_inputs"]
