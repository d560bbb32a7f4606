"""Property tests: whatever a user feeds the loader, it answers a scenario or a ConfigError.

Random TOML documents, random mutations of the valid mmc-reference document, random durations,
random override strings and random garbage go through :func:`models.loading.load_scenario` on a
real file. Anything else escaping (KeyError, TypeError, RecursionError, ...) would reach the user
as a traceback. Every error must also fit on one line.
"""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.catalog import MODELS
from models.loading import bundled_path, load_scenario
from models.queue import QueueScenario
from models.scenario import ScenarioBase
from sim.config import ConfigError, apply_overrides, parse_override

REFERENCE: dict[str, Any] = tomllib.loads(
    bundled_path("mmc-reference").read_text(encoding="utf-8"))

FUZZ = settings(max_examples=100, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# --- strategies ----------------------------------------------------------------------------------

keys = st.one_of(
    st.sampled_from(["schema_version", "name", "model", "horizon", "report_every", "seed", "queue",
                     "servers", "mean_interarrival", "mean_service", "warmup", "title", "zones"]),
    st.text(max_size=12),
)
scalars = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(),  # nan and inf included: TOML has them
    st.booleans(),
    st.text(max_size=20),
    st.dates(),
    st.times(),
    st.datetimes(),
)
values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(keys, children, max_size=4),
    max_leaves=15,
)
documents = st.dictionaries(keys, values, max_size=8)

duration_like = st.one_of(
    st.text(max_size=15),
    st.from_regex(r"\s?(\d{0,4}(\.\d{0,3})?\s?[a-zA-Z]{1,9}\s?){1,3}", fullmatch=True),
    st.sampled_from(["5 fortnights", "5m", "1e3h", "-1h", "0", "0s", "1h30", "inf", "nan",
                     "1d 1d", "9" * 400 + "h", "  ", "2H", ".h"]),
)


def _paths(data: dict[str, Any], prefix: tuple = ()) -> list[tuple]:
    out = []
    for key, value in data.items():
        out.append(prefix + (key,))
        if isinstance(value, dict):
            out.extend(_paths(value, prefix + (key,)))
    return out


PATHS = _paths(REFERENCE)
TABLES = [()] + [p for p in PATHS if isinstance(REFERENCE[p[0]], dict) and len(p) == 1]
DURATIONS = [("horizon",), ("report_every",), ("queue", "mean_interarrival"),
             ("queue", "mean_service"), ("queue", "warmup")]

mutations = st.one_of(
    st.tuples(st.just("drop"), st.sampled_from(PATHS)),
    st.tuples(st.just("retype"), st.sampled_from(PATHS), values),
    st.tuples(st.just("add"), st.sampled_from(TABLES), keys, values),
    st.tuples(st.just("duration"), st.sampled_from(DURATIONS), duration_like),
    st.tuples(st.just("retype"), st.just(("model",)), st.sampled_from(sorted(MODELS))),
)

override_paths = st.one_of(
    st.sampled_from(["horizon", "report_every", "seed", "name", "model", "queue", "queue.servers",
                     "queue.warmup", "queue.mean_service", "queue.0", "queue.servers.x",
                     "zones.3.population", "queue..servers", "", " ", "0", "queue.servers.0",
                     "title.x", "queue.-1"]),
    st.text(max_size=20),
)
override_values = st.one_of(
    st.sampled_from(["1", "-1", "0", "10", "2h", "5 fortnights", "[1, 2]", "{ a = 1 }", "true",
                     "nan", "inf", "1e400", '"x"', "'", "[", "{servers = 2}", "1979-05-27",
                     "[" * 100 + "]" * 100, "[" * 3000]),
    st.text(max_size=20),
)
overrides = st.lists(
    st.one_of(st.builds(lambda p, v: f"{p}={v}", override_paths, override_values),
              st.text(max_size=30)),
    max_size=3,
)


