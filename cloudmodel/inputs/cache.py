"""A cache of validated driver sets that cannot be turned against its user.

Validation (pydantic, strict) is the slow part of starting a forecast: building the schema and
validating the shipped files costs about 100 ms, a third of the whole run (measured; see
``docs/architecture.md``). A directory whose files are byte-for-byte those of an earlier
successful load is read back from here instead.

Safety:

* **Data only.** An entry is JSON (never pickle): reading one cannot run code.
* **Keyed by the files' bytes and the code.** The key is a SHA-256 over every driver file's name
  and bytes, the package version and the source of the modules that validate (this one,
  ``drivers.py``, ``schema.py``, ``units.py``); any change to either is validated again.
* **Authenticated.** Each entry carries an HMAC-SHA256 of its bytes under a per-user secret
  (``secret``, 32 random bytes, created 0600 in the cache folder). An entry edited or planted by
  anyone who cannot read the secret fails the check and is ignored, with a warning.
* **Ownership and permissions.** The folder must belong to the user and not be writable by
  others; the secret and the entries must be regular files owned by the user, the secret
  readable by no one else. Otherwise the cache is ignored, with a warning saying why.

The cache lives in ``$CLOUDMODEL_CACHE_DIR`` or ``$XDG_CACHE_HOME/cloudmodel`` (default
``~/.cache/cloudmodel``); ``CLOUDMODEL_NO_CACHE=1`` turns it off. It is never required: any
failure to read or write it is ignored and the files are validated as usual. No output of any
verb is ever written inside it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import stat
import sys
import tempfile
from pathlib import Path
from typing import Any

from cloudmodel.version import __version__

MAGIC = b"cloudmodel-drivers-cache-v2\n"
SECRET_NAME = "secret"
SECRET_BYTES = 32  # 256 bits, the HMAC-SHA256 block's natural key size
#: An entry larger than this was not written by us (the shipped set is ~150 kB); not even read.
MAX_ENTRY_BYTES = 8 * 1024 * 1024
_CODE = ("cache.py", "drivers.py", "schema.py", "units.py")
_warned: set[str] = set()


def warn(message: str) -> None:
    """One warning per message and process, on stderr (the cache is never worth an error)."""
    if message not in _warned:
        _warned.add(message)
        sys.stderr.write(f"cloudmodel: warning: {message}\n")


def directory() -> Path | None:
    if os.environ.get("CLOUDMODEL_NO_CACHE"):
        return None
    root = os.environ.get("CLOUDMODEL_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "cloudmodel")
    return Path(root)


def code_version() -> str:
    """The package version and a hash of the source that validates driver files."""
    digest = hashlib.sha256(__version__.encode())
    here = Path(__file__).parent
    for name in _CODE:
        try:
            digest.update(name.encode() + b"\0" + (here / name).read_bytes())
        except OSError:
            digest.update(name.encode() + b"\0missing")
    return digest.hexdigest()


def source_version(folders: tuple[str, ...] = ("", "inputs", "quantities")) -> str:
    """A hash of the package version and the source of the model (the package's top-level modules,
    inputs and quantities): what an update at an origin is computed by."""
    digest = hashlib.sha256(__version__.encode())
    package = Path(__file__).parent.parent
    for folder in folders:
        for path in sorted((package / folder).glob("*.py")):
            try:
                digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes())
            except OSError:
                digest.update(path.name.encode() + b"\0missing")
    return digest.hexdigest()


def cache_key(contents: list[tuple[Path, bytes]]) -> str:
    digest = hashlib.sha256(code_version().encode())
    for file, data in contents:
        digest.update(b"\0" + file.name.encode("utf-8", "surrogateescape") + b"\0" + len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


def _owned_by_user(st: os.stat_result) -> bool:
    return not hasattr(os, "getuid") or st.st_uid == os.getuid()


def _trusted_folder(folder: Path, create: bool) -> bool:
    try:
        if create:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = os.stat(folder)
    except OSError:
        return False
    if not stat.S_ISDIR(st.st_mode):
        warn(f"the driver cache {str(folder)!r} is not a folder; the cache is ignored")
        return False
    if not _owned_by_user(st) or st.st_mode & 0o022:
        warn(f"the driver cache folder {str(folder)!r} belongs to another user or is writable by others; "
             f"the cache is ignored (fix: chmod 700 it, or set CLOUDMODEL_CACHE_DIR)")
        return False
    return True


def _secret(folder: Path, create: bool) -> bytes | None:
    """The per-user secret: read it, or make it when asked; None (with a warning) if untrusted."""
    path = folder / SECRET_NAME
    if create and not os.path.lexists(path):
        # written whole to a private temporary file, then linked into place: a run starting at the
        # same moment sees either no secret or all of it, and only one secret ever wins
        temp = None
        try:
            handle, temp = tempfile.mkstemp(dir=folder, prefix=".secret-", suffix=".tmp")  # 0600
            with os.fdopen(handle, "wb") as out:
                out.write(secrets.token_bytes(SECRET_BYTES))
            os.link(temp, path)
        except FileExistsError:
            pass
        except OSError:
            return None
        finally:
            _discard(temp)
    key = _read_own_file(path, SECRET_BYTES, private=True,
                         refused=f"the driver cache secret {str(path)!r} cannot be opened (a symlink?); the cache is ignored",
                         foreign=f"the driver cache secret {str(path)!r} is not a private file of this user (it must be "
                                 "0600); the cache is ignored (fix: delete the cache folder)")
    if key is None:
        return None
    if len(key) != SECRET_BYTES:
        warn(f"the driver cache secret {str(path)!r} is damaged; the cache is ignored (fix: delete it)")
        return None
    return key


def _discard(temp: str | None) -> None:
    """Remove a temporary file left by a write that did not complete (nothing if there is none)."""
    if temp is not None:
        try:
            os.unlink(temp)
        except OSError:
            pass


def _read_own_file(path: Path, limit: int, private: bool, refused: str, foreign: str) -> bytes | None:
    """At most ``limit`` + 1 bytes of a regular file of this user, opened without following a symlink
    (and, if ``private``, readable by no one else); None — with a warning unless it is absent — otherwise."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        return None
    except OSError:
        warn(refused)
        return None
    with os.fdopen(fd, "rb") as handle:
        st = os.fstat(handle.fileno())
        loose = private and hasattr(os, "getuid") and st.st_mode & 0o077
        if not stat.S_ISREG(st.st_mode) or not _owned_by_user(st) or loose or st.st_size > limit:
            warn(foreign)
            return None
        return handle.read(limit + 1)


