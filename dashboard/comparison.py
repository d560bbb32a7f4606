"""The comparison page's service: load a stored experiment (or run a small one), rank options
by a KPI, target probabilities and cost-effectiveness — all from :mod:`experiments.analysis`.
Kept apart from :mod:`dashboard.service` so that the scenario explorer does not import the
statistics stack it does not use (a faster first page).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st

from experiments import analysis
from experiments.executors import make_executor
from experiments.run import (
    FolderError,
    check_folder,
    finish_manifest,
    manifest_for,
    run_experiment,
)
from experiments.spec import ExperimentSpec, load_spec
from experiments.store import ResultStore
from models.kpis import describe
from reporting.censored import difference_text, mean_text
from sim.config import ConfigError

__all__ = ["ExperimentError", "Experiment", "load_experiment", "run_small_experiment",
           "Comparison", "compare", "outcome_choices", "ranked_by_median", "shown"]


class ExperimentError(Exception):
    """A results folder or spec the user named cannot be used; ``str()`` is one line."""


@dataclass(frozen=True)
class Experiment:
    """A stored experiment: its folder, spec, manifest and results table."""

    folder: str
    spec: ExperimentSpec
    manifest: dict
    table: pd.DataFrame


def _fingerprint(folder: Path) -> tuple:
    """Changes when the folder's results change (cache key)."""
    files = [folder / "manifest.json", *sorted((folder / "parts").glob("*.parquet"))]
    return tuple((f.name, f.stat().st_mtime_ns, f.stat().st_size) for f in files if f.exists())


@st.cache_data(max_entries=16, show_spinner=False)
def _read_experiment(folder: str, fingerprint: tuple) -> Experiment:
    """``fingerprint`` (sizes and times of the files) is part of the cache key: a folder whose
    results changed is read again."""
    store = ResultStore(folder)
    manifest = store.read_manifest()
    if manifest is None:
        raise ExperimentError(f"{folder}: no manifest.json — not an experiment results folder "
                              "(made by `drsim experiment run`)")
    try:
        spec = ExperimentSpec.model_validate(manifest["spec"])
    except (KeyError, ValueError) as exc:
        raise ExperimentError(f"{folder}/manifest.json: spec: not a drsim experiment spec "
                              f"({str(exc).splitlines()[0]})") from None
    table = store.table()
    if table.empty:
        raise ExperimentError(f"{folder}: no results yet (parts/ is empty)")
    return Experiment(folder, spec, manifest, table)


def load_experiment(folder: str | Path) -> Experiment:
    """A stored experiment's results (cached until its files change)."""
    path = Path(str(folder).strip()).expanduser()
    if not str(folder).strip():
        raise ExperimentError("give the folder of an experiment's results")
    if not path.is_dir():
        raise ExperimentError(f"{path}: no such folder")
    return _read_experiment(str(path), _fingerprint(path))


def run_small_experiment(spec_source: str, replications: int, out: str | Path,
                         progress: Callable[[int, int], None] | None = None) -> Experiment:
    """Run ``spec_source`` (bundled name or path) with ``replications`` per option into
    ``out`` on this process (serial), then load it. Resumes an interrupted run of the same
    spec; refuses a folder of another experiment."""
    try:
        loaded = load_spec(spec_source)
    except ConfigError as exc:
        raise ExperimentError(exc.one_line()) from None
    loaded.spec = loaded.spec.model_copy(update={"replications": int(replications)})
    store = ResultStore(out)
    try:
        check_folder(loaded, store, resume=True)
    except FolderError as exc:
        # The CLI's advice (--out) means "another folder" on this page.
        raise ExperimentError(str(exc).replace("use another --out", "choose another folder")
                              .replace("--out for a new folder", "another folder")) from None
    total = loaded.spec.replications * len(loaded.spec.options)
    done = len(store.done())
    with make_executor("serial") as pool:
        store.write_manifest({**manifest_for(loaded, pool.name), "status": "running"})

        def step(n: int) -> None:
            nonlocal done
            done += n
            if progress is not None:
                progress(done, total)

        summary = run_experiment(loaded, store, pool, progress=step)
    finish_manifest(loaded, store, pool.name, summary)
    return load_experiment(out)


