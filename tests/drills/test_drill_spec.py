"""Drill specs: the bundled ones load, mistakes are one located line, draws stay in the
window."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from drill_specs import spec_text

from drills.seal import CHINA, draw
from drills.spec import bundled_drill_names, load_drill_spec
from sim.config import ConfigError


def test_bundled_specs_load() -> None:
    assert {"tiny-drill", "zhumadian-flood-drill"} <= set(bundled_drill_names())
    tiny = load_drill_spec("tiny-drill")
    assert [s.name for s in tiny.scenarios] == ["tiny-flood", "tiny-plume"]
    zhumadian = load_drill_spec("zhumadian-flood-drill")
    assert [s.name for s in zhumadian.scenarios] == ["zhumadian-flood", "zhumadian-ammonia"]
    roles = {r.id for r in zhumadian.spec.roles}
    assert {"city-eoc", "county-eoc", "fire-rescue", "shelters", "supplies", "hazmat"} <= roles


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "spec.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("change", "field", "expected"), [
    (("weight = 1", "weight = 0"), "library[0].weight", "greater than 0"),
    (("next_days = 30", "next_days = 30\nfrom = 2026-07-01T00:00:00"), "start",
     "not both"),
    (('"hazard.gauges.0.peak_stage_m"', '"hazard.gauges.5.peak_stage_m"'),
     "library[0].uncertainties", "no item 5"),
    (("[0.05, 0.15]", "[0.05, 1.5]"), "library[0].uncertainties[1].distribution",
     "a draw of 1.49"),
    (('kpis = ["warning_coverage"', 'kpis = ["warning_cover"'), "objectives[0].kpis",
     "unknown KPI 'warning_cover'"),
    (('receives = ["rescue_call"', 'receives = ["rescue_cal"'), "roles[1].receives[0]",
     "Input should be"),
    (('item = "紧急动员"', 'item = "mobilisation"'), "objectives[1].item", "Input should be"),
    (('by_action = { warn', 'by_action = { alarm = "1h", warn'), "contingency.by_action",
     "unknown action 'alarm'"),
    (('scenario = "tiny-flood"', 'scenario = "no-such-scenario"'), "library[0].scenario",
     "no such file or bundled scenario"),
    (('speed = 60', 'speed = 60\ncolour = "red"'), "style.colour", "unknown field"),
    (('id = "supplies"\nname = "物资保障组"', 'id = "decisions"\nname = "物资保障组"'),
     "roles[3].id", "'decisions' is reserved"),
])
def test_a_mistake_is_one_located_line(tmp_path: Path, change: tuple[str, str], field: str,
                                       expected: str) -> None:
    text = spec_text("tiny-flood")
    assert change[0] in text
    path = _write(tmp_path, text.replace(change[0], change[1], 1))
    with pytest.raises(ConfigError) as caught:
        load_drill_spec(path)
    message = str(caught.value)
    assert message.startswith(str(path))
    assert f" {field}:" in message and expected in message
    assert "\n" not in message


def test_an_end_after_the_horizon_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, spec_text("tiny-flood").replace("weight = 1", 'weight = 1\nend = "3d"'))
    with pytest.raises(ConfigError, match=r"library\[0\]\.end: .*after the scenario's horizon"):
        load_drill_spec(path)


def test_a_missing_spec_names_the_bundled_ones() -> None:
    with pytest.raises(ConfigError, match="no such file or bundled drill spec.*tiny-drill"):
        load_drill_spec("no-such-drill")


def test_draws_stay_in_the_window_and_allowed_hours(tmp_path: Path) -> None:
    text = spec_text("tiny-flood").replace(
        "next_days = 30", "from = 2026-07-01T06:30:00\nto = 2026-07-03T20:00:00\n"
        "hours = [8, 9, 10]")
    loaded = load_drill_spec(_write(tmp_path, text))
    starts = [draw(loaded, entropy=e).start for e in range(60)]
    assert all(s.tzinfo == CHINA and s.minute == 0 and s.hour in (8, 9, 10) for s in starts)
    local = [s.replace(tzinfo=None) for s in starts]
    assert min(local) >= datetime(2026, 7, 1, 8) and max(local) <= datetime(2026, 7, 3, 10)
    assert len(set(local)) == 9          # every allowed hour of the window can come up


def test_next_days_counts_from_the_next_whole_hour() -> None:
    loaded = load_drill_spec("tiny-drill")
    now = datetime(2026, 6, 1, 3, 25, tzinfo=UTC)     # 11:25 China time
    starts = [draw(loaded, entropy=e, now=now).start.replace(tzinfo=None)
              for e in range(200)]
    assert min(starts) >= datetime(2026, 6, 1, 12)
    assert max(starts) < datetime(2026, 7, 1, 12)


def test_the_same_entropy_draws_the_same_and_weights_count() -> None:
    loaded = load_drill_spec("tiny-drill")
    now = datetime(2026, 6, 1, tzinfo=UTC)
    a, b = draw(loaded, 42, now), draw(loaded, 42, now)
    assert (a.index, a.parameters, a.start, a.seed) == (b.index, b.parameters, b.start, b.seed)
    indices = [draw(loaded, e, now).index for e in range(200)]
    assert 60 < indices.count(0) < 140      # equal weights: about half each
    for e in range(20):
        d = draw(loaded, e, now)
        if d.index == 0:
            assert 24.0 <= d.parameters["hazard.gauges.0.peak_stage_m"] <= 26.0
        else:
            assert 180.0 <= d.parameters["weather.0.wind_from_deg"] <= 270.0


def test_the_spec_example_in_the_docs_loads(tmp_path: Path) -> None:
    docs = Path(__file__).resolve().parents[2] / "docs" / "drills.md"
    text = docs.read_text(encoding="utf-8")
    example = text.split("```toml\n", 1)[1].split("```", 1)[0]
    loaded = load_drill_spec(_write(tmp_path, example))
    assert loaded.spec.name == "my-drill"
    assert loaded.spec.objectives[0].target("warning_coverage").value == 0.9
