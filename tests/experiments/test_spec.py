"""Experiment specs and designs: validation before any run, and the design table (the uncertainty
values each replication index gets, identical for every option: common random numbers)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from tiny_spec import tiny_spec
from typer.testing import CliRunner

from drsim.cli import app
from experiments.design import INPUT_PREFIX, draws, unit_cube
from experiments.run import plan_tasks, run_chunk
from experiments.spec import ExperimentSpec, bundled_spec_names, load_spec
from sim.distributions import Choice, LogNormal, Normal, Triangular, Uniform

# The tiny spec used throughout (two options, two uncertainties, 6 replications in chunks of 2).
TINY = tiny_spec()


@pytest.fixture
def write_spec(tmp_path: Path) -> Callable[..., Path]:
    """Write TINY, with ``(old, new)`` text replacements, into tmp_path."""

    def write(*replacements: tuple[str, str], name: str = "spec.toml") -> Path:
        text = TINY
        for old, new in replacements:
            assert old in text, f"{old!r} not in the tiny spec"
            text = text.replace(old, new)
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


def _invoke(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args])


# --- loading -----------------------------------------------------------------------------------


def test_tiny_spec_loads(write_spec: Callable[..., Path]) -> None:
    loaded = load_spec(write_spec())
    spec = loaded.spec
    assert loaded.base.name == "tiny-flood"
    assert [o.name for o in spec.options] == ["baseline", "more-boats"]
    assert spec.baseline_name == "baseline"
    assert [u.path for u in spec.uncertainties] == ["hazard.gauges.0.peak_stage_m",
                                                   "warnings.never_act"]
    assert [o.kpi for o in spec.outcomes] == ["deaths", "warning_coverage"]


def test_bundled_zhumadian_spec_loads() -> None:
    assert "zhumadian-capability-options" in bundled_spec_names()
    loaded = load_spec("zhumadian-capability-options")
    spec = loaded.spec
    assert loaded.base.name == "zhumadian-flood"
    assert spec.baseline_name == "baseline"
    assert spec.options[0].name == "baseline" and not spec.options[0].overrides
    others = spec.options[1:]
    assert len(others) >= 5
    for option in others:
        assert option.overrides, option.name
        assert option.cost_capital_cny > 0 or option.cost_yearly_cny > 0, option.name
    assert len(spec.uncertainties) >= 1
    assert len(spec.outcomes) >= 1
    # Its design lands inside each distribution's support.
    table = draws(spec)
    assert len(table) == spec.replications
    for u in spec.uncertainties:
        low, high = u.distribution.ppf(np.array([0.0, 1.0]))
        assert table[INPUT_PREFIX + u.path].between(low, high).all(), u.path


# --- bad specs: one line, exit 2, before any run (the out folder is never created) ------------

BAD_SPECS = {
    "unknown uncertainty field": (
        [('path = "hazard.gauges.0.peak_stage_m"', 'path = "hazard.gauges.0.no_such_field"')],
        "uncertainties: hazard.gauges.0.no_such_field: no such field"),
    "uncertainty list index out of range": (
        [('path = "hazard.gauges.0.peak_stage_m"', 'path = "hazard.gauges.42.peak_stage_m"')],
        "uncertainties: hazard.gauges.42: no item 42"),
    "triangular low > high": (
        [("[23.5, 24.8, 26.0]", "[26.0, 24.8, 23.5]")],
        "uncertainties[0].distribution.triangular: triangular needs low <= mode <= high"),
    "uniform [1, 1]": (
        [("[0.05, 0.2]", "[1, 1]")],
        "uncertainties[1].distribution.uniform: uniform needs low < high"),
    "a plain number instead of a distribution": (
        [("{ uniform = [0.05, 0.2] }", "0.1")],
        "uncertainties[1].distribution: an uncertainty needs a distribution"),
    "a string instead of a distribution": (
        [("{ uniform = [0.05, 0.2] }", '"uniform"')],
        "uncertainties[1].distribution: expected a number or a table"),
    "option overrides a missing field": (
        [('"rescue.teams.0.count" = 6', '"rescue.teams.0.no_such_field" = 6')],
        "options[1].overrides: rescue.teams.0.no_such_field: no such field"),
    "option overrides a missing list item": (
        [('"rescue.teams.0.count" = 6', '"rescue.teams.99.count" = 6')],
        "options[1].overrides: rescue.teams.99: no item 99"),
    "option override with an invalid value": (
        [('"rescue.teams.0.count" = 6', '"rescue.teams.0.count" = -1')],
        "options[1].overrides: rescue.teams[0].count"),
    "duplicate option names": (
        [('name = "more-boats"', 'name = "baseline"')],
        "options: option names must be unique"),
    "unknown bundled base scenario": (
        [('base = "tiny-flood"', 'base = "no-such-scenario"')],
        "base: no-such-scenario: no such file or bundled scenario"),
    "missing base scenario file": (
        [('base = "tiny-flood"', 'base = "missing-base.toml"')],
        "missing-base.toml: file not found"),
    "override clashes with an uncertainty": (
        [('"rescue.teams.0.count" = 6', '"warnings.never_act" = 0.1')],
        "also drawn as uncertainties"),
    "unknown lever": (
        [('overrides = { "rescue.teams.0.count" = 6 }', 'levers = { "teams.boats.units" = 6 }')],
        "options[1].levers: unknown lever 'teams.boats.units' (this scenario's levers: "
        "teams.fire_rescue.units, teams.fire_rescue.seats"),
    "lever value of the wrong kind": (
        [('overrides = { "rescue.teams.0.count" = 6 }',
          'levers = { "teams.fire_rescue.units" = "six" }')],
        "options[1].levers.teams.fire_rescue.units: expected a number, got 'six'"),
    "lever value the scenario refuses": (
        [('overrides = { "rescue.teams.0.count" = 6 }', 'levers = { "shelters.capacity" = -5 }')],
        "options[1].levers.shelters.capacity: expected at least 0"),
    "zero replications": (
        [("replications = 6", "replications = 0")],
        "replications: Input should be greater than or equal to 1"),
}


@pytest.mark.parametrize("case", list(BAD_SPECS), ids=list(BAD_SPECS))
def test_bad_spec_is_one_line_before_any_run(case: str, write_spec: Callable[..., Path],
                                             tmp_path: Path) -> None:
    replacements, expected = BAD_SPECS[case]
    spec = write_spec(*replacements)
    out = tmp_path / "out"
    result = _invoke("experiment", "run", spec, "--out", out, "--no-progress")
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: {spec}"), lines[0]
    assert expected in lines[0]
    assert "Traceback" not in result.output
    assert not out.exists()


def test_missing_spec_file_is_one_line(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = _invoke("experiment", "run", tmp_path / "nope.toml", "--out", out)
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("error: ")
    assert not out.exists()


def test_unknown_executor_is_one_line(write_spec: Callable[..., Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = _invoke("experiment", "run", write_spec(), "--out", out, "--executor", "warp:9",
                     "--no-progress")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == ("error: --executor: unknown executor 'warp:9'; expected serial | "
                             "local:N | dask:local:N | dask://HOST:PORT\n")
    assert not out.exists()


def test_uncertainty_outside_field_bounds_is_rejected_before_any_run(
        write_spec: Callable[..., Path], tmp_path: Path) -> None:
    # never_act is a share (<= 1); the mean 1.0 validates, half of the draws do not.
    spec = write_spec(("[0.05, 0.2]", "[0.5, 1.5]"))
    out = tmp_path / "out"
    result = _invoke("experiment", "run", spec, "--out", out, "--no-progress")
    assert result.exit_code == 2
    assert "warnings.never_act" in result.stderr and len(result.stderr.splitlines()) == 1
    assert not out.exists()


def test_continuous_uncertainty_on_integer_field_is_rejected(
        write_spec: Callable[..., Path]) -> None:
    from sim.config import ConfigError

    spec = write_spec(('path = "warnings.never_act"', 'path = "rescue.teams.1.count"'),
                      ("[0.05, 0.2]", "[2, 8]"))
    with pytest.raises(ConfigError, match="rescue.teams"):
        load_spec(spec)


# --- the design table --------------------------------------------------------------------------


def _spec(design: str = "lhs", seed: int = 7, replications: int = 6,
          distributions: list[dict] | None = None) -> ExperimentSpec:
    distributions = distributions or [{"triangular": [23.5, 24.8, 26.0]},
                                      {"uniform": [0.05, 0.2]}]
    return ExperimentSpec.model_validate({
        "schema_version": 1, "name": "t", "base": "tiny-flood", "replications": replications,
        "design": design, "root_seed": seed,
        "uncertainties": [{"path": f"p{i}", "distribution": d}
                          for i, d in enumerate(distributions)],
        "options": [{"name": "baseline"}, {"name": "b", "overrides": {"x": 1}}],
        "outcomes": [{"kpi": "deaths"}]})


DESIGNS = ["monte_carlo", "lhs", "sobol"]


@pytest.mark.parametrize("design", DESIGNS)
def test_design_is_deterministic_per_seed(design: str) -> None:
    first, again = draws(_spec(design, seed=7)), draws(_spec(design, seed=7))
    pd.testing.assert_frame_equal(first, again, check_exact=True)
    other = draws(_spec(design, seed=8))
    assert list(other.columns) == list(first.columns)
    inputs = [c for c in first.columns if c.startswith(INPUT_PREFIX)]
    assert not np.array_equal(first[inputs].to_numpy(), other[inputs].to_numpy())
    assert first["replication"].tolist() == list(range(6))


SUPPORT_MIX = [{"triangular": [23.5, 24.8, 26.0]}, {"uniform": [0.05, 0.2]},
               {"normal": [10.0, 2.0]}, {"lognormal": [0.0, 0.5]},
               {"choice": [1.0, 2.5, 4.0], "weights": [1, 2, 1]}]


@pytest.mark.parametrize("design", DESIGNS)
def test_design_values_lie_in_the_supports(design: str) -> None:
    spec = _spec(design, replications=64, distributions=SUPPORT_MIX)
    cube = unit_cube(spec)
    assert cube.shape == (64, len(SUPPORT_MIX))
    assert ((cube >= 0) & (cube < 1)).all()
    table = draws(spec)
    for u in spec.uncertainties:
        values = table[INPUT_PREFIX + u.path].to_numpy()
        assert np.isfinite(values).all(), u.path
        dist = u.distribution
        if isinstance(dist, Triangular):
            assert ((values >= 23.5) & (values <= 26.0)).all()
        elif isinstance(dist, Uniform):
            assert ((values >= 0.05) & (values <= 0.2)).all()
        elif isinstance(dist, LogNormal):
            assert (values > 0).all()
        elif isinstance(dist, Choice):
            assert set(values) <= {1.0, 2.5, 4.0}
        else:
            assert isinstance(dist, Normal)
        # More than one distinct value: the design spreads the points.
        assert len(set(values)) > 1


@pytest.mark.parametrize("n", [1, 6, 13, 64])
def test_lhs_has_one_point_per_stratum_per_dimension(n: int) -> None:
    spec = _spec("lhs", replications=n, distributions=SUPPORT_MIX)
    cube = unit_cube(spec)
    for j in range(cube.shape[1]):
        strata = np.floor(cube[:, j] * n).astype(int)
        assert sorted(strata) == list(range(n)), f"dimension {j}"


def test_monte_carlo_replication_k_does_not_depend_on_the_count() -> None:
    # Independent uniforms from each replication's own streams: adding replications keeps
    # the first ones (unlike LHS and Sobol, whose points depend on n).
    short, long = draws(_spec("monte_carlo", replications=4)), draws(
        _spec("monte_carlo", replications=9))
    pd.testing.assert_frame_equal(short, long.iloc[:4], check_exact=True)


def test_no_uncertainties_gives_an_empty_design() -> None:
    spec = _spec().model_copy(update={"uncertainties": []})
    assert unit_cube(spec).shape == (6, 0)
    assert list(draws(spec).columns) == ["replication"]


def test_every_option_gets_the_same_draws(write_spec: Callable[..., Path]) -> None:
    loaded = load_spec(write_spec())
    tasks = plan_tasks(loaded, set())
    assert len(tasks) == 2 * 3  # 2 options x 3 chunks of 2
    per_option: dict[str, list[dict]] = {}
    for _base, option, _index, _overrides, chunk, seed, _levers in tasks:
        assert seed == 7
        per_option.setdefault(option, []).extend(chunk)
    expected = draws(loaded.spec).to_dict("records")
    assert per_option["baseline"] == expected
    assert per_option["more-boats"] == expected


def test_plan_skips_what_is_done(write_spec: Callable[..., Path]) -> None:
    loaded = load_spec(write_spec())
    tasks = plan_tasks(loaded, {("baseline", 0), ("baseline", 3), ("more-boats", 5)})
    todo = {(t[1], int(row["replication"])) for t in tasks for row in t[4]}
    assert len(todo) == 12 - 3
    assert ("baseline", 0) not in todo and ("more-boats", 5) not in todo
    assert all(len(t[4]) <= 2 for t in tasks)


def test_same_random_streams_for_every_option(write_spec: Callable[..., Path]) -> None:
    """Common random numbers: an option whose override changes nothing gives exactly the
    baseline's results, replication by replication (same draws, same random streams)."""
    loaded = load_spec(write_spec())
    inputs = draws(loaded.spec).to_dict("records")[:2]
    same = {"rescue.teams.0.count": loaded.base.rescue.teams[0].count}
    baseline = run_chunk(loaded.base, "baseline", 0, {}, inputs, 7)
    noop = run_chunk(loaded.base, "noop", 1, same, inputs, 7)
    kpis = [c for c in baseline.columns if c not in ("option", "option_index", "wall_time_s")]
    pd.testing.assert_frame_equal(baseline[kpis], noop[kpis], check_exact=True)
    other_seed = run_chunk(loaded.base, "baseline", 0, {}, inputs, 8)
    assert not baseline[kpis].equals(other_seed[kpis])


