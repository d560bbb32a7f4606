"""Every dashboard page under Streamlit's AppTest: widgets set by key, no exception, and the
numbers shown equal a direct call of the model with the same inputs."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import APP_PATH
from dashboard.comparison import load_experiment
from dashboard.i18n import format_value, kpi_label
from dashboard.service import lever_scope
from experiments import analysis
from models.catalog import build, spec_for
from models.levers import apply_levers
from models.loading import load_scenario
from sim.runner import run_replications

APP = str(APP_PATH)


def _app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _run_explorer(at: AppTest, scenario: str, reps: int, seed: int, levers: dict) -> AppTest:
    at.selectbox(key="scenario").set_value(scenario)
    at.run()
    scope = lever_scope(load_scenario(scenario))
    for key, value in levers.items():
        widget_key = f"lever.{scope}.{key}"
        found = [w for kind in ("number_input", "slider", "multiselect", "selectbox", "checkbox")
                 for w in getattr(at, kind) if w.key == widget_key]
        assert found, f"no widget {widget_key}"
        found[0].set_value(value)
    at.number_input(key="reps").set_value(reps)
    at.number_input(key=f"seed.{scope}").set_value(seed)
    at.button[0].click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _direct(scenario: str, reps: int, seed: int, levers: dict):
    sc = apply_levers(load_scenario(scenario), levers)
    return run_replications(build, sc, reps, seed, sc.horizon, report_every=sc.report_every)


def test_first_page_shows_the_default_scenario_map_without_running():
    at = _app()
    assert at.title[0].value == "Scenario explorer"
    assert at.selectbox(key="scenario").value == "zhumadian-flood"
    assert any("press Run" in i.value for i in at.info)
    assert at.get("plotly_chart"), "the scenario map is drawn before any run"
    assert not at.metric


@pytest.mark.parametrize("levers", [{}, {"teams.comprehensive_county.units": 9,
                                         "warnings.0.reach_night": 0.95,
                                         "shelters.open": ["hill-school"]}])
def test_flood_kpi_cards_equal_a_direct_model_run(levers):
    at = _run_explorer(_app(), "tiny-flood", reps=2, seed=11, levers=levers)
    results = _direct("tiny-flood", 2, 11, levers)
    shown = {m.label: m.value for m in at.metric}
    assert shown, "KPI cards are shown"
    # The spec's headline indicators first, then every other KPI with a plan target.
    spec = spec_for("flood")
    targeted = [k for k in results[0].kpis if spec.kpi(k).target]
    first = list(spec.headline) + [k for k in targeted if k not in spec.headline]
    assert [m.label for m in at.metric] == [kpi_label(k) for k in first]
    for name in first:
        values = np.array([r.kpis[name] for r in results])
        expected = float(np.median(values)) if np.isinf(values).any() else float(values.mean())
        assert shown[kpi_label(name)] == format_value(expected, spec.kpi(name).unit), name
    # Met / not met under each card with a target follows the plan target, run by run.
    verdicts = [m.value for m in at.markdown if " · target " in m.value]
    with_target = [k for k in first if spec.kpi(k).target]
    assert len(verdicts) == len(with_target) == len(targeted)
    for name, verdict in zip(with_target, verdicts, strict=True):
        met = sum(spec.kpi(name).target.met(r.kpis[name]) for r in results)
        assert f"met in {met} of 2 runs" in verdict
    assert sum(c.value == "no plan target" for c in at.caption) == len(first) - len(targeted)


def test_changed_levers_count_when_run_is_pressed():
    at = _run_explorer(_app(), "tiny-flood", reps=1, seed=3, levers={})
    before = {m.label: m.value for m in at.metric}
    scope = lever_scope(load_scenario("tiny-flood"))
    for channel in (0, 1):
        at.slider(key=f"lever.{scope}.warnings.{channel}.reach_day").set_value(0.0)
        at.slider(key=f"lever.{scope}.warnings.{channel}.reach_night").set_value(0.0)
    at.number_input(key=f"lever.{scope}.warnings.door_to_door.workers").set_value(0)
    at.button[0].click()
    at.run()
    after = {m.label: m.value for m in at.metric}
    label = kpi_label("warning_coverage")
    assert float(after[label].rstrip(" %")) < float(before[label].rstrip(" %"))


def test_chemical_scenario_runs_with_its_levers():
    levers = {"hazmat.instruction": "evacuate", "hazmat.ambulances": 1}
    at = _run_explorer(_app(), "tiny-plume", reps=1, seed=2, levers=levers)
    results = _direct("tiny-plume", 1, 2, levers)
    table = at.dataframe[0].value.set_index("kpi")
    column = "mean (median if a run was not within the horizon)"
    spec = spec_for("chemical")
    for name, value in results[0].kpis.items():
        shown = table.loc[name, column]
        # As a leader reads it: never "inf", "nan" or a blank.
        assert shown == format_value(value, spec.kpi(name).unit), name
        assert shown and shown not in ("inf", "nan", "NaN"), name
    assert at.get("plotly_chart")


def _array(value) -> np.ndarray:
    """A plotly JSON array: a list, or numpy data as {"dtype", "bdata"} (plotly >= 6)."""
    if isinstance(value, dict) and "bdata" in value:
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
    return np.asarray(value, dtype=float)


def _zone_colours(at: AppTest) -> np.ndarray:
    """The colour values of the map's zone markers (the trace with a colour scale)."""
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)   # the map comes first
    zones = next(t for t in figure["data"] if "colorscale" in t.get("marker", {}))
    return _array(zones["marker"]["color"])


