"""Levers: what a leader or an experiment can change in a scenario, declared once per model.

A lever is one thing a bureau can fund or decide — units per rescue tier, a warning channel's
reach, which shelters open, depot stock, hazmat teams, the instruction to the public. A model's
spec lists its levers for a scenario (``ModelSpec.levers(scenario)``, the scenario's own values
as defaults); :func:`apply_levers` returns a new, validated scenario with chosen values. The
dashboard shows them as widgets; an experiment option sets them by key
(``levers = { "teams.comprehensive_county.units" = 70 }``). Nothing here draws random numbers
or runs a model.

The warning-channel levers are shared by every model with a ``[warnings]`` section
(:func:`warning_levers`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from models.scenario import ScenarioBase
from sim.config import validate

__all__ = ["GROUPS", "KINDS", "Cost", "Lever", "LeverGroup", "apply_levers", "check_value",
           "levers_for", "name_zh", "share_out", "warning_levers"]

KINDS = ("int", "float", "percent", "bool", "choice", "multi")


@dataclass(frozen=True)
class LeverGroup:
    """A tab of levers: key and labels (EN/中文)."""

    key: str
    label_en: str
    label_zh: str

    def label(self, lang: str) -> str:
        return self.label_zh if lang == "zh" else self.label_en


GROUPS: dict[str, LeverGroup] = {g.key: g for g in (
    LeverGroup("teams", "Rescue teams", "救援队伍"),
    LeverGroup("warnings", "Warning channels", "预警发布渠道"),
    LeverGroup("shelters", "Shelters", "避难场所"),
    LeverGroup("supplies", "Relief supplies", "救灾物资"),
    LeverGroup("hazmat", "Hazmat and medical response", "危化品处置与医疗救治"),
)}


@dataclass(frozen=True)
class Cost:
    """What one more unit of a lever costs (CNY), with the published source of the figure."""

    cny_per_unit: float
    source: str
    yearly_cny_per_unit: float = 0.0


Apply = Callable[[dict[str, Any], Any], None]


@dataclass(frozen=True)
class Lever:
    """One control. ``kind``: "int", "float" (a slider), "percent" (a slider in %, applied as a
    factor), "bool", "choice" or "multi" (a multiselect of ``options``, whose labels are
    ``option_en``/``option_zh`` when given). ``apply(data, value)`` writes the value into a
    scenario's ``model_dump(mode="json")``. ``low``/``high``/``step`` are the widget's range.
    ``cost``: CNY per unit added, None where no published figure exists."""

    key: str
    group: LeverGroup
    label_en: str
    label_zh: str
    kind: str
    default: Any
    apply: Apply = field(repr=False, compare=False)
    unit_en: str = ""
    unit_zh: str = ""
    low: float = 0.0
    high: float = 1.0
    step: float = 1.0
    options: tuple[str, ...] = ()
    option_en: tuple[str, ...] = ()
    option_zh: tuple[str, ...] = ()
    cost: Cost | None = None
    help_en: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"lever {self.key}: kind must be one of {', '.join(KINDS)}")
        for labels in (self.option_en, self.option_zh):
            if labels and len(labels) != len(self.options):
                raise ValueError(f"lever {self.key}: one option label per option")

    def label(self, lang: str) -> str:
        return self.label_zh if lang == "zh" else self.label_en

    def unit(self, lang: str) -> str:
        return self.unit_zh if lang == "zh" else self.unit_en

    def option_label(self, option: str, lang: str) -> str:
        """The label of one of ``options`` in ``lang`` (the option itself without labels)."""
        labels = self.option_zh if lang == "zh" else self.option_en
        if option in self.options and labels:
            return labels[self.options.index(option)]
        return option


def check_value(lever: Lever, value: Any) -> Any:
    """``value`` as the lever's kind takes it; ValueError naming what was expected otherwise."""
    kind = lever.kind
    if kind == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"expected true or false, got {value!r}")
        return value
    if kind in ("int", "float", "percent"):
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(
                value):
            raise ValueError(f"expected a number, got {value!r}")
        if kind == "int" and value != int(value):
            raise ValueError(f"expected a whole number, got {value!r}")
        if value < lever.low:
            raise ValueError(f"expected at least {lever.low:g}, got {value!r}")
        return int(value) if kind == "int" else float(value)
    if kind == "choice":
        if value not in lever.options:
            raise ValueError(f"expected one of {', '.join(map(repr, lever.options))}, got "
                             f"{value!r}")
        return value
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise ValueError(f"expected a list of {', '.join(map(repr, lever.options))}")
    unknown = [v for v in value if v not in lever.options]
    if unknown:
        raise ValueError(f"unknown {unknown[0]!r}; expected some of "
                         f"{', '.join(map(repr, lever.options))}")
    return tuple(value)


