"""Scoring a drill: replay the recorded decisions into the sealed scenario and compare.

The participants are the commanders: their decisions become the scenario's ``[orders]`` with
``replaces_plan = true`` (what they did not order did not happen; the dispatcher's automatic
sending of local units to calls stays) and the scenario is run again with the sealed seed —
replication 0 is the hidden run's randomness, further replications ``1..n-1`` are paired
replays with the same root seed. It is compared with

* the **baseline**: the plan's built-in response (no orders), same seed and replications;
* optionally the **best option of an experiment** (``--experiment RESULTS``): that option's
  capability overrides applied to the sealed scenario, plan response, same seed.

Per objective of the drill spec the report rates 优/良/中/差 (excellent/good/fair/poor), grouped
by the AQ/T 9009-2015 evaluation items, by this rule (:data:`RULES`):

* *timeliness* T: the share of the objective's expected actions (injects with an expected
  action testing it) whose every target was ordered by the inject's deadline; *completion* C:
  the share ordered by the end of the drill;
* each of the objective's KPIs (those the scenario has) is *worse* than the baseline when the
  paired mean difference is worse by more than 1 % of the baseline mean (direction from the
  model's KPI catalogue, ``Kpi.better``; where that gives none, from the plan target, else from
  the KPI's name as in experiments/analysis.py, with harm and load counted lower-better and
  context figures such as population or utilisation not judged: :func:`direction`); a KPI with
  a plan target is *met* when the drill's mean meets it;
* 优: T ≥ 90 %, no KPI worse than the baseline, every targeted KPI met;
  良: T ≥ 60 %, no KPI worse; 中: C ≥ 50 % and at most half the KPIs worse; 差: otherwise.
  An objective no inject of this drill tested (no expected action) is *not tested*; its KPIs
  are still reported.
* the overall rating is the mean of the objectives' points (优 4, 良 3, 中 2, 差 1), rounded
  down.

Same folder, key, decisions and replications: the same score (the runs are deterministic).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from drills.clock import Clock, clock_text
from drills.compose import ACTION_TEXT
from drills.decisions import order_problem
from drills.injects import SATISFIES
from drills.packet import Inject, TimedDecision
from drills.seal import read_commitment
from drills.session import Drill
from drills.spec import AQT_ITEMS, DrillSpec
from experiments.analysis import better_direction
from models.catalog import spec_for
from models.kpis import describe
from models.loading import with_overrides
from models.scenario import ScenarioBase
from models.spec import ModelSpec
from sim.config import ConfigError
from sim.runner import run_replication

__all__ = ["RATINGS", "RULES", "ScoreReport", "best_option", "direction", "score_drill"]

RATINGS = {4: ("优", "excellent"), 3: ("良", "good"), 2: ("中", "fair"), 1: ("差", "poor")}
TOLERANCE = 0.01   # a KPI is "worse" by more than 1 % of the baseline mean

RULES = {
    "zh": ["及时率T：该目标下各注入的期望行动在时限内对全部对象下达的比例；"
           "完成率C：演练结束前下达的比例。",
           "指标与基准（预案自动响应，同一随机种子）配对比较：差于基准超过基准均值的1%即为“劣于基准”。",
           "优：T≥90%，无指标劣于基准，且有规划目标的指标均达标；良：T≥60%，无指标劣于基准；"
           "中：C≥50%，劣于基准的指标不超过一半；差：其他。本次演练没有注入检验的目标为"
           "“未检验”（仍列出其指标）。",
           "总体评定：各目标得分（优4、良3、中2、差1）的平均值向下取整。"],
    "en": ["Timeliness T: share of the objective's expected actions ordered for every target by "
           "the inject's deadline; completion C: share ordered by the end of the drill.",
           "KPIs are paired with the baseline (the plan's own response, same seed): worse by "
           "more than 1 % of the baseline mean counts as worse than the baseline.",
           "Excellent: T >= 90 %, no KPI worse than the baseline, every KPI with a plan target "
           "met; good: T >= 60 %, no KPI worse; fair: C >= 50 % and at most half the KPIs worse; "
           "poor: otherwise. An objective no inject of this drill tested is not tested (its "
           "KPIs are still shown).",
           "Overall: mean of the objectives' points (excellent 4, good 3, fair 2, poor 1), "
           "rounded down."],
}

def direction(kpi: str, model: ModelSpec | None = None) -> int:
    """+1 if higher is better, -1 if lower is, 0 for context figures not judged: the drilled
    model's catalogue says (``Kpi.better`` of ``model.kpis``); where it gives none, the
    registered catalogues and then the name heuristic do (:func:`better_direction`, the rule
    experiments use)."""
    entry = model.kpi(kpi) if model is not None else None
    if entry is not None and entry.better is not None:
        return 1 if entry.better == "higher" else -1
    return better_direction(kpi)


@dataclass
class ScoreReport:
    """The score as plain data (``data``, also written as score.json) and where the report
    went (``out``, when written)."""

    data: dict[str, Any]
    out: Path | None = None
    files: list[Path] = field(default_factory=list)

    @property
    def overall(self) -> dict[str, Any]:
        return self.data["overall"]


# --- runs -------------------------------------------------------------------------------------


def _run(scenario: ScenarioBase, seed: int, reps: int) -> list[dict[str, float]]:
    build = spec_for(scenario).build
    return [run_replication(build, scenario, k, seed, scenario.horizon).kpis
            for k in range(reps)]


def _with_orders(scenario: ScenarioBase, orders: list[dict[str, Any]]) -> ScenarioBase:
    return with_overrides(scenario, {"orders": {"replaces_plan": True, "orders": orders}})


def _order(decision: TimedDecision) -> dict[str, Any]:
    return {"at": float(decision.minute), "action": decision.action,
            "targets": list(decision.targets), "by": decision.role, "note": decision.note}


def replay_orders(scenario: ScenarioBase, decisions: list[TimedDecision]
                  ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Decisions as orders the sealed scenario accepts, and those set aside (with why)."""
    everything = [_order(d) for d in decisions]
    try:   # one validation when every decision applies (the usual case)
        _with_orders(scenario, everything)
        return everything, []
    except ConfigError:
        pass
    orders, aside = [], []
    for d in decisions:
        problem = order_problem(scenario, d.action, list(d.targets), float(d.minute))
        if problem is None:
            orders.append(_order(d))
        else:
            aside.append(_set_aside(d, problem))
    return orders, aside


