"""drsim run: the KPI table, the output folder (kpis, summary, series, manifest), repeats."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import Result

from drsim import __version__
from models.kpis import describe
from models.loading import load_scenario
from models.queue import erlang_c
from sim.config import canonical_hash

QUEUE_KPIS = ["customers_served", "wait_mean_min", "wait_p90_min", "wait_probability",
              "utilisation", "queue_length_mean", "wait_mean_erlang_c_min"]
RUN_ARGS = ("run", "mmc-reference", "--set", "horizon=1d", "--reps", "2", "--seed", "7",
            "--no-progress")


@pytest.fixture(scope="module")
def reference_run(invoke, tmp_path_factory: pytest.TempPathFactory) -> tuple[Result, Path]:
    """One run of mmc-reference (1 day, 2 replications, seed 7) shared by the tests below."""
    out = tmp_path_factory.mktemp("run") / "first"
    result = invoke(*RUN_ARGS, "--out", out)
    assert result.exit_code == 0, result.output
    return result, out


def test_run_prints_the_kpi_table(reference_run) -> None:
    result, out = reference_run
    text = result.stdout
    assert "mmc-reference: 2 replications, root seed 7, horizon 1d" in text
    names = pd.read_csv(out / "kpi_summary.csv")["kpi"]
    for name in names:
        assert describe(name).label in text
    assert "Mean wait in queue" in text
    exact = erlang_c(1 / 0.5, 1 / 3.5, 8).mean_wait
    erlang_row = next(line for line in text.splitlines() if "Erlang C (analytic)" in line)
    # The analytic value is the same in every replication: mean, 5 % and 95 % all equal it.
    assert erlang_row.count(f"{exact:.4g}") == 3, erlang_row
    digest = canonical_hash(load_scenario("mmc-reference", ["horizon=1d"]))
    assert f"scenario hash {digest[:16]}" in text
    assert f"outputs in {out}/" in text
    assert "Traceback" not in result.output


def test_run_writes_kpis_csv(reference_run) -> None:
    _, out = reference_run
    kpis = pd.read_csv(out / "kpis.csv")
    assert len(kpis) == 2
    assert kpis["replication"].tolist() == [0, 1]
    assert (kpis["root_entropy"] == 7).all()
    assert set(QUEUE_KPIS) <= set(kpis.columns)
    assert (kpis["customers_served"] > 1000).all()  # a day at 2 calls/min, minus 2 h warm-up
    assert kpis["wait_mean_min"].nunique() == 2  # replications differ


def test_run_writes_kpi_summary_csv(reference_run) -> None:
    _, out = reference_run
    summary = pd.read_csv(out / "kpi_summary.csv")
    assert summary["kpi"].tolist() == list(pd.read_csv(out / "kpis.csv").columns[4:])
    assert (summary["replications"] == 2).all()
    row = summary.set_index("kpi").loc["wait_mean_min"]
    assert row["p5"] <= row["mean"] <= row["p95"]


def test_run_writes_timeseries_parquet(reference_run) -> None:
    _, out = reference_run
    series = pd.read_parquet(out / "timeseries.parquet")
    assert {"replication", "time", "queue_length", "servers_busy"} <= set(series.columns)
    assert list(series.columns[:2]) == ["replication", "time"]
    assert sorted(series["replication"].unique()) == [0, 1]
    for _, rows in series.groupby("replication"):
        assert rows["time"].iloc[0] == 0
        assert rows["time"].iloc[-1] == 1440
        assert rows["time"].diff().dropna().eq(60).all()  # report_every = 1h


def test_run_writes_manifest(reference_run) -> None:
    _, out = reference_run
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    loaded = load_scenario("mmc-reference", ["horizon=1d"])
    assert manifest["scenario"]["hash"] == canonical_hash(loaded)
    assert manifest["scenario"]["content"] == loaded.model_dump(mode="json")
    assert manifest["scenario"]["overrides"] == ["horizon=1d"]
    assert manifest["scenario"]["source"] == "mmc-reference"
    assert manifest["root_seed"] == "7"
    assert manifest["replications"] == 2
    assert manifest["versions"]["drsim"] == __version__
    assert manifest["versions"]["simpy"]
    assert "git" in manifest
    if manifest["git"] is not None:
        assert set(manifest["git"]) == {"commit", "dirty"}


def test_run_output_folder_has_exactly_the_run_files(reference_run) -> None:
    _, out = reference_run
    assert sorted(p.name for p in out.iterdir()) == [
        "kpi_summary.csv", "kpis.csv", "manifest.json", "timeline.png", "timeseries.parquet"]
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no staging left


def test_same_seed_same_results(invoke, reference_run, tmp_path: Path) -> None:
    _, first = reference_run
    second = tmp_path / "second"
    result = invoke(*RUN_ARGS, "--out", second)
    assert result.exit_code == 0, result.output
    a = pd.read_csv(first / "kpis.csv")
    b = pd.read_csv(second / "kpis.csv")
    # wall_time_s is the only column allowed to differ: it is measured, not simulated.
    pd.testing.assert_frame_equal(a.drop(columns="wall_time_s"), b.drop(columns="wall_time_s"))
    pd.testing.assert_frame_equal(pd.read_parquet(first / "timeseries.parquet"),
                                  pd.read_parquet(second / "timeseries.parquet"))
    assert (pd.read_csv(first / "kpi_summary.csv").equals(
        pd.read_csv(second / "kpi_summary.csv")))


def test_other_seed_other_results(invoke, reference_run, tmp_path: Path) -> None:
    _, first = reference_run
    other = tmp_path / "other"
    args = [a if a != "7" else "8" for a in RUN_ARGS]
    assert invoke(*args, "--out", other).exit_code == 0
    assert not pd.read_csv(first / "kpis.csv")["wait_mean_min"].equals(
        pd.read_csv(other / "kpis.csv")["wait_mean_min"])


def test_trace_writes_trace_parquet(invoke, small_scenario: Path, tmp_path: Path) -> None:
    out = tmp_path / "traced"
    result = invoke("run", small_scenario, "--set", "horizon=2h", "--seed", "1", "--trace",
                    "--out", out, "--no-progress")
    assert result.exit_code == 0, result.output
    trace = pd.read_parquet(out / "trace.parquet")
    assert len(trace) > 0
    assert (trace["replication"] == 0).all()
    assert "trace.parquet" in result.stdout


def test_no_trace_by_default(invoke, small_scenario: Path, tmp_path: Path) -> None:
    out = tmp_path / "untraced"
    assert invoke("run", small_scenario, "--out", out, "--no-progress").exit_code == 0
    assert not (out / "trace.parquet").exists()
    assert (out / "kpis.csv").exists()


def test_run_without_out_writes_nothing(invoke, small_scenario: Path) -> None:
    before = sorted(small_scenario.parent.iterdir())
    result = invoke("run", small_scenario, "--set", "horizon=2h", "--no-progress")
    assert result.exit_code == 0, result.output
    assert "Mean wait in queue" in result.stdout
    assert "outputs in" not in result.stdout
    assert sorted(small_scenario.parent.iterdir()) == before


def test_run_default_seed_is_the_scenarios(invoke, small_text, write_toml) -> None:
    path = write_toml(small_text.replace('horizon = "1d"', 'horizon = "2h"\nseed = 42'))
    result = invoke("run", path, "--no-progress")
    assert result.exit_code == 0, result.output
    assert "root seed 42" in result.stdout


def test_out_pointing_at_a_file_is_refused(invoke, tmp_path: Path) -> None:
    target = tmp_path / "results.txt"
    target.write_text("keep me", encoding="utf-8")
    result = invoke("run", "mmc-reference", "--set", "horizon=3h", "--out", target,
                    "--no-progress")
    assert result.exit_code == 2
    assert result.stderr == f"error: --out {target}: exists and is not a folder\n"
    assert result.stdout == ""
    assert target.read_text(encoding="utf-8") == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.txt"]


def test_out_below_a_file_is_a_one_line_error(invoke, tmp_path: Path) -> None:
    blocker = tmp_path / "results.txt"
    blocker.write_text("keep me", encoding="utf-8")
    out = blocker / "run"
    result = invoke("run", "mmc-reference", "--set", "horizon=3h", "--out", out,
                    "--no-progress")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: --out {out}: cannot write there (")
    assert len(result.stderr.splitlines()) == 1
    assert "Traceback" not in result.output
    assert blocker.read_text(encoding="utf-8") == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.txt"]  # no staging left


# --- "never within the horizon" (+inf) in the table and the CSV files ----------------------------

NO_TEAMS = ("run", "tiny-flood", "--set", "hazard.breaches.0.probability=1.0", "--set",
            "hazard.breaches.0.at_stage_m=23.0", "--set", "rescue.teams=[]", "--reps", "2",
            "--no-progress")


@pytest.fixture(scope="module")
def no_teams_run(invoke, tmp_path_factory: pytest.TempPathFactory) -> tuple[Result, Path]:
    """tiny-flood with its levee breached and no rescue team: no call is ever reached."""
    out = tmp_path_factory.mktemp("never") / "run"
    result = invoke(*NO_TEAMS, "--out", out)
    assert result.exit_code == 0, result.output
    return result, out


def test_never_is_words_in_the_table_not_inf_nan_or_a_huge_number(no_teams_run) -> None:
    result, _ = no_teams_run
    lines = result.stdout.splitlines()
    label = describe("rescue_reach_p90_min", "flood").label    # rich may wrap it: its start
    row = next(line for line in lines if label[:55] in line)
    assert row.count("not within the horizon") == 3, row        # mean, 5 % and 95 %
    assert "<= 60: met in 0 of 2 runs" in row
    for line in lines:
        cells = [c.strip() for c in line.split("│")]
        assert not {"inf", "-inf", "nan", "never"} & set(cells), line
        assert "e+30" not in line, line


def test_never_is_inf_in_the_csv_files_and_reads_back(no_teams_run) -> None:
    _, out = no_teams_run
    text = (out / "kpis.csv").read_text(encoding="utf-8")
    header, *rows = text.splitlines()
    column = header.split(",").index("rescue_reach_p90_min")
    assert [r.split(",")[column] for r in rows] == ["inf", "inf"]   # written as inf
    kpis = pd.read_csv(out / "kpis.csv")
    assert (kpis["rescue_reach_p90_min"] == float("inf")).all()
    assert (kpis["rescue_reached_within_1h"] == 0.0).all()
    assert (kpis["rescue_calls_never_reached"] == kpis["rescue_calls"]).all()
    summary = pd.read_csv(out / "kpi_summary.csv").set_index("kpi")
    assert summary.loc["rescue_reach_p90_min", ["mean", "p5", "p95"]].tolist() == [
        float("inf")] * 3


def test_a_quantile_over_runs_touching_never_is_never_not_a_huge_number() -> None:
    """kpi_summary's 5-95 % range by linear interpolation: between a finite value and +inf it
    is +inf (a stand-in huge number used to give 4.5e306); finite columns as numpy has them."""
    import numpy as np

    from sim.output import _nanquantile

    values = np.array([[1.0, 100.0, np.nan], [2.0, np.inf, np.nan], [3.0, np.inf, 4.0]])
    low, high = _nanquantile(values, 0.05), _nanquantile(values, 0.95)
    assert low[0] == pytest.approx(np.quantile([1, 2, 3], 0.05))
    assert high[0] == pytest.approx(np.quantile([1, 2, 3], 0.95))
    assert low[1] == np.inf and high[1] == np.inf
    assert low[2] == high[2] == 4.0
    assert np.isnan(_nanquantile(np.array([[np.nan]]), 0.5)).all()