@pytest.mark.parametrize("frame", [0, 5, 36])
def test_map_time_slider_colours_zones_by_the_layer_at_that_time(frame):
    at = _run_explorer(_app(), "tiny-plume", reps=1, seed=2, levers={})
    at.select_slider(key="map_time").set_value(frame)
    at.run()
    assert not at.exception
    results = _direct("tiny-plume", 1, 2, {})
    expected = [results[0].extras["zone_ppm"][z.id][str(frame)]
                for z in load_scenario("tiny-plume").zones]
    assert np.allclose(_zone_colours(at), expected)


def test_language_switch_shows_chinese_labels_as_the_plans_word_them():
    at = _app()
    at.radio(key="lang").set_value("zh")
    at.run()
    assert at.title[0].value == "情景推演"
    at = _run_explorer(at, "tiny-flood", reps=1, seed=1, levers={})
    labels = {m.label for m in at.metric}
    assert "受灾人员基本生活得到有效救助的时间" in labels
    assert "灾害预警信息公众覆盖率" in labels


def test_compare_page_ranks_options_like_the_analysis(tiny_experiment):
    at = _app()
    at.switch_page("views/compare.py")
    at.run()
    assert any("Load a results folder" in i.value for i in at.info)
    at.text_input(key="experiment_dir").set_value(str(tiny_experiment))
    at.button[0].click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    at.selectbox(key="rank_by").set_value("deaths")
    at.run()
    shown = at.dataframe[0].value
    experiment = load_experiment(tiny_experiment)
    summary = analysis.kpi_summary(experiment.table, experiment.spec, ["deaths"])
    expected = summary.sort_values("mean")
    assert list(shown["option"]) == list(expected["option"])
    assert list(shown["mean"]) == [format_value(m, "people") for m in expected["mean"]]
    assert len(at.get("plotly_chart")) >= 2     # ranking and target probabilities


def test_compare_page_names_a_bad_folder_in_one_line(tmp_path):
    at = _app()
    at.switch_page("views/compare.py")
    at.run()
    at.text_input(key="experiment_dir").set_value(str(tmp_path))
    at.button[0].click()
    at.run()
    assert not at.exception
    assert "no manifest.json" in at.error[0].value and str(tmp_path) in at.error[0].value


@pytest.mark.slow
def test_compare_page_runs_a_small_experiment(tmp_path):
    at = _app()
    at.switch_page("views/compare.py")
    at.run()
    at.number_input(key="experiment_reps").set_value(1)
    at.text_input(key="experiment_out").set_value(str(tmp_path / "small"))
    at.button[1].click()
    at.run(timeout=600)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error
    experiment = load_experiment(tmp_path / "small")
    assert experiment.manifest["status"] == "complete"
    assert len(experiment.table) == len(experiment.spec.options)
    assert at.dataframe


def test_choices_survive_a_visit_to_another_page():
    at = _run_explorer(_app(), "tiny-flood", reps=1, seed=4, levers={})
    shown = {m.label: m.value for m in at.metric}
    at.switch_page("views/compare.py")
    at.run()
    at.switch_page("views/explorer.py")
    at.run()
    assert at.selectbox(key="scenario").value == "tiny-flood"
    assert {m.label: m.value for m in at.metric} == shown   # the results are still there


def test_chemical_runs_show_warning_and_casualty_timelines():
    at = _run_explorer(_app(), "tiny-plume", reps=2, seed=2, levers={})
    headings = [m.value for m in at.markdown if m.value.startswith("**")]
    assert "**Warning spread**" in headings
    assert len(at.get("plotly_chart")) >= 2   # the map and at least one timeline
    # The chemical model's headline indicators as cards (it has no plan targets).
    assert [m.label for m in at.metric] == [kpi_label(k) for k in spec_for("chemical").headline]
