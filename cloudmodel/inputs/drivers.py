"""Driver files: the only home of a figure from the report.

A driver file is TOML, UTF-8 (a BOM is accepted), one theme per file::

    theme = "AI adoption"

    [[driver]]
    id = "ai.customers_dec2024"
    label = "AI customers, December 2024"
    value = "33万"            # a number in `unit`, or a string with a scale word / unit
    unit = "count"
    period = "2024-12"        # FY2026, FY2026Q1, CY2024, or an as-of date YYYY-MM(-DD)
    kind = "report"           # report | outside | derived | assumption | calibrated
    quote = "…"               # report: verbatim from the report
    where = "三（一）…"        # report: where the quote stands

Each kind carries its source: ``report`` a ``quote`` and ``where``; ``outside`` a
``source``; ``assumption`` a ``reason``; ``derived`` a ``formula`` over other driver ids
(the value is computed at load, so it can never go stale); ``calibrated`` a ``target`` it
was solved to meet and a ``reason``. ``low``/``high`` keep the report's range and
``reading`` says how vague words (个位数, 十几亿, 1亿多) were read. ``bounds`` overrides the
unit's default bounds (ratios 0–1, everything else ≥ 0).

:func:`load_drivers` validates every file with pydantic in strict mode and reports *all*
problems of all files together as one :class:`~cloudmodel.errors.InputError`.
"""

from __future__ import annotations

import ast
import hashlib
import math
import operator
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cloudmodel.errors import InputError, InputProblem, did_you_mean
from cloudmodel.units import UnitError, parse_quantity

if TYPE_CHECKING:
    from cloudmodel.inputs.schema import DriverSpec

KINDS = ("report", "outside", "derived", "assumption", "calibrated")
#: Kinds a run adds to the files' drivers: ``estimated`` — a parameter of the residual states,
#: estimated at the origin from what was reported by then (:mod:`cloudmodel.living`), never in a file.
RUN_KINDS = (*KINDS, "estimated")
DISTRIBUTIONS = ("uniform", "triangular", "pert", "lognormal", "discrete", "bernoulli")
#: Most overrides one scenario file, or the ``--set`` options of one run, may give. A driver is set
#: at most once and the model has a few hundred; 10,000 leaves room for a drivers folder of one's
#: own, while a file of a million ids is refused before any is looked up.
MAX_OVERRIDES = 10_000
#: The file of a drivers folder that ``calibrate --write`` rewrites (the report's calibration).
CALIBRATED_FILE = "calibrated.toml"
#: Most ``--set`` options of one run: a driver is set once, and the model has a few hundred.
#: More belong in a scenario file (at most :data:`MAX_OVERRIDES` overrides).
MAX_SETS = 1_000


#: How far past its report range an override may go: a scenario explores beyond a range, a value a
#: thousand times its size is a unit slip (RMB mn typed as yuan) or an attack, and only overflows.
FAR_OUTSIDE = 1_000


def _far_outside(driver: Driver, value: float) -> str | None:
    """Why ``value`` is implausibly far above the driver's report range (positive ranges only), or None."""
    if not driver.has_range or driver.low is None or driver.high is None or driver.low <= 0 or value <= 0:
        return None
    if value > driver.high * FAR_OUTSIDE:  # above only: a small value is a legitimate extreme, and cannot overflow
        return (f"{value:g} is more than {FAR_OUTSIDE:,}× outside the report's range [{driver.low:g}, {driver.high:g}] "
                f"{driver.unit}: not a plausible value")
    return None


def parse_sets(items: list[str] | None) -> dict[str, str]:
    """``--set ID=VALUE`` options as overrides (values still text: their units are parsed with the driver's)."""
    if items and len(items) > MAX_SETS:
        raise InputError.one("--set", "", None, f"is given {len(items):,} times; a run takes at most {MAX_SETS:,}",
                             "put many overrides in a scenario file instead")
    overrides: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise InputError.one("--set", item, item, "expected ID=VALUE", "e.g. --set ai.penetration_target=18%")
        overrides[key.strip()] = value.strip()
    return overrides
