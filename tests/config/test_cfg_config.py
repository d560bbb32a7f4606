"""sim.config: reading TOML, strict validation into located one-line problems, overrides."""

from __future__ import annotations

import copy
import datetime as dt
import math
from pathlib import Path

import pytest
from pydantic import Field, ValidationError

from sim.config import (
    ConfigError,
    Problem,
    StrictModel,
    apply_overrides,
    locate_line,
    parse_override,
    read_toml,
    validate,
)
from sim.units import Duration

# --- a small model with lists and maps, to exercise paths the queue model does not have ---------


class Zone(StrictModel):
    name: str
    population: int = Field(default=0, ge=0)


class Town(StrictModel):
    name: str
    window: Duration = 0.0
    zones: list[Zone] = []
    tags: dict[str, int] = {}
    parent: Zone | None = None


TOWN = {
    "name": "t",
    "zones": [{"name": "a", "population": 10}, {"name": "b"}],
    "tags": {"x": 1},
}


# --- parse_override ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "path", "value"),
    [
        ("queue.servers=10", "queue.servers", 10),
        ("x=-3", "x", -3),
        ("x=2.5", "x", 2.5),
        ("x=1e3", "x", 1000.0),
        ("x=true", "x", True),
        ("x=false", "x", False),
        ("horizon=2h", "horizon", "2h"),  # not TOML: taken as a string
        ("horizon=1h30min", "horizon", "1h30min"),
        ('name="hello world"', "name", "hello world"),
        ("name=hello world", "name", "hello world"),
        ("x=[1, 2, 3]", "x", [1, 2, 3]),
        ('x=["a", "b"]', "x", ["a", "b"]),
        ("x={ a = 1, b = [true] }", "x", {"a": 1, "b": [True]}),
        (" queue.servers = 10 ", "queue.servers", 10),
        ("a=b=c", "a", "b=c"),
        ("x=", "x", ""),
        ("d=2024-05-01", "d", dt.date(2024, 5, 1)),
    ],
)
def test_parse_override_types_values(text: str, path: str, value: object) -> None:
    got_path, got_value = parse_override(text)
    assert got_path == path
    assert got_value == value
    assert type(got_value) is type(value)  # 10 stays int, true stays bool, 2.5 stays float


def test_parse_override_reads_toml_special_floats() -> None:
    assert parse_override("x=inf")[1] == math.inf
    assert math.isnan(parse_override("x=nan")[1])


@pytest.mark.parametrize("text", ["noequals", "=5", "  =5", ""])
def test_parse_override_needs_path_and_equals(text: str) -> None:
    with pytest.raises(ConfigError, match="expected PATH=VALUE") as info:
        parse_override(text)
    assert info.value.problems[0].source == "--set"


def test_parse_override_rejects_absurdly_nested_values() -> None:
    deep = "[" * 2000 + "]" * 2000
    with pytest.raises(ConfigError, match="nested more than"):
        parse_override(f"x={deep}")
    with pytest.raises(ConfigError, match="nested more than"):
        parse_override(f"x={'[' * 80}{']' * 80}")  # parses, but deeper than allowed


# --- apply_overrides -----------------------------------------------------------------------------


def test_apply_overrides_sets_values_and_leaves_input_alone() -> None:
    data = copy.deepcopy(TOWN)
    before = copy.deepcopy(data)
    result = apply_overrides(
        data, [("name", "u"), ("zones.1.population", 7), ("tags.x", 2), ("window", "2h")], Town)
    assert data == before  # the input is not mutated, not even nested lists and tables
    assert result["name"] == "u"
    assert result["zones"][1] == {"name": "b", "population": 7}
    assert result["zones"][0] == {"name": "a", "population": 10}
    assert result["tags"] == {"x": 2}
    assert result["window"] == "2h"  # raw data: validation happens afterwards
    result["zones"][0]["name"] = "changed"
    assert data["zones"][0]["name"] == "a"  # a deep copy, not a shallow one
    assert validate(Town, result, "t.toml").window == 120.0


