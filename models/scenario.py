"""Fields every scenario has, whatever its model.

A scenario file is TOML. Its top-level ``model`` names the model that runs it (see
:mod:`models.catalog`); that model's scenario class adds its own sections. Durations accept
``"90min"``, ``"2h"``, ``"1d"`` or plain minutes.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from sim.config import StrictModel
from sim.units import Duration

__all__ = ["SCHEMA_VERSION", "ScenarioBase"]

SCHEMA_VERSION = 1
"""Version of the scenario file format; bumped on any incompatible change."""


class ScenarioBase(StrictModel):
    """Common scenario fields. Subclasses fix ``model`` to a literal and add sections."""

    schema_version: Literal[1] = Field(
        description="Scenario file format version; this drsim reads version 1.")
    name: str = Field(min_length=1, description="Short identifier, e.g. 'zhumadian-flood'.")
    title: str = Field(default="", description="One-line human title.")
    description: str = Field(default="", description="What the scenario represents and why.")
    model: str = Field(description="Which model runs this scenario (see `drsim list`).")
    horizon: Duration = Field(description="Simulated time span (e.g. '72h').")
    report_every: Duration | None = Field(
        default=None, description="Step of the reported time series; default horizon / 100.")
    seed: int = Field(default=1, ge=0, description="Default root seed (overridden by --seed).")

    @model_validator(mode="after")
    def _check_times(self) -> ScenarioBase:
        if self.horizon <= 0:
            raise ValueError("horizon must be longer than zero")
        if self.report_every is not None and not 0 < self.report_every <= self.horizon:
            raise ValueError("report_every must be > 0 and no longer than the horizon")
        return self
