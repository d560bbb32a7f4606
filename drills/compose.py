"""Writing one inject: who sends it (sources), how (modes), the wording of the actions, and
:class:`Composer`, which fills in what every inject of a drill shares (clock time, recipient
role, objective, deadline) so an adapter's templates only say what happened.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from drills.clock import clock_text
from drills.names import Names
from drills.packet import Expected, Inject
from sim.units import format_duration

if TYPE_CHECKING:   # drills.spec loads the adapters, which compose injects with this module
    from drills.spec import DrillSpec

__all__ = ["ACTION_TEXT", "MODES", "SOURCES", "Composer", "t_plus"]

ACTION_TEXT = {
    "warn": ("发布预警", "warn"),
    "evacuate": ("组织转移（撤离）", "evacuate"),
    "shelter_in_place": ("通知就地避险（关闭门窗）", "tell to shelter in place"),
    "open_shelter": ("开放避难场所", "open shelters"),
    "mobilize_team": ("调派救援队伍出动", "mobilize teams"),
    "request_team": ("请求增援（跨区域救援力量）", "request mutual-aid teams"),
    "release_supplies": ("下达物资调拨（储备库发货）", "release depot supplies"),
    "activate_agreement": ("启动协议储备", "activate agreement reserves"),
    "close_road": ("实施交通管制（封闭道路）", "close roads"),
    "reopen_road": ("解除交通管制", "reopen roads"),
}

SOURCES = {
    "hydrology": ("市水文局", "City hydrology bureau"),
    "gauge": ("水文站", "Gauge station"),
    "township": ("乡镇人民政府", "Township government"),
    "call_119": ("119指挥中心", "119 fire-rescue call centre"),
    "call_110": ("110指挥中心", "110 police call centre"),
    "eoc": ("市应急指挥部值班室", "City EOC duty desk"),
    "shelter": ("安置点负责人", "Shelter manager"),
    "depot": ("物资储备库", "Reserve depot"),
    "traffic": ("交警部门", "Traffic police"),
    "detector": ("企业有毒气体报警系统", "Site gas-detector alarm"),
    "monitoring": ("消防侦检组", "Hazmat monitoring team"),
    "hospital": ("120急救指挥中心", "120 EMS dispatch centre"),
    "hazmat": ("现场处置组", "On-scene hazmat team"),
    "controller": ("演练控制组", "Exercise control"),
}

MODES = {
    "phone": ("电话", "phone"),
    "system": ("监测系统推送", "monitoring system"),
    "report": ("书面报告", "written report"),
    "radio": ("对讲机", "radio"),
}


def t_plus(minute: float) -> str:
    """A drill time as ``T+2h30min``."""
    return "T+" + format_duration(round(float(minute)))


@dataclass(frozen=True)
class Composer:
    """Makes the injects of one drill: its spec (recipients, objectives, deadlines), the
    scenario's start (clock times) and how Chinese text names its places."""

    spec: DrillSpec
    start: datetime
    names: Names

    def clock(self, minute: float) -> str:
        return clock_text(self.start, minute)

    def inject(self, minute: float, kind: str, source: str, mode: str, zh: str, en: str,
               synopsis: tuple[str, str], action: str | None = None,
               targets: Sequence[str] = (), item: str | None = None,
               notes: str = "") -> Inject:
        """An inject of ``kind`` at drill ``minute`` from ``source`` by ``mode`` (keys of
        :data:`SOURCES` and :data:`MODES`), its messages and synopsis (Chinese, English); an
        expected ``action`` on ``targets`` (none if no target), which sets the objective and
        the deadline; else the objective of AQ/T 9009 ``item``, if any. Its id is given when
        the MSEL is compiled."""
        spec = self.spec
        targets = [t for t in dict.fromkeys(targets) if t]
        expected = Expected(action=action, targets=targets) if action and targets else None
        objective = spec.objective_for(action) if expected else None
        if objective is None and item is not None:
            objective = next((o for o in spec.objectives if o.item == item), None)
        deadline = minute + spec.contingency.for_action(action) if expected else None
        return Inject(
            id="", minute=round(float(minute), 3), clock=self.clock(minute), kind=kind,
            source=SOURCES[source][0], source_en=SOURCES[source][1],
            recipient=spec.recipient(kind), mode=MODES[mode][0], mode_en=MODES[mode][1],
            synopsis=synopsis[0], synopsis_en=synopsis[1], message=zh, message_en=en,
            expected=expected, objective=objective.id if objective else None,
            deadline=None if deadline is None else round(float(deadline), 3),
            followup_of=None, notes=notes)
