"""Replication results as tables, and written to a folder all or nothing.

The files are written through :func:`sim.io.write_tree`: into a hidden staging folder beside the
target, fsynced, then moved in with atomic renames, so an interrupted or failed run never leaves a
half-written file in the output folder.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.io import Content, dumps_json, write_tree
from sim.runner import ReplicationResult

__all__ = ["kpi_frame", "kpi_summary", "timeseries_frame", "trace_frame", "write_run"]


def kpi_frame(results: Sequence[ReplicationResult]) -> pd.DataFrame:
    """One row per replication: replication, root_entropy, events, wall_time_s, then KPIs."""
    rows = [{"replication": r.replication, "root_entropy": str(r.root_entropy),
             "events": r.events, "wall_time_s": r.wall_time_s, **r.kpis} for r in results]
    return pd.DataFrame(rows)


def kpi_summary(results: Sequence[ReplicationResult], low: float = 0.05,
                high: float = 0.95) -> pd.DataFrame:
    """Per KPI: mean and the ``low``–``high`` quantile range over replications (NaNs ignored)."""
    names = list(results[0].kpis) if results else []
    values = np.array([[r.kpis.get(n, np.nan) for n in names] for r in results], dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN KPI gives NaN, as it should
        return pd.DataFrame({
            "kpi": names,
            "mean": np.nanmean(values, axis=0),
            f"p{round(low * 100)}": _nanquantile(values, low),
            f"p{round(high * 100)}": _nanquantile(values, high),
            "replications": np.sum(~np.isnan(values), axis=0),
        })


def _nanquantile(values: np.ndarray, q: float) -> np.ndarray:
    """Column quantiles ignoring NaN by linear interpolation (numpy's default), where +/-inf
    (e.g. "never within the horizon") is a value like any other: an interpolation that touches
    an infinite value is that infinity (a stand-in "huge" number gave finite nonsense such as
    4.5e306 between a finite value and inf)."""
    out = np.full(values.shape[1], np.nan)
    for j in range(values.shape[1]):
        column = np.sort(values[~np.isnan(values[:, j]), j])
        if column.size == 0:
            continue
        h = (column.size - 1) * q
        lo, hi, frac = int(np.floor(h)), int(np.ceil(h)), h - np.floor(h)
        a, b = column[lo], column[hi]
        if frac == 0 or np.isinf(a):
            out[j] = a
        elif np.isinf(b):
            out[j] = b
        else:
            out[j] = a + (b - a) * frac
    return out


def timeseries_frame(results: Sequence[ReplicationResult]) -> pd.DataFrame:
    """All replications' series stacked, with a leading ``replication`` column."""
    frames = [r.timeseries.assign(replication=r.replication) for r in results]
    frame = pd.concat(frames, ignore_index=True)
    return frame[["replication", *[c for c in frame.columns if c != "replication"]]]


def trace_frame(results: Sequence[ReplicationResult]) -> pd.DataFrame | None:
    """All replications' traces stacked, or None when no trace was recorded."""
    frames = [r.trace.assign(replication=r.replication) for r in results if r.trace is not None]
    return pd.concat(frames, ignore_index=True) if frames else None


def write_run(out_dir: str | Path, results: Sequence[ReplicationResult],
              manifest: Mapping[str, Any],
              extra_files: Mapping[str, Content] | None = None) -> list[Path]:
    """Write kpis.csv, kpi_summary.csv, timeseries.parquet, trace.parquet (if traced),
    extras.json (if the model gives per-zone extras) and manifest.json for a set of
    replications of one scenario, plus ``extra_files`` (name -> bytes, text or a writer called
    with the path, e.g. figures) before the manifest, all in one all-or-nothing write."""
    writers: dict[str, Content] = {
        "kpis.csv": lambda p: kpi_frame(results).to_csv(p, index=False),
        "kpi_summary.csv": lambda p: kpi_summary(results).to_csv(p, index=False),
        "timeseries.parquet": lambda p: timeseries_frame(results).to_parquet(p, index=False),
    }
    trace = trace_frame(results)
    if trace is not None:
        writers["trace.parquet"] = lambda p: trace.to_parquet(p, index=False)
    if any(r.extras for r in results):
        # Per-zone results (peak depth, hours until basic needs met, concentration layers).
        # One line; NaN and infinities (JSON has none) as null.
        extras = [{"replication": r.replication, **r.extras} for r in results]
        writers["extras.json"] = dumps_json(extras, indent=None)
    for name, write in (extra_files or {}).items():
        if name in writers or name == "manifest.json" or Path(name).name != name:
            raise ValueError(f"extra file {name!r}: expected a plain file name not used by the "
                             "run's own outputs")
        writers[name] = write
    writers["manifest.json"] = dumps_json(dict(manifest), default=str)
    return write_tree(out_dir, writers)
