"""Structured event trace: (time, kind, entity, place, quantity) rows, off by default.

A model logs what happened ("request", "grant", "release", "cancel" from the monitored
resources, or its own kinds such as "warned" or "rescued"). When the trace is disabled ``log``
returns at once, and hot code paths test ``trace.enabled`` before building labels, so an untraced
run pays almost nothing.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from sim.io import write_file

__all__ = ["Trace", "TRACE_COLUMNS"]

TRACE_COLUMNS = ("time", "kind", "entity", "place", "quantity")


class Trace:
    """An append-only event log for one replication (time in sim minutes)."""

    __slots__ = ("enabled", "_rows")

    def __init__(self, enabled: bool = False) -> None:
        self.enabled = enabled
        self._rows: list[tuple[float, str, str, str, float]] = []

    def log(
        self, time: float, kind: str, entity: str = "", place: str = "",
        quantity: float = math.nan,
    ) -> None:
        """Append one row (a no-op when the trace is disabled)."""
        if self.enabled:
            self._rows.append((float(time), kind, entity, place, float(quantity)))

    def __len__(self) -> int:
        return len(self._rows)

    def rows(self, kind: str | None = None) -> list[tuple[float, str, str, str, float]]:
        """The logged rows, optionally only those of one ``kind``."""
        if kind is None:
            return list(self._rows)
        return [row for row in self._rows if row[1] == kind]

    def to_frame(self) -> pd.DataFrame:
        """The trace as a DataFrame with columns time, kind, entity, place, quantity."""
        frame = pd.DataFrame.from_records(self._rows, columns=list(TRACE_COLUMNS))
        return frame.astype({"time": "float64", "kind": "string", "entity": "string",
                             "place": "string", "quantity": "float64"})

    def to_parquet(self, path: str | Path) -> None:
        """Write the trace to a Parquet file (pyarrow), atomically (:func:`sim.io.write_file`)."""
        frame = self.to_frame()
        write_file(path, lambda target: frame.to_parquet(target, index=False))
