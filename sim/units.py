"""Readable durations for input files: ``"90min"``, ``"2h"``, ``"1d"``, ``"1h30min"``.

The simulation clock runs in minutes; a plain number in a file is minutes too.
"""

from __future__ import annotations

import math
import re
from typing import Annotated

from pydantic import BeforeValidator, WithJsonSchema

__all__ = ["Duration", "parse_duration", "format_duration", "MINUTES_PER"]

MINUTES_PER = {
    "s": 1 / 60, "sec": 1 / 60, "second": 1 / 60, "seconds": 1 / 60,
    "min": 1.0, "minute": 1.0, "minutes": 1.0,
    "h": 60.0, "hr": 60.0, "hour": 60.0, "hours": 60.0,
    "d": 1440.0, "day": 1440.0, "days": 1440.0,
    "w": 10080.0, "week": 10080.0, "weeks": 10080.0,
}
_PART = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-zA-Z]+)\s*")
_EXPECTED = 'a duration like "90min", "2h", "1d" or "1h30min" (units s, min, h, d, w), or minutes'


def parse_duration(value: object) -> float:
    """Minutes in ``value``: a non-negative number (minutes) or a string with units."""
    if isinstance(value, bool):
        raise ValueError(f"expected {_EXPECTED}, got {value!r}")
    if isinstance(value, int | float):
        minutes = float(value)
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            raise ValueError(f"expected {_EXPECTED}, got an empty string")
        minutes, pos = 0.0, 0
        while pos < len(text):
            match = _PART.match(text, pos)
            if not match:
                raise ValueError(f"expected {_EXPECTED}, got {value!r}")
            number, unit = match.groups()
            factor = MINUTES_PER.get(unit.lower())
            if factor is None:
                hint = ' (use "min" for minutes)' if unit.lower() == "m" else ""
                raise ValueError(
                    f"unknown time unit {unit!r} in {value!r}{hint}; expected {_EXPECTED}")
            minutes += float(number) * factor
            pos = match.end()
    else:
        raise ValueError(f"expected {_EXPECTED}, got {type(value).__name__}")
    if not math.isfinite(minutes) or minutes < 0:
        raise ValueError(f"expected a finite, non-negative duration, got {value!r}")
    return minutes


def format_duration(minutes: float) -> str:
    """A compact readable form of ``minutes``: 90 -> "1h30min", 2880 -> "2d"."""
    if minutes < 1:
        return f"{minutes * 60:g}s"
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    parts = [f"{days:g}d" if days else "", f"{hours:g}h" if hours else "",
             f"{mins:g}min" if mins else ""]
    return "".join(parts) or "0min"


Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0, "description": "minutes"},
                {"type": "string", "pattern": r"^(\s*\d*\.?\d+\s*[a-zA-Z]+\s*)+$",
                 "examples": ["90min", "2h", "1d", "1h30min"]},
            ]
        }
    ),
]
"""A duration in minutes, read from a number (minutes) or a string with units."""
