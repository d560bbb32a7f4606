"""The reference queue's contract (:class:`models.spec.ModelSpec`)."""

from __future__ import annotations

from models.queue.kpis import KPIS
from models.queue.run import build_queue
from models.queue.scenario import QueueScenario
from models.spec import ModelSpec

__all__ = ["SPEC"]

SPEC = ModelSpec(
    name="queue",
    scenario=QueueScenario,
    build=build_queue,
    summary="Reference M/M/c queue (engine validation against Erlang C)",
    summary_zh="参考 M/M/c 排队模型（以 Erlang C 验证仿真引擎）",
    kpis=KPIS,
)