def test_apply_overrides_accepts_a_mapping_and_creates_missing_tables() -> None:
    result = apply_overrides({"name": "t"}, {"parent.name": "p", "tags.new": 3}, Town)
    assert result == {"name": "t", "parent": {"name": "p"}, "tags": {"new": 3}}


def test_apply_overrides_later_settings_win() -> None:
    result = apply_overrides(TOWN, [("name", "first"), ("name", "second")], Town)
    assert result["name"] == "second"


@pytest.mark.parametrize(
    ("path", "where", "expected"),
    [
        ("nope", "nope", "no such field; expected one of: name, parent, tags, window, zones"),
        ("zones.0.nope", "zones.0.nope", "no such field; expected one of: name, population"),
        ("name.first", "name.first", "no such field"),
        ("zones.name", "zones.name", "no such field"),
        ("zones.5.name", "zones.5", "no item 5 (the list has 2 items)"),
        ("zones.2", "zones.2", "no item 2 (the list has 2 items)"),
        ("name.0", "name.0", "no such field"),
    ],
)
def test_apply_overrides_bad_paths(path: str, where: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        apply_overrides(TOWN, [(path, 1)], Town, source="cfg.toml (--set)")
    problem = info.value.problems[0]
    assert problem.path == where
    assert problem.source == "cfg.toml (--set)"
    assert problem.message == expected
    assert "\n" not in str(info.value)


def test_apply_overrides_index_into_a_missing_list() -> None:
    with pytest.raises(ConfigError, match=r"no item 0 \(the list has 0 items\)"):
        apply_overrides({"name": "t"}, [("zones.0.name", "x")], Town)


def test_apply_overrides_parent_that_is_not_a_table() -> None:
    with pytest.raises(ConfigError, match="parent is not a table"):
        apply_overrides({"name": "t", "parent": 5}, [("parent.name", "x")], Town)


@pytest.mark.parametrize("path", ["a..b", ".a", "a.", "a b", "zones.-1", "a\nb", "name\n.x"])
def test_apply_overrides_bad_segments(path: str) -> None:
    with pytest.raises(ConfigError, match="bad path segment") as info:
        apply_overrides(TOWN, [(path, 1)], Town)
    assert len(str(info.value).splitlines()) == 1


# --- Problem and ConfigError ---------------------------------------------------------------------


def test_problem_formats() -> None:
    assert str(Problem("f.toml", "queue.servers", "too small", 7)) == (
        "f.toml:7: queue.servers: too small")
    assert str(Problem("f.toml", "queue.servers", "too small")) == (
        "f.toml: queue.servers: too small")
    assert str(Problem("f.toml", "", "file not found")) == "f.toml: file not found"


def test_problem_keeps_user_text_on_one_line() -> None:
    text = str(Problem("f.toml", 'a\nb', "unknown field\r\x85\u2028!", 3))
    assert len(text.splitlines()) == 1
    assert "a\\nb" in text


def test_one_line_counts_the_other_problems() -> None:
    problems = [Problem("f.toml", f"p{i}", "bad", i + 1) for i in range(3)]
    assert ConfigError(problems[:1]).one_line() == "f.toml:1: p0: bad"
    assert ConfigError(problems[:2]).one_line() == "f.toml:1: p0: bad (and 1 more problem)"
    error = ConfigError(problems)
    assert error.one_line() == "f.toml:1: p0: bad (and 2 more problems)"
    assert str(error) == error.one_line()
    assert error.problems == problems


def test_config_error_from_a_single_problem_and_never_empty() -> None:
    error = ConfigError.single("f.toml", "x", "bad", 2)
    assert error.problems == [Problem("f.toml", "x", "bad", 2)]
    with pytest.raises(ValueError):
        ConfigError([])


# --- validate ------------------------------------------------------------------------------------

TOWN_TEXT = """\
name = "t"
window = "5 fortnights"
colour = "red"

[[zones]]
name = "a"
population = -4

[[zones]]
population = "many"
"""


def test_validate_reports_every_problem_located() -> None:
    data = {"name": "t", "window": "5 fortnights", "colour": "red",
            "zones": [{"name": "a", "population": -4}, {"population": "many"}]}
    with pytest.raises(ConfigError) as info:
        validate(Town, data, "town.toml", TOWN_TEXT)
    by_path = {p.path: p for p in info.value.problems}
    assert set(by_path) == {"window", "colour", "zones[0].population", "zones[1].name",
                            "zones[1].population"}
    assert all(p.source == "town.toml" for p in by_path.values())
    assert by_path["window"].line == 2
    assert "unknown time unit 'fortnights'" in by_path["window"].message
    assert by_path["colour"].line == 3
    assert by_path["colour"].message == (
        "unknown field; expected one of: name, parent, tags, window, zones")
    assert by_path["zones[0].population"].line == 7
    assert "greater than or equal to 0" in by_path["zones[0].population"].message
    assert "(got -4)" in by_path["zones[0].population"].message
    assert by_path["zones[1].name"].message == "required field is missing"
    assert by_path["zones[1].name"].line == 9  # missing: the enclosing [[zones]] table
    assert by_path["zones[1].population"].line == 10
    assert "(got 'many')" in by_path["zones[1].population"].message
    assert "(and 4 more problems)" in str(info.value)


def test_validate_without_text_has_no_lines() -> None:
    with pytest.raises(ConfigError) as info:
        validate(Town, {"name": 3}, "x")
    assert info.value.problems[0].line is None
    assert str(info.value).startswith("x: name: ")


def test_validate_table_expected() -> None:
    with pytest.raises(ConfigError) as info:
        validate(Town, {"name": "t", "parent": 5}, "x")
    assert info.value.problems[0].message == "expected a table, got 5"


def test_validate_truncates_long_inputs() -> None:
    with pytest.raises(ConfigError) as info:
        validate(Town, {"name": "t", "zones": [{"name": "a", "population": "9" * 500 + "x"}]}, "x")
    message = str(info.value)
    assert len(message) < 300
    assert "...)" in message


def test_validated_models_are_frozen_and_strict() -> None:
    town = validate(Town, TOWN, "x")
    with pytest.raises(ValidationError):
        town.name = "other"  # type: ignore[misc]
    with pytest.raises(ConfigError, match="unknown field"):
        validate(Town, {**TOWN, "extra": 1}, "x")


def test_unknown_key_with_a_line_break_stays_on_one_line() -> None:
    with pytest.raises(ConfigError) as info:
        validate(Town, {"name": "t", "bad\nkey": 1}, "x")
    assert len(info.value.one_line().splitlines()) == 1


# --- locate_line ---------------------------------------------------------------------------------

LOCATE_TEXT = """\
# comment line
name = "x"

[queue]   # a comment after a header
servers = 3

[[zones]]
name = "a"

[[zones.shelters]]
capacity = 1

[[zones.shelters]]
capacity = 2

[[zones]]
name = "b"
population = 5

[[zones.shelters]]
capacity = 3

[zones.extra]
k = 1

[meta]
owner.contact.email = "x@y"
site = { lat = 1, lon = 2 }
"quoted key" = true
"""


@pytest.mark.parametrize(
    ("loc", "line"),
    [
        (("name",), 2),
        (("queue",), 4),
        (("queue", "servers"), 5),
        (("queue", "missing"), 4),  # missing key: the enclosing table's line
        (("zones", 0), 7),
        (("zones", 0, "name"), 8),
        (("zones", 0, "population"), 7),
        (("zones", 0, "shelters", 0, "capacity"), 11),
        (("zones", 0, "shelters", 1, "capacity"), 14),
        (("zones", 1), 16),
        (("zones", 1, "name"), 17),
        (("zones", 1, "population"), 18),
        (("zones", 1, "shelters", 0, "capacity"), 21),  # counted afresh inside zone 1
        (("zones", 1, "extra", "k"), 24),
        (("zones", 1, "extra"), 23),
        (("meta",), 26),
        (("meta", "owner", "contact", "email"), 27),  # dotted key
        (("meta", "site", "lat"), 28),  # inside an inline table: the table's line
        (("meta", "quoted key"), 29),
        (("meta", "nothing"), 26),
    ],
)
def test_locate_line(loc: tuple, line: int) -> None:
    assert locate_line(LOCATE_TEXT, loc) == line


def test_locate_line_unknown_or_empty() -> None:
    assert locate_line(LOCATE_TEXT, ("nowhere", "at", "all")) is None
    assert locate_line(LOCATE_TEXT, ("zones", 5, "name")) is None
    assert locate_line(LOCATE_TEXT, ()) is None
    assert locate_line(None, ("name",)) is None
    assert locate_line("", ("name",)) is None


def test_locate_line_skips_multiline_string_content_lines() -> None:
    text = 'name = "x"\ndescription = """\nfirst\n"""\nseed = 3\n'
    assert locate_line(text, ("seed",)) == 5
    assert locate_line(text, ("description",)) == 2


# --- read_toml -----------------------------------------------------------------------------------


def test_read_toml_returns_data_and_text(write_toml) -> None:
    path = write_toml('a = 1\n[b]\nc = "2h"\n')
    data, text = read_toml(path)
    assert data == {"a": 1, "b": {"c": "2h"}}
    assert text == path.read_text(encoding="utf-8")


def test_read_toml_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.toml"
    with pytest.raises(ConfigError) as info:
        read_toml(path)
    assert str(info.value) == f"{path}: file not found"


def test_read_toml_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is a directory, expected a TOML file"):
        read_toml(tmp_path)


def test_read_toml_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "binary.toml"
    path.write_bytes(b"name = \"\xff\xfe\"\n")
    with pytest.raises(ConfigError, match="not UTF-8 text"):
        read_toml(path)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("a = 1\nb = \n", 2),
        ("a = 1\n\n[queue\nservers = 1\n", 3),
        ('a = 1\nb = "unterminated\nc = 3\n', 2),
        ("a = 1\na = 2\n", 2),
    ],
)
def test_read_toml_malformed_names_the_line(write_toml, text: str, line: int) -> None:
    path = write_toml(text)
    with pytest.raises(ConfigError) as info:
        read_toml(path)
    problem = info.value.problems[0]
    assert problem.line == line
    assert problem.message.startswith("malformed TOML: ")
    assert "at line" not in problem.message  # the line is in the location, not repeated
    assert str(info.value).startswith(f"{path}:{line}: malformed TOML: ")


def test_read_toml_malformed_at_end_of_document_has_no_line(write_toml) -> None:
    path = write_toml("a = 1\nb = [1, 2\n\n")
    with pytest.raises(ConfigError) as info:
        read_toml(path)
    assert str(info.value) == f"{path}: malformed TOML: Unclosed array (at end of document)"


@pytest.mark.parametrize(
    "text",
    [
        "x = " + "[" * 3000 + "]" * 3000,  # overflows the parser's stack
        "x = " + "{a=" * 1000 + "1" + "}" * 1000,
        "[" + ".".join(["a"] * 3000) + "]\nb = 1\n",  # parses flat, but nests 3000 deep
        "x = " + "[" * 70 + "]" * 70,
    ],
)
def test_read_toml_rejects_absurd_nesting(write_toml, text: str) -> None:
    with pytest.raises(ConfigError, match="nested more than 64 levels deep"):
        read_toml(write_toml(text))


def test_read_toml_accepts_reasonable_nesting(write_toml) -> None:
    data, _ = read_toml(write_toml("x = " + "[" * 30 + "1" + "]" * 30))
    assert "x" in data
