"""What a KPI is: label (English and Chinese), unit, the plan target it is judged by and which
direction is better.

Model code reports plain ``{name: value}``; each model's catalogue (``models/<name>/kpis.py``,
in its :class:`models.spec.ModelSpec`) says what the names mean, so the CLI, reports and the
dashboard show them readably and mark targets met or missed. Targets come from
``shared/domain/PLAN-TARGETS.md``; KPIs without a plan target have ``target=None``.

A catalogue entry whose name holds ``{item}`` (e.g. ``unmet_person_hours_{item}``) describes a
family of KPIs a model names at run time, one per relief item; :func:`describe` fills it in.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace

__all__ = ["BETTER", "DEATHS", "DEATHS_EXPECTED", "KPIS", "Kpi", "POPULATION", "Target",
           "UNITS_ZH", "describe", "find", "parse_target"]

BETTER = ("lower", "higher", None)

# Chinese names of the units KPIs are reported in (a unit not listed shows as written).
UNITS_ZH = {"people": "人", "share": "比例", "min": "分钟", "h": "小时", "count": "次",
            "per million": "每百万人", "m²": "平方米", "person-min": "人·分钟",
            "person-h": "人·小时", "m": "米"}


@dataclass(frozen=True)
class Target:
    """A plan target such as "< 10 h": ``op`` is one of <, <=, >, >=."""

    op: str
    value: float
    source: str = ""

    _OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}

    def met(self, value: float) -> bool:
        return bool(self._OPS[self.op](value, self.value))

    @property
    def better(self) -> str:
        """"lower" for < and <= targets, "higher" for > and >=."""
        return "lower" if self.op in ("<", "<=") else "higher"

    def __str__(self) -> str:
        return f"{self.op} {self.value:g}"


_TARGET = re.compile(r"^\s*(<=|>=|<|>)\s*([-+0-9.eE]+)\s*$")


def parse_target(value: object) -> Target | None:
    """A target as written in specs, "< 10" or ">= 0.9" (None and Targets pass through); a
    pydantic BeforeValidator for experiment and drill specs."""
    if value is None or isinstance(value, Target):
        return value
    match = _TARGET.match(str(value))
    if not match:
        raise ValueError('expected a target such as "< 10" or ">= 0.9"')
    return Target(match.group(1), float(match.group(2)))


@dataclass(frozen=True)
class Kpi:
    """A KPI's catalogue entry. ``better``: "lower" or "higher" is better; None for a context
    figure that is not judged (sizes, utilisations, where supplies came from, counterfactuals).
    A ``name`` with ``{item}`` is a family (see the module docstring)."""

    name: str
    label: str
    label_zh: str
    unit: str
    target: Target | None = None
    better: str | None = None

    def __post_init__(self) -> None:
        if self.better not in BETTER:
            raise ValueError(f"KPI {self.name}: better must be 'lower', 'higher' or None")
        if self.target is not None and self.better != self.target.better:
            raise ValueError(f"KPI {self.name}: target {self.target} means {self.target.better} "
                             f"is better, not {self.better}")

    @property
    def is_family(self) -> bool:
        return "{item}" in self.name

    def label_in(self, lang: str) -> str:
        return self.label_zh if lang == "zh" else self.label

    def instance(self, name: str, item_zh: Mapping[str, str] | None = None) -> Kpi | None:
        """This family's entry for the KPI ``name`` (labels with the item filled in; Chinese
        from ``item_zh`` where it has the item), or None if ``name`` is not of the family."""
        item = match_template(self.name, name)
        if item is None:
            return None
        zh = (item_zh or {}).get(item, item)
        return replace(self, name=name, label=self.label.format(item=item),
                       label_zh=self.label_zh.format(item=zh))


def match_template(template: str, name: str) -> str | None:
    """The ``{item}`` part of ``name`` if it fits ``template`` (e.g. "depot_stock_{item}"),
    else None; a template without ``{item}`` matches nothing."""
    if "{item}" not in template:
        return None
    head, _, tail = template.partition("{item}")
    if len(name) > len(head) + len(tail) and name.startswith(head) and name.endswith(tail):
        return name[len(head): len(name) - len(tail)]
    return None


# KPIs several models report, defined once so that their catalogues agree.
POPULATION = Kpi("population", "Population of the region", "区域人口", "people")
DEATHS = Kpi("deaths", "Deaths", "死亡人数", "people", better="lower")
DEATHS_EXPECTED = Kpi("deaths_expected", "Deaths, expected value", "死亡人数（期望值）", "people",
                      better="lower")


def find(name: str, model: str | None = None) -> Kpi | None:
    """The catalogue entry for KPI ``name``: from ``model``'s spec if given, else from the first
    registered model that knows it; None if none does."""
    from models.catalog import MODELS  # the catalogue imports the specs, which import this

    specs = [MODELS[model]] if model is not None and model in MODELS else list(MODELS.values())
    for spec in specs:
        kpi = spec.kpi(name)
        if kpi is not None:
            return kpi
    return None


def describe(name: str, model: str | None = None) -> Kpi:
    """As :func:`find`, but a plain entry (label = name, no unit, not judged) for a KPI no
    catalogue knows."""
    kpi = find(name, model)
    return kpi if kpi is not None else Kpi(name, name.replace("_", " "), name, "")


class _Catalogue(Mapping[str, Kpi]):
    """A read-only view of every registered model's KPI catalogue (the exact names; families
    through :func:`describe`), built from the specs when read."""

    def _table(self) -> dict[str, Kpi]:
        from models.catalog import MODELS

        table: dict[str, Kpi] = {}
        for spec in MODELS.values():
            for kpi in spec.kpis:
                if not kpi.is_family:
                    table.setdefault(kpi.name, kpi)
        return table

    def __getitem__(self, name: str) -> Kpi:
        return self._table()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._table())

    def __len__(self) -> int:
        return len(self._table())


KPIS: Mapping[str, Kpi] = _Catalogue()
"""Every registered model's catalogued KPIs by name (read-only, derived from the specs); kept for
drills until they read ``spec.kpis``. New code: :func:`describe` or ``spec_for(...).kpi(name)``."""
