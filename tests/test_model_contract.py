"""The model contract holds: (a) every registered model's spec is complete — every KPI, series and
map layer its bundled scenarios report is described, in English and Chinese, and everything the
spec describes is reported; (b) a toy third model defined only in this file, registered at run
time, appears in and runs through every layer above ``models/`` — ``drsim list``, ``drsim run``,
the dashboard's explorer and an experiment — with no change anywhere else."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import matplotlib.colors as mcolors
import numpy as np
import pandas as pd
import pytest
from pydantic import Field
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from dashboard import APP_PATH
from dashboard.service import explorer_models, lever_scope
from drsim.cli import app
from experiments import analysis
from experiments.report import write_report
from experiments.spec import ExperimentSpec
from experiments.store import ResultStore
from models.catalog import MODELS, build, register, spec_for, unregister
from models.kpis import KPIS, UNITS_ZH, Kpi, Target, describe, find
from models.levers import KINDS, Lever, LeverGroup, apply_levers, check_value, levers_for
from models.loading import bundled_names, load_scenario
from models.orders import ACTIONS
from models.scenario import ScenarioBase
from models.spec import ModelSpec, Panel, SeriesSpec
from sim.config import StrictModel
from sim.monitors import LevelMonitor
from sim.runner import ReplicationContext, ReplicationResult, run_replication, run_replications

CJK = re.compile(r"[\u3400-\u9fff]")
WIDE = {"COLUMNS": "200", "NO_COLOR": "1"}
SYMBOLS = {"circle", "square", "diamond", "triangle-up", "triangle-down", "star", "cross"}


# --- (a) every registered model's spec is complete ---------------------------------------------


@pytest.fixture(scope="module")
def bundled_runs() -> dict[str, list[tuple[ScenarioBase, ReplicationResult]]]:
    """One replication of every bundled scenario, by model."""
    runs: dict[str, list[tuple[ScenarioBase, ReplicationResult]]] = {}
    for name in bundled_names():
        scenario = load_scenario(name)
        result = run_replication(build, scenario, 0, 1, scenario.horizon,
                                 report_every=scenario.report_every)
        runs.setdefault(scenario.model, []).append((scenario, result))
    return runs


def _chinese(text: str) -> bool:
    return bool(CJK.search(text))


def check_kpis(spec: ModelSpec, runs: list[tuple[ScenarioBase, ReplicationResult]]) -> None:
    reported = {name for _, result in runs for name in result.kpis}
    for name in sorted(reported):
        kpi = spec.kpi(name)
        assert kpi is not None, f"{spec.name}: KPI {name!r} is not catalogued"
        assert kpi.label and _chinese(kpi.label_zh), f"{spec.name}: {name}: labels EN/中文"
        assert kpi.unit in UNITS_ZH, f"{spec.name}: {name}: unit {kpi.unit!r} without Chinese"
        assert kpi.better in ("lower", "higher", None), name
    names = [k.name for k in spec.kpis]
    assert len(set(names)) == len(names), f"{spec.name}: a KPI catalogued twice"
    stale = [k.name for k in spec.kpis
             if not any(k.name == r or (k.is_family and k.instance(r)) for r in reported)]
    assert not stale, f"{spec.name}: catalogued but never reported: {stale}"
    assert set(spec.headline) <= set(spec.kpi_table), f"{spec.name}: headline not catalogued"


def check_levers(spec: ModelSpec, runs: list[tuple[ScenarioBase, ReplicationResult]]) -> None:
    for scenario, _ in runs:
        levers = spec.levers(scenario)
        keys = [lever.key for lever in levers]
        assert len(set(keys)) == len(keys), f"{scenario.name}: lever keys repeat"
        for lever in levers:
            where = f"{scenario.name}: lever {lever.key}"
            assert isinstance(lever, Lever) and lever.kind in KINDS, where
            assert lever.label_en and _chinese(lever.label_zh), f"{where}: labels EN/中文"
            assert lever.group.label_en and _chinese(lever.group.label_zh), where
            for option in lever.options if lever.option_zh else ():
                assert lever.option_label(option, "zh"), where
            check_value(lever, lever.default)    # raises if the default is not of its kind
            assert lever.cost is None or lever.cost.source, f"{where}: a cost needs its source"
        defaults = {lever.key: lever.default for lever in levers}
        assert apply_levers(scenario, defaults) is scenario, scenario.name


def check_series(spec: ModelSpec, runs: list[tuple[ScenarioBase, ReplicationResult]]) -> None:
    reported: set[str] = set()
    for scenario, result in runs:
        columns = [c for c in result.timeseries.columns if c != "time"]
        reported |= set(columns)
        undescribed = [c for c in columns if spec.series_spec(c) is None]
        assert not undescribed, f"{scenario.name}: no SeriesSpec for {undescribed}"
    panels = {p.key for p in spec.panels}
    for series in spec.series:
        assert series.label_en and _chinese(series.label_zh), f"{spec.name}: {series.name}"
        assert mcolors.is_color_like(series.colour), series.name
        assert series.panel is None or series.panel in panels, f"{series.name}: no panel"
        assert series.style in ("solid", "dotted"), series.name
        found = any(series.name == c or series.instance(c, spec.item_zh) for c in reported)
        assert found, f"{spec.name}: series {series.name!r} described but never reported"
    for panel in spec.panels:
        assert panel.title_en and _chinese(panel.title_zh) and _chinese(panel.unit_zh), panel.key


def check_map(spec: ModelSpec, runs: list[tuple[ScenarioBase, ReplicationResult]]) -> None:
    for scenario, result in runs:
        zones = [z.id for z in spec.map_zones(scenario)]
        if not zones:
            assert not spec.map_layers, f"{spec.name}: map layers without zones"
            continue
        for layer in spec.map_layers:
            assert layer.label_en and _chinese(layer.label_zh) and _chinese(layer.zero_zh)
            values = result.extras.get(layer.key)
            assert isinstance(values, dict), f"{scenario.name}: extras lack {layer.key!r}"
            assert list(values) == zones, f"{scenario.name}: {layer.key}: one entry per zone"
            if layer.frames:
                frames = result.extras["report_minutes"]
                assert all(list(v) == list(frames) for v in values.values()), layer.key
        for feature in spec.map_features(scenario):
            assert feature.label_en and _chinese(feature.label_zh), feature.key
            assert feature.symbol in SYMBOLS, feature.key
            n = len(feature.lon)
            assert len(feature.lat) == n and mcolors.is_color_like(feature.colour), feature.key
            count = len(feature.segments) if feature.segments else n
            for part in (feature.text, feature.weight):
                assert len(part) in (0, count), f"{scenario.name}: {feature.key}"
            assert len(feature.in_view) in (0, n), feature.key


def check_spec(spec: ModelSpec, runs: list[tuple[ScenarioBase, ReplicationResult]]) -> None:
    assert spec.summary and _chinese(spec.summary_zh), spec.name
    assert set(spec.order_actions) <= set(ACTIONS), f"{spec.name}: unknown order actions"
    check_kpis(spec, runs)
    check_levers(spec, runs)
    check_series(spec, runs)
    check_map(spec, runs)


@pytest.mark.parametrize("model", ["flood", "chemical", "queue"])
def test_every_registered_models_spec_is_complete(model: str, bundled_runs) -> None:
    assert model in MODELS
    check_spec(MODELS[model], bundled_runs[model])


def test_every_registered_model_has_a_bundled_scenario(bundled_runs) -> None:
    assert set(bundled_runs) == set(MODELS)


def test_a_kpi_several_models_report_means_the_same_in_each() -> None:
    seen: dict[str, Kpi] = {}
    for spec in MODELS.values():
        for kpi in spec.kpis:
            assert seen.setdefault(kpi.name, kpi) == kpi, f"{kpi.name} differs between models"


def test_kpi_lookup_reads_the_registered_specs() -> None:
    assert describe("deaths", "chemical") is spec_for("chemical").kpi("deaths")
    water = describe("unmet_person_hours_water")
    assert (water.label, water.label_zh, water.better) == (
        "Unmet person-hours, water", "未满足人·小时（饮用水）", "lower")
    assert find("no_such_kpi") is None and describe("no_such_kpi").unit == ""
    assert KPIS["warning_coverage"] is spec_for("flood").kpi("warning_coverage")
    assert "unmet_person_hours_{item}" not in KPIS and "customers_served" in KPIS
    with pytest.raises(TypeError):
        KPIS["deaths"] = KPIS["deaths"]  # type: ignore[index]
    with pytest.raises(ValueError, match="means lower is better"):
        Kpi("x", "x", "x", "min", Target("<", 1.0), better="higher")


# --- (b) a toy third model, defined and registered only here ----------------------------------


class ToySection(StrictModel):
    people: int = Field(default=60, ge=0, description="People waiting on a roof.")
    boats: int = Field(default=2, ge=0, description="Boats ferrying them off.")
    seats: int = Field(default=4, ge=1, description="People per trip.")


class ToyScenario(ScenarioBase):
    model: Literal["toy"]
    toy: ToySection = ToySection()


class ToyRun:
    """Boats ferry people off a roof, each trip an exponential 20 minutes."""

    def __init__(self, ctx: ReplicationContext, scenario: ToyScenario) -> None:
        self.env, self.left = ctx.env, scenario.toy.people
        self.waiting = LevelMonitor(ctx.env, "waiting", initial=self.left)
        self._trips = ctx.streams["toy.trips"]
        for _ in range(scenario.toy.boats):
            ctx.env.process(self._boat(scenario.toy.seats))

    def _boat(self, seats: int):
        while self.left > 0:
            yield self.env.timeout(self._trips.exponential(20.0))
            self.left -= min(seats, self.left)
            self.waiting.record(self.left)

    def kpis(self) -> dict[str, float]:
        return {"people_left": float(self.left)}

    def series(self) -> dict[str, LevelMonitor]:
        return {"waiting": self.waiting}


def _set_boats(data: dict[str, Any], value: int) -> None:
    data.setdefault("toy", {})["boats"] = int(value)


TOY = ModelSpec(
    name="toy", scenario=ToyScenario, build=ToyRun,
    summary="Toy: boats ferry people off a roof", summary_zh="玩具模型：船只转移屋顶被困人员",
    kpis=(Kpi("people_left", "People still on the roof", "仍在屋顶等待的人数", "people",
              Target("<", 10.0, "the toy plan"), "lower"),),
    headline=("people_left",),
    levers=lambda sc: [Lever("toy.boats", LeverGroup("boats", "Boats", "船只"), "Boats",
                             "船只（艘）", "int", sc.toy.boats, _set_boats, "boats", "艘", 0, 20)],
    series=(SeriesSpec("waiting", "People waiting", "等待转移的人", "#1f78b4", "roof"),),
    panels=(Panel("roof", "On the roof", "屋顶等待", "People", "人"),),
    explorer=True,
)

TOY_TOML = """\
schema_version = 1
name = "toy-roof"
title = "Toy: a roof and two boats"
model = "toy"
horizon = "6h"
report_every = "15min"