_REQUIRED_BY_KIND = {
    "report": ("quote", "where"),
    "outside": ("source",),
    "assumption": ("reason",),
    "derived": ("formula",),
    "calibrated": ("target", "reason"),
}


def default_bounds(unit: str) -> tuple[float, float]:
    """Ratios lie in [0, 1]; every other unit is non-negative. A driver may widen this."""
    return (0.0, 1.0) if unit == "ratio" else (0.0, math.inf)


@dataclass(frozen=True)
class Driver:
    """A validated driver with its value(s) in the canonical unit."""

    id: str
    label: str
    value: float
    unit: str
    period: str
    kind: str
    file: str
    theme: str
    low: float | None = None
    high: float | None = None
    bounds: tuple[float, float] = (0.0, math.inf)
    quote: str | None = None
    where: str | None = None
    source: str | None = None
    reason: str | None = None
    formula: str | None = None
    target: str | None = None
    reading: str | None = None
    distribution: dict | None = None
    overridden: bool = False
    fit: bool = True  # the quarterly update may move it (``fit = false`` in its file: never)
    schedule: str | None = None  # the dated path it is an entry of (``schedule = "growth.organic"``), from its period on

    @property
    def has_range(self) -> bool:
        return self.low is not None and self.high is not None

    def short_source(self, width: int = 60) -> str:
        text = {
            "report": f"「{self.quote}」 {self.where}",
            "outside": self.source,
            "assumption": self.reason,
            "derived": self.formula,
            "calibrated": f"meets {self.target}",
            "estimated": self.reason,
        }[self.kind] or ""
        text = re.sub(r"\s+", " ", text).strip()
        if len(text) <= width:
            return text
        return text[: width - 1].rsplit(" ", 1)[0].rstrip(" ,;:") + " …"  # cut at a space, never inside a number

    def record(self) -> dict[str, Any]:
        """Full record for ``drivers --format json`` (the quote in full)."""
        out = {k: v for k, v in self.__dict__.items() if v is not None}
        out["bounds"] = [b if math.isfinite(b) else None for b in self.bounds]
        return out