@dataclass(frozen=True)
class Comparison:
    """What the comparison page shows for one KPI."""

    kpi: str
    direction: int                 # -1: lower is better, +1 higher, 0 not judged
    ranking: pd.DataFrame          # kpi_summary rows of this KPI, best first
    differences: pd.DataFrame      # paired differences vs the baseline
    targets: pd.DataFrame          # probability of meeting each plan target
    costs: pd.DataFrame            # cost-effectiveness


def compare(experiment: Experiment, kpi: str) -> Comparison:
    spec, table = experiment.spec, experiment.table
    direction = analysis.better_direction(kpi, analysis.outcome_targets(table, spec).get(kpi))
    summary = analysis.kpi_summary(table, spec, [kpi])
    # A mean over runs that were never within the horizon (+inf) ranks nothing: the median does.
    key = "p50" if (summary["n_inf"] > 0).any() else "mean"
    ranking = summary.sort_values(key, ascending=direction < 0, kind="stable")
    return Comparison(kpi, direction, ranking.reset_index(drop=True),
                      analysis.paired_differences(table, spec, [kpi]),
                      analysis.target_probabilities(table, spec),
                      analysis.cost_effectiveness(table, spec))


def outcome_choices(experiment: Experiment) -> list[str]:
    return analysis.outcome_kpis(experiment.table, experiment.spec)


def ranked_by_median(comparison: Comparison) -> bool:
    """True when the ranking is by the median: some run of some option was never within the
    horizon (+inf), so the means are no numbers to rank by."""
    return bool((comparison.ranking["n_inf"] > 0).any()) if len(comparison.ranking) else False


def shown(frame: pd.DataFrame, kpi: str | None = None, lang: str = "en") -> pd.DataFrame:
    """A table of :mod:`experiments.analysis` as the page shows it: numbers formatted in the
    KPI's unit (``kpi``'s, where the table is about one KPI), +inf as "not within the horizon",
    NaN as a dash, never "inf" or "nan" or a blank; a mean over runs with +inf (``n_inf`` > 0)
    and a mean difference over pairs with +inf on one side (``n_one_never`` > 0) as words. The
    CSV downloads keep the numbers (+inf written ``inf``)."""
    from dashboard.i18n import format_value

    unit = describe(kpi).unit if kpi else ""

    def number(value: float) -> str:
        if unit or math.isnan(value) or math.isinf(value):
            return format_value(value, unit, lang)
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.3g}"

    out = frame.astype(object).copy()
    for column in frame.columns:
        if pd.api.types.is_float_dtype(frame[column]):
            out[column] = [number(float(v)) for v in frame[column]]
        else:   # an empty note or a missing label: a dash, not a blank
            out[column] = [("—" if v is None or (isinstance(v, str) and not v.strip())
                            or (isinstance(v, float) and math.isnan(v)) else v)
                           for v in out[column]]
    if {"mean", "n_inf", "n"} <= set(frame.columns):
        for i in frame.index[frame["n_inf"] > 0]:
            out.at[i, "mean"] = mean_text(float(frame.at[i, "mean"]), int(frame.at[i, "n_inf"]),
                                          int(frame.at[i, "n"]), number, lang)
            for column in ("sd", "ci_low", "ci_high"):
                if column in out.columns:
                    out.at[i, column] = "—"
    if {"mean_diff", "n_one_never", "n_pairs"} <= set(frame.columns):
        for i in frame.index[frame["n_one_never"] > 0]:
            out.at[i, "mean_diff"] = difference_text(
                float(frame.at[i, "mean_diff"]), int(frame.at[i, "n_one_never"]),
                int(frame.at[i, "n_pairs"]), number, lang)
            out.at[i, "ci_low"] = out.at[i, "ci_high"] = "—"
    return out
