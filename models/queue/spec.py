"""The reference queue's contract (:class:`models.spec.ModelSpec`)."""

from __future__ import annotations

from models.queue.kpis import KPIS
from models.queue.run import build_queue
from models.queue.scenario import QueueScenario
from models.spec import ModelSpec, Panel, SeriesSpec

__all__ = ["SPEC"]

SPEC = ModelSpec(
    name="queue",
    scenario=QueueScenario,
    build=build_queue,
    summary="Reference M/M/c queue (engine validation against Erlang C)",
    summary_zh="参考 M/M/c 排队模型（以 Erlang C 验证仿真引擎）",
    kpis=KPIS,
    series=(SeriesSpec("queue_length", "Waiting in queue", "排队人数", "#1f78b4", "queue"),
            SeriesSpec("servers_busy", "Servers busy", "忙碌的服务台", "#d95f02", "servers")),
    panels=(Panel("queue", "Queue", "排队", "Customers waiting", "排队人数", height=1.4),
            Panel("servers", "Servers", "服务台", "Servers busy", "忙碌服务台数", integer=True)),
)
