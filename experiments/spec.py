"""Experiment specs: a base scenario, uncertainties (X), capability options (L), outcomes (M).

EMA Workbench's XLRM vocabulary, as a TOML file validated like scenarios::

    schema_version = 1
    name = "zhumadian-capability-options"
    base = "zhumadian-flood"            # bundled name or path relative to this file
    replications = 40
    design = "lhs"                      # monte_carlo | lhs | sobol
    root_seed = 2026

    [[uncertainties]]
    path = "hazard.gauges.7.peak_stage_m"
    distribution = { triangular = [48.0, 50.0, 52.0] }

    [[options]]
    name = "baseline"
    description = "Today's forces"

    [[options]]
    name = "county-teams-50"
    description = "County teams of at least 50 people"
    cost_capital_cny = 12e6
    cost_yearly_cny = 3e6
    levers = { "teams.comprehensive_county.units" = 70 }   # the model's levers, by key
    overrides = { "rescue.teams.3.people_per_trip" = 12 }    # any scenario field

    [[outcomes]]
    kpi = "deaths"

Replication k of every option gets the same uncertainty draws and the same random streams
(common random numbers), so option differences are paired. An option's ``levers`` are the
model's levers (``ModelSpec.levers``, the same ones the dashboard shows; ``drsim levers
SCENARIO`` lists them), applied to each drawn scenario before its ``overrides``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    BeforeValidator,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)

from models.kpis import Target, describe, parse_target
from models.levers import apply_levers, levers_for
from models.loading import load_scenario, resolve_source, with_overrides
from models.scenario import ScenarioBase
from sim.config import ConfigError, StrictModel, read_toml, validate
from sim.distributions import Distribution, parse_uncertain

__all__ = ["Uncertainty", "Option", "Outcome", "ExperimentSpec", "load_spec", "LoadedSpec"]


def _distribution_only(value: Any) -> Any:
    parsed = parse_uncertain(value)
    if isinstance(parsed, int | float):
        raise ValueError("an uncertainty needs a distribution, e.g. { uniform = [low, high] }")
    return parsed


class Uncertainty(StrictModel):
    """A scenario field drawn anew for each replication (X)."""

    path: str = Field(min_length=1, description="Dotted scenario path, e.g. 'hazard.froude'.")
    distribution: Annotated[Distribution, BeforeValidator(_distribution_only)]
    label: str = Field(default="", description="Short name for tables and plots.")

    @property
    def name(self) -> str:
        return self.label or self.path


class Option(StrictModel):
    """A capability option (L): named scenario overrides with a cost."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
                      description="Identifier (letters, digits, '-', '_', '.').")
    description: str = ""
    overrides: dict[str, Any] = Field(default_factory=dict,
                                      description="Dotted scenario path -> value.")
    levers: dict[str, Any] = Field(default_factory=dict, description="Lever key -> value: the "
                                   "model's levers (`drsim levers SCENARIO` lists them).")
    cost_capital_cny: float = Field(default=0.0, ge=0, description="One-off cost (CNY).")
    cost_yearly_cny: float = Field(default=0.0, ge=0, description="Running cost per year (CNY).")

    @model_serializer(mode="wrap")
    def _without_empty_levers(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # An option without levers dumps (and hashes) as before levers existed, so the spec
        # hash of a results folder written then still matches on --resume.
        data = handler(self)
        if not self.levers:
            data.pop("levers", None)
        return data


class Outcome(StrictModel):
    """An outcome (M): a KPI to analyse, with its plan target (default: the KPI catalogue's)."""

    kpi: str = Field(min_length=1)
    target: Annotated[Target | None, BeforeValidator(parse_target)] = None

    model_config = StrictModel.model_config | {"arbitrary_types_allowed": True}

    def resolved_target(self) -> Target | None:
        return self.target if self.target is not None else describe(self.kpi).target


class ExperimentSpec(StrictModel):
    schema_version: Literal[1]
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    title: str = ""
    description: str = ""
    base: str = Field(min_length=1, description="Base scenario: bundled name or path.")
    replications: int = Field(ge=1, description="Replications per option (paired by index).")
    design: Literal["monte_carlo", "lhs", "sobol"] = "lhs"
    root_seed: int = Field(default=1, ge=0)
    chunk_size: int = Field(default=5, ge=1, description="Replications sent to a worker at once.")
    baseline: str | None = Field(default=None, description="Option compared against "
                                 "(default: the first).")
    years: float = Field(default=10.0, gt=0, description="Years over which running costs count "
                         "in cost-effectiveness.")
    uncertainties: list[Uncertainty] = Field(default_factory=list)
    options: list[Option] = Field(min_length=1)
    outcomes: list[Outcome] = Field(min_length=1)

    @model_validator(mode="after")
    def _names(self) -> ExperimentSpec:
        names = [o.name for o in self.options]
        problems = []
        if len(set(names)) != len(names):
            problems.append("options: option names must be unique")
        if self.baseline is not None and self.baseline not in names:
            problems.append(f"baseline: unknown option {self.baseline!r}")
        paths = [u.path for u in self.uncertainties]
        if len(set(paths)) != len(paths):
            problems.append("uncertainties: each path may appear once")
        for i, option in enumerate(self.options):
            clash = sorted(set(option.overrides) & set(paths))
            if clash:
                problems.append(f"options[{i}].overrides: {clash} also drawn as uncertainties")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def baseline_name(self) -> str:
        return self.baseline or self.options[0].name


class LoadedSpec:
    """A validated spec with its base scenario loaded and every option checked."""

    def __init__(self, spec: ExperimentSpec, base: ScenarioBase, source: str) -> None:
        self.spec = spec
        self.base = base
        self.source = source


def _bundled_specs_dir() -> Path:
    return Path(__file__).resolve().parent / "specs"


def bundled_spec_names() -> list[str]:
    return sorted(p.stem for p in _bundled_specs_dir().glob("*.toml"))


def load_spec(source: str | Path) -> LoadedSpec:
    """Read and validate a spec, load its base scenario, and check that every uncertainty path
    and option override exists and validates, all before any run starts."""
    text_source = str(source)
    path = Path(text_source)
    if not path.exists() and path.suffix != ".toml" and text_source in bundled_spec_names():
        path = _bundled_specs_dir() / f"{text_source}.toml"
    data, text = read_toml(path)
    spec = validate(ExperimentSpec, data, str(path), text)
    base_source = spec.base
    if not Path(base_source).is_absolute() and ("/" in base_source or base_source.endswith(
            ".toml")):
        base_source = str((path.parent / base_source).resolve())
    try:
        resolve_source(base_source)
        base = load_scenario(base_source)
    except ConfigError as exc:
        raise ConfigError.single(str(path), "base", exc.one_line()) from None
    # Check every path now, before any run: each uncertainty across its range (extremes and an
    # off-grid point, so a continuous draw on an integer field or a bound outside the field's
    # limits shows at once), then each option's overrides.
    means = {u.path: u.distribution.mean() for u in spec.uncertainties}
    try:
        with_overrides(base, means)
    except ConfigError as exc:
        raise ConfigError.single(str(path), "uncertainties", exc.problems[0].path + ": "
                                 + exc.problems[0].message) from None
    probes = (0.001, 0.37, 0.999)
    for i, u in enumerate(spec.uncertainties):
        for q in probes:
            value = float(np.asarray(u.distribution.ppf(np.array([q])))[0])
            try:
                with_overrides(base, {u.path: value})
            except ConfigError as exc:
                raise ConfigError.single(
                    str(path), f"uncertainties[{i}].distribution",
                    f"a draw of {value:g} for {u.path} is invalid "
                    f"({exc.problems[0].message})") from None
    for i, option in enumerate(spec.options):
        try:
            scenario = _with_levers(base, means, option.levers, str(path), i)
            with_overrides(scenario, option.overrides)
        except ConfigError as exc:
            if exc.problems[0].path.startswith(f"options[{i}].levers"):
                raise
            raise ConfigError.single(str(path), f"options[{i}].overrides",
                                     f"{exc.problems[0].path}: {exc.problems[0].message}"
                                     ) from None
    return LoadedSpec(spec, base, str(path))


def _with_levers(base: ScenarioBase, means: dict[str, Any], levers: dict[str, Any], source: str,
                 i: int) -> ScenarioBase:
    """``base`` at the uncertainties' means with option ``i``'s levers set; a lever the model
    does not have, or a value it cannot take, is one line naming the field."""
    scenario = with_overrides(base, means)
    if not levers:
        return scenario
    known = [lever.key for lever in levers_for(scenario)]
    for key in levers:
        if key not in known:
            shown = ", ".join(known[:12]) + (", …" if len(known) > 12 else "")
            raise ConfigError.single(source, f"options[{i}].levers", f"unknown lever {key!r} "
                                     f"(this scenario's levers: {shown or 'none'}; `drsim "
                                     "levers` lists them)")
    try:
        return apply_levers(scenario, levers)
    except ValueError as exc:   # "lever KEY: what was expected"
        key, _, message = str(exc).removeprefix("lever ").partition(": ")
        raise ConfigError.single(source, f"options[{i}].levers.{key}", message) from None
    except ConfigError as exc:
        raise ConfigError.single(source, f"options[{i}].levers", f"{exc.problems[0].path}: "
                                 f"{exc.problems[0].message}") from None
