"""The dashboard's service, levers and briefing without a browser."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dashboard.briefing import briefing_html
from dashboard.comparison import compare, load_experiment
from dashboard.i18n import STRINGS, format_value
from dashboard.service import (
    UPLOAD_LIMIT_BYTES,
    ScenarioError,
    kpi_cards,
    load_uploaded,
    zone_layers,
)
from models.catalog import build
from models.levers import apply_levers, levers_for, share_out
from models.loading import bundled_path, load_scenario
from sim.runner import run_replications


@given(st.integers(0, 500), st.lists(st.integers(0, 50), min_size=1, max_size=8))
def test_units_shared_over_bases_add_up_to_the_total(total, weights):
    counts = share_out(total, weights)
    assert sum(counts) == total and len(counts) == len(weights)
    assert all(c >= 0 for c in counts)
    if sum(weights) > 0:   # a base with no units today gets none
        assert all(c == 0 for c, w in zip(counts, weights, strict=True) if w == 0)


def test_team_lever_sets_units_per_tier_and_keeps_other_tiers():
    sc = load_scenario("zhumadian-flood")
    levers = {lv.key: lv for lv in levers_for(sc)}
    tier = "teams.comprehensive_county.units"
    doubled = apply_levers(sc, {tier: 2 * levers[tier].default})
    count = {t: sum(x.count for x in s.rescue.teams if x.type == t)
             for s in (sc, doubled) for t in ("comprehensive_county",)}
    assert sum(x.count for x in doubled.rescue.teams if x.type == "comprehensive_county") == \
        2 * levers[tier].default
    assert count
    for kind in ("fire_rescue", "social"):
        assert [x.count for x in doubled.rescue.teams if x.type == kind] == \
            [x.count for x in sc.rescue.teams if x.type == kind]


def test_shelter_levers_close_and_scale():
    sc = load_scenario("tiny-flood")
    out = apply_levers(sc, {"shelters.open": ("terrace-gym",), "shelters.capacity": 50.0})
    capacity = {s.id: s.capacity for s in out.shelters}
    planned = {s.id: s.capacity for s in sc.shelters}
    assert capacity["hill-school"] == 0
    assert capacity["terrace-gym"] == round(planned["terrace-gym"] * 0.5)


def test_default_levers_give_back_the_same_scenario_and_unknown_levers_fail():
    sc = load_scenario("tiny-plume")
    defaults = {lv.key: lv.default for lv in levers_for(sc)}
    assert apply_levers(sc, defaults) is sc
    with pytest.raises(KeyError):
        apply_levers(sc, {"no.such.lever": 1})


@pytest.mark.parametrize(("key", "value", "expected"), [
    ("hazmat.ambulances", "two", "expected a number"), ("hazmat.ambulances", 1.5, "whole"),
    ("hazmat.ambulances", -1, "at least 0"), ("hazmat.detectors", 1, "true or false"),
    ("hazmat.instruction", "run", "expected one of 'shelter', 'evacuate'"),
    ("hazmat.teams", "plant-team", "expected a list"), ("hazmat.teams", ["nobody"], "nobody"),
])
def test_lever_values_of_the_wrong_kind_are_refused_naming_the_lever(key, value, expected):
    with pytest.raises(ValueError, match=expected) as info:
        apply_levers(load_scenario("tiny-plume"), {key: value})
    assert str(info.value).startswith(f"lever {key}: ")


def test_levers_speak_chinese_with_the_scenarios_own_chinese_names():
    levers = {lv.key: lv for lv in levers_for(load_scenario("zhumadian-flood"))}
    assert levers["supplies.trucks.township"].label("zh") == "乡镇级储备库运输车辆（辆）"
    assert levers["warnings.0.reach_day"].label("zh") == "手机短信/小区广播：白天覆盖率"
    assert levers["warnings.2.reach_night"].label("zh") == "乡村大喇叭：夜间覆盖率"
    assert levers["shelters.open"].option_label("yicheng-seat-shelter", "zh") == \
        "驿城区 seat shelter"
    chemical = {lv.key: lv for lv in levers_for(load_scenario("tiny-plume"))}
    assert chemical["hazmat.instruction"].option_label("evacuate", "zh") == "疏散撤离"


def test_broken_upload_is_one_line_naming_the_file_and_field():
    text = bundled_path("tiny-flood").read_text(encoding="utf-8").replace(
        'horizon = "36h"', 'horizon = "soon"')
    with pytest.raises(ScenarioError) as info:
        load_uploaded("my-flood.toml", text.encode())
    message = str(info.value)
    assert message.startswith("my-flood.toml") and "horizon" in message
    assert "\n" not in message and "drsim-upload" not in message


@pytest.mark.parametrize(("name", "data", "expected"), [
    ("big.toml", b"#" * (UPLOAD_LIMIT_BYTES + 1), "at most"),
    ("notes.txt", b"x = 1", "ending in .toml"),
    ("bad.toml", b"this is = = not toml", "bad.toml"),
    ("binary.toml", b"\xff\xfe\x00", "bad.toml".replace("bad", "binary")),
])
def test_unusable_uploads_are_refused_readably(name, data, expected):
    with pytest.raises(ScenarioError) as info:
        load_uploaded(name, data)
    assert expected in str(info.value)


def test_kpi_cards_count_targets_met_per_replication():
    sc = load_scenario("tiny-flood")
    results = run_replications(build, sc, 3, 5, sc.horizon)
    cards = {c.name: c for c in kpi_cards(results)}
    coverage = cards["warning_coverage"]
    values = [r.kpis["warning_coverage"] for r in results]
    assert coverage.mean == pytest.approx(np.mean(values))
    assert coverage.n_met == sum(v > 0.9 for v in values)
    assert coverage.low <= coverage.mean <= coverage.high


def test_zone_layers_come_from_the_runs_extras():
    sc = load_scenario("tiny-plume")
    results = run_replications(build, sc, 2, 1, sc.horizon)
    layers = zone_layers(sc, results)
    assert layers.layer.key == "zone_ppm" and layers.zone_ids == [z.id for z in sc.zones]
    assert layers.hours.size == len(results[0].extras["report_minutes"])
    peak = np.mean([[r.extras["peak_ppm"][z.id] for z in sc.zones] for r in results], axis=0)
    assert np.all(layers.values.max(axis=1) <= peak * (1 + 1e-9))
    flood = load_scenario("tiny-flood")
    flood_layers = zone_layers(flood, run_replications(build, flood, 1, 1, flood.horizon))
    assert flood_layers.layer.key == "zone_depth_m"
    peaks_only = [type(r)(**{**r.__dict__, "extras": {"peak_depth_m": r.extras["peak_depth_m"]}})
                  for r in run_replications(build, flood, 1, 1, flood.horizon)]
    peak = zone_layers(flood, peaks_only)
    assert peak.layer.key == "peak_depth_m" and peak.hours.tolist() == [flood.horizon / 60]
    assert zone_layers(flood, [type(r)(**{**r.__dict__, "extras": {}}) for r in peaks_only]) \
        is None


def test_every_string_has_both_languages():
    assert all(set(entry) == {"en", "zh"} for entry in STRINGS.values())


@pytest.mark.parametrize(("value", "unit", "text"), [
    (0.912, "share", "91.2 %"), (1234567.0, "people", "1,234,567"),
    (math.inf, "h", "not within the horizon"),
    (math.nan, "min", "—"), (12.34, "min", "12.3 min"),
])
def test_values_read_as_a_leader_reads_them(value, unit, text):
    assert format_value(value, unit) == text


def test_never_in_chinese():
    assert format_value(math.inf, "min", "zh") == "未在时限内"


def test_briefing_is_one_self_contained_page(tiny_experiment):
    experiment = load_experiment(tiny_experiment)
    page = briefing_html(experiment, compare(experiment, "deaths"), "zh")
    assert page.startswith("<!doctype html>") and "决策简报" in page
    assert "<script" not in page and "http" not in page.replace("http-equiv", "")
    assert all(o.name in page for o in experiment.spec.options)
    assert page.count("data:image/png;base64,") >= 2


def test_a_changed_results_folder_is_read_again(tmp_path):
    from stored_experiment import store_tiny_experiment

    folder = store_tiny_experiment(tmp_path / "tiny", replications=2)
    before = load_experiment(folder)
    assert len(before.table) == 4
    parts = sorted((folder / "parts").glob("*.parquet"))
    parts[0].unlink()                       # results changed on disk (e.g. a re-run)
    after = load_experiment(folder)
    assert len(after.table) < len(before.table)


def test_an_edited_upload_gets_its_own_widgets():
    from dashboard.service import lever_scope
    from models.loading import with_overrides

    sc = load_scenario("tiny-flood")
    edited = with_overrides(sc, {"warnings.door_to_door.workers": 35})
    assert lever_scope(sc) != lever_scope(edited)
    assert lever_scope(sc) == lever_scope(load_scenario("tiny-flood"))


@pytest.mark.parametrize(("source", "change", "expected"), [
    ("mmc-reference", None, "the explorer shows flood and chemical"),
    ("tiny-flood", ("[hazard]", '[hazard]\nnetcdf = "depth.nc"'), "hazard.netcdf"),
])
def test_uploads_the_explorer_cannot_run_are_refused(source, change, expected):
    text = bundled_path(source).read_text(encoding="utf-8")
    if change:
        # An imported hazard: the generator's gauges and breaches replaced by a NetCDF file.
        head = text.split("[hazard]")[0]
        tail = text.split("[warnings]", 1)[1]
        text = head + '[hazard]\nnetcdf = "depth.nc"\n\n[warnings]' + tail
    with pytest.raises(ScenarioError) as info:
        load_uploaded(f"{source}.toml", text.encode())
    assert expected in str(info.value)


def test_a_card_without_a_value_has_no_verdict():
    from dashboard.service import KpiCard
    from models.kpis import Target

    card = KpiCard("warning_lead_time_p50_min", "min", math.nan, math.nan, math.nan, 0,
                   Target(">=", 60.0), 0)
    assert card.met is None
    assert KpiCard("deaths", "people", 3.0, 1.0, 5.0, 4, Target("<", 5.0), 3).met is True


# --- +inf ("not within the horizon") on the cards, in the tables, the chart and the briefing -----

def _no_teams_results(reps: int = 2):
    """tiny-flood, levee breached, no rescue team: no call is ever reached."""
    scenario = load_scenario("tiny-flood", {"hazard.breaches.0.probability": 1.0,
                                            "hazard.breaches.0.at_stage_m": 23.0,
                                            "rescue.teams": []})
    return run_replications(build, scenario, reps, 5, scenario.horizon,
                            report_every=scenario.report_every)


def test_cards_and_table_of_a_run_where_no_call_is_reached():
    from dashboard.service import kpi_table

    cards = {c.name: c for c in kpi_cards(_no_teams_results(), "flood")}
    p90 = cards["rescue_reach_p90_min"]
    assert p90.mean == math.inf and p90.n_never == 2 and p90.shows_median
    assert p90.n_met == 0 and p90.met is False            # never fails "<= 60"
    within = cards["rescue_reached_within_1h"]
    assert within.mean == 0.0 and within.n_never == 0 and not within.shows_median
    assert cards["rescue_calls_never_reached"].mean == cards["rescue_calls"].mean > 0
    for lang, never in (("en", "not within the horizon"), ("zh", "未在时限内")):
        table = kpi_table(list(cards.values()), lang, "flood").set_index("kpi")
        assert never in table.loc["rescue_reach_p90_min"].tolist()
        assert table.loc["rescue_reached_within_1h"].iloc[2] == "0.0 %"
        text = table.astype(str).to_numpy().ravel().tolist()
        assert not {"inf", "nan", "NaN", "None", ""} & set(text), lang


def _reach_experiment():
    import pandas as pd

    from dashboard.comparison import Experiment
    from experiments.spec import ExperimentSpec

    inf = math.inf
    table = pd.DataFrame({
        "option": ["baseline"] * 4 + ["boats"] * 4, "option_index": [0] * 4 + [1] * 4,
        "replication": list(range(4)) * 2,
        "rescue_reach_p90_min": [90, inf, inf, 55, 50, 60, inf, 45],
        "deaths": [10.0, 12, 11, 9, 8, 9, 10, 8]})
    spec = ExperimentSpec.model_validate({
        "schema_version": 1, "name": "reach", "base": "tiny-flood", "replications": 4,
        "options": [{"name": "baseline"}, {"name": "boats", "cost_capital_cny": 2e6}],
        "outcomes": [{"kpi": "rescue_reach_p90_min"}, {"kpi": "deaths"}]})
    return Experiment("reach", spec, {"base_scenario": {"name": "tiny-flood"}}, table)


def test_comparison_ranks_by_the_median_when_a_run_was_never_and_shows_words():
    from dashboard.charts import ranking_figure
    from dashboard.comparison import ranked_by_median, shown

    experiment = _reach_experiment()
    comparison = compare(experiment, "rescue_reach_p90_min")
    assert ranked_by_median(comparison)
    # Medians: boats 55 (45 50 60 inf), baseline inf (55 90 inf inf): boats first.
    assert comparison.ranking["option"].tolist() == ["boats", "baseline"]
    ranking = shown(comparison.ranking, "rescue_reach_p90_min")
    assert ranking["mean"].tolist() == ["no mean: 1 of 4 runs not within the horizon",
                                        "no mean: 2 of 4 runs not within the horizon"]
    assert ranking["p50"].tolist()[1] == "not within the horizon"
    differences = shown(comparison.differences, "rescue_reach_p90_min", "zh")
    assert differences["mean_diff"].iloc[0] == "无均值：4 对中 1 对有一方未在时限内"
    for frame in (ranking, differences, shown(comparison.targets), shown(comparison.costs)):
        cells = frame.astype(str).to_numpy().ravel().tolist()
        assert not {"inf", "-inf", "nan", "NaN", ""} & set(cells), frame
    # The chart draws medians, and names the option whose median is never.
    figure = ranking_figure(comparison.ranking, "rescue_reach_p90_min")
    assert "baseline" in figure.layout.title.text
    assert figure.data[0].error_x.array is None
    # Deaths (no never): ranked by the mean, as before.
    assert not ranked_by_median(compare(experiment, "deaths"))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_briefing_says_never_in_words(lang):
    experiment = _reach_experiment()
    page = briefing_html(experiment, compare(experiment, "rescue_reach_p90_min"), lang)
    never = "not within the horizon" if lang == "en" else "未在时限内"
    assert never in page
    cells = [c.split("<")[0] for c in page.split("<td>")[1:]]
    assert not {"inf", "-inf", "nan", ""} & set(cells)
