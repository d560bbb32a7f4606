"""Uncertain inputs: a number, or a distribution drawn once per replication.

In a scenario file a parameter may be a plain number or a small table naming a distribution::

    peak_stage_m = 48.5
    peak_stage_m = { triangular = [47.0, 48.5, 50.5] }     # low, mode, high
    peak_stage_m = { uniform = [47.0, 50.5] }               # low, high
    peak_stage_m = { normal = [48.5, 0.8] }                 # mean, standard deviation
    peak_stage_m = { lognormal = [0.0, 0.25] }              # mu, sigma of log
    peak_stage_m = { choice = [47.0, 48.5, 50.5], weights = [0.25, 0.5, 0.25] }

Each distribution also has ``ppf(u)`` (inverse CDF), so experiment designs (Latin hypercube,
Sobol) can turn points of the unit cube into parameter values.

:func:`sample` draws from a given numpy Generator (always one of ``sim.Streams``); a plain number
is returned as it is and draws nothing, so fixing a parameter never shifts other draws of its
stream.
"""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
from pydantic import BeforeValidator, Field, ValidationError, model_validator
from scipy import stats

from sim.config import StrictModel

__all__ = ["Triangular", "Uniform", "Normal", "LogNormal", "Choice", "Distribution", "Uncertain",
           "parse_uncertain", "sample", "expected"]


class Triangular(StrictModel):
    triangular: tuple[float, float, float] = Field(description="low, mode, high")

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        low, mode, high = self.triangular
        if not low <= mode <= high or low == high:
            raise ValueError("triangular needs low <= mode <= high and low < high")
        return self

    def draw(self, rng: np.random.Generator) -> float:
        return float(rng.triangular(*self.triangular))

    def ppf(self, u: np.ndarray) -> np.ndarray:
        low, mode, high = self.triangular
        return stats.triang.ppf(u, (mode - low) / (high - low), loc=low, scale=high - low)

    def mean(self) -> float:
        return sum(self.triangular) / 3


class Uniform(StrictModel):
    uniform: tuple[float, float] = Field(description="low, high")

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if not self.uniform[0] < self.uniform[1]:
            raise ValueError("uniform needs low < high")
        return self

    def draw(self, rng: np.random.Generator) -> float:
        return float(rng.uniform(*self.uniform))

    def ppf(self, u: np.ndarray) -> np.ndarray:
        low, high = self.uniform
        return low + np.asarray(u, dtype=float) * (high - low)

    def mean(self) -> float:
        return (self.uniform[0] + self.uniform[1]) / 2


class Normal(StrictModel):
    normal: tuple[float, Annotated[float, Field(gt=0)]] = Field(description="mean, sd")

    def draw(self, rng: np.random.Generator) -> float:
        return float(rng.normal(*self.normal))

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return stats.norm.ppf(u, *self.normal)

    def mean(self) -> float:
        return self.normal[0]


class LogNormal(StrictModel):
    lognormal: tuple[float, Annotated[float, Field(gt=0)]] = Field(
        description="mu, sigma of the underlying normal")

    def draw(self, rng: np.random.Generator) -> float:
        return float(rng.lognormal(*self.lognormal))

    def ppf(self, u: np.ndarray) -> np.ndarray:
        mu, sigma = self.lognormal
        return stats.lognorm.ppf(u, sigma, scale=np.exp(mu))

    def mean(self) -> float:
        mu, sigma = self.lognormal
        return float(np.exp(mu + sigma**2 / 2))


class Choice(StrictModel):
    choice: list[float] = Field(min_length=1, description="possible values")
    weights: list[Annotated[float, Field(ge=0)]] | None = Field(
        default=None, description="relative weights (default equal)")

    @model_validator(mode="after")
    def _weights(self) -> Choice:
        if self.weights is not None:
            if len(self.weights) != len(self.choice):
                raise ValueError("weights must have one entry per choice")
            if sum(self.weights) <= 0:
                raise ValueError("weights must not all be zero")
        return self

    def _p(self) -> np.ndarray | None:
        if self.weights is None:
            return None
        w = np.asarray(self.weights, dtype=float)
        return w / w.sum()

    def draw(self, rng: np.random.Generator) -> float:
        return float(rng.choice(np.asarray(self.choice, dtype=float), p=self._p()))

    def ppf(self, u: np.ndarray) -> np.ndarray:
        p = self._p()
        p = np.full(len(self.choice), 1 / len(self.choice)) if p is None else p
        index = np.searchsorted(np.cumsum(p), np.asarray(u, dtype=float), side="right")
        return np.asarray(self.choice, dtype=float)[np.minimum(index, len(self.choice) - 1)]

    def mean(self) -> float:
        p = self._p()
        values = np.asarray(self.choice, dtype=float)
        return float(values.mean() if p is None else values @ p)


Distribution = Triangular | Uniform | Normal | LogNormal | Choice
_KINDS: dict[str, type[StrictModel]] = {
    "triangular": Triangular, "uniform": Uniform, "normal": Normal, "lognormal": LogNormal,
    "choice": Choice,
}
_EXPECTED = ("a number or a table such as { triangular = [low, mode, high] }, "
             "{ uniform = [low, high] }, { normal = [mean, sd] }, { lognormal = [mu, sigma] } "
             "or { choice = [...], weights = [...] }")


def parse_uncertain(value: Any) -> float | Distribution:
    """A file value as a number or a validated distribution; ValueError with one clear message
    if it is neither (for pydantic validators, e.g. of fields that take only a distribution)."""
    if isinstance(value, bool):
        raise ValueError(f"expected {_EXPECTED}")
    if isinstance(value, int | float | StrictModel):
        return value
    if isinstance(value, dict):
        kinds = [key for key in value if key in _KINDS]
        if len(kinds) == 1:
            try:
                return _KINDS[kinds[0]].model_validate(value)
            except ValidationError as exc:
                first = exc.errors(include_url=False)[0]
                where = ".".join(str(p) for p in first["loc"])
                raise ValueError(f"{kinds[0]}: {where + ': ' if where else ''}"
                                 f"{first['msg'].removeprefix('Value error, ')}") from None
    raise ValueError(f"expected {_EXPECTED}")


Uncertain = Annotated[float | Distribution, BeforeValidator(parse_uncertain)]
"""A parameter that is a number or a distribution table (see the module docstring)."""


def sample(value: Any, rng: np.random.Generator) -> float:
    """One draw of ``value`` (a number is returned unchanged, drawing nothing)."""
    if isinstance(value, int | float):
        return float(value)
    return value.draw(rng)


def expected(value: Any) -> float:
    """The mean of ``value`` (the number itself for a plain number)."""
    if isinstance(value, int | float):
        return float(value)
    return value.mean()
