"""Analysis of experiment results: each function against a small table computed by hand, infinite
and missing values, SALib against the Ishigami function's analytic indices, and one real run.

The hand table (2 options × 4 replications; rows deliberately shuffled, so pairing must be by
replication, not by position)::

    replication            0      1      2      3
    deaths      baseline   10     20     30     40
                boats       8     14     30     36     diff -2 -6 0 -4: mean -3
    hours       baseline    8     12    inf      9     (target < 10)
                boats       7      9    inf    9.5     diff -1 -3 (both inf) 0.5
    coverage    baseline 0.95   0.85   0.92   0.89     (catalogue target > 0.9)
                boats    0.95    NaN   0.92   0.95

"boats" costs 1 M CNY capital + 0.1 M CNY a year over 10 years = 2 M CNY.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.stats import qmc
from tiny_spec import tiny_spec

from experiments import analysis
from experiments.analysis import (
    better_direction,
    cost_effectiveness,
    kpi_summary,
    paired_differences,
    robustness,
    target_probabilities,
    wilson_interval,
)
from experiments.executors import Executor
from experiments.run import run_experiment
from experiments.sensitivity import (
    DUMMY,
    EXPLAIN_NEGATIVE,
    analyze,
    explain_negative,
    problem,
    sensitivity,
)
from experiments.spec import ExperimentSpec, load_spec
from experiments.store import ResultStore
from models.kpis import Target

INF, NAN = math.inf, math.nan
T3 = stats.t.ppf(0.975, 3)  # 95 % t quantile, 3 degrees of freedom
Z = stats.norm.ppf(0.975)


def make_spec(**changes: object) -> ExperimentSpec:
    data = {
        "schema_version": 1, "name": "hand", "base": "tiny-flood", "replications": 4,
        "years": 10.0,
        "uncertainties": [{"path": "hazard.gauges.0.peak_stage_m",
                           "distribution": {"triangular": [23.5, 24.8, 26.0]}},
                          {"path": "warnings.never_act", "label": "never act",
                           "distribution": {"normal": [0.1, 0.02]}}],
        "options": [{"name": "baseline"},
                    {"name": "boats", "cost_capital_cny": 1e6, "cost_yearly_cny": 1e5}],
        "outcomes": [{"kpi": "deaths"}, {"kpi": "basic_needs_met_hours", "target": "< 10"},
                     {"kpi": "warning_coverage"}],
    }
    return ExperimentSpec.model_validate({**data, **changes})


def make_table() -> pd.DataFrame:
    table = pd.DataFrame({
        "option": ["baseline"] * 4 + ["boats"] * 4,
        "option_index": [0] * 4 + [1] * 4,
        "replication": [0, 1, 2, 3] * 2,
        "in.hazard.gauges.0.peak_stage_m": [24.0, 25.0, 24.5, 25.5] * 2,
        "in.warnings.never_act": [0.1, 0.12, 0.08, 0.11] * 2,
        "deaths": [10, 20, 30, 40, 8, 14, 30, 36],
        "basic_needs_met_hours": [8, 12, INF, 9, 7, 9, INF, 9.5],
        "warning_coverage": [0.95, 0.85, 0.92, 0.89, 0.95, NAN, 0.92, 0.95],
    })
    return table.iloc[[5, 2, 7, 0, 3, 6, 1, 4]].reset_index(drop=True)


@pytest.fixture
def spec() -> ExperimentSpec:
    return make_spec()


@pytest.fixture
def table() -> pd.DataFrame:
    return make_table()


def row(frame: pd.DataFrame, **where: object) -> pd.Series:
    mask = np.logical_and.reduce([frame[k] == v for k, v in where.items()])
    assert mask.sum() == 1, where
    return frame[mask].iloc[0]


# --- direction ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kpi, expected", [
    ("deaths", -1), ("deaths_per_million", -1), ("trapped", -1), ("share_trapped", -1),
    ("shelter_turned_away", -1), ("rescue_time_p50_min", -1), ("rescue_reach_p90_min", -1),
    ("basic_needs_met_hours", -1), ("kit_wait_p90_h", -1), ("people_without_kit", -1),
    ("unmet_person_hours_water", -1), ("depot_stockouts", -1), ("caught_in_transit", -1),
    ("warning_coverage", 1), ("warning_lead_time_p50_min", 1), ("share_evacuated", 1),
    ("rescued", 1), ("share_rescued", 1), ("rescue_reached_within_1h", 1),
    ("basic_needs_met_within_target", 1), ("shelter_area_per_person_m2", 1),
    # Chemical release: harm, hospital load and footprints are worse when higher.
    ("person_minutes_above_aegl2", -1), ("injured_needing_hospital", -1),
    ("casualties_not_admitted", -1), ("hospital_peak_load", -1), ("people_in_aegl2_zone", -1),
    ("people_in_aegl3_zone", -1), ("evacuees_cut_off", -1), ("release_stopped_min", -1),
])
def test_better_direction_from_catalogue_target_or_name(kpi: str, expected: int) -> None:
    assert better_direction(kpi) == expected


def test_an_explicit_target_decides_the_direction() -> None:
    assert better_direction("deaths", Target(">", 3.0)) == 1
    assert better_direction("warning_coverage", Target("<=", 0.5)) == -1
    assert better_direction("team_utilisation", Target(">=", 0.5)) == 1


@pytest.mark.parametrize("kpi", [
    "population", "population_at_risk", "team_utilisation", "truck_utilisation",
    "share_from_donation", "shelter_peak_occupancy", "customers_served", "utilisation",
    "ambulance_utilisation", "road_links_closed", "cordon_minutes",
    "deaths_expected_if_all_shelter", "deaths_expected_if_all_evacuate"])
def test_context_figures_of_the_catalogues_are_not_judged(kpi: str) -> None:
    # The name heuristic would have called these "higher is better" (or, for cordon_minutes and
    # the counterfactual deaths, "lower"): the catalogues say they are not judged.
    assert better_direction(kpi) == 0


def test_only_names_no_catalogue_knows_fall_back_to_the_heuristic() -> None:
    assert better_direction("boats_lost_min") == -1
    assert better_direction("lives_reached") == 1
    assert better_direction("something_else") == 1


def test_context_figures_have_no_better_share_or_regret() -> None:
    table = pd.DataFrame({"option": ["baseline", "baseline", "boats", "boats"],
                          "replication": [0, 1, 0, 1], "deaths": [3.0, 4.0, 2.0, 5.0],
                          "team_utilisation": [0.2, 0.3, 0.4, 0.1]})
    context = make_spec(outcomes=[{"kpi": "deaths"}, {"kpi": "team_utilisation"}])
    diffs = paired_differences(table, context)
    utilisation = row(diffs, option="boats", kpi="team_utilisation")
    assert utilisation["mean_diff"] == pytest.approx(0.0)
    assert math.isnan(utilisation["share_better"]) and math.isnan(utilisation["share_worse"])
    assert row(diffs, option="boats", kpi="deaths")["share_better"] == 0.5
    regret = robustness(table, context)
    assert regret.loc[regret["kpi"] == "team_utilisation", "mean_regret"].isna().all()


# --- summaries ---------------------------------------------------------------------------------


def test_kpi_summary_by_hand(table: pd.DataFrame, spec: ExperimentSpec) -> None:
    summary = kpi_summary(table, spec)
    assert list(summary.columns[:10]) == ["option", "kpi", "n", "n_inf", "mean", "sd", "ci_low",
                                          "ci_high", "p5", "p50"]
    # Spec order of options, then of outcomes.
    assert list(summary["option"]) == ["baseline"] * 3 + ["boats"] * 3
    assert list(summary["kpi"][:3]) == ["deaths", "basic_needs_met_hours", "warning_coverage"]
    deaths = row(summary, option="baseline", kpi="deaths")
    sd = math.sqrt(500 / 3)
    assert deaths["n"] == 4 and deaths["mean"] == 25
    assert deaths["sd"] == pytest.approx(sd)
    assert deaths["ci_low"] == pytest.approx(25 - T3 * sd / 2)
    assert deaths["ci_high"] == pytest.approx(25 + T3 * sd / 2)
    # Type-7 quantiles of 10, 20, 30, 40: position 3p.
    assert (deaths["p5"], deaths["p50"], deaths["p95"]) == pytest.approx((11.5, 25, 38.5))


def test_kpi_summary_infinity_is_a_value(table: pd.DataFrame, spec: ExperimentSpec) -> None:
    hours = row(kpi_summary(table, spec), option="baseline", kpi="basic_needs_met_hours")
    assert hours["n"] == 4 and hours["n_inf"] == 1
    assert hours["mean"] == INF
    assert math.isnan(hours["sd"]) and math.isnan(hours["ci_low"])
    # Sorted 8, 9, 12, inf: the median lies between 9 and 12; p95 interpolates towards inf.
    assert hours["p5"] == pytest.approx(8.15)
    assert hours["p50"] == pytest.approx(10.5)
    assert hours["p95"] == INF


def test_kpi_summary_drops_nan(table: pd.DataFrame, spec: ExperimentSpec) -> None:
    coverage = row(kpi_summary(table, spec), option="boats", kpi="warning_coverage")
    assert coverage["n"] == 3 and coverage["n_inf"] == 0
    assert coverage["mean"] == pytest.approx((0.95 + 0.92 + 0.95) / 3)
    assert coverage["p50"] == pytest.approx(0.95)
    table = table.assign(rescue_time_p50_min=np.where(table["option"] == "boats", NAN, 30.0))
    never = row(kpi_summary(table, spec, ["rescue_time_p50_min"]), option="boats")
    assert never["n"] == 0 and math.isnan(never["mean"]) and math.isnan(never["p50"])


def test_kpi_summary_of_chosen_kpis_and_tiny_groups(table: pd.DataFrame,
                                                    spec: ExperimentSpec) -> None:
    one = table[table["replication"] == 0]
    summary = kpi_summary(one, spec, ["deaths", "not_a_column"])
    assert list(summary["kpi"]) == ["deaths", "deaths"]
    assert summary["n"].tolist() == [1, 1]
    assert summary["ci_low"].isna().all()  # no interval from one value
    assert summary["p5"].tolist() == summary["p95"].tolist() == [10, 8]


# --- paired differences ------------------------------------------------------------------------


def test_paired_differences_by_hand(table: pd.DataFrame, spec: ExperimentSpec) -> None:
    diffs = paired_differences(table, spec)
    assert set(diffs["option"]) == {"boats"}  # the baseline is not compared with itself
    deaths = row(diffs, kpi="deaths")
    sd = math.sqrt(20 / 3)  # of -2, -6, 0, -4
    assert deaths["n_pairs"] == 4 and deaths["n_undetermined"] == 0
    assert deaths["mean_diff"] == pytest.approx(-3)
    assert deaths["ci_low"] == pytest.approx(-3 - T3 * sd / 2)
    assert deaths["ci_high"] == pytest.approx(-3 + T3 * sd / 2)
    assert deaths["share_better"] == 0.75 and deaths["share_worse"] == 0


def test_paired_differences_with_infinity_and_nan(table: pd.DataFrame,
                                                  spec: ExperimentSpec) -> None:
    diffs = paired_differences(table, spec)
    hours = row(diffs, kpi="basic_needs_met_hours")
    # Replication 2 is inf in both: undetermined, left out of the mean, a tie for the shares.
    assert hours["n_pairs"] == 4 and hours["n_undetermined"] == 1
    assert hours["mean_diff"] == pytest.approx((-1 - 3 + 0.5) / 3)
    assert hours["share_better"] == 0.5 and hours["share_worse"] == 0.25
    coverage = row(diffs, kpi="warning_coverage")  # replication 1 has no boats value
    assert coverage["n_pairs"] == 3
    assert coverage["mean_diff"] == pytest.approx(0.06 / 3)
    assert coverage["share_better"] == pytest.approx(1 / 3)


def test_one_infinite_side_makes_the_mean_difference_infinite(spec: ExperimentSpec) -> None:
    table = make_table()
    table.loc[(table["option"] == "boats") & (table["replication"] == 0),
              "basic_needs_met_hours"] = INF
    hours = row(paired_differences(table, spec), kpi="basic_needs_met_hours")
    assert hours["mean_diff"] == INF and math.isnan(hours["ci_low"])
    assert hours["share_worse"] == 0.5  # inf > 8 counts as worse


def reach_table() -> tuple[pd.DataFrame, ExperimentSpec]:
    """The honest reach p90 (catalogue target <= 60 min; +inf: more than a tenth of all calls
    never reached) over 5 replications:

        replication     0     1     2     3     4
        baseline       90   inf   inf    55   inf
        boats          50    60   inf    45   120     diff -40 -inf (both inf) -10 -inf
    """
    table = pd.DataFrame({
        "option": ["baseline"] * 5 + ["boats"] * 5, "option_index": [0] * 5 + [1] * 5,
        "replication": list(range(5)) * 2,
        "rescue_reach_p90_min": [90, INF, INF, 55, INF, 50, 60, INF, 45, 120]})
    spec = make_spec(replications=5, outcomes=[{"kpi": "rescue_reach_p90_min"}])
    return table, spec


def test_a_censored_reach_kpi_summary_median_and_never_count() -> None:
    table, spec = reach_table()
    summary = kpi_summary(table, spec)
    base = row(summary, option="baseline", kpi="rescue_reach_p90_min")
    assert base["n"] == 5 and base["n_inf"] == 3
    assert base["mean"] == INF and math.isnan(base["sd"]) and math.isnan(base["ci_low"])
    assert base["p50"] == INF                    # sorted 55 90 inf inf inf: the middle is never
    assert base["p5"] == pytest.approx(55 + 0.2 * 35)
    boats = row(summary, option="boats", kpi="rescue_reach_p90_min")
    assert boats["n_inf"] == 1 and boats["p50"] == 60.0


def test_never_fails_the_1h_target_and_pairs_with_one_never_are_counted() -> None:
    table, spec = reach_table()
    probabilities = target_probabilities(table, spec)
    base = row(probabilities, option="baseline", kpi="rescue_reach_p90_min")
    boats = row(probabilities, option="boats", kpi="rescue_reach_p90_min")
    assert base["target"] == "<= 60"             # the catalogue's (Zhejiang 2021 §3(四)1)
    assert (base["n_met"], base["n"]) == (1, 5)  # 55 only: inf fails "<= 60"
    assert (boats["n_met"], boats["n"]) == (3, 5)
    diffs = row(paired_differences(table, spec), option="boats", kpi="rescue_reach_p90_min")
    assert diffs["n_undetermined"] == 1          # replication 2: never on both sides
    assert diffs["n_one_never"] == 2             # replications 1 and 4: -inf
    assert diffs["mean_diff"] == -INF and math.isnan(diffs["ci_low"])
    assert diffs["share_better"] == pytest.approx(4 / 5) and diffs["share_worse"] == 0
    robust = row(robustness(table, spec), option="baseline", kpi="rescue_reach_p90_min")
    assert robust["max_regret"] == INF and robust["satisficing"] == pytest.approx(1 / 5)


def test_a_named_baseline_is_the_reference(table: pd.DataFrame) -> None:
    diffs = paired_differences(table, make_spec(baseline="boats"))
    assert set(diffs["option"]) == {"baseline"}
    assert row(diffs, kpi="deaths")["mean_diff"] == pytest.approx(3)


# --- targets -----------------------------------------------------------------------------------


def wilson(k: int, n: int) -> tuple[float, float]:
    p = k / n
    centre = (p + Z**2 / (2 * n)) / (1 + Z**2 / n)
    half = Z / (1 + Z**2 / n) * math.sqrt(p * (1 - p) / n + Z**2 / (4 * n**2))
    return centre - half, centre + half


def test_wilson_interval_against_the_formula() -> None:
    low, high = wilson_interval(np.array([3, 0, 5, 7]), np.array([10, 4, 5, 0]))
    assert (low[0], high[0]) == pytest.approx(wilson(3, 10))
    assert low[1] == 0 and high[1] == pytest.approx(wilson(0, 4)[1])
    assert high[2] == 1 and low[2] == pytest.approx(wilson(5, 5)[0])
    assert math.isnan(low[3]) and math.isnan(high[3])


def test_target_probabilities_by_hand(table: pd.DataFrame, spec: ExperimentSpec) -> None:
    probabilities = target_probabilities(table, spec)
    # deaths has no plan target; hours has the spec's, coverage the catalogue's (> 0.9).
    assert set(probabilities["kpi"]) == {"basic_needs_met_hours", "warning_coverage"}
    expected = {("baseline", "basic_needs_met_hours"): (2, 4),  # inf is not "< 10"
                ("boats", "basic_needs_met_hours"): (3, 4),
                ("baseline", "warning_coverage"): (2, 4),
                ("boats", "warning_coverage"): (3, 3)}  # NaN left out
    for (option, kpi), (k, n) in expected.items():
        r = row(probabilities, option=option, kpi=kpi)
        assert (r["n_met"], r["n"]) == (k, n)
        assert r["p_met"] == pytest.approx(k / n)
        assert (r["ci_low"], r["ci_high"]) == pytest.approx(wilson(k, n))
    assert row(probabilities, option="boats", kpi="basic_needs_met_hours")["target"] == "< 10"
    assert row(probabilities, option="boats", kpi="warning_coverage")["target"] == "> 0.9"


def test_no_targets_gives_an_empty_table(table: pd.DataFrame) -> None:
    spec = make_spec(outcomes=[{"kpi": "deaths"}])
    assert target_probabilities(table, spec).empty
    assert robustness(table, spec)["satisficing"].isna().all()


# --- cost-effectiveness ------------------------------------------------------------------------


def test_cost_effectiveness_by_hand(table: pd.DataFrame, spec: ExperimentSpec) -> None:
    costs = cost_effectiveness(table, spec)
    boats = costs[costs["option"] == "boats"].set_index("kpi")
    assert set(boats.index) == {"basic_needs_met_hours", "warning_coverage"}
    assert (boats["cost_total_cny"] == 2e6).all()
    assert (boats["cost_incremental_cny"] == 2e6).all()
    assert (boats["deaths_averted"] == 3).all()
    assert boats["cost_per_death_averted"].iloc[0] == pytest.approx(2e6 / 3)
    # Hours: met 2/4 -> 3/4, +25 points; coverage, paired on replications 0, 2, 3 (boats has
    # no value in 1): met 1, 1, 0 -> 1, 1, 1, +33.3 points.
    assert boats.loc["basic_needs_met_hours", "gain_in_p_met"] == pytest.approx(25)
    assert boats.loc["basic_needs_met_hours", "cost_per_point"] == pytest.approx(80_000)
    assert boats.loc["warning_coverage", "gain_in_p_met"] == pytest.approx(100 / 3)
    assert boats.loc["warning_coverage", "cost_per_point"] == pytest.approx(60_000)
    assert (boats["note"] == "").all()
    baseline = costs[costs["option"] == "baseline"]
    assert (baseline["deaths_averted"] == 0).all()
    assert baseline["cost_per_death_averted"].isna().all()
    assert (baseline["note"] == "baseline").all()
    assert list(costs["option"]) == ["baseline", "baseline", "boats", "boats"]


def test_cost_effectiveness_undefined_ratios_are_nan_with_a_reason() -> None:
    spec = make_spec(
        options=[{"name": "baseline", "cost_capital_cny": 1e6},
                 {"name": "cheap"}, {"name": "costly", "cost_capital_cny": 3e6}],
        outcomes=[{"kpi": "deaths"}, {"kpi": "basic_needs_met_hours", "target": "< 10"}])
    table = pd.DataFrame({
        "option": ["baseline"] * 2 + ["cheap"] * 2 + ["costly"] * 2,
        "replication": [0, 1] * 3,
        "deaths": [10, 20, 5, 15, 12, 20],
        "basic_needs_met_hours": [8, 12, 8, 9, 8, 12],
    })
    costs = cost_effectiveness(table, spec).set_index("option")
    cheap, costly = costs.loc["cheap"], costs.loc["costly"]
    assert cheap["cost_incremental_cny"] == -1e6 and cheap["deaths_averted"] == 5
    assert math.isnan(cheap["cost_per_death_averted"])  # cheaper and better: dominant
    assert "deaths: dominant" in cheap["note"] and "target: dominant" in cheap["note"]
    assert costly["deaths_averted"] == -1 and math.isnan(costly["cost_per_death_averted"])
    assert costly["gain_in_p_met"] == 0 and math.isnan(costly["cost_per_point"])
    assert costly["note"] == "deaths: no gain (effect <= 0); target: no gain (effect <= 0)"


def test_cost_effectiveness_without_deaths_or_targets(table: pd.DataFrame) -> None:
    spec = make_spec(outcomes=[{"kpi": "trapped"}])
    costs = cost_effectiveness(table.drop(columns="deaths"), spec)
    assert list(costs["option"]) == ["baseline", "boats"]
    assert costs["deaths_averted"].isna().all() and costs["kpi"].isna().all()
    assert (costs["note"] == "no 'deaths' KPI in the results").all()


# --- robustness --------------------------------------------------------------------------------


def test_robustness_by_hand(table: pd.DataFrame, spec: ExperimentSpec) -> None:
    robust = robustness(table, spec)
    expected = {
        # best per replication: deaths min 8 14 30 36; hours min 7 9 inf 9; coverage max
        # 0.95 0.85 0.92 0.95 (boats has no value in replication 1).
        ("baseline", "deaths"): (4, 3.0, 6.0), ("boats", "deaths"): (4, 0.0, 0.0),
        ("baseline", "basic_needs_met_hours"): (4, 1.0, 3.0),  # both inf: no regret
        ("boats", "basic_needs_met_hours"): (4, 0.125, 0.5),
        ("baseline", "warning_coverage"): (4, 0.015, 0.06),
        ("boats", "warning_coverage"): (3, 0.0, 0.0),
    }
    for (option, kpi), (n, mean, worst) in expected.items():
        r = row(robust, option=option, kpi=kpi)
        assert r["n"] == n
        assert (r["mean_regret"], r["max_regret"]) == pytest.approx((mean, worst))
    # All targets (hours < 10 and coverage > 0.9) at once: baseline only in replication 0;
    # boats in 0 and 3 of the 3 replications that can be judged (coverage NaN in 1).
    satisficing = robust.groupby("option")["satisficing"].unique()
    assert satisficing["baseline"].tolist() == [0.25]
    assert satisficing["boats"].tolist() == [pytest.approx(2 / 3)]


def test_regret_against_an_option_that_never_succeeds(spec: ExperimentSpec) -> None:
    table = make_table()
    table.loc[table["option"] == "boats", "basic_needs_met_hours"] = INF
    hours = row(robustness(table, spec), option="boats", kpi="basic_needs_met_hours")
    assert hours["mean_regret"] == INF and hours["max_regret"] == INF


def test_functions_are_vectorised_over_many_rows(spec: ExperimentSpec) -> None:
    rng = np.random.default_rng(1)
    n = 20_000
    table = pd.DataFrame({
        "option": np.repeat(["baseline", "boats"], n), "replication": np.tile(np.arange(n), 2),
        "deaths": rng.poisson(20, 2 * n).astype(float),
        "basic_needs_met_hours": rng.exponential(10, 2 * n),
        "warning_coverage": rng.uniform(0.8, 1.0, 2 * n),
    })
    for fn in (kpi_summary, paired_differences, target_probabilities, cost_effectiveness,
               robustness):
        assert not fn(table, spec).empty
    summary = row(kpi_summary(table, spec), option="boats", kpi="basic_needs_met_hours")
    assert summary["p50"] == pytest.approx(10 * math.log(2), rel=0.05)


values = st.one_of(st.floats(0, 1e3), st.just(INF), st.just(NAN))


@settings(max_examples=20)
@given(st.lists(st.tuples(values, values, values), min_size=1, max_size=12))
def test_invariants_on_arbitrary_tables(rows: list[tuple[float, float, float]]) -> None:
    """Quantiles are ordered; Wilson intervals hold p_met; regret is >= 0 and max >= mean;
    finite means are numpy's."""
    spec = make_spec()
    n = len(rows)
    hours = np.array(rows, dtype=float)  # columns: baseline, boats, deaths of the baseline
    table = pd.DataFrame({
        "option": ["baseline"] * n + ["boats"] * n, "replication": np.tile(np.arange(n), 2),
        "basic_needs_met_hours": np.concatenate([hours[:, 0], hours[:, 1]]),
        "deaths": np.concatenate([hours[:, 2], hours[:, 2]])})
    summary = kpi_summary(table, spec).dropna(subset=["p5"])
    assert (summary["p5"] <= summary["p50"]).all() and (summary["p50"] <= summary["p95"]).all()
    finite = hours[:, 2][np.isfinite(hours[:, 2])]
    if len(finite) == np.count_nonzero(~np.isnan(hours[:, 2])) and len(finite):
        deaths = row(summary, option="baseline", kpi="deaths")
        assert deaths["mean"] == pytest.approx(finite.mean())
    probabilities = target_probabilities(table, spec)
    assert (probabilities["ci_low"] <= probabilities["p_met"] + 1e-12).all()
    assert (probabilities["p_met"] <= probabilities["ci_high"] + 1e-12).all()
    robust = robustness(table, spec).dropna(subset=["mean_regret"])
    assert (robust["mean_regret"] >= 0).all()
    assert (robust["max_regret"] >= robust["mean_regret"] - 1e-9).all()
    diffs = paired_differences(table, spec)
    assert (diffs["share_better"] + diffs["share_worse"] <= 1 + 1e-12).all()


