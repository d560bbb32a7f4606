"""What each KPI means: label (English and Chinese), unit, and the plan target it is judged by.

Model code reports plain ``{name: value}``; this catalogue lets the CLI, reports and dashboard show
them readably and mark targets met or missed. Targets come from
``shared/domain/PLAN-TARGETS.md``; KPIs without a plan target have ``target=None``.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass

__all__ = ["Kpi", "Target", "KPIS", "describe"]


@dataclass(frozen=True)
class Target:
    """A plan target such as "< 10 h": ``op`` is one of <, <=, >, >=."""

    op: str
    value: float
    source: str = ""

    _OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}

    def met(self, value: float) -> bool:
        return bool(self._OPS[self.op](value, self.value))

    def __str__(self) -> str:
        return f"{self.op} {self.value:g}"


@dataclass(frozen=True)
class Kpi:
    name: str
    label: str
    label_zh: str
    unit: str
    target: Target | None = None


KPIS: dict[str, Kpi] = {
    k.name: k
    for k in [
        Kpi("customers_served", "Customers counted (after warm-up)", "统计服务对象数", "count"),
        Kpi("wait_mean_min", "Mean wait in queue", "平均排队等待时间", "min"),
        Kpi("wait_p90_min", "90th-percentile wait", "第90百分位等待时间", "min"),
        Kpi("wait_probability", "Share of customers who waited", "需要等待的比例", "share"),
        Kpi("utilisation", "Server utilisation", "服务台利用率", "share"),
        Kpi("queue_length_mean", "Mean queue length", "平均队长", "count"),
        Kpi("wait_mean_erlang_c_min", "Mean wait, Erlang C (analytic)",
            "平均等待时间（Erlang C 解析值）", "min"),
    ]
}


def describe(name: str) -> Kpi:
    """The catalogue entry for ``name``, or a plain one if the KPI is not catalogued."""
    return KPIS.get(name) or Kpi(name, name.replace("_", " "), name, "")
