"""sim.distributions: a file value is a number or a distribution table; numbers draw nothing;
each distribution's ppf and mean agree with its draws."""

from __future__ import annotations

import numpy as np
import pytest

from sim.distributions import (
    Choice,
    LogNormal,
    Normal,
    Triangular,
    Uniform,
    expected,
    parse_uncertain,
    sample,
)


@pytest.mark.parametrize("value", [48.5, 3])
def test_a_number_stays_a_number(value):
    assert parse_uncertain(value) == value


@pytest.mark.parametrize("table, kind", [
    ({"triangular": [47.0, 48.5, 50.5]}, Triangular), ({"uniform": [1, 2]}, Uniform),
    ({"normal": [0, 1]}, Normal), ({"lognormal": [0, 0.25]}, LogNormal),
    ({"choice": [1, 2], "weights": [1, 3]}, Choice),
])
def test_a_table_names_its_distribution(table, kind):
    assert isinstance(parse_uncertain(table), kind)


@pytest.mark.parametrize("value, message", [
    (True, "expected a number or a table"),
    ("48.5", "expected a number or a table"),
    ({"beta": [1, 2]}, "expected a number or a table"),
    ({"triangular": [3, 2, 1]}, "triangular: triangular needs low <= mode <= high"),
    ({"normal": [0, -1]}, "normal: normal.1: Input should be greater than 0"),
    ({"choice": [1, 2], "weights": [1]}, "choice: weights must have one entry per choice"),
])
def test_anything_else_is_one_clear_message(value, message):
    with pytest.raises(ValueError, match="^" + message.replace(".", r"\.")):
        parse_uncertain(value)


def test_a_number_draws_nothing_from_its_stream():
    rng, untouched = np.random.default_rng(1), np.random.default_rng(1)
    assert sample(2.5, rng) == 2.5
    assert rng.random() == untouched.random()


@pytest.mark.parametrize("table", [
    {"triangular": [0.0, 1.0, 4.0]}, {"uniform": [2.0, 6.0]}, {"normal": [3.0, 0.5]},
    {"lognormal": [0.0, 0.25]}, {"choice": [1.0, 2.0, 5.0], "weights": [0.5, 0.3, 0.2]},
])
def test_mean_and_ppf_agree_with_the_draws(table):
    dist = parse_uncertain(table)
    rng = np.random.default_rng(7)
    draws = np.array([sample(dist, rng) for _ in range(20_000)])
    assert draws.mean() == pytest.approx(expected(dist), rel=0.02)
    # Sorted draws against the inverse CDF at the same plotting positions.
    u = (np.arange(1, 10) / 10)
    assert np.quantile(draws, u) == pytest.approx(dist.ppf(u), rel=0.05, abs=0.05)