def test_a_lever_is_the_same_change_as_its_overrides(write_spec: Callable[..., Path]) -> None:
    """An option may set the model's levers by key (as the dashboard does); the fire station's
    units as a lever give exactly the results of the same count as an override."""
    loaded = load_spec(write_spec(('overrides = { "rescue.teams.0.count" = 6 }',
                                   'levers = { "teams.fire_rescue.units" = 6 }')))
    option = loaded.spec.options[1]
    assert option.levers == {"teams.fire_rescue.units": 6} and not option.overrides
    inputs = draws(loaded.spec).to_dict("records")[:2]
    by_lever = run_chunk(*plan_tasks(loaded, set())[3][:4], inputs, 7, dict(option.levers))
    by_path = run_chunk(loaded.base, "more-boats", 1, {"rescue.teams.0.count": 6}, inputs, 7)
    kpis = [c for c in by_path.columns if c != "wall_time_s"]
    pd.testing.assert_frame_equal(by_lever[kpis], by_path[kpis], check_exact=True)
    base = run_chunk(loaded.base, "more-boats", 1, {}, inputs, 7)
    assert not base[kpis].equals(by_path[kpis])


def test_levers_come_before_overrides_and_options_without_levers_hash_as_before(
        write_spec: Callable[..., Path]) -> None:
    from experiments.run import option_scenario

    loaded = load_spec(write_spec())
    scenario = option_scenario(loaded.base, {}, {"rescue.teams.0.count": 2},
                               {"teams.fire_rescue.units": 9})
    assert scenario.rescue.teams[0].count == 2
    assert "levers" not in loaded.spec.model_dump(mode="json")["options"][1]
    with_levers = loaded.spec.options[1].model_copy(update={"levers": {"x": 1}})
    assert with_levers.model_dump()["levers"] == {"x": 1}


# --- drsim experiment list ---------------------------------------------------------------------


def test_list_bundled_specs() -> None:
    result = _invoke("experiment", "list")
    assert result.exit_code == 0
    names = result.stdout.split()
    assert "zhumadian-capability-options" in names
    assert names == bundled_spec_names()


def test_list_of_a_folder_without_manifest_is_one_line(tmp_path: Path) -> None:
    result = _invoke("experiment", "list", tmp_path)
    assert result.exit_code == 2
    assert result.stderr == f"error: {tmp_path}: no manifest.json (not a result folder)\n"
