"""sim.units: readable durations in input files ("90min", "2h", "1d") and their display form."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from sim.units import MINUTES_PER, Duration, format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("90min", 90.0),
        ("2h", 120.0),
        ("1d", 1440.0),
        ("1h30min", 90.0),
        ("1h 30min", 90.0),
        ("  1d 2h  ", 1560.0),
        ("30s", 0.5),
        ("45sec", 0.75),
        ("1w", 10080.0),
        ("2 weeks", 20160.0),
        ("3 days", 4320.0),
        ("1hour", 60.0),
        ("2hr", 120.0),
        ("5 minutes", 5.0),
        ("1.5h", 90.0),
        (".5h", 30.0),
        ("2.h", 120.0),
        ("2H", 120.0),
        ("1D", 1440.0),
        ("0min", 0.0),
    ],
)
def test_parse_duration_strings(text: str, minutes: float) -> None:
    assert parse_duration(text) == pytest.approx(minutes)


@pytest.mark.parametrize(("number", "minutes"), [(45, 45.0), (0, 0.0), (2.5, 2.5), (1e6, 1e6)])
def test_plain_numbers_are_minutes(number: float, minutes: float) -> None:
    result = parse_duration(number)
    assert result == minutes
    assert isinstance(result, float)


@pytest.mark.parametrize(
    ("value", "expected_in_message"),
    [
        ("5 fortnights", "unknown time unit 'fortnights'"),
        ("5m", 'use "min" for minutes'),
        ("1e3h", "unknown time unit 'e'"),
        ("", "empty string"),
        ("   ", "empty string"),
        ("h", "expected a duration like"),
        ("90", "expected a duration like"),  # a number in a string needs a unit
        ("1h 30", "expected a duration like"),
        ("-5min", "expected a duration like"),
        ("1h-30min", "expected a duration like"),
        (-1, "finite, non-negative"),
        (-0.5, "finite, non-negative"),
        (math.inf, "finite, non-negative"),
        (math.nan, "finite, non-negative"),
        (True, "got True"),
        (None, "got NoneType"),
        ([1, "h"], "got list"),
    ],
)
def test_parse_duration_rejects(value: object, expected_in_message: str) -> None:
    with pytest.raises(ValueError, match="duration|unit") as info:
        parse_duration(value)
    assert expected_in_message in str(info.value)


def test_unknown_unit_message_lists_the_units_that_exist() -> None:
    with pytest.raises(ValueError) as info:
        parse_duration("5 fortnights")
    message = str(info.value)
    assert "'5 fortnights'" in message
    for unit in ("s", "min", "h", "d", "w"):
        assert unit in message


def test_every_listed_unit_is_accepted() -> None:
    for unit, factor in MINUTES_PER.items():
        assert parse_duration(f"2{unit}") == pytest.approx(2 * factor)


@pytest.mark.parametrize(
    ("minutes", "text"),
    [
        (90, "1h30min"),
        (2880, "2d"),
        (45, "45min"),
        (60, "1h"),
        (1440 + 61, "1d1h1min"),
        (0.5, "30s"),
        (10080, "7d"),
    ],
)
def test_format_duration(minutes: float, text: str) -> None:
    assert format_duration(minutes) == text


def test_format_zero_parses_back_to_zero() -> None:
    assert parse_duration(format_duration(0)) == 0


@given(st.integers(min_value=0, max_value=10**6))
def test_format_then_parse_round_trips_whole_minutes(minutes: int) -> None:
    assert parse_duration(format_duration(minutes)) == minutes


@given(st.floats(min_value=1, max_value=1e5, allow_nan=False))
def test_format_then_parse_is_close_for_fractional_minutes(minutes: float) -> None:
    # format_duration is for display (6 significant digits per part), so only close.
    assert parse_duration(format_duration(minutes)) == pytest.approx(minutes, rel=1e-5, abs=1e-3)


def test_duration_field_in_a_pydantic_model() -> None:
    adapter = TypeAdapter(Duration)
    assert adapter.validate_python("2h") == 120.0
    assert adapter.validate_python(15) == 15.0
    with pytest.raises(ValidationError, match="fortnights"):
        adapter.validate_python("5 fortnights")


def test_duration_json_schema_accepts_numbers_and_unit_strings() -> None:
    schema = TypeAdapter(Duration).json_schema()
    kinds = {option["type"] for option in schema["anyOf"]}
    assert kinds == {"number", "string"}
    number = next(o for o in schema["anyOf"] if o["type"] == "number")
    assert number["minimum"] == 0
