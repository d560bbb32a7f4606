"""The reference queue's KPI catalogue: what each KPI of :meth:`QueueRun.kpis` means and which
direction is better (None: a context figure, not judged)."""

from __future__ import annotations

from models.kpis import Kpi

__all__ = ["KPIS"]

KPIS: tuple[Kpi, ...] = (
    # Customers counted after the warm-up: set by the arrivals, not by how well they are served.
    Kpi("customers_served", "Customers counted (after warm-up)", "统计服务对象数", "count"),
    Kpi("wait_mean_min", "Mean wait in queue", "平均排队等待时间", "min", better="lower"),
    Kpi("wait_p90_min", "90th-percentile wait", "第90百分位等待时间", "min", better="lower"),
    Kpi("wait_probability", "Share of customers who waited", "需要等待的比例", "share",
        better="lower"),
    Kpi("utilisation", "Server utilisation", "服务台利用率", "share"),
    Kpi("queue_length_mean", "Mean queue length", "平均队长", "count", better="lower"),
    Kpi("wait_mean_erlang_c_min", "Mean wait, Erlang C (analytic)",
        "平均等待时间（Erlang C 解析值）", "min", better="lower"),
)