def test_empty_table(spec: ExperimentSpec) -> None:
    empty = pd.DataFrame(columns=["option", "option_index", "replication"])
    for fn in (kpi_summary, paired_differences, target_probabilities, cost_effectiveness,
               robustness):
        assert fn(empty, spec).empty


# --- sensitivity -------------------------------------------------------------------------------


def ishigami(x: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def ishigami_s1(a: float = 7.0, b: float = 0.1) -> list[float]:
    """Analytic first-order indices (Ishigami & Homma 1990; Sobol' & Levitan 1999)."""
    v1 = 0.5 * (1 + b * np.pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * np.pi**8 * (1 / 18 - 1 / 50)
    total = v1 + v2 + v13
    return [v1 / total, v2 / total, 0.0]


def lhs(n: int, d: int, seed: int) -> np.ndarray:
    cube = qmc.LatinHypercube(d=d, rng=np.random.default_rng(seed)).random(n)
    return -np.pi + 2 * np.pi * cube


ISHIGAMI = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-np.pi, np.pi]] * 3}


def test_rbd_fast_recovers_the_ishigami_first_order_indices() -> None:
    assert ishigami_s1() == pytest.approx([0.314, 0.442, 0.0], abs=5e-4)
    X = lhs(4000, 3, seed=11)
    result = analyze(ISHIGAMI, X, ishigami(X), methods=("rbd_fast",))
    s1 = result[result["input"] != DUMMY].set_index("input")["value"]
    assert s1[["x1", "x2", "x3"]].tolist() == pytest.approx(ishigami_s1(), abs=0.05)
    dummy = result[result["input"] == DUMMY].iloc[0]
    assert abs(dummy["value"]) < 0.05 and abs(dummy["value"]) <= dummy["conf"] + 0.01
    assert (result["conf"] > 0).all() and (result["conf"] < 0.1).all()
    assert (result["n"] == 4000).all() and (result["n_dropped"] == 0).all()


