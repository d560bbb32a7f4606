"""The models drsim can run, keyed by a scenario's ``model`` field.

Adding a model: write its scenario class (a :class:`models.scenario.ScenarioBase` subclass with
``model: Literal["name"]``) and build function, and register both in :data:`MODELS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Union

from pydantic import Field, TypeAdapter

from models.chemical import ChemicalScenario, build_chemical
from models.flood import FloodScenario, build_flood
from models.queueing import QueueScenario, build_queue
from models.scenario import ScenarioBase
from sim.runner import Replication, ReplicationContext

__all__ = ["MODELS", "ModelEntry", "build", "scenario_json_schema"]


@dataclass(frozen=True)
class ModelEntry:
    scenario: type[ScenarioBase]
    build: Callable[[ReplicationContext, Any], Replication]
    summary: str


MODELS: dict[str, ModelEntry] = {
    "flood": ModelEntry(FloodScenario, build_flood,
                        "City-scale flood: hazard, warnings, evacuation, shelters, rescue, "
                        "life loss"),
    "chemical": ModelEntry(ChemicalScenario, build_chemical,
                           "Hazardous-chemical release: plume, warning, shelter in place or "
                           "evacuation, hazmat, EMS"),
    "queue": ModelEntry(QueueScenario, build_queue,
                        "Reference M/M/c queue (engine validation against Erlang C)"),
}


def build(ctx: ReplicationContext, scenario: ScenarioBase) -> Replication:
    """Register the processes of ``scenario``'s model for one replication."""
    return MODELS[scenario.model].build(ctx, scenario)


def scenario_json_schema() -> dict[str, Any]:
    """JSON Schema of a scenario file: the union of every model's scenario class."""
    classes = tuple(entry.scenario for entry in MODELS.values())
    if len(classes) == 1:
        adapter: TypeAdapter[Any] = TypeAdapter(classes[0])
    else:
        union = Union[classes]  # noqa: UP007 (a runtime-built union)
        adapter = TypeAdapter(Annotated[union, Field(discriminator="model")])
    schema = adapter.json_schema(mode="validation")
    schema["title"] = "drsim scenario"
    schema["$comment"] = "Durations: minutes or strings such as '90min', '2h', '1d'."
    return schema
