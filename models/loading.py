"""Read a scenario from a file or a bundled name, apply overrides, validate.

``load_scenario("zhumadian-flood")`` finds a bundled scenario; ``load_scenario("my.toml",
["horizon=3d"])`` reads a file and applies ``--set`` style overrides. Every user mistake raises
:class:`sim.config.ConfigError` with a one-line message naming the file and field.

The scenario keeps the file it was read from (:attr:`ScenarioBase.source_file`), so the data
files it names (e.g. ``hazard.netcdf``) are found relative to it from any working directory;
each must exist.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from models.catalog import MODELS
from models.scenario import ScenarioBase, record_source
from sim.config import (
    ConfigError,
    Problem,
    apply_overrides,
    locate_line,
    parse_override,
    read_toml,
    validate,
)

__all__ = ["bundled_names", "bundled_path", "load_scenario", "resolve_source", "with_overrides"]

_BUNDLED_DIR = "scenarios"


def bundled_names() -> list[str]:
    """Names of the scenarios shipped with drsim, sorted."""
    folder = resources.files("models") / _BUNDLED_DIR
    return sorted(p.name.removesuffix(".toml") for p in folder.iterdir()
                  if p.name.endswith(".toml"))


def bundled_path(name: str) -> Path:
    return Path(str(resources.files("models") / _BUNDLED_DIR / f"{name}.toml"))


def resolve_source(source: str | Path) -> Path:
    """A scenario file path: ``source`` itself if it looks like a path, else a bundled name."""
    text = str(source)
    path = Path(text)
    try:
        exists = path.exists()
    except (OSError, ValueError):  # e.g. a name too long for the file system: not a bundled name
        exists = True
    if exists or path.suffix == ".toml" or "/" in text or "\\" in text:
        return path
    if text in bundled_names():
        return bundled_path(text)
    raise ConfigError.single(
        text, "", f"no such file or bundled scenario (bundled: {', '.join(bundled_names())})")


def _overrides(items: Iterable[str] | Mapping[str, Any]) -> list[tuple[str, Any]]:
    if isinstance(items, Mapping):
        return list(items.items())
    return [parse_override(item) for item in items]


def _scenario_class(data: Mapping[str, Any], source: str, text: str | None) -> type[ScenarioBase]:
    model = data.get("model")
    expected = ", ".join(repr(name) for name in MODELS)
    if model is None:
        raise ConfigError.single(source, "model", f"required field is missing; expected one of: "
                                 f"{expected}")
    if not isinstance(model, str) or model not in MODELS:
        line = locate_line(text, ("model",))
        raise ConfigError.single(source, "model", f"unknown model {model!r}; expected one of: "
                                 f"{expected}", line)
    return MODELS[model].scenario


def load_scenario(
    source: str | Path, overrides: Iterable[str] | Mapping[str, Any] = ()
) -> ScenarioBase:
    """Load and validate a scenario; ``overrides`` are ``"path=value"`` strings or a mapping."""
    path = resolve_source(source)
    data, text = read_toml(path)
    items = _overrides(overrides)
    via_set = f"{path} (--set)"
    if any(p.split(".")[0] == "model" for p, _ in items):
        raise ConfigError.single(via_set, "model", "the model of a scenario cannot be overridden")
    cls = _scenario_class(data, str(path), text)
    data = apply_overrides(data, items, cls, source=via_set)
    try:
        scenario = validate(cls, data, str(path), text)
        _check_data_files(record_source(scenario, path), str(path), text)
    except ConfigError as exc:
        raise ConfigError([_blame_override(p, items, via_set) for p in exc.problems]) from None
    return scenario


def _check_data_files(scenario: ScenarioBase, source: str, text: str | None = None) -> None:
    """Every data file the scenario names exists (relative paths: beside the scenario file)."""
    problems = []
    for field, written in scenario.data_files().items():
        found = scenario.resolve(written)
        if not found.is_file():
            what = "is not a file" if found.exists() else "file not found"
            problems.append(Problem(source, field, f"{found}: {what}",
                                    locate_line(text, tuple(field.split(".")))))
    if problems:
        raise ConfigError(problems)


def _blame_override(problem: Problem, items: list[tuple[str, Any]], via_set: str) -> Problem:
    """A problem in a value set by an override points at ``--set``, not at a line of the file."""
    field = re.sub(r"\[(\d+)\]", r".\1", problem.path)
    if any(field == path or field.startswith(path + ".") for path, _ in items):
        return Problem(via_set, problem.path, problem.message)
    return problem


def with_overrides(
    scenario: ScenarioBase, overrides: Iterable[str] | Mapping[str, Any]
) -> ScenarioBase:
    """A new, validated scenario: ``scenario`` with ``overrides`` applied (used by experiments)."""
    items = _overrides(overrides)
    if not items:
        return scenario
    if any(p.split(".")[0] == "model" for p, _ in items):
        raise ConfigError.single("--set", "model", "the model of a scenario cannot be overridden")
    cls = type(scenario)
    data = apply_overrides(scenario.model_dump(mode="json"), items, cls)
    changed = validate(cls, data, f"scenario {scenario.name!r} with overrides")
    if scenario.source_file is None:
        _check_data_files(changed, f"scenario {scenario.name!r} with overrides")
    else:   # its data files are still beside the file it came from
        record_source(changed, scenario.source_file)
        _check_data_files(changed, f"{scenario.source_file} (with overrides)")
    return changed