def _mutate(data: dict[str, Any], mutation: tuple) -> None:
    kind, path, *rest = mutation
    parent: Any = data
    for part in path[:-1] if path else ():
        parent = parent.get(part) if isinstance(parent, dict) else None
    if not isinstance(parent, dict):
        return
    if kind == "drop":
        parent.pop(path[-1], None)
    elif kind in {"retype", "duration"}:
        parent[path[-1]] = rest[0]
    elif kind == "add":
        table = parent.get(path[-1]) if path else parent
        if isinstance(table, dict):
            table[rest[0]] = rest[1]


# --- the property --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fuzz_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One file rewritten by every example (module-scoped: hypothesis-friendly)."""
    return tmp_path_factory.mktemp("fuzz") / "scenario.toml"


def _load_expecting_config_error(path: Path, overrides_: list[str] = ()) -> None:
    try:
        scenario = load_scenario(path, overrides_)
    except ConfigError as exc:
        message = str(exc)
        assert message
        assert len(message.splitlines()) == 1, message
        assert all(str(p.source).startswith(str(path)) or p.source == "--set"
                   for p in exc.problems), exc.problems
    else:
        assert isinstance(scenario, ScenarioBase)


@FUZZ
@given(doc=documents, overrides_=overrides)
def test_random_toml_documents(fuzz_file: Path, doc: dict, overrides_: list[str]) -> None:
    fuzz_file.write_text(tomli_w.dumps(doc), encoding="utf-8")
    _load_expecting_config_error(fuzz_file, overrides_)


@FUZZ
@given(changes=st.lists(mutations, min_size=1, max_size=4), overrides_=overrides)
def test_mutated_reference_document(fuzz_file: Path, changes: list, overrides_: list[str]) -> None:
    data = copy.deepcopy(REFERENCE)
    for change in changes:
        _mutate(data, change)
    fuzz_file.write_text(tomli_w.dumps(data), encoding="utf-8")
    _load_expecting_config_error(fuzz_file, overrides_)


@FUZZ
@given(duration=duration_like, where=st.sampled_from(DURATIONS))
def test_random_durations(fuzz_file: Path, duration: str, where: tuple) -> None:
    data = copy.deepcopy(REFERENCE)
    _mutate(data, ("duration", where, duration))
    fuzz_file.write_text(tomli_w.dumps(data), encoding="utf-8")
    _load_expecting_config_error(fuzz_file)


@FUZZ
@given(overrides_=overrides)
def test_random_overrides_on_the_valid_reference(fuzz_file: Path, overrides_: list[str]) -> None:
    fuzz_file.write_text(tomli_w.dumps(REFERENCE), encoding="utf-8")
    _load_expecting_config_error(fuzz_file, overrides_)


@FUZZ
@given(text=st.text())
def test_garbage_text(fuzz_file: Path, text: str) -> None:
    fuzz_file.write_text(text, encoding="utf-8")
    _load_expecting_config_error(fuzz_file)


@FUZZ
@given(blob=st.binary())
def test_garbage_bytes(fuzz_file: Path, blob: bytes) -> None:
    fuzz_file.write_bytes(blob)
    _load_expecting_config_error(fuzz_file)


@FUZZ
@given(text=st.text())
def test_parse_override_never_crashes(text: str) -> None:
    try:
        path, _ = parse_override(text)
    except ConfigError as exc:
        assert len(str(exc).splitlines()) == 1
    else:
        assert path and "=" in text


@FUZZ
@given(path=override_paths, value=values)
def test_apply_overrides_never_crashes(path: str, value: Any) -> None:
    before = copy.deepcopy(REFERENCE)
    try:
        result = apply_overrides(REFERENCE, [(path, value)], QueueScenario)
    except ConfigError as exc:
        assert len(str(exc).splitlines()) == 1
    else:
        node: Any = result
        for part in path.split("."):
            node = node[int(part)] if isinstance(node, list) else node[part]
        assert node == value or node != node  # nan != nan
    assert REFERENCE == before