def _set_aside(decision: TimedDecision, reason: str) -> dict[str, Any]:
    return {**decision.model_dump(mode="json"), "reason": reason}


def best_option(folder: str | Path) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(name, overrides, manifest) of the best option of a stored experiment: the highest
    share of replications meeting every outcome target (satisficing), ties broken by the first
    outcome's mean in its better direction."""
    from experiments.analysis import kpi_summary, robustness
    from experiments.spec import ExperimentSpec
    from experiments.store import ResultStore
    from sim.config import validate

    store = ResultStore(folder)
    manifest = store.read_manifest()
    if manifest is None:
        raise ConfigError.single(str(folder), "", "no manifest.json (not an experiment result "
                                 "folder)")
    spec = validate(ExperimentSpec, manifest["spec"], f"{folder}/manifest.json")
    table = store.table()
    if table.empty:
        raise ConfigError.single(str(folder), "", "holds no results yet")
    robust = robustness(table, spec)
    satisficing = (robust.groupby("option")["satisficing"].first() if not robust.empty
                   else None)
    first = spec.outcomes[0].kpi
    summary = kpi_summary(table, spec)
    means = summary[summary["kpi"] == first].set_index("option")["mean"]
    sign = better_direction(first, spec.outcomes[0].resolved_target())

    def key(name: str) -> tuple[float, float]:
        sat = satisficing.get(name, np.nan) if satisficing is not None else np.nan
        mean = means.get(name, np.nan)
        return (-1.0 if np.isnan(sat) else float(sat),
                -math.inf if np.isnan(mean) else float(mean) * sign)

    names = [o.name for o in spec.options]
    best = max(names, key=key)
    option = next(o for o in spec.options if o.name == best)
    return best, dict(option.overrides), manifest


