"""The output formats and unit systems a verb may be asked for, checked before any work (light: no
table or terminal library is imported here)."""

from __future__ import annotations

from cloudmodel.errors import InputError

ALL_FORMATS = ("table", "csv", "json", "parquet", "xlsx")


def check_format(fmt: str, allowed: tuple[str, ...] = ALL_FORMATS) -> None:
    if fmt not in allowed:
        raise InputError.one("--format", "", fmt, f"unknown format; choose from {', '.join(allowed)}")


def check_units(units: str) -> None:
    if units in ("cn", "k"):  # cloudmodel.numbers.UNIT_SYSTEMS, without importing it on the fast path
        return
    from cloudmodel.numbers import UNIT_SYSTEMS

    if units not in UNIT_SYSTEMS:
        raise InputError.one("--units", "", units, f"choose {' or '.join(UNIT_SYSTEMS)}")


def check_choice(option: str, value: str, choices: tuple[str, ...]) -> None:
    """An option that takes one of a few words (``--period year|quarter``)."""
    if value not in choices:
        raise InputError.one(option, "", value, f"choose {', '.join(choices[:-1])} or {choices[-1]}")
