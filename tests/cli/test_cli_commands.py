"""drsim --version, list, schema and validate; every bad input: exit 2 and one line on stderr."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from drsim import __version__
from models.catalog import MODELS
from models.loading import load_scenario
from sim.config import canonical_hash

USAGE_ERROR = 2


def test_version(invoke) -> None:
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"drsim {__version__}"


def test_list_shows_bundled_scenarios_and_models(invoke) -> None:
    result = invoke("list")
    assert result.exit_code == 0, result.output
    rows = [line for line in result.stdout.splitlines() if "mmc-reference" in line]
    assert rows, result.stdout
    assert "queue" in rows[0]
    assert "Reference M/M/c queue (emergency call centre" in rows[0]
    assert "Reference M/M/c queue (engine validation against Erlang C)" in result.stdout


def test_levers_lists_what_an_experiment_option_can_set(invoke) -> None:
    result = invoke("levers", "tiny-plume")
    assert result.exit_code == 0, result.output
    rows = {line.split("│")[1].strip(): line for line in result.stdout.splitlines()
            if line.startswith("│")}
    assert "hazmat.instruction" in rows and "warnings.0.reach_day" in rows
    assert "对公众的防护指令" in rows["hazmat.instruction"]
    assert "shelter | evacuate" in rows["hazmat.instruction"]
    assert "0–1 share of people" in rows["warnings.0.reach_day"]
    none = invoke("levers", "mmc-reference")
    assert none.exit_code == 0 and "its model has no levers" in none.stdout
    bad = invoke("levers", "no-such-scenario")
    assert bad.exit_code == USAGE_ERROR and bad.stderr.count("\n") == 1


def test_schema_prints_valid_json_schema(invoke) -> None:
    result = invoke("schema")
    assert result.exit_code == 0, result.output
    schema = json.loads(result.stdout)
    # One model: its scenario is the schema; several: one $def per model, chosen by "model".
    queue_scenario = schema if "properties" in schema else schema["$defs"]["QueueScenario"]
    assert {"queue", "horizon", "schema_version", "model"} <= set(queue_scenario["properties"])
    assert queue_scenario["additionalProperties"] is False
    assert result.stderr == ""


def test_schema_to_file(invoke, tmp_path: Path) -> None:
    target = tmp_path / "scenario.schema.json"
    result = invoke("schema", "--out", target)
    assert result.exit_code == 0, result.output
    assert f"schema written to {target}" in result.stdout
    assert json.loads(target.read_text(encoding="utf-8")) == json.loads(invoke("schema").stdout)


def test_validate_ok_bundled(invoke) -> None:
    result = invoke("validate", "mmc-reference")
    assert result.exit_code == 0, result.output
    digest = canonical_hash(load_scenario("mmc-reference"))
    assert result.stdout.strip() == (
        f"ok: mmc-reference: scenario 'mmc-reference' (model queue, horizon 7d), "
        f"hash {digest[:16]}")
    assert result.stderr == ""


def test_validate_ok_file_with_overrides(invoke, small_scenario: Path) -> None:
    result = invoke("validate", small_scenario, "--set", "horizon=2d", "-s", "queue.servers=4")
    assert result.exit_code == 0, result.output
    digest = canonical_hash(load_scenario(small_scenario, ["horizon=2d", "queue.servers=4"]))
    assert "horizon 2d" in result.stdout
    assert digest[:16] in result.stdout
    assert canonical_hash(load_scenario(small_scenario))[:16] not in result.stdout


def test_validate_prints_every_problem(invoke, write_toml, small_text: str) -> None:
    text = (small_text.replace("servers = 3", "servers = 0")
            .replace('mean_interarrival = "1min"', 'mean_interarrival = "5 fortnights"')
            + "colour = 'red'\n")
    path = write_toml(text)
    result = invoke("validate", path)
    assert result.exit_code == USAGE_ERROR
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 3, result.stderr
    assert all(line.startswith(f"error: {path}:") for line in lines)
    assert any(line.startswith(f"error: {path}:7: queue.servers: ") for line in lines)
    assert any(line.startswith(f"error: {path}:8: queue.mean_interarrival: unknown time unit")
               for line in lines)
    assert any(line.startswith(f"error: {path}:10: queue.colour: unknown field") for line in lines)
    assert "Traceback" not in result.output


def test_run_with_several_problems_prints_one_line(invoke, write_toml, small_text, tmp_path):
    text = small_text.replace("servers = 3", "servers = 0") + "colour = 'red'\nsize = 1\n"
    path = write_toml(text)
    out = tmp_path / "out"
    result = invoke("run", path, "--out", out, "--no-progress")
    assert result.exit_code == USAGE_ERROR
    assert result.stderr == (f"error: {path}:7: queue.servers: Input should be greater than or "
                             "equal to 1 (got 0) (and 2 more problems); run `drsim validate` to "
                             "see all\n")
    assert not out.exists()


# --- every bad input: exit 2, one line naming file, field, line and what was expected ----------


@dataclass(frozen=True)
class Bad:
    """A bad input: how to make it and what its one-line error must say."""

    id: str
    replace: tuple[str, str] | None = None  # edit of the small scenario, or None to use it as is
    source: str | None = None  # a scenario argument instead of the small file
    overrides: tuple[str, ...] = ()
    field: str = ""
    line: int | None = None
    expected: tuple[str, ...] = ()
    names_file: bool = True


BAD_INPUTS = [
    Bad("malformed-toml", ('mean_service = "2.5min"', 'mean_service = "2.5min'), line=9,
        expected=("malformed TOML:",)),
    Bad("unknown-field", ("servers = 3", "servers = 3\ncolour = 'red'"), field="queue.colour",
        line=8, expected=("unknown field; expected one of: mean_interarrival, mean_service, "
                          "servers, warmup",)),
    Bad("wrong-type", ("servers = 3", 'servers = "three"'), field="queue.servers", line=7,
        expected=("Input should be a valid integer", "(got 'three')")),
    Bad("negative-servers", ("servers = 3", "servers = -1"), field="queue.servers", line=7,
        expected=("greater than or equal to 1", "(got -1)")),
    Bad("zero-servers", ("servers = 3", "servers = 0"), field="queue.servers", line=7,
        expected=("greater than or equal to 1", "(got 0)")),
    Bad("unknown-unit", ('horizon = "1d"', 'horizon = "5 fortnights"'), field="horizon", line=4,
        expected=("unknown time unit 'fortnights'", 'expected a duration like "90min"')),
    Bad("unknown-model", ('model = "queue"', 'model = "volcano"'), field="model", line=3,
        expected=("unknown model 'volcano'; expected one of: "
                  + ", ".join(repr(name) for name in MODELS),)),
    Bad("override-no-such-path", overrides=("queue.nope=1",), field="queue.nope",
        expected=("(--set)", "no such field; expected one of: mean_interarrival")),
    Bad("override-no-such-top-path", overrides=("horizn=1d",), field="horizn",
        expected=("(--set)", "no such field; expected one of: description, horizon")),
    # The queue model has no list field, so an index can only be refused as a non-field.
    Bad("override-index", overrides=("queue.0=1",), field="queue.0",
        expected=("(--set)", "no such field")),
    Bad("override-bad-value", overrides=("queue.servers=0",), field="queue.servers",
        expected=("(--set)", "greater than or equal to 1")),
    Bad("override-not-path-value", overrides=("queue.servers",), field="queue.servers",
        expected=("--set", "expected PATH=VALUE"), names_file=False),
    Bad("override-model", overrides=("model=volcano",), field="model",
        expected=("(--set)", "cannot be overridden")),
    Bad("unknown-bundled-name", source="no-such-scenario",
        expected=("no-such-scenario: no such file or bundled scenario", "mmc-reference")),
    Bad("missing-file", source="{tmp}/absent.toml", expected=("file not found",)),
]


def _bad_source(bad: Bad, tmp_path: Path, small_text: str) -> str:
    if bad.source is not None:
        return bad.source.format(tmp=tmp_path)
    text = small_text
    if bad.replace is not None:
        old, new = bad.replace
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def _check_one_line(result, bad: Bad, source: str) -> str:
    assert result.exit_code == USAGE_ERROR, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    line = lines[0]
    assert line.startswith("error: ")
    if bad.names_file:
        assert source in line
    if bad.field:
        assert f" {bad.field}: " in line
    if bad.line is not None:
        assert line.startswith(f"error: {source}:{bad.line}: ")
    else:
        assert not re.match(rf"error: {re.escape(source)}:\d+:", line)  # no invented line
    for text in bad.expected:
        assert text in line
    return line


@pytest.mark.parametrize("bad", BAD_INPUTS, ids=[b.id for b in BAD_INPUTS])
def test_validate_bad_input(invoke, tmp_path: Path, small_text: str, bad: Bad) -> None:
    source = _bad_source(bad, tmp_path, small_text)
    args = ["validate", source] + [a for o in bad.overrides for a in ("--set", o)]
    result = invoke(*args)
    _check_one_line(result, bad, source)
    assert result.stdout == ""


@pytest.mark.parametrize("bad", BAD_INPUTS, ids=[b.id for b in BAD_INPUTS])
def test_run_bad_input_writes_nothing(invoke, tmp_path: Path, small_text: str, bad: Bad) -> None:
    source = _bad_source(bad, tmp_path, small_text)
    out = tmp_path / "results" / "run"
    args = ["run", source, "--out", out, "--no-progress"]
    result = invoke(*args, *[a for o in bad.overrides for a in ("--set", o)])
    _check_one_line(result, bad, source)
    assert result.stdout == ""
    assert not out.exists()
    assert not out.parent.exists()