# --- comparison -------------------------------------------------------------------------------


def _mean(values: list[float]) -> float:
    array = np.asarray(values, dtype=float)
    array = array[~np.isnan(array)]
    if array.size == 0:
        return math.nan
    if np.isinf(array).any():
        return float(array[np.isinf(array)][0]) if np.all(
            np.sign(array[np.isinf(array)]) == np.sign(array[np.isinf(array)][0])) else math.nan
    return float(array.mean())


def _paired(drill: list[float], base: list[float], direction: int) -> dict[str, Any]:
    """Mean paired difference (drill - baseline) and whether the drill is worse."""
    d, b = np.asarray(drill, dtype=float), np.asarray(base, dtype=float)
    keep = ~(np.isnan(d) | np.isnan(b)) & ~(np.isinf(d) & np.isinf(b) & (d == b))
    if not keep.any():
        equal = bool(np.all((d == b) | (np.isnan(d) & np.isnan(b))))
        return {"difference": 0.0 if equal else math.nan, "worse": False, "better": False,
                "n": 0}
    with np.errstate(invalid="ignore"):
        diff = d[keep] - b[keep]
    mean = _mean(list(diff))
    scale = abs(_mean(list(b[keep])))
    tol = TOLERANCE * scale if math.isfinite(scale) else 0.0
    signed = mean * direction if not math.isnan(mean) else math.nan
    return {"difference": mean, "worse": bool(signed < -tol - 1e-12),
            "better": bool(signed > tol + 1e-12), "n": int(keep.sum())}


def _kpi_rows(runs: dict[str, list[dict[str, float]]], model: ModelSpec,
              spec: DrillSpec) -> list[dict[str, Any]]:
    names = list(runs["drill"][0]) if runs["drill"] else []
    headline = [k for k in model.headline if k in names]
    objective_kpis = [k for o in spec.objectives for k in o.kpis if k in names]
    order = list(dict.fromkeys(headline + objective_kpis + names))
    rows = []
    for kpi in order:
        info = describe(kpi)
        target = info.target
        sign = direction(kpi, model)
        values = {name: [r.get(kpi, math.nan) for r in reps] for name, reps in runs.items()}
        row = {"kpi": kpi, "label": info.label, "label_zh": info.label_zh, "unit": info.unit,
               "headline": kpi in headline, "direction": sign,
               "target": str(target) if target else None,
               **{name: _mean(v) for name, v in values.items()},
               "vs_baseline": _paired(values["drill"], values["baseline"], sign)}
        if "option" in values:
            row["vs_option"] = _paired(values["drill"], values["option"], sign)
        if target is not None and not math.isnan(row["drill"]):
            row["drill_met"] = target.met(row["drill"])
            row["baseline_met"] = (target.met(row["baseline"])
                                   if not math.isnan(row["baseline"]) else None)
        rows.append(row)
    return rows


def _expected_actions(msel: list[Inject], decisions: list[TimedDecision]
                      ) -> list[dict[str, Any]]:
    """For each inject with an expected action: when its targets were ordered, how late."""
    out = []
    for inject in msel:
        expected = inject.expected
        if inject.followup_of or expected is None or inject.deadline is None:
            continue
        accept = SATISFIES.get(expected.action, {expected.action})
        first: dict[str, float] = {}
        for d in sorted(decisions, key=lambda d: d.minute):
            if d.action in accept:
                for t in d.targets:
                    if t in expected.targets and t not in first:
                        first[t] = float(d.minute)
        missing = [t for t in expected.targets if t not in first]
        done_at = max(first.values()) if not missing and first else None
        on_time = done_at is not None and done_at <= inject.deadline + 1e-9
        out.append({"inject": inject.id, "minute": inject.minute,
                    "synopsis": inject.synopsis, "synopsis_en": inject.synopsis_en,
                    "recipient": inject.recipient, "objective": inject.objective,
                    "action": expected.action, "targets": list(expected.targets),
                    "deadline": inject.deadline, "done_at": done_at,
                    "delay": None if done_at is None else max(0.0, done_at - inject.minute),
                    "on_time": on_time, "missing": missing,
                    "partly_done": sorted(first)})
    return out


