"""The reference queue's scenario schema."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from models.scenario import ScenarioBase
from sim.config import StrictModel
from sim.units import Duration

__all__ = ["QueueScenario", "QueueSection"]


class QueueSection(StrictModel):
    """Parameters of the M/M/c queue (times in minutes)."""

    servers: int = Field(ge=1, description="Number of identical servers c.")
    mean_interarrival: Duration = Field(
        gt=0, description="Mean time between arrivals, 1/λ (exponential).")
    mean_service: Duration = Field(gt=0, description="Mean service time, 1/μ (exponential).")
    warmup: Duration = Field(
        default=0.0, description="Arrivals before this time are not counted in wait statistics.")


class QueueScenario(ScenarioBase):
    """A scenario run by the reference queue model."""

    model: Literal["queue"]
    queue: QueueSection

    @model_validator(mode="after")
    def _warmup_inside_horizon(self) -> QueueScenario:
        if self.queue.warmup >= self.horizon:
            raise ValueError("queue.warmup must be shorter than the horizon")
        return self