def levers_for(scenario: ScenarioBase) -> list[Lever]:
    """The levers of ``scenario``, from its model's spec (its own values as defaults)."""
    from models.catalog import spec_for  # the catalogue imports the specs, which import this

    return list(spec_for(scenario).levers(scenario))


def apply_levers(scenario: ScenarioBase, values: Mapping[str, Any]) -> ScenarioBase:
    """A new, validated scenario: ``scenario`` with the lever values in ``values`` (by lever
    key; keys not given keep the scenario's value). Unknown keys raise KeyError; a value of the
    wrong kind raises ValueError naming the lever."""
    levers = {lever.key: lever for lever in levers_for(scenario)}
    unknown = sorted(set(values) - set(levers))
    if unknown:
        raise KeyError(f"unknown levers {unknown}")
    checked = {}
    for key, value in values.items():
        try:
            checked[key] = check_value(levers[key], value)
        except ValueError as exc:
            raise ValueError(f"lever {key}: {exc}") from None
    changed = {k: v for k, v in checked.items() if _differs(v, levers[k].default)}
    if not changed:
        return scenario
    data = scenario.model_dump(mode="json")
    # Percent levers scale what the others set: apply them last, in a fixed order.
    for key in sorted(changed, key=lambda k: (levers[k].kind == "percent", k)):
        lever = levers[key]
        value = changed[key]
        lever.apply(data, list(value) if lever.kind == "multi" else value)
    return validate(type(scenario), data, f"scenario {scenario.name!r} with levers")


def _differs(value: Any, default: Any) -> bool:
    if isinstance(value, tuple):
        return value != tuple(default)
    return bool(value != default)


def share_out(total: int, weights: list[int]) -> list[int]:
    """``total`` units shared over entries in proportion to ``weights`` (largest remainder;
    equal shares when all weights are zero)."""
    if not weights:
        return []
    w = [float(x) for x in weights] if sum(weights) > 0 else [1.0] * len(weights)
    exact = [total * x / sum(w) for x in w]
    counts = [math.floor(x) for x in exact]
    order = sorted(range(len(w)), key=lambda i: (counts[i] - exact[i], i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


# --- names in Chinese ----------------------------------------------------------------------

# Warning channels as scenarios name them, in the wording of Chinese warning plans.
_CHANNELS_ZH = {
    "cell broadcast / sms": "手机短信/小区广播", "cell broadcast": "小区广播",
    "sms": "手机短信", "tv and radio": "广播电视", "tv": "电视", "radio": "广播",
    "sirens": "警报器", "sirens and loudspeakers": "警报器和高音喇叭",
    "loudspeakers": "高音喇叭", "village loudspeakers": "乡村大喇叭",
    "word of mouth": "口口相传", "door to door": "入户通知",
}
_CJK = re.compile(r"[\u3400-\u9fff]")
_IN_BRACKETS = re.compile(r"[(（]([^()（）]*[\u3400-\u9fff][^()（）]*)[)）]")


def name_zh(name: str, vocabulary: Mapping[str, str] = _CHANNELS_ZH) -> str:
    """A scenario's name for a thing, in Chinese: the Chinese in brackets if it has one
    ("village loudspeakers (乡村大喇叭)"), the name itself if it is Chinese, else the fixed
    vocabulary's word (warning channels by default), else the name as written."""
    bracketed = _IN_BRACKETS.search(name)
    if bracketed:
        return bracketed.group(1).strip()
    if _CJK.search(name):
        return name
    return vocabulary.get(name.strip().lower(), name)


# --- shared levers -------------------------------------------------------------------------

def warning_levers(data: Mapping[str, Any]) -> list[Lever]:
    """The levers of a scenario's ``[warnings]`` section (``data``: its JSON dump): each
    channel's reach by day and at night, door-to-door officers."""
    section = data.get("warnings") or {}
    group = GROUPS["warnings"]
    levers = []
    for i, channel in enumerate(section.get("channels", [])):
        name = channel["name"]
        zh = name_zh(name)
        for which, en, when_zh in (("reach_day", "reach by day", "白天覆盖率"),
                                   ("reach_night", "reach at night", "夜间覆盖率")):
            def set_reach(d: dict, value: float, i: int = i, which: str = which) -> None:
                d["warnings"]["channels"][i][which] = float(value)

            levers.append(Lever(f"warnings.{i}.{which}", group, f"{name}: {en}",
                                f"{zh}：{when_zh}", "float", float(channel[which]), set_reach,
                                "share of people", "人口比例", 0.0, 1.0, 0.01))
    d2d = section.get("door_to_door")
    if d2d:
        def set_workers(d: dict, value: int) -> None:
            d["warnings"]["door_to_door"]["workers"] = int(value)

        workers = int(d2d["workers"])
        levers.append(Lever("warnings.door_to_door.workers", group,
                            "Door-to-door officers (grid workers, information officers)",
                            "入户预警人员（网格员、灾害信息员）", "int", workers, set_workers,
                            "people", "人", 0, max(4 * workers, 100), 1))
    return levers
