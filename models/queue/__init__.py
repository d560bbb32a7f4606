"""The reference M/M/c queue: the engine's validation model against Erlang C."""

from models.queue.run import QueueRun, build_queue, erlang_c
from models.queue.scenario import QueueScenario, QueueSection

__all__ = ["QueueRun", "QueueScenario", "QueueSection", "build_queue", "erlang_c"]