[toy]
people = 60
boats = 2
"""


@pytest.fixture
def toy(tmp_path: Path) -> Iterator[Path]:
    """The toy model registered for one test (and unregistered after); its scenario file."""
    register(TOY)
    path = tmp_path / "toy-roof.toml"
    path.write_text(TOY_TOML, encoding="utf-8")
    try:
        yield path
    finally:
        unregister("toy")


def _invoke(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args], env=WIDE)


def test_the_toy_meets_the_contract(toy: Path) -> None:
    scenario = load_scenario(toy)
    runs = [(scenario, run_replication(build, scenario, 0, 1, scenario.horizon,
                                       report_every=scenario.report_every))]
    check_spec(TOY, runs)
    assert levers_for(scenario)[0].key == "toy.boats"


def test_the_toy_is_gone_after_unregistering(tmp_path: Path) -> None:
    assert "toy" not in MODELS and "toy" not in explorer_models()


def test_drsim_list_shows_the_toy_in_both_languages(toy: Path) -> None:
    result = _invoke("list")
    assert result.exit_code == 0, result.output
    row = next(line for line in result.stdout.splitlines() if line.startswith("│ toy "))
    assert "Toy: boats ferry people off a roof" in row and "玩具模型：船只转移屋顶被困人员" in row


def test_drsim_run_runs_the_toy_with_its_labels_and_figures(toy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = _invoke("run", toy, "--reps", "3", "--no-progress", "--out", out)
    assert result.exit_code == 0, result.output
    row = next(line for line in result.stdout.splitlines() if "People still on the roof" in line)
    assert "people" in row and "< 10" in row
    assert sorted(p.name for p in out.iterdir()) == [
        "kpi_summary.csv", "kpis.csv", "manifest.json", "timeline.png",
        "timeseries.parquet"]                    # no extras and no zones, so no map
    assert len(pd.read_csv(out / "kpis.csv")) == 3
    levers = _invoke("levers", toy)
    assert levers.exit_code == 0 and "toy.boats" in levers.stdout and "船只（艘）" in levers.stdout


def test_the_dashboard_explorer_runs_an_uploaded_toy_scenario(toy: Path) -> None:
    assert "toy" in explorer_models()           # its spec says explorer=True
    at = AppTest.from_file(str(APP_PATH), default_timeout=120)
    at.run()
    at.file_uploader(key="upload").set_value((toy.name, toy.read_bytes(), "application/toml"))
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.exception or at.error]
    assert at.subheader[0].value == "Toy: a roof and two boats"
    assert any(t.label == "Boats" for t in at.tabs)
    scenario = load_scenario(toy)
    at.number_input(key=f"lever.{lever_scope(scenario)}.toy.boats").set_value(4)
    at.number_input(key="reps").set_value(2)
    at.number_input(key=f"seed.{lever_scope(scenario)}").set_value(5)
    at.button[0].click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    chosen = apply_levers(scenario, {"toy.boats": 4})
    results = run_replications(build, chosen, 2, 5, chosen.horizon,
                               report_every=chosen.report_every)
    mean = float(np.mean([r.kpis["people_left"] for r in results]))
    [card] = at.metric
    assert card.label == "People still on the roof"
    assert card.value == (f"{mean:,.0f}" if abs(mean) >= 100 else f"{mean:,.1f}")
    assert "**On the roof**" in [m.value for m in at.markdown]
    assert at.get("plotly_chart"), "the toy's timeline is drawn"


def test_an_experiment_runs_the_toy_with_its_lever(toy: Path, tmp_path: Path) -> None:
    spec = tmp_path / "toy-boats.toml"
    spec.write_text(f"""\
