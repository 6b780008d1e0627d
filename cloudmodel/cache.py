"""A cache of validated driver sets, keyed by the bytes of the driver files.

Validation (pydantic, strict) is the slow part of starting a forecast. A directory whose
files are byte-for-byte those of an earlier successful load is read back from here instead.
The cache lives in ``$CLOUDMODEL_CACHE_DIR`` or ``$XDG_CACHE_HOME/cloudmodel`` (default
``~/.cache/cloudmodel``); ``CLOUDMODEL_NO_CACHE=1`` turns it off. It only ever holds what
this package wrote, it is never required (any failure to read or write it is ignored and
the files are validated as usual), and it never touches the user's driver files.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

from . import __version__


def _directory() -> Path | None:
    if os.environ.get("CLOUDMODEL_NO_CACHE"):
        return None
    root = os.environ.get("CLOUDMODEL_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "cloudmodel")
    return Path(root)


def _path(files_hash: str) -> Path | None:
    directory = _directory()
    return None if directory is None else directory / f"drivers-{__version__}-{files_hash}.pickle"


def load(files_hash: str, directory: str) -> Any | None:
    path = _path(files_hash)
    if path is None or not path.is_file():
        return None
    try:
        with path.open("rb") as handle:
            drivers = pickle.load(handle)
    except Exception:  # a corrupt or foreign cache entry is simply not used
        return None
    # The key is the files' names and bytes, not their folder: point each driver at this folder.
    from dataclasses import replace

    folder = Path(directory)
    drivers.drivers = {k: replace(d, file=str(folder / Path(d.file).name)) for k, d in drivers.drivers.items()}
    drivers.directory = directory
    return drivers


def store(drivers: Any) -> None:
    path = _path(drivers.files_hash)
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("wb", dir=path.parent, delete=False, suffix=".tmp") as handle:
            pickle.dump(drivers, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(handle.name, path)
    except OSError:
        pass
