"""Write replication results to a folder, all or nothing.

Files are first written into a hidden staging folder beside the target, then moved in with atomic
renames, so an interrupted or failed run never leaves a half-written file in the output folder.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.runner import ReplicationResult

__all__ = ["kpi_frame", "kpi_summary", "timeseries_frame", "trace_frame", "write_atomically",
           "write_run"]


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
    """Column quantiles ignoring NaN, where +/-inf (e.g. "never within the horizon") is a value
    like any other rather than poisoning the interpolation into NaN."""
    huge = np.finfo(float).max / 4
    finite = np.where(np.isinf(values), np.sign(values) * huge, values)
    result = np.nanquantile(finite, q, axis=0)
    return np.where(np.abs(result) >= huge / 2, np.sign(result) * np.inf, result)


def timeseries_frame(results: Sequence[ReplicationResult]) -> pd.DataFrame:
    """All replications' series stacked, with a leading ``replication`` column."""
    frames = [r.timeseries.assign(replication=r.replication) for r in results]
    frame = pd.concat(frames, ignore_index=True)
    return frame[["replication", *[c for c in frame.columns if c != "replication"]]]


def trace_frame(results: Sequence[ReplicationResult]) -> pd.DataFrame | None:
    """All replications' traces stacked, or None when no trace was recorded."""
    frames = [r.trace.assign(replication=r.replication) for r in results if r.trace is not None]
    return pd.concat(frames, ignore_index=True) if frames else None


def write_atomically(
    out_dir: str | Path, writers: Mapping[str, Callable[[Path], Any]]
) -> list[Path]:
    """Call each ``writers[name](path)`` into a staging folder, then move the files into
    ``out_dir`` (created if needed). On any error nothing reaches ``out_dir``."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise NotADirectoryError(f"{out_dir} exists and is not a folder")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        for name, write in writers.items():
            write(staging / name)
        out_dir.mkdir(exist_ok=True)
        placed = []
        for name in writers:
            os.replace(staging / name, out_dir / name)
            placed.append(out_dir / name)
        return placed
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def write_run(out_dir: str | Path, results: Sequence[ReplicationResult],
              manifest: Mapping[str, Any],
              extra_files: Mapping[str, Callable[[Path], Any]] | None = None) -> list[Path]:
    """Write kpis.csv, kpi_summary.csv, timeseries.parquet, trace.parquet (if traced),
    extras.json (if the model gives per-zone extras) and manifest.json for a set of
    replications of one scenario, plus ``extra_files`` (name ->
    writer called with the path, e.g. figures) before the manifest, all in one all-or-nothing
    write."""
    writers: dict[str, Callable[[Path], Any]] = {
        "kpis.csv": lambda p: kpi_frame(results).to_csv(p, index=False),
        "kpi_summary.csv": lambda p: kpi_summary(results).to_csv(p, index=False),
        "timeseries.parquet": lambda p: timeseries_frame(results).to_parquet(p, index=False),
    }
    trace = trace_frame(results)
    if trace is not None:
        writers["trace.parquet"] = lambda p: trace.to_parquet(p, index=False)
    if any(r.extras for r in results):
        # Per-zone results (peak depth, hours until basic needs met, concentration layers).
        extras = [_finite_or_null({"replication": r.replication, **r.extras})
                  for r in results]
        writers["extras.json"] = lambda p: p.write_text(
            json.dumps(extras, ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8")
    for name, write in (extra_files or {}).items():
        if name in writers or name == "manifest.json" or Path(name).name != name:
            raise ValueError(f"extra file {name!r}: expected a plain file name not used by the "
                             "run's own outputs")
        writers[name] = write
    writers["manifest.json"] = lambda p: p.write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    return write_atomically(out_dir, writers)


def _finite_or_null(value: Any) -> Any:
    """JSON has no NaN or infinity: write them as null."""
    if isinstance(value, dict):
        return {k: _finite_or_null(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite_or_null(v) for v in value]
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value
