"""models.loading: scenario files and bundled names -> validated scenarios, or one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from models.catalog import MODELS, scenario_json_schema
from models.loading import bundled_names, bundled_path, load_scenario, with_overrides
from models.queue import QueueScenario
from models.scenario import SCHEMA_VERSION
from sim.config import ConfigError


def _error(source, overrides=()) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_scenario(source, overrides)
    message = str(info.value)
    assert len(message.splitlines()) == 1, message
    return info.value


# --- the good path -------------------------------------------------------------------------------


def test_bundled_names_include_the_reference() -> None:
    assert "mmc-reference" in bundled_names()
    assert bundled_path("mmc-reference").is_file()


@pytest.mark.parametrize("name", bundled_names())
def test_every_bundled_scenario_validates(name: str) -> None:
    scenario = load_scenario(name)
    assert scenario.name == name
    assert scenario.schema_version == SCHEMA_VERSION
    assert isinstance(scenario, MODELS[scenario.model].scenario)


def test_reference_scenario_reads_durations_as_minutes() -> None:
    scenario = load_scenario("mmc-reference")
    assert isinstance(scenario, QueueScenario)
    assert scenario.horizon == 7 * 1440
    assert scenario.report_every == 60
    assert scenario.queue.servers == 8
    assert scenario.queue.mean_interarrival == 0.5
    assert scenario.queue.mean_service == 3.5
    assert scenario.queue.warmup == 120


def test_load_by_path_equals_load_by_name(write_toml, reference_text) -> None:
    assert load_scenario(write_toml(reference_text)) == load_scenario("mmc-reference")
    assert load_scenario(bundled_path("mmc-reference")) == load_scenario("mmc-reference")


def test_overrides_are_typed_and_applied(write_toml, small_text) -> None:
    path = write_toml(small_text)
    scenario = load_scenario(path, ["queue.servers=10", "horizon=2h", "queue.warmup=30",
                                    "title=Busy day", "seed=5"])
    assert scenario.queue.servers == 10
    assert scenario.horizon == 120
    assert scenario.queue.warmup == 30
    assert scenario.title == "Busy day"
    assert scenario.seed == 5
    assert load_scenario(path).queue.servers == 3  # the file is untouched


def test_override_can_set_an_optional_field_absent_from_the_file(write_toml, small_text) -> None:
    assert load_scenario(write_toml(small_text), ["report_every=30min"]).report_every == 30


def test_with_overrides_returns_a_new_validated_scenario() -> None:
    base = load_scenario("mmc-reference")
    busier = with_overrides(base, ["queue.servers=7"])
    assert busier.queue.servers == 7
    assert base.queue.servers == 8
    assert with_overrides(base, []) is base
    with pytest.raises(ConfigError, match="greater than or equal to 1"):
        with_overrides(base, {"queue.servers": 0})


# --- bad inputs: one line naming the file, the field, the line and what was expected ------------


def test_unknown_field_names_file_field_line_and_expected(write_toml, small_text) -> None:
    path = write_toml(small_text.replace("servers = 3\n", "servers = 3\ncolour = 'red'\n"))
    error = _error(path)
    assert str(error) == (f"{path}:8: queue.colour: unknown field; expected one of: "
                          "mean_interarrival, mean_service, servers, warmup")


def test_unknown_top_level_field(write_toml, small_text) -> None:
    path = write_toml(small_text.replace('horizon = "1d"\n', 'horizon = "1d"\nhorizn = 3\n'))
    assert str(_error(path)).startswith(f"{path}:5: horizn: unknown field; expected one of: "
                                        "description, horizon, model, name, queue")


def test_wrong_type_names_file_field_line_and_expected(write_toml, small_text) -> None:
    path = write_toml(small_text.replace("servers = 3", 'servers = "three"'))
    assert str(_error(path)) == (f"{path}:7: queue.servers: Input should be a valid integer, "
                                 "unable to parse string as an integer (got 'three')")


def test_malformed_toml_names_file_and_line(write_toml, small_text) -> None:
    path = write_toml(small_text.replace('mean_service = "2.5min"', 'mean_service = "2.5min'))
    message = str(_error(path))
    assert message.startswith(f"{path}:9: malformed TOML: ")


@pytest.mark.parametrize("servers", ["-1", "0"])
def test_servers_must_be_positive(write_toml, small_text, servers: str) -> None:
    path = write_toml(small_text.replace("servers = 3", f"servers = {servers}"))
    assert str(_error(path)) == (f"{path}:7: queue.servers: Input should be greater than or "
                                 f"equal to 1 (got {servers})")


def test_unknown_time_unit(write_toml, small_text) -> None:
    path = write_toml(small_text.replace('horizon = "1d"', 'horizon = "5 fortnights"'))
    message = str(_error(path))
    assert message.startswith(f"{path}:4: horizon: unknown time unit 'fortnights'")
    assert 'expected a duration like "90min"' in message


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("queue.mean_service", "0", "greater than 0"),
        ("queue.mean_interarrival", '"-2min"', "expected a duration"),
        ("schema_version", "2", "Input should be 1"),
        ("name", '""', "at least 1 character"),
        ("seed", "-3", "greater than or equal to 0"),
    ],
)
def test_other_field_rules(write_toml, small_text, field: str, value: str, expected: str) -> None:
    key = field.split(".")[-1]
    lines = [f"{key} = {value}" if line.split(" = ")[0] == key else line
             for line in small_text.splitlines()]
    if field == "seed":
        lines.insert(4, "seed = -3")
    path = write_toml("\n".join(lines) + "\n")
    problem = _error(path).problems[0]
    assert problem.path == field
    assert expected in problem.message
    assert problem.line is not None


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ('report_every = "2d"', "report_every must be > 0 and no longer than the horizon"),
        ("horizon = 0", "horizon must be longer than zero"),
    ],
)
def test_time_rules_across_fields(write_toml, small_text, extra: str, expected: str) -> None:
    text = small_text.replace('horizon = "1d"\n', "" if extra.startswith("horizon") else
                              'horizon = "1d"\n')
    path = write_toml(extra + "\n" + text)
    assert expected in str(_error(path))


def test_warmup_must_be_shorter_than_horizon(write_toml, small_text) -> None:
    path = write_toml(small_text + 'warmup = "1d"\n')
    assert "queue.warmup must be shorter than the horizon" in str(_error(path))


def test_several_problems_are_all_kept(write_toml, small_text) -> None:
    text = small_text.replace("servers = 3", "servers = 0").replace('"1min"', '"1 fortnight"')
    error = _error(write_toml(text + "colour = 1\n"))
    assert {p.path for p in error.problems} == {
        "queue.servers", "queue.mean_interarrival", "queue.colour"}
    assert str(error).endswith("(and 2 more problems)")


EXPECTED_MODELS = "expected one of: " + ", ".join(repr(name) for name in MODELS)


def test_unknown_model(write_toml, small_text) -> None:
    path = write_toml(small_text.replace('model = "queue"', 'model = "volcano"'))
    assert str(_error(path)) == f"{path}:3: model: unknown model 'volcano'; {EXPECTED_MODELS}"


def test_missing_model(write_toml, small_text) -> None:
    path = write_toml(small_text.replace('model = "queue"\n', ""))
    assert str(_error(path)) == f"{path}: model: required field is missing; {EXPECTED_MODELS}"


def test_model_of_the_wrong_type(write_toml, small_text) -> None:
    path = write_toml(small_text.replace('model = "queue"', 'model = ["queue"]'))
    assert "unknown model ['queue']" in str(_error(path))


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.toml"
    assert str(_error(path)) == f"{path}: file not found"


def test_unknown_bundled_name_lists_the_bundled_ones() -> None:
    message = str(_error("no-such-scenario"))
    assert message.startswith("no-such-scenario: no such file or bundled scenario")
    assert "mmc-reference" in message


def test_absurdly_long_name_is_a_user_error() -> None:
    message = str(_error("x" * 5000))
    assert "x" * 100 in message


# --- bad overrides -------------------------------------------------------------------------------


def test_override_path_that_does_not_exist(write_toml, small_text) -> None:
    path = write_toml(small_text)
    assert str(_error(path, ["queue.nope=1"])) == (
        f"{path} (--set): queue.nope: no such field; expected one of: mean_interarrival, "
        "mean_service, servers, warmup")


@pytest.mark.parametrize(
    ("override", "where", "expected"),
    [
        ("nope=1", "nope", "no such field; expected one of: description, horizon, model"),
        ("queue.servers.count=1", "queue.servers.count", "no such field"),
        ("queue.0=1", "queue.0", "no such field"),
        ("horizon.0=1", "horizon.0", "no such field"),
        ("queue..servers=1", "queue..servers", "bad path segment ''"),
        ("queue.servers", "queue.servers", "expected PATH=VALUE"),
        ("model=volcano", "model", "the model of a scenario cannot be overridden"),
    ],
)
def test_bad_override_paths(write_toml, small_text, override, where, expected) -> None:
    path = write_toml(small_text)
    problem = _error(path, [override]).problems[0]
    assert problem.path == where
    assert expected in problem.message
    assert problem.line is None


def test_bad_override_value_points_at_the_override_not_the_file(write_toml, small_text) -> None:
    path = write_toml(small_text)
    error = _error(path, ["queue.servers=abc"])
    # Not "<file>:7:": line 7 of the file says servers = 3, which is fine.
    assert str(error) == (f"{path} (--set): queue.servers: Input should be a valid integer, "
                          "unable to parse string as an integer (got 'abc')")


def test_bad_override_table_value_points_at_the_override(write_toml, small_text) -> None:
    path = write_toml(small_text)
    assert str(_error(path, ["queue=5"])) == (
        f"{path} (--set): queue: expected a table, got 5")


def test_problems_not_caused_by_overrides_keep_their_file_line(write_toml, small_text) -> None:
    path = write_toml(small_text.replace("servers = 3", "servers = 0"))
    error = _error(path, ["queue.mean_service=-1"])
    located = {p.path: (p.source, p.line) for p in error.problems}
    assert located == {"queue.servers": (str(path), 7),
                       "queue.mean_service": (f"{path} (--set)", None)}


# --- schema ------------------------------------------------------------------------------------


def _queue_scenario_schema(schema: dict) -> dict:
    """The queue scenario's schema: the whole schema while it is the only model, else its $def."""
    return schema if "properties" in schema else schema["$defs"]["QueueScenario"]


def test_json_schema_export() -> None:
    schema = scenario_json_schema()
    json.dumps(schema)  # serialisable
    assert schema["title"] == "drsim scenario"
    queue_scenario = _queue_scenario_schema(schema)
    fields = {"schema_version", "name", "model", "horizon", "queue"}
    assert fields <= set(queue_scenario["properties"])
    assert fields <= set(queue_scenario["required"])
    assert queue_scenario["additionalProperties"] is False
    queue = schema["$defs"]["QueueSection"]
    assert queue["additionalProperties"] is False
    assert queue["properties"]["servers"]["minimum"] == 1
    horizon_kinds = {o["type"] for o in queue_scenario["properties"]["horizon"]["anyOf"]}
    assert horizon_kinds == {"number", "string"}
