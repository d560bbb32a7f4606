"""Model validators that check several fields report each problem on its own located line."""

import pytest
from pydantic import model_validator

from sim.config import ConfigError, StrictModel, validate


class Item(StrictModel):
    id: str
    parent: str | None = None


class Catalogue(StrictModel):
    items: list[Item]

    @model_validator(mode="after")
    def _parents_exist(self) -> "Catalogue":
        known = {i.id for i in self.items}
        problems = [f"items[{k}].parent: unknown item {i.parent!r}"
                    for k, i in enumerate(self.items) if i.parent and i.parent not in known]
        if problems:
            raise ValueError("; ".join(problems))
        return self


TEXT = """\
[[items]]
id = "a"

[[items]]
id = "b"
parent = "x"

[[items]]
id = "c"
parent = "y"
"""


def test_each_part_becomes_a_located_problem():
    data = {"items": [{"id": "a"}, {"id": "b", "parent": "x"}, {"id": "c", "parent": "y"}]}
    with pytest.raises(ConfigError) as caught:
        validate(Catalogue, data, "cat.toml", TEXT)
    problems = caught.value.problems
    assert [(p.path, p.line, p.message) for p in problems] == [
        ("items[1].parent", 6, "unknown item 'x'"),
        ("items[2].parent", 10, "unknown item 'y'"),
    ]
    assert str(caught.value) == ("cat.toml:6: items[1].parent: unknown item 'x' "
                                 "(and 1 more problem)")


class Plain(StrictModel):
    low: int
    high: int

    @model_validator(mode="after")
    def _ordered(self) -> "Plain":
        if self.low > self.high:
            raise ValueError("low must not exceed high")
        return self


def test_a_message_without_paths_stays_whole_and_does_not_quote_the_table():
    with pytest.raises(ConfigError) as caught:
        validate(Plain, {"low": 3, "high": 1}, "p.toml", "low = 3\nhigh = 1\n")
    (problem,) = caught.value.problems
    assert (problem.path, problem.message) == ("", "low must not exceed high")