def _rate(objective, kpis: list[dict[str, Any]], actions: list[dict[str, Any]]
          ) -> dict[str, Any]:
    mine = [a for a in actions if a["objective"] == objective.id]
    rows = [k for k in kpis if k["kpi"] in objective.kpis and not math.isnan(k["drill"])]
    timeliness = (sum(a["on_time"] for a in mine) / len(mine)) if mine else None
    completion = (sum(a["done_at"] is not None for a in mine) / len(mine)) if mine else None
    worse = [k["kpi"] for k in rows if k["vs_baseline"]["worse"]]
    missed = []
    for k in rows:
        target = objective.target(k["kpi"])
        if target is not None and not target.met(k["drill"]):
            missed.append(k["kpi"])
    if not mine:
        points = None   # no inject tested it in this drill (its KPIs are still reported)
    else:
        t_ok, c_ok = float(timeliness or 0.0), float(completion or 0.0)
        if t_ok >= 0.9 and not worse and not missed:
            points = 4
        elif t_ok >= 0.6 and not worse:
            points = 3
        elif c_ok >= 0.5 and len(worse) <= len(rows) / 2:
            points = 2
        else:
            points = 1
    return {"objective": objective.id, "name": objective.name, "name_en": objective.name_en,
            "item": objective.item, "item_en": AQT_ITEMS[objective.item],
            "expected_actions": len(mine), "timeliness": timeliness, "completion": completion,
            "kpis": [k["kpi"] for k in rows], "worse_than_baseline": worse,
            "targets_missed": missed, "points": points,
            "rating": RATINGS[points][0] if points else "未检验",
            "rating_en": RATINGS[points][1] if points else "not tested"}


def _improvements(actions, kpis, objectives, aside, option) -> list[dict[str, str]]:
    """Improvement items derived from the gaps, Chinese and English."""
    items: list[dict[str, str]] = []
    by_action: dict[str, list[dict[str, Any]]] = {}
    for a in actions:
        by_action.setdefault(a["action"], []).append(a)
    for action, rows in by_action.items():
        zh_action, en_action = ACTION_TEXT[action]
        never = [r for r in rows if r["done_at"] is None]
        late = [r for r in rows if r["done_at"] is not None and not r["on_time"]]
        if never and len(never) == len(rows) and not any(r["partly_done"] for r in rows):
            targets = sorted({t for r in never for t in r["missing"]})
            items.append({"kind": "never", "objective": rows[0]["objective"] or "",
                          "zh": f"整场演练未{zh_action}（{len(never)}条注入要求，涉及"
                                f"{_some(targets)}）。应在预案中明确该决策的触发条件和责任人。",
                          "en": f"No order to {en_action} during the whole drill ({len(never)} "
                                f"injects asked for it; {_some(targets)}). The plan should say "
                                "who decides it and on what trigger."})
        elif never:
            targets = sorted({t for r in never for t in r["missing"]})
            items.append({"kind": "incomplete", "objective": rows[0]["objective"] or "",
                          "zh": f"{len(never)}条注入要求的“{zh_action}”未全部落实，"
                                f"遗漏：{_some(targets)}。",
                          "en": f"{len(never)} injects asking to {en_action} were not followed "
                                f"for every target; missed: {_some(targets)}."})
        if late:
            delays = [r["done_at"] - r["deadline"] for r in late]
            items.append({"kind": "late", "objective": rows[0]["objective"] or "",
                          "zh": f"“{zh_action}”有{len(late)}次超过时限，"
                                f"平均迟{_dur(np.mean(delays))}。"
                                "应缩短信息报送和会商决策环节。",
                          "en": f"{len(late)} orders to {en_action} came after their deadline, "
                                f"{_dur(np.mean(delays))} late on average: shorten reporting "
                                "and consultation."})
    for k in kpis:
        if k["vs_baseline"]["worse"] and (k["headline"] or k["kpi"] in
                                          {x for o in objectives for x in o["kpis"]}):
            items.append({"kind": "worse", "objective": "",
                          "zh": f"{k['label_zh']}：演练决策下为"
                                f"{_value(k['drill'], k['unit'], 'zh')}，差于预案自动响应的"
                                f"{_value(k['baseline'], k['unit'], 'zh')}。",
                          "en": f"{k['label']}: {_value(k['drill'], k['unit'])} with the "
                                f"drill's decisions, worse than the plan's own response "
                                f"({_value(k['baseline'], k['unit'])})."})
        if k.get("drill_met") is False and k["headline"]:
            items.append({"kind": "target", "objective": "",
                          "zh": f"{k['label_zh']}未达到规划目标（{k['target']}）：演练为"
                                f"{_value(k['drill'], k['unit'], 'zh')}。",
                          "en": f"{k['label']} misses the plan target ({k['target']}): "
                                f"{_value(k['drill'], k['unit'])} in the drill."})
    if aside:
        items.append({"kind": "set_aside", "objective": "",
                      "zh": f"{len(aside)}条决策无法执行（对象不属于本情景、行动不适用或"
                            "演练结束后才记录），应加强对辖区编号和力量的熟悉。",
                      "en": f"{len(aside)} decisions could not be applied (targets not in this "
                            "scenario, actions that do not apply, or recorded after the end): "
                            "know the region's ids and forces better."})
    if option is not None:
        better = [k for k in kpis if k["headline"] and "vs_option" in k
                  and k["vs_option"]["worse"]]
        if better:
            names = "、".join(k["label_zh"] for k in better)
            items.append({"kind": "capability", "objective": "",
                          "zh": f"能力建设方案“{option}”在{names}上优于本次演练的处置，"
                                "可作为预案修订和投资的参考。",
                          "en": f"The capability option '{option}' does better than the "
                                f"drill's response on {', '.join(k['label'] for k in better)}: "
                                "consider it when revising the plan and budget."})
    return items