@dataclass
class DriverSet(Mapping):
    """All drivers, by id, in file order; behaves as a read-only mapping id -> Driver."""

    drivers: dict[str, Driver]
    files_hash: str = ""
    directory: str = ""
    overrides: dict[str, float] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)  # overridden id -> "--set" or "scenario NAME"
    updates: dict[str, tuple[float, float]] = field(default_factory=dict)  # updated id -> (file value, update)
    basis: Any = field(default=None, repr=False, compare=False)  # the run's basis (cloudmodel.basis): it pins the past

    def __getitem__(self, key: str) -> Driver:
        return self.drivers[key]

    def __iter__(self):
        return iter(self.drivers)

    def __len__(self) -> int:
        return len(self.drivers)

    def records(self, ids: Any = None) -> list[dict[str, Any]]:
        """The drivers' full records (``drivers --format json``): the file's value beside the run's, and a
        short source cut at a space."""
        return [self[i].record() | {"file_value": self.updates.get(i, (self[i].value,))[0],
                                    "short_source": self[i].short_source()} for i in (self.keys() if ids is None else ids)]

    def values_by_id(self) -> dict[str, float]:
        return {k: d.value for k, d in self.drivers.items()}

    def require(self, driver_id: str, where: str = "--set") -> Driver:
        if driver_id not in self.drivers:
            raise InputError.one(where, driver_id, None, "unknown driver id", did_you_mean(driver_id, self.drivers))
        return self.drivers[driver_id]

    def with_overrides(self, overrides: Mapping[str, Any], where: str = "--set") -> DriverSet:
        """A copy with values replaced (strings with units are parsed); derived ones recomputed.
        At most :data:`MAX_OVERRIDES` of them (a scenario file's or the ``--set`` options')."""
        if len(overrides) > MAX_OVERRIDES:
            raise InputError.one(where, "", None, f"gives {len(overrides):,} overrides; at most {MAX_OVERRIDES:,} are "
                                 "accepted", f"the model has {len(self.drivers):,} drivers: each is set at most once")
        problems: list[InputProblem] = []
        drivers = dict(self.drivers)
        applied = dict(self.overrides)
        sources = dict(self.sources)
        for key, raw in overrides.items():
            if key not in drivers:
                problems.append(InputProblem(where, key, raw, "unknown driver id", did_you_mean(key, drivers)))
                continue
            driver = drivers[key]
            if driver.kind == "derived":
                problems.append(InputProblem(where, key, raw, f"is derived ({driver.formula}); set its inputs instead"))
                continue
            if isinstance(raw, bool) or not isinstance(raw, str | int | float):
                problems.append(InputProblem(where, key, raw, f"a value is a number or a string with a unit, not {_type_name(raw)}",
                                             f"e.g. \"15%\" or 0.15; unit is {driver.unit}"))
                continue
            try:
                value = parse_quantity(raw, driver.unit)
            except UnitError as exc:
                problems.append(InputProblem(where, key, raw, str(exc), f"unit is {driver.unit}"))
                continue
            lo, hi = driver.bounds
            if not lo <= value <= hi:
                problems.append(InputProblem(where, key, raw, f"outside the bounds [{lo:g}, {hi:g}] of {driver.unit}"))
                continue
            far = _far_outside(driver, value)
            if far:
                problems.append(InputProblem(where, key, raw, far, "check the unit: a scenario goes past a range, "
                                             f"not {FAR_OUTSIDE:,}× past it"))
                continue
            drivers[key] = replace(driver, value=value, overridden=True)
            applied[key] = value
            sources[key] = where
        if problems:
            raise InputError(problems)
        problems = _compute_derived(drivers)
        if problems:
            raise InputError(problems)
        return DriverSet(drivers, self.files_hash, self.directory, applied, sources, self.updates, self.basis)

    def updated(self, changes: Mapping[str, float], added: Iterable[Driver] = (), where: str = "update") -> DriverSet:
        """A copy with the update's values (``changes``, in canonical units, within bounds) and drivers
        a run adds (``estimated`` parameters); derived drivers recomputed. The files' values stay in
        :attr:`updates` as ``(prior, posterior)``."""
        drivers = dict(self.drivers)
        updates = dict(self.updates)
        for key, value in changes.items():
            lo, hi = drivers[key].bounds
            value = min(hi, max(lo, float(value)))
            updates[key] = (drivers[key].value, value)
            drivers[key] = replace(drivers[key], value=value)
        for driver in added:
            drivers[driver.id] = driver
        problems = _compute_derived(drivers)
        if problems:
            raise InputError(problems)
        return DriverSet(drivers, self.files_hash, self.directory, dict(self.overrides), dict(self.sources), updates, self.basis)


def _type_name(value: Any) -> str:
    return {list: "a list", dict: "a table", bool: "a boolean"}.get(type(value), f"a {type(value).__name__}")


# --------------------------------------------------------------------------- loading


def read_text(path: Path, limit: int | None = None, what: str = "file") -> str:
    """UTF-8 with or without a BOM; anything else is an error that says so. With ``limit`` the
    file must also be a regular file of at most that many bytes (see :func:`read_input_file`)."""
    if limit is not None:
        return decode_text(read_input_file(Path(path), None, limit, what), str(path))
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError.one(str(path), "", None, f"cannot be read: {exc.strerror or exc}") from None
    return decode_text(data, str(path))


def decode_text(data: bytes, name: str) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError.one(
            name, "", None,
            f"is not UTF-8 text (byte {exc.start} is 0x{data[exc.start]:02x})",
            "save the file as UTF-8; GBK or GB18030 files are not accepted",
        ) from None


