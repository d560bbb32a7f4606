"""The models drsim can run, keyed by a scenario's ``model`` field: name -> :class:`ModelSpec`.

Adding a model: a package ``models/<name>/`` with its scenario class (a
:class:`models.scenario.ScenarioBase` subclass with ``model: Literal["name"]``), its build
function and its ``spec.py`` (:class:`models.spec.ModelSpec`), registered in :data:`MODELS`
here, or at run time with :func:`register` (a plug-in, or a test's toy model).
"""

from __future__ import annotations

from typing import Annotated, Any, Union

from pydantic import Field, TypeAdapter

from models.chemical.spec import SPEC as CHEMICAL
from models.flood.spec import SPEC as FLOOD
from models.queue.spec import SPEC as QUEUE
from models.scenario import ScenarioBase
from models.spec import ModelSpec
from sim.runner import Replication, ReplicationContext

__all__ = ["MODELS", "ModelSpec", "build", "register", "scenario_json_schema", "spec_for",
           "unregister"]

MODELS: dict[str, ModelSpec] = {spec.name: spec for spec in (FLOOD, CHEMICAL, QUEUE)}


def register(spec: ModelSpec) -> None:
    """Add ``spec`` to the catalogue (its name must be new)."""
    if spec.name in MODELS:
        raise ValueError(f"a model named {spec.name!r} is already registered")
    MODELS[spec.name] = spec


def unregister(name: str) -> None:
    """Remove a model added with :func:`register` (tests)."""
    MODELS.pop(name, None)


def spec_for(scenario: ScenarioBase | str) -> ModelSpec:
    """The spec of a scenario's model (or of a model name)."""
    name = scenario if isinstance(scenario, str) else scenario.model
    return MODELS[name]


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
