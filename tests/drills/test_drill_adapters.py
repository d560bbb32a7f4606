"""Drill adapters: per-model drill behaviour is registered by model name, a model without an
adapter is refused with one line, a new model's drills are one adapter and one registration,
and no module of drills/ outside drills/adapters/ names a model."""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from drill_specs import spec_text

from drills.adapters import (
    ADAPTERS,
    DrillAdapter,
    adapter_for,
    register_adapter,
    unregister_adapter,
)
from drills.injects import compile_msel
from drills.spec import load_drill_spec
from drills.timeline import hidden_run
from models.catalog import MODELS
from models.loading import load_scenario, with_overrides
from sim.config import ConfigError

DRILLS = Path(__file__).resolve().parents[2] / "drills"


def test_the_bundled_models_have_adapters() -> None:
    assert {"flood", "chemical"} <= set(ADAPTERS)
    for name in ("tiny-flood", "tiny-plume"):
        scenario = load_scenario(name)
        assert adapter_for(scenario).model == scenario.model


def test_a_model_without_an_adapter_is_refused_in_one_line(tmp_path: Path) -> None:
    queue = load_scenario("mmc-reference")
    assert queue.model in MODELS and queue.model not in ADAPTERS
    with pytest.raises(ConfigError) as caught:
        adapter_for(queue)
    assert str(caught.value) == ("scenario 'mmc-reference': model: no drill adapter for model "
                                 f"'queue' (drills run: {', '.join(sorted(ADAPTERS))})")
    spec = tmp_path / "spec.toml"
    spec.write_text(spec_text("tiny-flood").replace('scenario = "tiny-flood"',
                                                    'scenario = "mmc-reference"'),
                    encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_drill_spec(spec)
    message = str(caught.value)
    assert message.startswith(f"{spec}: library[0].scenario: no drill adapter for model "
                              "'queue'")
    assert "\n" not in message


class _QueueAdapter(DrillAdapter):
    """A toy adapter: four timeline events (two outside the run), one inject each."""

    model = "queue"

    def timeline(self, model, scenario, watch):
        from drills.packet import TimelineEvent

        assert watch.trace is not None           # the runner handed the watch its trace
        served = float(model.kpis()["customers_served"])
        return [TimelineEvent.at(30, "busy", "centre", "Call centre", served),
                TimelineEvent.at(float("inf"), "never"),
                TimelineEvent.at(scenario.horizon + 5, "too_late"),
                TimelineEvent.at(10, "opened", "centre", "Call centre")]

    def injects(self, timeline, scenario, compose):
        return [compose.inject(e.minute, e.kind, "eoc", "phone", f"{e.kind}：{e.place}",
                               f"{e.kind}: {e.place}", (e.kind, e.kind), "warn", ["centre"])
                for e in timeline]


@pytest.fixture
def queue_adapter() -> Iterator[None]:
    register_adapter(_QueueAdapter())
    try:
        yield
    finally:
        unregister_adapter("queue")


def test_a_new_model_needs_one_adapter_and_one_registration(queue_adapter) -> None:
    with pytest.raises(ValueError, match="already registered"):
        register_adapter(_QueueAdapter())
    scenario = with_overrides(load_scenario("mmc-reference"),
                              {"horizon": "2h", "queue.warmup": "10min"})
    assert isinstance(adapter_for(scenario), _QueueAdapter)
    run = hidden_run(scenario, seed=5)
    # Within the run and in time order only; the KPIs are the runner's.
    assert [(e.minute, e.kind) for e in run.timeline] == [(10.0, "opened"), (30.0, "busy")]
    assert run.timeline[1].quantity == run.kpis["customers_served"] > 0
    assert run.events > 0
    spec = load_drill_spec("tiny-drill").spec
    msel = compile_msel(run.timeline, scenario, spec, datetime(2026, 7, 1, 8))
    assert [i.id for i in msel if not i.followup_of] == ["INJ-001", "INJ-002"]
    assert msel[0].clock == "2026-07-01 08:10" and msel[0].expected.targets == ["centre"]
    assert [i.followup_of for i in msel if i.followup_of] == ["INJ-001", "INJ-002"]


def test_an_adapter_alone_does_not_make_a_model_drillable_without_a_clock(
        queue_adapter, tmp_path: Path) -> None:
    spec = tmp_path / "spec.toml"
    spec.write_text(spec_text("tiny-flood").replace('scenario = "tiny-flood"',
                                                    'scenario = "mmc-reference"'),
                    encoding="utf-8")
    with pytest.raises(ConfigError, match=r"library\[0\]\.scenario: model 'queue' has no "
                                          r"clock \(start_hour\)"):
        load_drill_spec(spec)


# --- no model named outside drills/adapters/ ---------------------------------------------------


def _modules() -> list[Path]:
    return sorted(p for p in DRILLS.rglob("*.py") if "adapters" not in p.relative_to(
        DRILLS).parts)


def _problems(path: Path, models: set[str]) -> list[str]:
    """Where a module names a model: a comparison with a scenario's ``model``, an identifier
    containing a model's name, or a string (docstrings too) holding it as a word."""
    text = path.read_text(encoding="utf-8")
    found = [f"{path.name}: {m.group(0)!r}"
             for m in re.finditer(r"\.model\s*(==|!=|\bin\b)", text)]
    word = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, models)) + r")(?![\w-])",
                      re.IGNORECASE)
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type == tokenize.NAME and any(m in token.string.lower() for m in models):
            found.append(f"{path.name}:{token.start[0]}: identifier {token.string}")
        if token.type == tokenize.STRING and word.search(token.string):
            found.append(f"{path.name}:{token.start[0]}: {word.search(token.string).group(0)!r}")
    return found


def test_no_module_of_drills_names_a_model_outside_the_adapters() -> None:
    modules = _modules()
    assert DRILLS / "session.py" in modules and DRILLS / "adapters" / "flood.py" not in modules
    assert [p for path in modules for p in _problems(path, set(MODELS))] == []


def test_the_check_finds_a_model_name(tmp_path: Path) -> None:
    """The grep above would catch what this issue removed."""
    sample = tmp_path / "sample.py"
    sample.write_text('def f(scenario):\n    if scenario.model == "flood":\n'
                      '        return _chemical_teams(scenario)\n', encoding="utf-8")
    problems = _problems(sample, set(MODELS))
    assert len(problems) == 3, problems
    # Scenario and drill names of the bundled library, and words holding a model's name, are
    # not model names.
    sample.write_text('"""zhumadian-flood-drill; water flooding a zone."""\n', encoding="utf-8")
    assert _problems(sample, set(MODELS)) == []