def _spec_problems(file: str, index: int, raw: dict) -> tuple[DriverSpec | None, list[InputProblem]]:
    from pydantic import ValidationError

    from cloudmodel.inputs.schema import SPEC_FIELDS, DriverSpec

    problems: list[InputProblem] = []
    try:
        spec = DriverSpec.model_validate(raw)
    except ValidationError as exc:
        for err in exc.errors():
            key = f"driver[{index}]." + ".".join(str(p) for p in err["loc"])
            if isinstance(raw.get("id"), str):
                key += f" (id {raw['id']!r})"
            if err["type"] == "extra_forbidden":
                problems.append(InputProblem(file, key, None, "unknown key", did_you_mean(str(err["loc"][-1]), SPEC_FIELDS)))
            else:
                msg = err["msg"].removeprefix("Value error, ")
                problems.append(InputProblem(file, key, err.get("input"), msg))
        return None, problems
    where = f"driver[{index}] (id {spec.id!r})"
    for name in _REQUIRED_BY_KIND[spec.kind]:
        if not getattr(spec, name):
            problems.append(InputProblem(file, where + f".{name}", None, f"a {spec.kind} driver needs a {name}"))
    if spec.kind != "derived" and spec.value is None:
        problems.append(InputProblem(file, where + ".value", None, "a value is required (only derived drivers compute theirs)"))
    if spec.kind == "derived" and spec.value is not None:
        problems.append(InputProblem(file, where + ".value", spec.value, "a derived driver computes its value from its formula; remove the value"))
    return spec, problems


def _to_driver(file: str, theme: str, index: int, spec: DriverSpec) -> tuple[Driver | None, list[InputProblem]]:
    problems: list[InputProblem] = []
    where = f"driver[{index}] (id {spec.id!r})"
    parsed: dict[str, float | None] = {}
    for name in ("value", "low", "high"):
        raw = getattr(spec, name)
        if raw is None:
            parsed[name] = None
            continue
        try:
            parsed[name] = parse_quantity(raw, spec.unit)
        except UnitError as exc:
            problems.append(InputProblem(file, f"{where}.{name}", raw, str(exc), f"unit is {spec.unit}"))
    if problems:
        return None, problems
    bounds = tuple(spec.bounds) if spec.bounds else default_bounds(spec.unit)
    low, high, value = parsed["low"], parsed["high"], parsed["value"]
    if (low is None) != (high is None):
        problems.append(InputProblem(file, where, None, "a range needs both low and high"))
    if low is not None and high is not None and low > high:
        problems.append(InputProblem(file, f"{where}.low", spec.low, f"low is above high ({spec.high!r})", "swap them"))
    for name, v in (("value", value), ("low", low), ("high", high)):
        if v is not None and not bounds[0] <= v <= bounds[1]:
            problems.append(InputProblem(
                file, f"{where}.{name}", getattr(spec, name),
                f"outside the bounds [{bounds[0]:g}, {bounds[1]:g}] of a {spec.unit} driver",
                "a ratio is a decimal (0.15) or a percentage (15%)" if spec.unit == "ratio" else "",
            ))
    if value is not None and low is not None and high is not None and low <= high and not low <= value <= high:
        problems.append(InputProblem(file, f"{where}.value", spec.value, f"outside its own range [{spec.low}, {spec.high}]"))
    if problems:
        return None, problems
    driver = Driver(
        id=spec.id, label=spec.label, value=math.nan if value is None else value, unit=spec.unit,
        period=spec.period, kind=spec.kind, file=file, theme=theme, low=low, high=high, bounds=bounds,
        quote=spec.quote, where=spec.where, source=spec.source, reason=spec.reason, formula=spec.formula,
        target=spec.target, reading=spec.reading,
        distribution=spec.distribution.model_dump(exclude_none=True) if spec.distribution else None,
        fit=spec.fit is not False, schedule=spec.schedule,
    )
    return driver, []