def test_delta_ranks_an_influential_input_far_above_a_weak_one() -> None:
    X = lhs(100, 2, seed=4) + 4  # positive, like our inputs (SALib then skips its "step" mode)
    Y = np.exp(X[:, 0]) + 0.05 * X[:, 1]  # x1 drives the output, x2 barely
    problem2 = {"num_vars": 2, "names": ["x1", "x2"], "bounds": [[4 - np.pi, 4 + np.pi]] * 2}
    state = np.random.get_state()
    first = analyze(problem2, X, Y, methods=("delta",), num_resamples=5, dummy=False)
    second = analyze(problem2, X, Y, methods=("delta",), num_resamples=5, dummy=False)
    # numpy's global generator, which SALib's delta seeds, is left as it was.
    assert np.array_equal(np.random.get_state()[1], state[1])
    pd.testing.assert_frame_equal(first, second)  # seeded: reproducible
    delta = first.set_index("input")["value"]
    assert list(first["index"].unique()) == ["delta"]
    # delta is noisy with 100 runs (its floor here is about 0.1): a clear margin only.
    assert delta["x1"] > 0.4 and delta["x1"] > delta["x2"] + 0.2


def test_analyze_drops_non_finite_outputs_and_constant_inputs() -> None:
    X = lhs(40, 3, seed=5)
    X[:, 2] = 1.0  # constant input
    Y = ishigami(X)
    Y[:3] = [np.inf, np.nan, -np.inf]
    result = analyze(ISHIGAMI, X, Y, methods=("rbd_fast", "delta"), dummy=False)
    assert (result["n"] == 37).all() and (result["n_dropped"] == 3).all()
    x3 = result[(result["input"] == "x3") & (result["method"] == "rbd_fast")].iloc[0]
    assert math.isnan(x3["value"]) and x3["note"] == "input constant over the sample"
    # 37 finite outputs are too few for delta.
    delta = result[result["method"] == "delta"]
    assert delta["value"].isna().all()
    assert (delta["note"] == "needs >= 50 finite outputs, has 37").all()
    assert result.loc[result["method"] == "rbd_fast", "value"].notna().sum() == 2
    constant = analyze(ISHIGAMI, lhs(40, 3, seed=6), np.ones(40), methods=("rbd_fast",))
    assert constant["value"].isna().all() and constant["note"].str.contains("constant").all()
    with pytest.raises(ValueError, match="unknown sensitivity method"):
        analyze(ISHIGAMI, X, Y, methods=("sobol",))