def _some(ids: list[str], limit: int = 6) -> str:
    shown = ", ".join(ids[:limit])
    return shown + (f" (+{len(ids) - limit})" if len(ids) > limit else "")


def _dur(minutes: float) -> str:
    from sim.units import format_duration

    return format_duration(max(0.0, round(float(minutes))))


def _value(value: float, unit: str, lang: str = "en") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if math.isinf(value):
        return "从未达到" if lang == "zh" else "never"
    if unit == "share":
        return f"{value:.1%}"
    return f"{value:,.4g} {unit}".strip()


# --- the whole score --------------------------------------------------------------------------


def score_drill(folder: str | Path, key: str | bytes, experiment: str | Path | None = None,
                replications: int = 1, out: str | Path | None = None,
                lang: str = "zh", force: bool = False) -> ScoreReport:
    """Score the drill in ``folder`` (see the module docstring); write score.json,
    report.html and figures into ``out`` (default ``folder/score``, for the controllers) unless
    ``out`` is ``""``. Returns the :class:`ScoreReport`.

    The drill must have ended (its clock ran out, or :meth:`Drill.end`); ``force=True`` scores
    a drill still running, or not started, as it stands (injects after its current minute are
    not judged). The report names the scenario, its parameters and seed: never written into
    the participants' folder. Lines of decisions.jsonl that are not valid decisions are left
    out and listed with why (``rejected``)."""
    if lang not in ("zh", "en"):
        raise ConfigError.single("--lang", "", f"expected zh or en, got {lang!r}")
    if replications < 1:
        raise ConfigError.single("--reps", "", "expected at least 1 replication")
    # 1. Open the drill: the packet verified, read and validated once, with its scenario
    #    and spec; the clock; the decisions (each line validated once).
    drill = Drill.open(folder, key)
    packet, scenario, spec = drill.packet, drill.scenario, drill.spec
    assert packet is not None and scenario is not None and spec is not None
    target = _report_folder(drill, out)
    clock = _ended(drill, force)
    everything = drill.decisions()
    # 2. The decisions as orders of the sealed scenario; those that cannot be replayed aside.
    decisions = [d for d in everything if not d.after_end]
    orders, aside = replay_orders(scenario, decisions)
    aside = sorted(aside + [_set_aside(d, "recorded after the drill ended")
                            for d in everything if d.after_end], key=lambda d: d["seq"])
    # 3. The runs: the drill's decisions, the plan's own response, the experiment's option.
    option_name, option_scenario = _option(experiment, scenario)
    runs = {"drill": _run(_with_orders(scenario, orders), packet.seed, replications),
            "baseline": _run(scenario, packet.seed, replications)}
    if option_scenario is not None:
        runs["option"] = _run(option_scenario, packet.seed, replications)
    # 4. The comparison and the ratings.
    model = spec_for(scenario)
    kpis = _kpi_rows(runs, model, spec)
    end = float(clock.minute)   # the drill's end, or where it stands when forced
    aside_seq = {a["seq"] for a in aside}
    judged = [i for i in packet.msel if i.minute <= end + 1e-9]
    actions = _expected_actions(judged, [d for d in decisions if d.seq not in aside_seq])
    objectives = [_rate(o, kpis, actions) for o in spec.objectives]
    points = [o["points"] for o in objectives if o["points"]]
    overall = int(math.floor(np.mean(points))) if points else None
    data = {
        "format": "drsim-drill-score/1",
        "drill_id": read_commitment(drill.folder)[:12],
        "scenario": {"name": scenario.name, "title": scenario.title, "model": scenario.model},
        "start": packet.start.isoformat(), "end_minute": end, "seed": str(packet.seed),
        "clock": {"ended": clock.ended, "forced": bool(force and not clock.ended),
                  "sealed_end_minute": float(packet.end_minute)},
        "parameters": dict(packet.parameters),
        "replications": replications,
        "option": option_name,
        "decisions": [{**d.model_dump(mode="json"),
                       "clock": clock_text(packet.start_local, d.minute)} for d in everything],
        "set_aside": aside,
        "rejected": [{"file": r.file, "line": r.line, "reason": r.reason}
                     for r in drill.rejected()],
        "orders": orders,
        "kpis": kpis,
        "expected_actions": actions,
        "objectives": objectives,
        "overall": {"points": overall,
                    "rating": RATINGS[overall][0] if overall else "未检验",
                    "rating_en": RATINGS[overall][1] if overall else "not tested"},
        "rules": RULES,
    }
    data["improvements"] = _improvements(actions, kpis, objectives, aside, option_name)
    # 5. The report.
    report = ScoreReport(data)
    if target is not None:
        from drills.report import write_score

        report.files = write_score(target, data, packet, spec, lang)
        report.out = target
    return report