#: A driver file larger than this is refused unread. The largest shipped file is ~20 kB; a
#: megabyte is fifty times that (hundreds of drivers with long quotes) and still reads instantly,
#: while anything bigger is a mistake (a data dump, /dev/zero behind a link) rather than drivers.
MAX_DRIVER_FILE_BYTES = 1024 * 1024
#: A drivers folder holds at most this many files, of at most this many bytes in all. The shipped
#: folder has a dozen files and under 200 kB; these limits are a hundred times that, and keep a
#: folder given by mistake (a home folder, a data dump) from being read whole.
MAX_DRIVER_FILES = 1000
#: Most drivers a folder may define: the shipped folder has a few hundred; validating each costs
#: a schema check, so a folder of a hundred thousand generated entries is refused before that.
MAX_DRIVERS = 10_000
MAX_DRIVERS_TOTAL_BYTES = 16 * 1024 * 1024
#: Deepest nesting a driver or scenario file may have. Real files are three levels deep (file →
#: [[driver]] → distribution); a hostile file nested thousands deep would exhaust the parser's stack.
MAX_NESTING = 32


def nesting_depth(value: Any) -> int:
    """How deeply lists and tables nest in parsed TOML/JSON (iterative: no recursion limit)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            if depth > MAX_NESTING:
                return depth
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def parse_toml(text: str, name: str) -> dict[str, Any]:
    """TOML text → a dict; syntax errors, runaway nesting and stack exhaustion become one problem."""
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError.one(name, "", None, f"is not valid TOML: {exc}", "check quotes, brackets and '=' on that line") from None
    except RecursionError:
        data = None
    if data is None or nesting_depth(data) > MAX_NESTING:
        raise InputError.one(name, "", None, f"nests lists or tables more than {MAX_NESTING} deep",
                             "a driver file is [[driver]] tables of plain values") from None
    return data


def read_input_file(path: Path, folder: Path | None = None, limit: int = MAX_DRIVER_FILE_BYTES, what: str = "driver file") -> bytes:
    """The bytes of a regular file under ``limit`` bytes, refused with a clear problem otherwise.

    A symlink must resolve inside ``folder`` (when given); its target's content is never read
    otherwise. FIFOs, devices and folders are refused without being opened, so nothing hangs."""
    import os
    import stat

    name = str(path)
    try:
        st = os.lstat(path)
        if stat.S_ISLNK(st.st_mode):
            try:
                target = path.resolve(strict=True)
            except FileNotFoundError:
                raise InputError.one(name, "", None, f"is a symbolic link to nothing (dangling); the {what} must exist") from None
            except (RuntimeError, OSError):
                raise InputError.one(name, "", None, "is a symbolic link in a loop") from None
            if folder is not None:
                root = folder.resolve()
                if root not in target.parents:
                    raise InputError.one(name, "", None, f"is a symbolic link to a file outside {str(folder)!r}; refused unread",
                                         "copy the file into the folder instead of linking it")
            st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            kind = "a folder" if stat.S_ISDIR(st.st_mode) else "a FIFO, device or socket"
            raise InputError.one(name, "", None, f"is {kind}, not a regular file; the {what} must be a regular file")
        if st.st_size > limit:
            raise InputError.one(name, "", None, f"is {st.st_size:,} bytes; the {what} may be at most {limit:,} bytes")
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise InputError.one(name, "", None, f"is not a regular file; the {what} must be a regular file")
            data = handle.read(limit + 1)
    except FileNotFoundError:
        raise InputError.one(name, "", None, "no such file") from None
    except OSError as exc:
        raise InputError.one(name, "", None, f"cannot be read: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise InputError.one(name, "", None, f"is more than {limit:,} bytes; the {what} may be at most {limit:,} bytes")
    return data


def load_drivers(directory: str | Path | None = None) -> DriverSet:
    """Load and validate every ``*.toml`` file of a drivers directory (default: the shipped one).

    Raises :class:`~cloudmodel.errors.InputError` listing every problem in every file.
    A directory whose files are byte-for-byte those of an earlier successful load is read
    from the validated cache (:mod:`cloudmodel.inputs.cache`) instead of being validated again.
    """
    from cloudmodel.inputs import cache
    from cloudmodel.inputs.files import protect_dir, register_input
    from cloudmodel.inputs.resources import drivers_dir

    path = Path(directory) if directory is not None else drivers_dir()
    try:
        exists, is_dir = path.exists(), path.is_dir()
        files = sorted(path.glob("*.toml")) if is_dir else []
    except OSError as exc:
        raise InputError.one(str(path), "", None, f"cannot be read: {exc.strerror or exc}", "pass --drivers DIR") from None
    if not exists:
        raise InputError.one(str(path), "", None, "the drivers directory does not exist", "pass --drivers DIR")
    if not is_dir:
        raise InputError.one(str(path), "", None, "is a file, not a drivers directory", "pass the folder that holds the .toml files")
    if not files:
        raise InputError.one(str(path), "", None, "holds no driver files (*.toml)")
    protect_dir(path, ".toml")
    protect_dir(path / "scenarios", ".toml")
    from cloudmodel.inputs.resources import fixtures_dir

    protect_dir(fixtures_dir())  # the reported history and the report's targets: read by every run
    cache_dir = cache.directory()
    if cache_dir is not None:
        protect_dir(cache_dir)
    if len(files) > MAX_DRIVER_FILES:
        raise InputError.one(str(path), "", None, f"holds {len(files):,} driver files; a drivers folder holds at most "
                             f"{MAX_DRIVER_FILES:,}", "is this the right folder?")
    contents, problems, total = [], [], 0
    for file in files:
        register_input(file)
        try:
            contents.append((file, read_input_file(file, path)))
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        total += len(contents[-1][1])
        if total > MAX_DRIVERS_TOTAL_BYTES:
            raise InputError.one(str(path), "", None, f"its driver files add up to more than {MAX_DRIVERS_TOTAL_BYTES:,} "
                                 "bytes", "is this the right folder?")
    if problems:
        raise InputError(problems)
    digest = hashlib.sha256()
    for file, data in contents:
        digest.update(file.name.encode("utf-8", "surrogateescape") + b"\0" + data)
    files_hash = digest.hexdigest()[:16]
    key = cache.cache_key(contents)
    cached = from_cache_document(cache.load(key, str(path)), str(path))
    if cached is not None:
        return cached
    drivers = _validate(contents)
    result = DriverSet(drivers, files_hash, str(path))
    cache.store(key, cache_document(result))
    return result


def cache_document(drivers: DriverSet) -> dict[str, Any]:
    """A validated driver set as plain JSON data for :mod:`cloudmodel.inputs.cache` (file names, not paths)."""
    records = []
    for d in drivers.values():
        record = dict(d.__dict__)
        record["file"] = Path(d.file).name
        record["bounds"] = [b if math.isfinite(b) else None for b in d.bounds]
        records.append(record)
    return {"files_hash": drivers.files_hash, "drivers": records}


def from_cache_document(document: dict[str, Any] | None, folder: str) -> DriverSet | None:
    """The driver set of an authenticated cache entry (None for none, or one of another shape).
    The key is the files' names and bytes, not their folder: each driver points at ``folder``."""
    if document is None:
        return None
    try:
        drivers = {}
        for record in document["drivers"]:
            fields = dict(record)
            fields["bounds"] = tuple(math.inf if b is None else float(b) for b in fields["bounds"])
            fields["file"] = str(Path(folder) / fields["file"])
            driver = Driver(**fields)
            drivers[driver.id] = driver
        return DriverSet(drivers, document["files_hash"], folder)
    except (KeyError, TypeError, ValueError):
        return None