def _entry(folder: Path, key: str, kind: str = "drivers") -> Path:
    return folder / f"{kind}-{key[:32]}.json"


def _mac(secret: bytes, payload: bytes) -> bytes:
    return hmac.new(secret, payload, hashlib.sha256).hexdigest().encode()


def load(key: str, directory_: str, kind: str = "drivers") -> Any | None:
    """The document stored under ``key`` (a validated driver set, pointed at ``directory_``; or, with
    ``kind="update"``, an update at an origin); or None. Never raises: whatever is wrong with the
    cache, the work is simply done again."""
    try:
        return _load(key, directory_, kind)
    except (OSError, ValueError):
        return None


def _load(key: str, directory_: str, kind: str = "drivers") -> Any | None:
    folder = directory()
    if folder is None or not folder.is_dir() or not _trusted_folder(folder, create=False):
        return None
    path = _entry(folder, key, kind)
    data = _read_own_file(path, MAX_ENTRY_BYTES, private=False,
                          refused=f"the driver cache entry {str(path)!r} cannot be opened (a symlink?); it is ignored",
                          foreign=f"the driver cache entry {str(path)!r} is not a regular file of this user; it is ignored")
    if data is None:
        return None
    secret = _secret(folder, create=False)
    if secret is None:
        return None
    head, _, rest = data.partition(b"\n")
    mac, _, payload = rest.partition(b"\n")
    if head + b"\n" != MAGIC or not hmac.compare_digest(mac, _mac(secret, payload)):
        warn(f"the driver cache entry {str(path)!r} failed its authentication check (edited or planted?); "
             "it is ignored and the driver files are validated")
        return None
    try:
        document = json.loads(payload)
        if document["key"] != key:
            return None
        return document
    except (ValueError, KeyError, TypeError):
        return None


def store(key: str, document: dict[str, Any], kind: str = "drivers") -> None:
    """Keep a validated driver set, as the JSON document :func:`cloudmodel.inputs.drivers.cache_document`
    makes of it (or, with ``kind="update"``, an update's document), under ``key`` (silently skipped when
    the cache is unusable)."""
    try:
        _store(key, document, kind)
    except (OSError, ValueError):
        pass


def _store(key: str, document: dict[str, Any], kind: str = "drivers") -> None:
    folder = directory()
    if folder is None or not _trusted_folder(folder, create=True):
        return
    secret = _secret(folder, create=True)
    if secret is None:
        return
    payload = json.dumps({"key": key, **document}, ensure_ascii=False, separators=(",", ":")).encode()
    data = MAGIC + _mac(secret, payload) + b"\n" + payload
    temp = None
    try:
        handle, temp = tempfile.mkstemp(dir=folder, prefix=f".{kind}-", suffix=".tmp")
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temp, _entry(folder, key, kind))
        temp = None
    except OSError:
        pass
    finally:
        _discard(temp)
