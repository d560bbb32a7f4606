"""The after-action report of a scored drill: ``report.html`` (Chinese or English),
``score.json`` (both languages) and figures (``figures/timeline.png``: decisions against
injects and events; ``figures/kpis.png``: headline indicators, drill vs baseline vs option).

Figures use matplotlib's object API and ASCII labels (ids, English), so they draw the same
with or without a CJK font.
"""

from __future__ import annotations

import html
import math
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from drills.clock import clock_text
from drills.compose import ACTION_TEXT
from drills.packet import Packet
from drills.spec import DrillSpec
from reporting.figures import new_figure, png_bytes
from sim.io import dumps_json, write_tree
from sim.units import format_duration

__all__ = ["timeline_figure", "kpi_figure", "report_html", "write_score"]

OKABE_ITO = ["#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00",
             "#CC79A7"]


def timeline_figure(data: dict[str, Any], packet: Packet, spec: DrillSpec) -> Figure:
    """Rows: the hidden run's events, the injects by recipient role and the decisions by role,
    against drill hours; deadlines of expected actions as thin bars, misses in vermilion."""
    roles = [r.id for r in spec.roles]
    rows = ["events"] + [f"injects: {r}" for r in roles] + [f"decisions: {r}" for r in roles]
    y = {name: len(rows) - 1 - i for i, name in enumerate(rows)}
    fig = new_figure((11.0, 1.2 + 0.42 * len(rows)))
    ax = fig.add_subplot()
    end_h = float(data["end_minute"]) / 60.0
    kinds = sorted({e.kind for e in packet.timeline})
    for j, kind in enumerate(kinds):
        hours = [e.minute / 60 for e in packet.timeline if e.kind == kind]
        ax.scatter(hours, [y["events"] + 0.15 * (j // 7)] * len(hours),
                   marker=("|", "d", "s")[(j // 7) % 3], s=120 if j < 7 else 30,
                   color=OKABE_ITO[(j % 7) + 1], label=kind)
    missed = {a["inject"] for a in data["expected_actions"] if not a["on_time"]}
    for inject in packet.msel:
        if inject.followup_of or inject.recipient not in roles:
            continue
        row = y[f"injects: {inject.recipient}"]
        colour = OKABE_ITO[6] if inject.id in missed else OKABE_ITO[5]
        ax.scatter([inject.minute / 60], [row], marker="v", s=40, color=colour, zorder=3)
        if inject.deadline is not None:
            ax.plot([inject.minute / 60, inject.deadline / 60], [row - 0.18, row - 0.18],
                    color=colour, linewidth=1.2, alpha=0.7)
    actions = list(ACTION_TEXT)
    for d in data["decisions"]:
        if d["role"] not in roles:
            continue
        colour = OKABE_ITO[(actions.index(d["action"]) % 7) + 1]
        aside = any(a.get("seq") == d.get("seq") for a in data["set_aside"])
        ax.scatter([d["minute"] / 60], [y[f"decisions: {d['role']}"]], marker="x" if aside
                   else "o", s=45, color=colour, zorder=3)
        ax.annotate(d["action"], (d["minute"] / 60, y[f"decisions: {d['role']}"]),
                    xytext=(3, 5), textcoords="offset points", fontsize=7, rotation=20)
    ax.set_yticks(list(y.values()), list(y.keys()))
    ax.set_xlim(0, max(end_h, 0.1))
    ax.set_ylim(-0.8, len(rows) - 0.2)
    ax.set_xlabel("drill time (hours from the scenario start)")
    ax.grid(axis="x", alpha=0.3)
    ax.set_title("Decisions vs injects and events (triangles: injects, blue on time or "
                 "informational, vermilion missed or late; bars: deadlines; x: not applicable)",
                 loc="left", fontsize=9)
    if kinds:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=7,
                  title="events", title_fontsize=8)
    return fig


def kpi_figure(data: dict[str, Any]) -> Figure:
    """Headline indicators: the drill and the option as a share of the baseline (100 %)."""
    rows = [k for k in data["kpis"] if k["headline"]]
    names = ["drill", "baseline"] + (["option"] if data["option"] else [])
    fig = new_figure((9.0, 1.2 + 0.5 * max(len(rows), 1)))
    ax = fig.add_subplot()
    height = 0.8 / len(names)
    for j, name in enumerate(names):
        values, labels = [], []
        for k in rows:
            base, value = k["baseline"], k[name]
            ratio = (value / base * 100 if base not in (0, None) and all(
                math.isfinite(v) for v in (base, value)) else math.nan)
            values.append(ratio)
            labels.append(k["kpi"])
        pos = np.arange(len(rows)) + j * height
        ax.barh(pos, np.nan_to_num(values, nan=0.0), height=height, label=name,
                color=OKABE_ITO[[5, 0, 3][j]], alpha=0.8)
    ax.set_yticks(np.arange(len(rows)) + height * (len(names) - 1) / 2,
                  [k["kpi"] for k in rows])
    ax.axvline(100, color="#444444", linewidth=0.8)
    ax.set_xlabel("% of the baseline (the plan's own response); 0: not comparable")
    ax.invert_yaxis()
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title("Headline plan indicators", loc="left", fontsize=10)
    return fig


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        if math.isnan(value):
            return "–"
        if math.isinf(value):
            return "never"
        if unit == "share":
            return f"{value:.1%}"
        return f"{value:,.4g}"
    return str(value)


_TEXT = {
    "title": ("演练评估报告", "After-action report"),
    "summary": ("一、演练概况", "1. The drill"),
    "kpis": ("二、规划指标对比（演练决策 / 预案自动响应 / 能力方案）",
             "2. Plan indicators (the drill's decisions / the plan's own response / option)"),
    "objectives": ("三、目标评估（按AQ/T 9009-2015评估项目）",
                   "3. Objectives (by AQ/T 9009-2015 evaluation item)"),
    "actions": ("四、期望行动落实情况", "4. Expected actions"),
    "timeline": ("五、决策与事件时间线", "5. Decisions against injects and events"),
    "improve": ("六、改进事项", "6. Improvement items"),
    "decisions": ("七、决策记录", "7. Decisions recorded"),
    "rules": ("八、评分规则", "8. Scoring rules"),
}


def report_html(data: dict[str, Any], packet: Packet, spec: DrillSpec,
                lang: str) -> str:
    """The after-action report page in ``lang`` (zh or en)."""
    zh = lang == "zh"

    def t(key: str) -> str:
        return _TEXT[key][0 if zh else 1]

    e = html.escape
    start = datetime.fromisoformat(data["start"]).replace(tzinfo=None)
    overall = data["overall"]
    out = [f"<h1>{e(t('title'))}: {e(spec.title or spec.name)}</h1>",
           f"<h2>{e(t('summary'))}</h2><ul>",
           f"<li>{'演练编号' if zh else 'Drill id'}: {e(data['drill_id'])}</li>",
           f"<li>{'情景' if zh else 'Scenario'}: {e(data['scenario']['name'])} — "
           f"{e(data['scenario']['title'])}</li>",
           f"<li>{'开始时间' if zh else 'Start'}: {start:%Y-%m-%d %H:%M} (UTC+8); "
           f"{'演练时长' if zh else 'length'} {format_duration(data['end_minute'])}</li>",
           f"<li>{'随机种子' if zh else 'Seed'}: {e(data['seed'])}; "
           f"{'配对重复次数' if zh else 'paired replications'}: {data['replications']}</li>",
           f"<li>{'抽取参数' if zh else 'Drawn parameters'}: "
           + e(", ".join(f"{k} = {v:.4g}" for k, v in data["parameters"].items()) or "–")
           + "</li>",
           f"<li>{'决策' if zh else 'Decisions'}: {len(data['decisions'])} "
           f"({'无法执行' if zh else 'not applicable'}: {len(data['set_aside'])})</li>",
           f"<li><b>{'总体评定' if zh else 'Overall rating'}: "
           f"{e(overall['rating'] if zh else overall['rating_en'])}</b></li></ul>"]
    # KPI table
    columns = ["drill", "baseline"] + (["option"] if data["option"] else [])
    head = {"drill": "演练决策" if zh else "drill",
            "baseline": "预案自动响应" if zh else "baseline",
            "option": (f"方案 {data['option']}" if zh else f"option {data['option']}")}
    out.append(f"<h2>{e(t('kpis'))}</h2><table><tr><th>{'指标' if zh else 'KPI'}</th>"
               f"<th>{'单位' if zh else 'unit'}</th>"
               + "".join(f"<th>{e(head[c])}</th>" for c in columns)
               + f"<th>{'规划目标' if zh else 'plan target'}</th>"
               f"<th>{'与基准比较' if zh else 'vs baseline'}</th></tr>")
    for k in data["kpis"]:
        verdict = "–" if k["direction"] == 0 else ("劣于基准" if zh else "worse") if k[
            "vs_baseline"]["worse"] else (
            ("优于基准" if zh else "better") if k["vs_baseline"]["better"] else
            ("相当" if zh else "same"))
        style = " class='headline'" if k["headline"] else ""
        out.append(f"<tr{style}><td>{e(k['label_zh'] if zh else k['label'])}</td>"
                   f"<td>{e(k['unit'])}</td>"
                   + "".join(f"<td>{_fmt(k[c], k['unit'])}</td>" for c in columns)
                   + f"<td>{e(k['target'] or '')}"
                   + ("" if "drill_met" not in k else
                      (" ✓" if k["drill_met"] else " ✗")) + f"</td><td>{e(verdict)}</td></tr>")
    out.append("</table>")
    # objectives by AQ/T 9009 item
    out.append(f"<h2>{e(t('objectives'))}</h2><table><tr><th>{'评估项目' if zh else 'Item'}</th>"
               f"<th>{'目标' if zh else 'Objective'}</th><th>{'及时率' if zh else 'Timeliness'}"
               f"</th><th>{'完成率' if zh else 'Completion'}</th>"
               f"<th>{'劣于基准的指标' if zh else 'KPIs worse than baseline'}</th>"
               f"<th>{'未达目标' if zh else 'Targets missed'}</th>"
               f"<th>{'评定' if zh else 'Rating'}</th></tr>")
    for o in sorted(data["objectives"], key=lambda o: list(_items()).index(o["item"])):
        out.append(f"<tr><td>{e(o['item'] if zh else o['item_en'])}</td>"
                   f"<td>{e(o['name'] if zh else o['name_en'])}</td>"
                   f"<td>{_pct(o['timeliness'])}</td><td>{_pct(o['completion'])}</td>"
                   f"<td>{e(', '.join(o['worse_than_baseline']) or '–')}</td>"
                   f"<td>{e(', '.join(o['targets_missed']) or '–')}</td>"
                   f"<td><b>{e(o['rating'] if zh else o['rating_en'])}</b></td></tr>")
    out.append("</table>")
    # expected actions
    out.append(f"<h2>{e(t('actions'))}</h2><table><tr><th>#</th><th>{'时间' if zh else 'Time'}"
               f"</th><th>{'注入' if zh else 'Inject'}</th><th>{'期望行动' if zh else 'Expected'}"
               f"</th><th>{'时限' if zh else 'Deadline'}</th><th>{'落实' if zh else 'Done at'}"
               f"</th><th>{'遗漏' if zh else 'Missing'}</th></tr>")
    for a in data["expected_actions"]:
        action = ACTION_TEXT[a["action"]][0 if zh else 1]
        done = ("–" if a["done_at"] is None else clock_text(start, a["done_at"])
                + (" ✓" if a["on_time"] else (" 超时" if zh else " late")))
        out.append(f"<tr><td>{e(a['inject'])}</td><td>{clock_text(start, a['minute'])}</td>"
                   f"<td>{e(a['synopsis'] if zh else a['synopsis_en'])}</td>"
                   f"<td>{e(action)}: {e(', '.join(a['targets']))}</td>"
                   f"<td>{clock_text(start, a['deadline'])}</td><td>{e(done)}</td>"
                   f"<td>{e(', '.join(a['missing']) or '–')}</td></tr>")
    out.append("</table>")
    out.append(f"<h2>{e(t('timeline'))}</h2><img src='figures/timeline.png' alt='timeline'>"
               "<img src='figures/kpis.png' alt='headline indicators'>")
    out.append(f"<h2>{e(t('improve'))}</h2><ol>")
    out += [f"<li>{e(item['zh'] if zh else item['en'])}</li>" for item in data["improvements"]]
    if not data["improvements"]:
        out.append(f"<li>{'未发现需改进的差距。' if zh else 'No gaps found.'}</li>")
    out.append("</ol>")
    out.append(f"<h2>{e(t('decisions'))}</h2><table><tr><th>#</th><th>"
               f"{'时间' if zh else 'Time'}</th><th>{'角色' if zh else 'Role'}</th><th>"
               f"{'行动' if zh else 'Action'}</th><th>{'对象' if zh else 'Targets'}</th><th>"
               f"{'备注' if zh else 'Note'}</th><th>{'执行' if zh else 'Applied'}</th></tr>")
    aside = {a.get("seq"): a["reason"] for a in data["set_aside"]}
    for d in data["decisions"]:
        applied = ("✓" if d.get("seq") not in aside else "✗ " + aside[d.get("seq")])
        out.append(f"<tr><td>{d.get('seq', '')}</td><td>{e(d['clock'])}</td>"
                   f"<td>{e(d['role'])}</td><td>{e(d['action'])}</td>"
                   f"<td>{e(', '.join(d['targets']))}</td><td>{e(d.get('note', ''))}</td>"
                   f"<td>{e(applied)}</td></tr>")
    out.append("</table>")
    if data.get("rejected"):
        head = ("决策文件中不是有效决策、未计入的行" if zh
                else "Lines of the decisions file that are not valid decisions (left out)")
        out.append(f"<p>{e(head)}:</p><ul>"
                   + "".join(f"<li>{e(r['file'])}:{r['line']}: {e(r['reason'])}</li>"
                             for r in data["rejected"]) + "</ul>")
    out.append(f"<h2>{e(t('rules'))}</h2><ul>"
               + "".join(f"<li>{e(rule)}</li>" for rule in data["rules"][lang]) + "</ul>")
    style = ("body{font-family:'Noto Sans CJK SC','Microsoft YaHei',sans-serif;margin:2em;"
             "max-width:1200px}table{border-collapse:collapse;margin:0.5em 0}"
             "td,th{border:1px solid #bbb;padding:3px 6px;vertical-align:top}"
             "tr.headline td{background:#f4f8fb}img{max-width:100%;display:block;margin:1em 0}")
    return (f"<!DOCTYPE html><html lang='{'zh-CN' if zh else 'en'}'><head><meta charset='utf-8'>"
            f"<title>{e(t('title'))}</title><style>{style}</style></head><body>"
            + "\n".join(out) + "</body></html>\n")


def _items():
    from drills.spec import AQT_ITEMS

    return AQT_ITEMS


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def write_score(out: Path, data: dict[str, Any], packet: Packet, spec: DrillSpec,
                lang: str) -> list[Path]:
    """Write score.json, report.html and figures/*.png into ``out``, all or nothing."""
    files = {
        "score.json": dumps_json(data),
        "report.html": report_html(data, packet, spec, lang),
        "figures/timeline.png": png_bytes(timeline_figure(data, packet, spec)),
        "figures/kpis.png": png_bytes(kpi_figure(data)),
    }
    return write_tree(out, files)