def _validate(contents: list[tuple[Path, bytes]]) -> dict[str, Driver]:
    from pydantic import ValidationError

    from cloudmodel.inputs.schema import DriverFile

    problems: list[InputProblem] = []
    drivers: dict[str, Driver] = {}
    count = 0
    for file, raw_bytes in contents:
        name = str(file)
        try:
            data = parse_toml(decode_text(raw_bytes, name), name)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        entries = data.get("driver")
        count += len(entries) if isinstance(entries, list) else 0
        if count > MAX_DRIVERS:  # before validating them: each costs a schema check
            raise InputError.one(str(file.parent), "", None, f"holds more than {MAX_DRIVERS:,} [[driver]] entries "
                                 f"(counted up to {file.name})", "is this the right folder?")
        try:
            content = DriverFile.model_validate(data)
        except ValidationError as exc:
            for err in exc.errors():
                key = ".".join(str(p) for p in err["loc"])
                if err["type"] == "extra_forbidden":
                    problems.append(InputProblem(name, key, None, "unknown top-level key", did_you_mean(key, ("theme", "driver"))))
                else:
                    problems.append(InputProblem(name, key, err.get("input"), err["msg"]))
            continue
        for index, raw in enumerate(content.driver):
            spec, found = _spec_problems(name, index, raw)
            problems.extend(found)
            if spec is None or found:
                continue
            driver, found = _to_driver(name, content.theme, index, spec)
            problems.extend(found)
            if driver is None:
                continue
            if driver.id in drivers:
                first = drivers[driver.id]
                problems.append(InputProblem(
                    name, f"driver[{index}].id", driver.id,
                    f"duplicate id: already defined in {Path(first.file).name}",
                    "ids are unique across all files; rename or remove one",
                ))
                continue
            drivers[driver.id] = driver
    if not problems:
        problems.extend(_compute_derived(drivers))
    if problems:
        raise InputError(problems)
    return drivers