def test_problem_from_the_spec(spec: ExperimentSpec) -> None:
    built = problem(spec)
    assert built["names"] == ["hazard.gauges.0.peak_stage_m", "never act"]
    assert built["columns"] == ["in.hazard.gauges.0.peak_stage_m", "in.warnings.never_act"]
    assert built["bounds"][0] == pytest.approx([23.5, 26.0])
    # A normal has infinite ends: its 0.1 % and 99.9 % quantiles instead.
    assert built["bounds"][1] == pytest.approx(stats.norm.ppf([0.001, 0.999], 0.1, 0.02))


def test_sensitivity_of_a_results_table(spec: ExperimentSpec) -> None:
    rng = np.random.default_rng(2)
    n = 60
    stage, never = rng.uniform(23.5, 26.0, n), rng.normal(0.1, 0.02, n)
    deaths = 100 * (stage - 23.5) ** 2 + rng.normal(0, 1, n)
    table = pd.DataFrame({"option": ["baseline"] * n + ["boats"] * n,
                          "replication": np.tile(np.arange(n), 2),
                          "in.hazard.gauges.0.peak_stage_m": np.tile(stage, 2),
                          "in.warnings.never_act": np.tile(never, 2),
                          "deaths": np.concatenate([deaths, np.zeros(n)])})
    result = sensitivity(table, spec, "deaths", methods=("rbd_fast",))
    assert list(result.columns) == ["input", "method", "index", "value", "conf", "n",
                                    "n_dropped", "note"]
    assert result["input"].tolist() == ["hazard.gauges.0.peak_stage_m", "never act", DUMMY]
    s1 = result.set_index("input")["value"]
    assert s1["hazard.gauges.0.peak_stage_m"] > 0.8 and s1["never act"] < 0.2
    boats = sensitivity(table, spec, "deaths", option="boats", methods=("rbd_fast",))
    assert boats["note"].str.contains("constant").all()
    assert sensitivity(table, spec, "no_such_kpi").empty
    assert sensitivity(table, spec, "deaths", option="nobody").empty
    assert sensitivity(table, make_spec(uncertainties=[]), "deaths").empty


