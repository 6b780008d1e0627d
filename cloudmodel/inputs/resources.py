"""Where the shipped driver files and fixtures are: in a checkout, or inside the wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent  # cloudmodel/, whose parent is the checkout


def _find(name: str) -> Path:
    """``drivers``/``fixtures`` beside the package in a checkout, else ``cloudmodel/_data/``."""
    checkout = _PACKAGE.parent / name
    if checkout.is_dir() and (_PACKAGE.parent / "pyproject.toml").is_file():
        return checkout
    return _PACKAGE / "_data" / name


def drivers_dir() -> Path:
    return _find("drivers")


def fixtures_dir() -> Path:
    return _find("fixtures")


def scenarios_dir() -> Path:
    return drivers_dir() / "scenarios"