# --------------------------------------------------------------------------- derived formulas

_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv, ast.Pow: operator.pow}


def formula_names(formula: str) -> list[str]:
    """Driver ids a formula reads (dotted names)."""
    return re.findall(r"[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+", formula)


def evaluate_formula(formula: str, values: Mapping[str, float]) -> float:
    """Evaluate ``+ - * / **`` over numbers and driver ids (dotted names)."""
    names = {n: f"_v{i}" for i, n in enumerate(sorted(set(formula_names(formula)), key=len, reverse=True))}
    text = formula
    for name, alias in names.items():
        text = re.sub(rf"(?<![\w.]){re.escape(name)}(?![\w.])", alias, text)
    env = {alias: values[name] for name, alias in names.items()}

    def ev(node: ast.AST) -> float:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
            return float(node.value)
        if isinstance(node, ast.Name) and node.id in env:
            return env[node.id]
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](ev(node.left), ev(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -ev(node.operand)
        raise ValueError(f"unsupported element in formula: {ast.dump(node)[:40]}")

    return ev(ast.parse(text, mode="eval"))


def _compute_derived(drivers: dict[str, Driver]) -> list[InputProblem]:
    """Fill in derived values in dependency order; report unknown names and cycles."""
    problems: list[InputProblem] = []
    pending = {k: d for k, d in drivers.items() if d.kind == "derived"}
    for key, d in pending.items():
        for name in formula_names(d.formula or ""):
            if name not in drivers:
                problems.append(InputProblem(d.file, f"{key}.formula", d.formula, f"names unknown driver {name!r}", did_you_mean(name, drivers)))
    if problems:
        return problems
    done = {k for k in drivers if k not in pending}
    while pending:
        ready = [k for k, d in pending.items() if all(n in done for n in formula_names(d.formula or ""))]
        if not ready:
            return [InputProblem(d.file, f"{k}.formula", d.formula, "derived drivers refer to each other in a cycle") for k, d in pending.items()]
        for key in ready:
            d = pending.pop(key)
            try:
                value = evaluate_formula(d.formula or "", {k: drivers[k].value for k in done})
            except (ValueError, ZeroDivisionError, SyntaxError, OverflowError, RecursionError, MemoryError) as exc:
                problems.append(InputProblem(d.file, f"{key}.formula", d.formula, f"cannot be evaluated: {exc}"))
                value = math.nan
            lo, hi = d.bounds
            if value == value and not lo <= value <= hi:
                problems.append(InputProblem(d.file, f"{key}.formula", d.formula, f"gives {value:g}, outside the bounds [{lo:g}, {hi:g}]"))
            drivers[key] = replace(d, value=value)
            done.add(key)
    return problems