schema_version = 1
name = "toy-boats"
base = "{toy.name}"
replications = 6
design = "lhs"
root_seed = 3

[[uncertainties]]
path = "toy.people"
distribution = {{ choice = [40, 60, 80] }}

[[options]]
name = "baseline"

[[options]]
name = "six-boats"
cost_capital_cny = 1e5
levers = {{ "toy.boats" = 6 }}

[[outcomes]]
kpi = "people_left"
""", encoding="utf-8")
    out = tmp_path / "results"
    result = _invoke("experiment", "run", spec, "--out", out, "--executor", "serial",
                     "--no-progress")
    assert result.exit_code == 0, result.output
    store = ResultStore(out)
    table = store.table()
    experiment = ExperimentSpec.model_validate(store.read_manifest()["spec"])
    assert len(table) == 12 and table["people_left"].notna().all()
    assert analysis.better_direction("people_left") == -1       # from the toy's catalogue
    targets = analysis.target_probabilities(table, experiment)
    assert set(targets["target"]) == {"< 10"}
    boats = targets.set_index("option")["p_met"]
    assert boats["six-boats"] >= boats["baseline"]
    assert any(p.name == "report.md" for p in write_report(out))
    bad = spec.read_text(encoding="utf-8").replace('"toy.boats" = 6', '"toy.oars" = 6')
    spec.write_text(bad, encoding="utf-8")
    refused = _invoke("experiment", "run", spec, "--out", tmp_path / "other", "--no-progress")
    assert refused.exit_code == 2
    assert refused.stderr.startswith(f"error: {spec}: options[1].levers: unknown lever "
                                     "'toy.oars' (this scenario's levers: toy.boats;")
    assert not math.isnan(float(table["people_left"].mean()))
