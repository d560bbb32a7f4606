"""Drill specs: what a double-blind drill may draw, who plays, what is tested, how it runs.

A TOML file validated like scenarios and experiment specs (one located line per mistake)::

    schema_version = 1
    name = "zhumadian-flood-drill"

    [[library]]                        # candidate scenarios, drawn by weight
    scenario = "zhumadian-flood"       # bundled name or a path relative to this file
    weight = 3
    end = "48h"                        # the drill stops here (default: the scenario's horizon)
    speed = 60                         # default tabletop speed for this scenario
    [[library.uncertainties]]          # drawn once at sealing, fixed for the drill
    path = "hazard.gauges.0.peak_stage_m"
    distribution = { triangular = [80.5, 81.5, 83.0] }

    [start]                            # the start-time window, whole hours, China time
    next_days = 30                     # or: from = 2026-07-01T00:00:00, to = 2026-08-31T23:00:00
    hours = [8, 9, 10]                 # optional: allowed clock hours

    [style]
    mode = "tabletop"                  # live (real time) | tabletop (accelerated)
    speed = 60                         # simulated minutes per wall minute (tabletop)

    [contingency]
    deadline = "1h"                    # expected action missing this long after an inject:
    by_action = { warn = "30min" }     # a follow-up inject is released

    [[roles]]
    id = "city-eoc"
    name = "市应急指挥部"
    name_en = "City emergency operations centre"
    actions = ["warn", "evacuate"]     # decisions this role may record (default: all)
    receives = ["forecast", "gauge"]   # inject kinds it is sent (others go to the first role)

    [[objectives]]
    id = "warning"
    name = "及时发布预警"
    name_en = "Warn the people at risk in time"
    item = "预警与信息报告"             # AQ/T 9009-2015 evaluation item
    actions = ["warn", "evacuate", "shelter_in_place"]
    kpis = ["warning_coverage", "warning_lead_time_p50_min"]

:func:`load_drill_spec` also loads every library scenario and checks each uncertainty path
across its range, so a spec that loads can always be sealed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BeforeValidator, Field, field_validator, model_validator

from drills.adapters import adapter_for
from experiments.spec import Uncertainty
from models.kpis import KPIS, Target, parse_target
from models.loading import load_scenario, resolve_source, with_overrides
from models.orders import ACTIONS
from models.scenario import ScenarioBase
from sim.config import ConfigError, StrictModel, read_toml, validate
from sim.units import Duration

__all__ = ["AQT_ITEMS", "INJECT_KINDS", "DrillSpec", "LibraryEntry", "LoadedDrillSpec",
           "Objective", "Role", "bundled_drill_names", "load_drill_spec"]

_ID = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"

# Evaluation items of drill implementation after AQ/T 9009-2015 (生产安全事故应急演练评估规范),
# annex A: the objectives of a drill are grouped under these items in the after-action report.
AQT_ITEMS: dict[str, str] = {
    "预警与信息报告": "Warning and information reporting",
    "紧急动员": "Emergency mobilisation",
    "事故监测与研判": "Monitoring and assessment",
    "指挥和协调": "Command and coordination",
    "事故处置": "Incident operations",
    "应急资源管理": "Emergency resource management",
    "应急通讯": "Emergency communications",
    "信息公开": "Public information",
    "人员保护": "Protection of people",
    "警戒与管制": "Cordon and traffic control",
    "医疗救护": "Medical care",
    "现场控制及恢复": "Site control and recovery",
}

# Kinds of inject the drill adapters produce (drills/adapters/), which a role may receive.
INJECT_KINDS: dict[str, str] = {
    "forecast": "hydrological forecast of a gauge reaching its warning stage",
    "gauge": "gauge stage reaching the warning stage",
    "flooding": "water entering a zone",
    "rescue_call": "first calls for rescue from a zone",
    "rescue_backlog": "more people waiting for rescue than local teams can reach",
    "shelter_opening": "evacuees will need shelters",
    "shelter_filling": "a shelter filling up",
    "supply_request": "first evacuees at a shelter need relief supplies",
    "stockout": "a depot running out of an item",
    "road_closed": "water over a road",
    "road_reopened": "water off a road",
    "detector_alarm": "gas detector alarm at the site",
    "public_call": "calls from the public about a smell or a leak",
    "plume": "hazardous concentrations measured in zones",
    "hospital": "hospitals filling with casualties",
    "leak_stopped": "the leak is stopped",
    "followup": "contingency: an expected action has not been taken",
}


def _bundled_dir() -> Path:
    return Path(__file__).resolve().parent / "specs"


def bundled_drill_names() -> list[str]:
    """Names of the drill specs shipped with drsim (drills/specs/*.toml), sorted."""
    return sorted(p.stem for p in _bundled_dir().glob("*.toml"))


class LibraryEntry(StrictModel):
    """A candidate scenario of the drill, its weight and its uncertainties."""

    scenario: str = Field(min_length=1, description="Bundled scenario name or a path relative "
                          "to the spec file.")
    weight: float = Field(default=1.0, gt=0, description="Relative chance of being drawn.")
    uncertainties: list[Uncertainty] = Field(default_factory=list, description="Scenario "
                                             "fields drawn once at sealing (dotted paths).")
    end: Duration | None = Field(default=None, gt=0, description="The drill ends at this "
                                 "scenario minute (default: the scenario's horizon).")
    speed: float | None = Field(default=None, gt=0, description="Default speed of a tabletop "
                                "drill on this scenario (default: style.speed).")

    @model_validator(mode="after")
    def _unique(self) -> LibraryEntry:
        paths = [u.path for u in self.uncertainties]
        if len(set(paths)) != len(paths):
            raise ValueError("uncertainties: each path may appear once")
        return self


def _hour_datetime(value: Any) -> Any:
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime.combine(value, time())
    return value


HourDatetime = Annotated[datetime, BeforeValidator(_hour_datetime)]


class StartWindow(StrictModel):
    """When the drill's scenario begins: a whole hour drawn uniformly from the window (China
    Standard Time, UTC+8). Give ``next_days`` (counted from the sealing) or ``from``/``to``."""

    next_days: int | None = Field(default=None, ge=1, le=3660)
    from_: HourDatetime | None = Field(default=None, alias="from")
    to: HourDatetime | None = None
    hours: list[Annotated[int, Field(ge=0, le=23)]] | None = Field(
        default=None, min_length=1, description="Allowed clock hours (default: any).")

    model_config = StrictModel.model_config | {"populate_by_name": True}

    @model_validator(mode="after")
    def _one_form(self) -> StartWindow:
        window = self.from_ is not None or self.to is not None
        if self.next_days is not None and window:
            raise ValueError("give next_days or from/to, not both")
        if self.next_days is None and (self.from_ is None or self.to is None):
            raise ValueError("give next_days = N, or both from and to")
        if self.from_ is not None and self.to is not None:
            if self.from_.tzinfo is not None or self.to.tzinfo is not None:
                raise ValueError("from/to: give local China times without a time zone "
                                 "(e.g. 2026-07-01T08:00:00)")
            if self.to < self.from_:
                raise ValueError("to: must not be before from")
        return self


class Style(StrictModel):
    mode: Literal["live", "tabletop"] = Field(default="tabletop", description="live: the drill "
                                              "clock runs in real time; tabletop: accelerated.")
    speed: float = Field(default=60.0, gt=0, description="Simulated minutes per wall minute in "
                         "a tabletop drill (60: one hour a minute). A live drill runs at 1.")


class Contingency(StrictModel):
    deadline: Duration = Field(default=60.0, gt=0, description="An inject's expected action "
                               "not taken this long after it: a follow-up inject is released.")
    by_action: dict[str, Duration] = Field(default_factory=dict,
                                           description="Deadlines by expected action.")
    enabled: bool = Field(default=True, description="false: no follow-up injects (the "
                          "deadlines still judge timeliness in the score).")

    @field_validator("by_action")
    @classmethod
    def _actions(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(value) - set(ACTIONS))
        if unknown:
            raise ValueError(f"unknown action {unknown[0]!r}; expected one of: "
                             f"{', '.join(ACTIONS)}")
        return value

    def for_action(self, action: str) -> float:
        return self.by_action.get(action, self.deadline)


Action = Literal["warn", "evacuate", "shelter_in_place", "open_shelter", "mobilize_team",
                 "request_team", "release_supplies", "activate_agreement", "close_road",
                 "reopen_road"]
InjectKind = Literal[tuple(INJECT_KINDS)]  # type: ignore[valid-type]


class Role(StrictModel):
    """A participating role (a seat in the EOC or a field command)."""

    id: str = Field(pattern=_ID)
    name: str = Field(min_length=1, description="Chinese name, e.g. 市应急指挥部.")
    name_en: str = Field(min_length=1)
    duties: str = Field(default="", description="One line on what the role decides (Chinese "
                        "or both languages).")
    actions: list[Action] = Field(default_factory=list, description="Decisions this role may "
                                  "record (default: every action).")
    receives: list[InjectKind] = Field(default_factory=list,
                                       description="Inject kinds sent to this role.")

    @field_validator("id")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value == "decisions":   # participants/decisions.jsonl holds every decision
            raise ValueError("'decisions' is reserved: choose another role id")
        return value

    def may(self, action: str) -> bool:
        return not self.actions or action in self.actions


class Objective(StrictModel):
    """An objective of the drill, judged on plan indicators and on the expected actions."""

    id: str = Field(pattern=_ID)
    name: str = Field(min_length=1, description="Chinese wording.")
    name_en: str = Field(min_length=1)
    item: Literal[tuple(AQT_ITEMS)] = Field(  # type: ignore[valid-type]
        description="AQ/T 9009-2015 evaluation item it belongs to.")
    actions: list[Action] = Field(default_factory=list, description="Expected actions of "
                                  "injects that test this objective.")
    kpis: list[str] = Field(default_factory=list, description="Plan indicators it is judged "
                            "on (models/kpis.py names); those a scenario lacks are skipped.")
    targets: dict[str, Annotated[Target | None, BeforeValidator(parse_target)]] = Field(
        default_factory=dict, description="Targets overriding the KPI catalogue's, e.g. "
        "{ deaths = \"< 1\" }.")

    model_config = StrictModel.model_config | {"arbitrary_types_allowed": True}

    @field_validator("kpis")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        unknown = [k for k in value if k not in KPIS]
        if unknown:
            raise ValueError(f"unknown KPI {unknown[0]!r} (see models/kpis.py)")
        return value

    def target(self, kpi: str) -> Target | None:
        if kpi in self.targets:
            return self.targets[kpi]
        return KPIS[kpi].target if kpi in KPIS else None


class DrillSpec(StrictModel):
    schema_version: Literal[1]
    name: str = Field(pattern=_ID)
    title: str = ""
    description: str = ""
    library: list[LibraryEntry] = Field(min_length=1)
    start: StartWindow
    style: Style = Style()
    contingency: Contingency = Contingency()
    roles: list[Role] = Field(min_length=1)
    objectives: list[Objective] = Field(min_length=1)

    @model_validator(mode="after")
    def _references(self) -> DrillSpec:
        problems = []
        for what, items in (("roles", self.roles), ("objectives", self.objectives)):
            ids = [item.id for item in items]
            repeated = sorted({i for i in ids if ids.count(i) > 1})
            if repeated:
                problems.append(f"{what}: repeated id {repeated[0]!r}")
        names = [entry.scenario for entry in self.library]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            problems.append(f"library: scenario {repeated[0]!r} listed twice")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def role(self, role_id: str) -> Role | None:
        return next((r for r in self.roles if r.id == role_id), None)

    def recipient(self, kind: str) -> str:
        """The role an inject of ``kind`` is sent to (the first role if none receives it)."""
        for role in self.roles:
            if kind in role.receives:
                return role.id
        return self.roles[0].id

    def objective_for(self, action: str) -> Objective | None:
        """The first objective whose expected actions include ``action``."""
        return next((o for o in self.objectives if action in o.actions), None)


@dataclass(frozen=True)
class LoadedDrillSpec:
    """A validated spec with its library scenarios loaded (``scenarios[i]`` for
    ``spec.library[i]``) and ``source`` the file it came from."""

    spec: DrillSpec
    scenarios: tuple[ScenarioBase, ...]
    sources: tuple[str, ...]
    source: str


def spec_path(source: str | Path) -> Path:
    """The file of a drill spec: ``source`` itself, or a bundled spec name."""
    text = str(source)
    path = Path(text)
    if not path.exists() and path.suffix != ".toml" and "/" not in text:
        if text in bundled_drill_names():
            return _bundled_dir() / f"{text}.toml"
        raise ConfigError.single(text, "", "no such file or bundled drill spec (bundled: "
                                 f"{', '.join(bundled_drill_names())})")
    return path


def _library_source(entry: LibraryEntry, spec_file: Path) -> str:
    source = entry.scenario
    if not Path(source).is_absolute() and ("/" in source or source.endswith(".toml")):
        source = str((spec_file.parent / source).resolve())
    return source


def load_drill_spec(source: str | Path) -> LoadedDrillSpec:
    """Read and validate a drill spec (file or bundled name), load every library scenario and
    check each uncertainty path across its range; every mistake is a :class:`ConfigError`."""
    path = spec_path(source)
    data, text = read_toml(path)
    spec = validate(DrillSpec, data, str(path), text)
    scenarios, sources = [], []
    for i, entry in enumerate(spec.library):
        where = f"library[{i}]"
        scenario_source = _library_source(entry, path)
        try:
            resolve_source(scenario_source)
            scenario = load_scenario(scenario_source)
        except ConfigError as exc:
            raise ConfigError.single(str(path), f"{where}.scenario", exc.one_line()) from None
        try:
            adapter_for(scenario)
        except ConfigError as exc:
            raise ConfigError.single(str(path), f"{where}.scenario",
                                     exc.problems[0].message) from None
        if not hasattr(scenario, "start_hour"):
            raise ConfigError.single(str(path), f"{where}.scenario", f"model "
                                     f"{scenario.model!r} has no clock (start_hour): a drill "
                                     "sets the scenario's start hour")
        _check_uncertainties(entry, scenario, str(path), where)
        if entry.end is not None and entry.end > scenario.horizon:
            raise ConfigError.single(str(path), f"{where}.end", f"{entry.end:g} min is after "
                                     f"the scenario's horizon ({scenario.horizon:g} min)")
        scenarios.append(scenario)
        sources.append(scenario_source)
    return LoadedDrillSpec(spec, tuple(scenarios), tuple(sources), str(path))


def _check_uncertainties(entry: LibraryEntry, scenario: ScenarioBase, source: str,
                         where: str) -> None:
    """Every uncertainty path exists and gives a valid scenario at its extremes and inside."""
    means = {u.path: u.distribution.mean() for u in entry.uncertainties}
    if "start_hour" in means:
        raise ConfigError.single(source, f"{where}.uncertainties", "start_hour is set by the "
                                 "drawn start time ([start]), not drawn as an uncertainty")
    try:
        with_overrides(scenario, means)
    except ConfigError as exc:
        raise ConfigError.single(source, f"{where}.uncertainties", exc.problems[0].path + ": "
                                 + exc.problems[0].message) from None
    for j, u in enumerate(entry.uncertainties):
        for q in (0.001, 0.37, 0.999):
            value = float(np.asarray(u.distribution.ppf(np.array([q])))[0])
            try:
                with_overrides(scenario, {**means, u.path: value})
            except ConfigError as exc:
                raise ConfigError.single(
                    source, f"{where}.uncertainties[{j}].distribution",
                    f"a draw of {value:g} for {u.path} is invalid "
                    f"({exc.problems[0].message})") from None
