"""Fields every scenario has, whatever its model.

A scenario file is TOML. Its top-level ``model`` names the model that runs it (see
:mod:`models.catalog`); that model's scenario class adds its own sections. Durations accept
``"90min"``, ``"2h"``, ``"1d"`` or plain minutes.

A scenario may name data files (e.g. an imported flood field, ``hazard.netcdf``); a relative
path is read from the folder of the scenario file. The loader records that file
(:func:`record_source`): it is where the content came from, not content, so it counts neither
in the canonical hash nor in equality — a moved file with the same content is the same scenario.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, PrivateAttr, model_validator

from sim.config import StrictModel
from sim.units import Duration

__all__ = ["SCHEMA_VERSION", "ScenarioBase", "record_source"]

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
    # The file the scenario was read from (absolute; None: built in code). Not a field.
    _source_file: Path | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _check_times(self) -> ScenarioBase:
        if self.horizon <= 0:
            raise ValueError("horizon must be longer than zero")
        if self.report_every is not None and not 0 < self.report_every <= self.horizon:
            raise ValueError("report_every must be > 0 and no longer than the horizon")
        return self

    def __eq__(self, other: Any) -> bool:
        """Equal validated content (where each was read from does not count, as in the hash)."""
        if not isinstance(other, ScenarioBase):
            return NotImplemented
        return type(self) is type(other) and self.__dict__ == other.__dict__

    __hash__ = StrictModel.__hash__

    @property
    def source_file(self) -> Path | None:
        """The file this scenario was read from (absolute), None for one built in code."""
        return self._source_file

    def data_files(self) -> dict[str, str]:
        """Files this scenario reads, by field path, as written (the loader checks that they
        exist). None by default; a model's scenario class names its own."""
        return {}

    def resolve(self, path: str) -> Path:
        """A file path as written in this scenario: relative paths are read from the scenario
        file's folder (from the working directory for a scenario built in code)."""
        found = Path(path)
        if found.is_absolute() or self._source_file is None:
            return found
        return self._source_file.parent / found


def record_source(scenario: ScenarioBase, path: Path) -> ScenarioBase:
    """Record ``path`` as the file ``scenario`` was read from (made absolute); returns it."""
    scenario._source_file = Path(path).absolute()
    return scenario

