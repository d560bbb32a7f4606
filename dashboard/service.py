"""The dashboard's thin service layer: load scenarios, run replications, shape results.

Pages call these functions and never the models directly. Runs are cached with
``st.cache_data`` keyed on the scenario's canonical hash (sim.config.canonical_hash), the
replication index and the root seed: changing a lever changes the hash, setting it back finds the
cached result. Each replication is cached on its own so that the page can show real progress and
a run with more replications reuses the ones it already has. Everything returned is plain data
(dataclasses, DataFrames) so that tests can call it without a browser.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from models.catalog import MODELS, build, spec_for
from models.kpis import Target, find
from models.loading import bundled_names, load_scenario
from models.scenario import ScenarioBase
from models.spec import MapLayer
from sim.config import ConfigError, canonical_hash
from sim.runner import ReplicationResult, run_replication

__all__ = ["UPLOAD_LIMIT_BYTES", "ScenarioError", "KpiCard", "ZoneLayers", "explorer_models",
           "explorer_scenarios", "load_bundled", "load_uploaded", "run_one", "kpi_cards",
           "shown_cards", "kpi_table", "band_frame", "zone_layers", "scenario_hash",
           "lever_scope"]

UPLOAD_LIMIT_BYTES = 1024 * 1024  # a 110-zone scenario is ~60 kB (the server caps uploads at 1 MB)
LOW, HIGH = 0.05, 0.95            # uncertainty band over replications


class ScenarioError(Exception):
    """A scenario the user chose or uploaded cannot be used; ``str()`` is one readable line."""


def explorer_models() -> list[str]:
    """The registered models whose spec puts them in the explorer (read on each call: a model
    registered at run time shows at once)."""
    return [name for name, spec in MODELS.items() if spec.explorer]


def explorer_scenarios() -> list[str]:
    """Bundled scenarios a leader can explore (those of the explorer's models)."""
    models = explorer_models()
    return [n for n in bundled_names() if load_bundled(n).model in models]


@st.cache_resource(show_spinner=False)
def load_bundled(name: str) -> ScenarioBase:
    """A bundled scenario, validated (cached for the server's life: bundled files do not
    change while it runs)."""
    try:
        return load_scenario(name)
    except ConfigError as exc:  # a broken installation, still shown as one line
        raise ScenarioError(exc.one_line()) from None


def load_uploaded(filename: str, data: bytes) -> ScenarioBase:
    """Validate an uploaded scenario file; problems become a ScenarioError naming the file,
    the field and what was expected (never a traceback)."""
    name = Path(filename).name or "upload.toml"
    if len(data) > UPLOAD_LIMIT_BYTES:
        raise ScenarioError(f"{name}: the file is {len(data) / 1024:.0f} kB; at most "
                            f"{UPLOAD_LIMIT_BYTES // 1024} kB is accepted")
    if not name.endswith(".toml"):
        raise ScenarioError(f"{name}: expected a scenario file ending in .toml")
    with tempfile.TemporaryDirectory(prefix="drsim-upload-") as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        try:
            scenario = load_scenario(path)
        except ConfigError as exc:
            raise ScenarioError(exc.one_line().replace(str(path), name)) from None
        except UnicodeDecodeError:
            raise ScenarioError(f"{name}: not a text file (expected UTF-8 TOML)") from None
    models = explorer_models()
    if scenario.model not in models:
        shown = " and ".join([", ".join(models[:-1]), models[-1]] if len(models) > 1 else models)
        raise ScenarioError(f"{name}: model: the explorer shows {shown} scenarios, not "
                            f"{scenario.model!r} (use `drsim run` for it)")
    for field, file in scenario.data_files().items():
        raise ScenarioError(f"{name}: {field}: the file it reads ({file}) cannot be uploaded "
                            "with the scenario; run it with `drsim run` where the file lies")
    return scenario


def lever_scope(scenario: ScenarioBase) -> str:
    """Prefix of the explorer's widget keys for ``scenario``: its name and content hash, so an
    uploaded file named like a bundled scenario (or edited) gets its own widgets and values."""
    return f"{scenario.name}.{scenario_hash(scenario)[:10]}"


def scenario_hash(scenario: ScenarioBase) -> str:
    return canonical_hash(scenario)


@st.cache_data(max_entries=256, show_spinner=False)
def run_one(scenario_key: str, replication: int, seed: int,
            _scenario: ScenarioBase) -> ReplicationResult:
    """One replication of ``_scenario`` (whose canonical hash is ``scenario_key``; the
    underscore keeps Streamlit from hashing the object itself)."""
    return run_replication(build, _scenario, replication, seed, _scenario.horizon,
                           report_every=_scenario.report_every)


# --- KPIs --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class KpiCard:
    """A KPI over replications: mean, band, and how often its plan target was met."""

    name: str
    unit: str
    mean: float            # NaN when no replication has a value; inf when none reached it
    low: float
    high: float
    n: int                 # replications with a value
    target: Target | None
    n_met: int
    n_never: int = 0       # replications where it was +inf (not within the horizon)

    @property
    def shows_median(self) -> bool:
        """True when ``mean`` holds the median: some run was never within the horizon, and a
        mean over +inf is no number to act on."""
        return self.n_never > 0

    @property
    def met(self) -> bool | None:
        """Whether the value shown (mean, or median when some runs never reach it) meets the
        target; None without a target or a value. ``n_met`` says in how many runs it was met."""
        if self.target is None or self.n == 0 or math.isnan(self.mean):
            return None
        return self.target.met(self.mean)


def _stats(values: np.ndarray) -> tuple[float, float, float, int]:
    values = values[~np.isnan(values)]
    if values.size == 0:
        return math.nan, math.nan, math.nan, 0
    if np.isinf(values).any():
        # "Never within the horizon" in some runs: the mean is not meaningful, the median is.
        middle = float(np.median(values))
    else:
        middle = float(values.mean())
    return middle, _quantile(values, LOW), _quantile(values, HIGH), int(values.size)


def _quantile(values: np.ndarray, q: float) -> float:
    """A quantile where +inf ("never within the horizon") is the largest value rather than a
    source of NaN in the interpolation (as sim.output does for the KPI summary)."""
    ordered = np.sort(values)
    position = q * (ordered.size - 1)
    low, high = ordered[int(np.floor(position))], ordered[int(np.ceil(position))]
    if low == high or not np.isfinite(low) or not np.isfinite(high):
        return float(high if position - np.floor(position) > 0 else low)
    return float(low + (high - low) * (position - np.floor(position)))


def kpi_cards(results: Sequence[ReplicationResult], model: str | None = None) -> list[KpiCard]:
    """One card per KPI the model reported, in the model's order (units and targets from
    ``model``'s catalogue, else any registered model's)."""
    if not results:
        return []
    cards = []
    for name in results[0].kpis:
        values = np.array([r.kpis.get(name, math.nan) for r in results], dtype=float)
        mean, low, high, n = _stats(values)
        kpi = find(name, model)
        target = kpi.target if kpi else None
        n_met = int(sum(target.met(v) for v in values if not math.isnan(v))) if target else 0
        cards.append(KpiCard(name, kpi.unit if kpi else "", mean, low, high, n, target, n_met,
                             int(np.isinf(values).sum())))
    return cards


def shown_cards(cards: Sequence[KpiCard], model: str) -> list[KpiCard]:
    """The cards shown first: ``model``'s headline indicators (in its spec's order), then every
    other KPI with a plan target (in the model's order)."""
    by_name = {c.name: c for c in cards}
    headline = [k for k in spec_for(model).headline if k in by_name]
    return [by_name[k] for k in headline] + [c for c in cards if c.target is not None
                                              and c.name not in headline]


def kpi_table(cards: Sequence[KpiCard], lang: str = "en", model: str | None = None
              ) -> pd.DataFrame:
    """The cards as a table (for display and the CSV download), values as a leader reads them:
    +inf as "not within the horizon", never "inf", "nan" or a blank; the value column is the
    median where some run was not within the horizon (then counted in its own column)."""
    from dashboard.i18n import format_target, format_value, kpi_label, tr

    low, high = f"p{round(LOW * 100)}", f"p{round(HIGH * 100)}"
    return pd.DataFrame([{
        "kpi": c.name, tr("col_indicator", lang): kpi_label(c.name, lang, model),
        tr("col_unit", lang): c.unit, tr("col_value", lang): format_value(c.mean, c.unit, lang),
        low: format_value(c.low, c.unit, lang), high: format_value(c.high, c.unit, lang),
        tr("replications", lang): c.n, tr("col_never", lang): c.n_never,
        tr("target", lang): format_target(c.target, c.unit, lang) if c.target else "—",
        tr("col_met_in", lang): str(c.n_met) if c.target else "—",
    } for c in cards])


# --- series and layers -------------------------------------------------------------------------

def band_frame(results: Sequence[ReplicationResult], column: str) -> pd.DataFrame:
    """Mean and the 5–95 % band over replications of one series: hours, mean, low, high."""
    frames = [r.timeseries for r in results if column in r.timeseries]
    if not frames:
        return pd.DataFrame(columns=["hours", "mean", "low", "high"])
    values = np.vstack([f[column].to_numpy(dtype=float) for f in frames])
    return pd.DataFrame({"hours": frames[0]["time"].to_numpy() / 60.0,
                         "mean": values.mean(axis=0),
                         "low": np.quantile(values, LOW, axis=0),
                         "high": np.quantile(values, HIGH, axis=0)})


@dataclass(frozen=True)
class ZoneLayers:
    """Per-zone values over time for the map: ``values[z, i]`` at ``hours[i]`` (mean over
    replications) of the model's map ``layer``."""

    layer: MapLayer
    zone_ids: list[str]
    hours: np.ndarray
    values: np.ndarray


def zone_layers(scenario: ScenarioBase, results: Sequence[ReplicationResult]) -> ZoneLayers | None:
    """The map layer of the runs: the first of the spec's map layers that every run's extras
    hold — one with frames gives a value per report time, one without a single frame at the
    horizon. None without runs, zones or such a layer."""
    spec = spec_for(scenario)
    ids = [z.id for z in spec.map_zones(scenario)]
    if not results or not ids:
        return None
    extras = [r.extras for r in results]
    for layer in spec.map_layers:
        if not all(layer.key in e for e in extras):
            continue
        if layer.frames:
            if not all("report_minutes" in e for e in extras):
                continue
            minutes = extras[0]["report_minutes"]
            order = sorted(minutes, key=lambda k: minutes[k])
            hours = np.array([minutes[k] / 60.0 for k in order])
            stack = np.array([[[_num(e[layer.key][z][k]) for k in order] for z in ids]
                              for e in extras])
            return ZoneLayers(layer, ids, hours, np.nanmean(stack, axis=0))
        stack = np.array([[_num(e[layer.key][z]) for z in ids] for e in extras])
        return ZoneLayers(layer, ids, np.array([scenario.horizon / 60.0]),
                          np.nanmean(stack, axis=0)[:, None])
    return None


def _num(value: object) -> float:
    return math.nan if value is None else float(value)  # type: ignore[arg-type]