def test_negative_indices_are_explained() -> None:
    assert explain_negative() == EXPLAIN_NEGATIVE
    assert "negative" in EXPLAIN_NEGATIVE and "≈ 0" in EXPLAIN_NEGATIVE


# --- end to end --------------------------------------------------------------------------------

TINY = tiny_spec("tiny-analysis", replications=4, chunk_size=4, outcomes=(
    '\n[[outcomes]]\nkpi = "basic_needs_met_hours"\ntarget = "< 10"\n'))


def test_analysis_of_a_real_tiny_experiment(tmp_path: Path) -> None:
    spec_path = tmp_path / "tiny.toml"
    spec_path.write_text(TINY, encoding="utf-8")
    loaded = load_spec(spec_path)
    store = ResultStore(tmp_path / "out")
    run_experiment(loaded, store, Executor())
    table, spec = store.table(), loaded.spec
    assert len(table) == 8

    summary = kpi_summary(table, spec)
    assert len(summary) == 2 * 3 and (summary["n"] == 4).all()
    baseline = table[table["option"] == "baseline"]
    deaths = row(summary, option="baseline", kpi="deaths")
    assert deaths["mean"] == pytest.approx(baseline["deaths"].mean())

    diffs = paired_differences(table, spec)
    boats = table[table["option"] == "more-boats"].set_index("replication")["deaths"]
    expected = (boats - baseline.set_index("replication")["deaths"]).mean()
    assert row(diffs, kpi="deaths")["mean_diff"] == pytest.approx(expected)
    # The same uncertainty draws in both options (common random numbers): warnings identical.
    assert row(diffs, kpi="warning_coverage")["mean_diff"] == 0

    probabilities = target_probabilities(table, spec)
    assert set(probabilities["kpi"]) == {"warning_coverage", "basic_needs_met_hours"}
    assert probabilities["p_met"].between(0, 1).all()
    costs = cost_effectiveness(table, spec)
    averted = row(costs, option="more-boats", kpi="warning_coverage")["deaths_averted"]
    assert averted == pytest.approx(-expected)
    robust = robustness(table, spec)
    assert (robust["mean_regret"].fillna(0) >= 0).all()
    assert robust["satisficing"].between(0, 1).all()
    assert analysis.outcome_kpis(table, spec) == ["deaths", "warning_coverage",
                                                  "basic_needs_met_hours"]
    sens = sensitivity(table, spec, "deaths")
    assert sens["note"].str.startswith("needs >=").all()  # 4 runs: too few, and says so