def _report_folder(drill: Drill, out: str | Path | None) -> Path | None:
    """Where the report goes (None: nowhere); never inside the participants' folder."""
    if out == "":
        return None
    target = drill.folder / "score" if out is None else Path(out)
    public = drill.public.resolve()
    where = target.resolve()
    if where == public or public in where.parents:
        raise ConfigError.single("--out", "", f"{target} is inside the participants' "
                                 "folder: the report names the scenario")
    return target


def _ended(drill: Drill, force: bool) -> Clock:
    """The clock of a drill that has ended (or, forced, of one that has not)."""
    clock = drill.clock()
    if not force and not clock.ended:
        state = ("has not started" if not clock.started else
                 f"is still {clock.state} (T+{clock.minute:.0f} min)")
        raise ConfigError.single(str(drill.folder), "", f"the drill {state}: end it first "
                                 "(drsim drill clock DIR --end) or score it anyway with "
                                 "--force")
    return clock


def _option(experiment: str | Path | None, scenario: ScenarioBase
            ) -> tuple[str | None, ScenarioBase | None]:
    """The best option of a stored experiment, applied to the sealed scenario."""
    if experiment is None:
        return None, None
    name, overrides, manifest = best_option(experiment)
    base_name = manifest.get("base_scenario", {}).get("name")
    if base_name is not None and base_name != scenario.name:
        raise ConfigError.single(str(experiment), "base_scenario", f"the experiment is "
                                 f"about {base_name!r}, the drill about another scenario")
    try:
        return name, with_overrides(scenario, overrides)
    except ConfigError as exc:
        raise ConfigError.single(str(experiment), f"options.{name}", "does not apply to the "
                                 f"drill's scenario: {exc.one_line()}") from None
