"""The replication runner (reproducibility, event counts, report grid, traces) and the
all-or-nothing result writer."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import simpy

from models.catalog import build
from models.loading import load_scenario
from sim.monitors import LevelMonitor
from sim.output import write_run
from sim.runner import (
    ReplicationContext,
    report_grid,
    resolve_root_seed,
    run_replication,
    run_replications,
)
from sim.streams import Streams
from sim.trace import Trace

SEED = 20260101


@pytest.fixture(scope="module")
def scenario():
    """The bundled reference M/M/c queue (8 servers, ~2 880 calls a day), cut to one day, with a
    10-minute warm-up so that the short runs below count customers too."""
    return load_scenario("mmc-reference", {"horizon": "1d", "queue.warmup": "10min"})


def run(scenario, replication=0, root_seed=SEED, **options):
    return run_replication(build, scenario, replication, root_seed, scenario.horizon,
                           report_every=scenario.report_every, **options)


# --- a toy model whose event count and series can be worked out by hand ----------------------


class Ticker:
    """One process that waits 1 minute three times, raising a level each time."""

    def __init__(self, ctx: ReplicationContext, scenario: dict) -> None:
        self.env = ctx.env
        self.level = LevelMonitor(ctx.env, "ticks")
        self.jitter = ctx.streams["ticker.jitter"].random()
        ctx.env.process(self._tick(scenario["ticks"]))

    def _tick(self, ticks: int):
        for n in range(1, ticks + 1):
            yield self.env.timeout(1)
            self.level.record(n)

    def kpis(self):
        return {"ticks": self.level.current, "jitter": self.jitter}

    def series(self):
        return {"ticks": self.level}


def test_toy_model_events_kpis_and_series():
    result = run_replication(Ticker, {"ticks": 3}, 2, 99, until=10, report_every=2.5)
    # Process start + 3 timeouts + process end = 5 events, plus the stop event of env.run(until).
    assert result.events == 6
    assert result.replication == 2 and result.root_entropy == 99
    assert result.kpis == {"ticks": 3.0, "jitter": Streams(99, 2)["ticker.jitter"].random()}
    pd.testing.assert_frame_equal(result.timeseries, pd.DataFrame(
        {"time": [0.0, 2.5, 5.0, 7.5, 10.0], "ticks": [0.0, 2.0, 3.0, 3.0, 3.0]}))
    assert result.trace is None
    assert result.wall_time_s >= 0


# --- the reference queue -----------------------------------------------------------------------


def test_same_seed_and_replication_reproduce_kpis_and_series(scenario):
    first, second = run(scenario, replication=1), run(scenario, replication=1)
    assert first.kpis == second.kpis
    assert first.events == second.events
    pd.testing.assert_frame_equal(first.timeseries, second.timeseries)


def test_different_replication_gives_different_kpis(scenario):
    first, second = run(scenario, replication=0), run(scenario, replication=1)
    assert first.kpis["wait_mean_min"] != second.kpis["wait_mean_min"]
    assert first.kpis["customers_served"] != second.kpis["customers_served"]
    # The analytic Erlang C figure does not depend on the draws.
    assert first.kpis["wait_mean_erlang_c_min"] == second.kpis["wait_mean_erlang_c_min"]


def test_kpis_and_timeseries_shape(scenario):
    result = run(scenario)
    assert set(result.kpis) == {
        "customers_served", "wait_mean_min", "wait_p90_min", "wait_probability", "utilisation",
        "queue_length_mean", "wait_mean_erlang_c_min"}
    assert all(isinstance(value, float) for value in result.kpis.values())
    assert 0 < result.kpis["utilisation"] < 1
    assert list(result.timeseries.columns) == ["time", "queue_length", "servers_busy"]
    np.testing.assert_array_equal(result.timeseries["time"], np.arange(25) * 60.0)  # hourly, 1 d
    assert result.timeseries["servers_busy"].between(0, 8).all()


def test_event_count_matches_an_independent_count(scenario):
    result = run(scenario, replication=3)

    env = simpy.Environment()
    build(ReplicationContext(env, Streams(SEED, 3), Trace()), scenario)
    stepped = 0
    while env.peek() < scenario.horizon:
        env.step()
        stepped += 1
    # Both stop before the events due exactly at the horizon; env.run(until) additionally
    # schedules and processes its own stop event, which the runner's count includes.
    assert stepped > 10_000
    assert result.events == stepped + 1


def test_report_grid_default_and_explicit_steps():
    np.testing.assert_array_equal(report_grid(10, 3), [0, 3, 6, 9, 10])  # until is always last
    np.testing.assert_array_equal(report_grid(10, 20), [0, 10])
    np.testing.assert_array_equal(report_grid(1440, 60), np.arange(25) * 60.0)
    default = report_grid(500)
    assert len(default) == 101 and default[-1] == 500
    np.testing.assert_allclose(np.diff(default), 5)


@pytest.mark.parametrize("until, step", [(29, None), (7, None), (0.3, 0.1), (4.2, 0.7)])
def test_report_grid_ends_exactly_at_until_despite_rounding(until, step):
    # Regression: a float arange used to end at 7.000000000000001, or add 28.999999999999996
    # just before 29.
    grid = report_grid(until, step)
    assert grid[-1] == until
    expected = 101 if step is None else round(until / step) + 1
    assert len(grid) == expected
    assert (np.diff(grid) > 0.5 * (grid[1] - grid[0])).all()


@pytest.mark.parametrize("until, step", [(0, None), (-5, None), (10, 0), (10, -1)])
def test_report_grid_rejects_non_positive_times(until, step):
    with pytest.raises(ValueError):
        report_grid(until, step)


def test_runner_uses_the_default_grid_without_report_every(scenario):
    result = run_replication(build, scenario, 0, SEED, 600.0)
    assert len(result.timeseries) == 101
    assert result.timeseries["time"].iloc[-1] == 600.0


def test_run_replications_share_one_fresh_root_entropy(scenario):
    results = run_replications(build, scenario, 3, None, 240.0)
    assert [r.replication for r in results] == [0, 1, 2]
    entropies = {r.root_entropy for r in results}
    assert len(entropies) == 1
    (entropy,) = entropies
    # The recorded entropy repeats a replication exactly.
    again = run_replication(build, scenario, 2, entropy, 240.0)
    assert again.kpis == results[2].kpis


def test_run_replications_accepts_explicit_indices(scenario):
    results = run_replications(build, scenario, [4, 7], SEED, 240.0)
    assert [r.replication for r in results] == [4, 7]
    assert results[1].kpis == run_replication(build, scenario, 7, SEED, 240.0).kpis


def test_resolve_root_seed():
    assert resolve_root_seed(12) == 12
    assert resolve_root_seed(None) != resolve_root_seed(None)


def test_trace_frame_is_returned_when_asked(scenario):
    result = run_replication(build, scenario, 0, SEED, 30.0, trace=True)
    frame = result.trace
    assert frame is not None
    assert list(frame.columns) == ["time", "kind", "entity", "place", "quantity"]
    assert set(frame["kind"]) == {"request", "grant", "release"}
    assert (frame["place"] == "servers").all()
    assert frame["entity"].iloc[0] == "customer-1"
    assert frame["time"].is_monotonic_increasing and frame["time"].max() < 30
    # Tracing observes the run without changing it.
    assert result.kpis == run_replication(build, scenario, 0, SEED, 30.0).kpis


# --- writing results ---------------------------------------------------------------------------


def test_write_run_writes_all_files(scenario, tmp_path):
    results = run_replications(build, scenario, 2, SEED, 120.0, report_every=30.0, trace=True)
    out = tmp_path / "runs" / "reference"
    manifest = {"scenario": scenario.name, "root_seed": SEED, "note": "洪水"}
    written = write_run(out, results, manifest)

    names = ["kpis.csv", "kpi_summary.csv", "timeseries.parquet", "trace.parquet",
             "manifest.json"]
    assert written == [out / name for name in names]
    assert sorted(p.name for p in out.iterdir()) == sorted(names)
    assert sorted(p.name for p in out.parent.iterdir()) == ["reference"]  # no staging left

    kpis = pd.read_csv(out / "kpis.csv", dtype={"root_entropy": str})
    assert kpis["replication"].tolist() == [0, 1]
    assert kpis["root_entropy"].tolist() == [str(SEED)] * 2
    assert kpis["wait_mean_min"].tolist() == pytest.approx(
        [r.kpis["wait_mean_min"] for r in results])

    summary = pd.read_csv(out / "kpi_summary.csv")
    assert list(summary.columns) == ["kpi", "mean", "p5", "p95", "replications"]
    assert summary["kpi"].tolist() == list(results[0].kpis)
    assert (summary["replications"] == 2).all()

    series = pd.read_parquet(out / "timeseries.parquet")
    assert list(series.columns) == ["replication", "time", "queue_length", "servers_busy"]
    assert series["replication"].tolist() == [0] * 5 + [1] * 5

    trace = pd.read_parquet(out / "trace.parquet")
    assert set(trace["replication"]) == {0, 1}
    # The manifest's text is what it always was (result folders are read by other tools).
    assert (out / "manifest.json").read_text(encoding="utf-8") == json.dumps(
        manifest, indent=2, ensure_ascii=False) + "\n"


def test_write_run_writes_extras_on_one_line_with_nan_as_null(tmp_path):
    class WithExtras:
        def __init__(self, ctx, scenario):
            pass

        def kpis(self):
            return {"x": 1.0}

        def series(self):
            return {}

        def extras(self):
            return {"peak_m": [1.5, float("nan")], "name": "驻马店"}

    results = run_replications(WithExtras, None, 2, SEED, 10.0)
    write_run(tmp_path / "out", results, {"when": tmp_path})   # a path: written as text
    text = (tmp_path / "out" / "extras.json").read_text(encoding="utf-8")
    assert text == ('[{"replication": 0, "peak_m": [1.5, null], "name": "驻马店"}, '
                    '{"replication": 1, "peak_m": [1.5, null], "name": "驻马店"}]\n')
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest == {"when": str(tmp_path)}


def test_write_run_without_trace_writes_no_trace_file(scenario, tmp_path):
    results = run_replications(build, scenario, 1, SEED, 60.0)
    write_run(tmp_path / "out", results, {})
    assert not (tmp_path / "out" / "trace.parquet").exists()
