"""The MSEL (master scenario events list): injects compiled from the hidden run's timeline, and
the controllers' export of it.

Each timeline event (drills/timeline.py) becomes what the EOC would learn and when: who sends it
(gauge station, 110/119 call centre, shelter manager, traffic police, detector, depot), to which
role, the message in Chinese and English, the action expected of the players (an orders action
and its targets) and the objective it tests — the wording is the model's drill adapter's
(drills/adapters/). An inject with an expected action gets a *contingency* inject: released by
the session only if the action has not been recorded by the deadline (``[contingency]`` of the
spec).

The MSEL belongs to the controllers. :func:`export_controller` writes it as CSV and XLSX in the
HSEEP MSEL columns, with task cards (任务卡) per role in Markdown and HTML, into a controller's
folder — never into the participants' area.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from drills.adapters import adapter_for
from drills.clock import clock_text
from drills.compose import ACTION_TEXT, MODES, SOURCES, Composer, t_plus
from drills.packet import Expected, Inject, Packet, TimelineEvent
from drills.spec import AQT_ITEMS, DrillSpec
from models.scenario import ScenarioBase

__all__ = ["MSEL_COLUMNS", "SATISFIES", "compile_msel", "covered", "export_controller",
           "missing_targets", "msel_frame", "task_card_html", "task_card_markdown", "write_xlsx"]

MSEL_COLUMNS = ["MSEL Event #", "Designated Scenario Time", "Event Synopsis",
                "Responsible Controller", "Recipient Player", "Inject Mode", "Message",
                "Expected Player Action", "Objective/Capability", "Notes"]

# A recorded decision of action A counts for an expected action E when A is in SATISFIES[E]
# (an evacuation order also warns; either protective instruction protects).
SATISFIES: dict[str, set[str]] = {
    "warn": {"warn", "evacuate", "shelter_in_place"},
    "evacuate": {"evacuate"},
    "shelter_in_place": {"shelter_in_place", "evacuate"},
}


def compile_msel(timeline: Sequence[TimelineEvent], scenario: ScenarioBase, spec: DrillSpec,
                 start: datetime, end: float | None = None) -> list[Inject]:
    """The injects of a hidden run, in time order, with contingency injects after them;
    ``end`` (drill minute) drops anything later."""
    end = scenario.horizon if end is None else end
    adapter = adapter_for(scenario)
    compose = Composer(spec, start, adapter.names(scenario))
    injects = [i for i in adapter.injects(timeline, scenario, compose) if i.minute <= end]
    injects.sort(key=lambda i: (i.minute, i.kind))
    injects = [i.model_copy(update={"id": f"INJ-{n:03d}"})
               for n, i in enumerate(injects, start=1)]
    followups = [_followup(i, compose) for i in injects
                 if spec.contingency.enabled and i.deadline is not None and i.deadline <= end]
    return injects + followups


def _followup(parent: Inject, compose: Composer) -> Inject:
    assert parent.expected is not None and parent.deadline is not None
    action, targets = parent.expected.action, parent.expected.targets
    zh_action, en_action = ACTION_TEXT[action]
    minute = parent.deadline
    when = compose.clock(minute)
    zh = (f"【催办】{parent.source}再次报告：{parent.synopsis}。"
          f"截至{when}仍未收到“{zh_action}”的指令（{compose.names(targets)}）。"
          "请立即决策。")
    en = (f"[Follow-up] {parent.source_en} reports again: {parent.synopsis_en}. No order "
          f"to {en_action} ({', '.join(targets)}) has been received by {when}. Decide now.")
    return parent.model_copy(update=dict(
        id=parent.id + "-F", minute=minute, clock=when, kind="followup",
        source=SOURCES["controller"][0], source_en=SOURCES["controller"][1],
        mode=MODES["phone"][0], mode_en=MODES["phone"][1], message=zh, message_en=en,
        synopsis="催办：" + parent.synopsis, synopsis_en="Follow-up: " + parent.synopsis_en,
        deadline=None, followup_of=parent.id,
        notes=f"Contingency: released only if {action} of every target of {parent.id} is not "
              f"recorded by {t_plus(minute)}."))


class _Decided(Protocol):
    """What :func:`covered` reads of a decision (a :class:`drills.packet.TimedDecision`)."""

    action: str
    targets: list[str]
    minute: float


def covered(expected: Expected, decisions: Iterable[_Decided], by_minute: float) -> set[str]:
    """Targets of ``expected`` named by a satisfying decision recorded at or before
    ``by_minute``."""
    accept = SATISFIES.get(expected.action, {expected.action})
    done: set[str] = set()
    for decision in decisions:
        if decision.action in accept and decision.minute <= by_minute + 1e-9:
            done.update(decision.targets)
    return done & set(expected.targets)


def missing_targets(expected: Expected, decisions: Iterable[_Decided],
                    by_minute: float) -> list[str]:
    """Targets of ``expected`` no satisfying decision named by ``by_minute``, in order."""
    done = covered(expected, decisions, by_minute)
    return [t for t in expected.targets if t not in done]


# --- exports ----------------------------------------------------------------------------------


def _expected_text(inject: Inject, lang: str) -> str:
    if not inject.expected:
        return "（知悉，无指定行动）" if lang == "zh" else "(for information; no set action)"
    zh, en = ACTION_TEXT[inject.expected.action]
    targets = ", ".join(inject.expected.targets)
    return f"{zh if lang == 'zh' else en}: {targets}"


def msel_frame(injects: Sequence[Inject], spec: DrillSpec, start: datetime) -> pd.DataFrame:
    """The MSEL in HSEEP columns (bilingual cells: Chinese, then English)."""
    roles = {r.id: r for r in spec.roles}
    objectives = {o.id: o for o in spec.objectives}
    rows = []
    for inject in injects:
        role = roles.get(inject.recipient)
        objective = objectives.get(inject.objective or "")
        notes = [f"kind={inject.kind}"]
        if inject.deadline is not None:
            notes.append(f"deadline {t_plus(inject.deadline)} "
                         f"({clock_text(start, inject.deadline)}), else {inject.id}-F")
        if inject.notes:
            notes.append(inject.notes)
        rows.append({
            "MSEL Event #": inject.id,
            "Designated Scenario Time": f"{inject.clock} ({t_plus(inject.minute)})",
            "Event Synopsis": f"{inject.synopsis} / {inject.synopsis_en}",
            "Responsible Controller": (f"{role.name}控制员 / Controller for {role.name_en}"
                                       if role else ""),
            "Recipient Player": f"{role.name} / {role.name_en}" if role else inject.recipient,
            "Inject Mode": f"{inject.source}（{inject.mode}） / {inject.source_en} "
                           f"({inject.mode_en})",
            "Message": f"{inject.message}\n{inject.message_en}",
            "Expected Player Action": (f"{_expected_text(inject, 'zh')}\n"
                                       f"{_expected_text(inject, 'en')}"),
            "Objective/Capability": (f"{objective.name}（{objective.item}） / {objective.name_en} "
                                     f"({AQT_ITEMS[objective.item]})" if objective else ""),
            "Notes": "; ".join(notes),
        })
    return pd.DataFrame(rows, columns=MSEL_COLUMNS)


def task_card_markdown(role_id: str, injects: Sequence[Inject], spec: DrillSpec,
                       header: dict[str, str]) -> str:
    """A controller's task card (任务卡) for one role: the role, its objectives and the injects
    it will receive with the expected actions (Chinese with English)."""
    role = spec.role(role_id)
    assert role is not None
    mine = [i for i in injects if i.recipient == role_id]
    objectives = {o.id: o for o in spec.objectives}
    lines = [f"# 任务卡 Task card: {role.name} / {role.name_en}", "",
             f"演练 Drill: {header.get('drill', '')}  ·  情景 Scenario: "
             f"{header.get('scenario', '')}  ·  开始 Start: {header.get('start', '')}", "",
             "**控制员使用，演练结束前不得交给参演人员。 For controllers: do not show to players "
             "before the drill ends.**", ""]
    if role.duties:
        lines += [f"职责 Duties: {role.duties}", ""]
    allowed = role.actions or list(ACTION_TEXT)
    lines += ["可下达的决策 Decisions this role may record: "
              + "、".join(f"{ACTION_TEXT[a][0]} ({a})" for a in allowed), ""]
    tested = sorted({i.objective for i in mine if i.objective})
    if tested:
        lines += ["检验目标 Objectives tested:", ""]
        lines += [f"- {objectives[o].name} / {objectives[o].name_en} "
                  f"（{objectives[o].item}）" for o in tested if o in objectives]
        lines.append("")
    lines += ["| # | 时间 Time | 来源 Source | 信息 Message | 期望行动 Expected action | "
              "时限 Deadline |", "|---|---|---|---|---|---|"]
    for i in mine:
        deadline = "" if i.deadline is None else t_plus(i.deadline)
        condition = "（仅在未落实时下达 only if not done）" if i.followup_of else ""
        lines.append(f"| {i.id} | {i.clock} ({t_plus(i.minute)}) | {i.source} / "
                     f"{i.source_en} | {i.message}{condition}<br>{i.message_en} | "
                     f"{_expected_text(i, 'zh')}<br>{_expected_text(i, 'en')} | {deadline} |")
    if not mine:
        lines.append("| – | – | – | 本角色无注入信息 No injects for this role | – | – |")
    return "\n".join(lines) + "\n"


def task_card_html(markdown: str, title: str) -> str:
    """A self-contained HTML page of a task card (the Markdown table rendered as a table)."""
    body: list[str] = []
    table: list[list[str]] = []

    def flush() -> None:
        if table:
            head, *rows = table
            body.append("<table><thead><tr>" + "".join(f"<th>{c}</th>" for c in head)
                        + "</tr></thead><tbody>" + "".join(
                            "<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>"
                            for row in rows) + "</tbody></table>")
            table.clear()

    for line in markdown.splitlines():
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split(" | ")]
            if all(set(c) <= {"-", ""} for c in cells):
                continue
            table.append([html.escape(c).replace("&lt;br&gt;", "<br>") for c in cells])
            continue
        flush()
        text = html.escape(line)
        if line.startswith("# "):
            body.append(f"<h1>{html.escape(line[2:])}</h1>")
        elif line.startswith("- "):
            body.append(f"<li>{html.escape(line[2:])}</li>")
        elif line.startswith("**") and line.endswith("**"):
            body.append(f"<p class='warn'>{html.escape(line.strip('*'))}</p>")
        elif text:
            body.append(f"<p>{text}</p>")
    flush()
    style = ("body{font-family:'Noto Sans CJK SC','Microsoft YaHei',sans-serif;margin:2em;}"
             "table{border-collapse:collapse;}td,th{border:1px solid #999;padding:4px;"
             "vertical-align:top;}.warn{color:#a00;font-weight:bold;}"
             "@media print{body{margin:0}}")
    return (f"<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'><title>"
            f"{html.escape(title)}</title><style>{style}</style></head><body>"
            + "\n".join(body) + "</body></html>\n")


def export_controller(packet: Packet, spec: DrillSpec) -> dict[str, Any]:
    """Writers (file name -> bytes or str) of the controller's export: msel.csv, msel.xlsx,
    timeline.csv, controller.md and task cards per role (taskcards/<role>.md|.html)."""
    start = packet.start
    injects = packet.msel
    frame = msel_frame(injects, spec, start)
    header = {"drill": packet.spec.name, "scenario": packet.scenario.name,
              "start": start.strftime("%Y-%m-%d %H:%M") + " (UTC+8)"}
    files: dict[str, Any] = {
        "msel.csv": frame.to_csv(index=False).encode("utf-8-sig"),  # BOM: Excel reads UTF-8
        "msel.xlsx": frame,
        "timeline.csv": _timeline_frame(packet.timeline, start).to_csv(index=False)
        .encode("utf-8-sig"),
        "controller.md": _controller_brief(packet, spec, start),
    }
    for role in spec.roles:
        markdown = task_card_markdown(role.id, injects, spec, header)
        files[f"taskcards/{role.id}.md"] = markdown
        files[f"taskcards/{role.id}.html"] = task_card_html(markdown, f"任务卡 {role.name}")
    return files


def _timeline_frame(timeline: Sequence[TimelineEvent], start: datetime) -> pd.DataFrame:
    rows = [{"minute": e.minute, "clock": clock_text(start, e.minute), "kind": e.kind,
             "place": e.place, "name": e.name, "quantity": e.quantity} for e in timeline]
    return pd.DataFrame(rows, columns=["minute", "clock", "kind", "place", "name", "quantity"])


def _controller_brief(packet: Packet, spec: DrillSpec, start: datetime) -> str:
    scenario = packet.scenario
    lines = [f"# 控制组简报 Controllers' brief: {spec.title or spec.name}", "",
             "**保密：仅限演练控制组和评估组。 Confidential: controllers and evaluators only.**",
             "",
             f"- 情景 Scenario: {scenario.name} — {scenario.content.get('title', '')}",
             f"- 开始时间 Start: {start.strftime('%Y-%m-%d %H:%M')} (UTC+8)",
             f"- 演练结束 Drill ends at: {t_plus(packet.end_minute)} "
             f"({clock_text(start, packet.end_minute)})",
             f"- 方式 Style: {packet.style.mode}, speed {packet.style.speed:g}",
             f"- 随机种子 Seed: {packet.seed}",
             "- 抽取的参数 Drawn parameters: "
             + (", ".join(f"{k} = {v:g}" for k, v in packet.parameters.items()) or "none"),
             f"- 注入数量 Injects: {sum(1 for i in packet.msel if not i.followup_of)} "
             f"(+ {sum(1 for i in packet.msel if i.followup_of)} contingency)", "",
             "## 基准（预案自动响应）Baseline (the plan's own response)", "",
             "| KPI | value |", "|---|---|"]
    for name, value in packet.baseline.kpis.items():
        text = "never" if isinstance(value, float) and math.isinf(value) else (
            "–" if value is None or (isinstance(value, float) and math.isnan(value))
            else f"{value:,.4g}")
        lines.append(f"| {name} | {text} |")
    return "\n".join(lines) + "\n"


def write_xlsx(frame: pd.DataFrame, path: Path) -> None:
    """The MSEL as an Excel sheet named MSEL, wrapped text, columns widened (openpyxl)."""
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        frame.to_excel(writer, sheet_name="MSEL", index=False)
        sheet = writer.sheets["MSEL"]
        widths = {"A": 14, "B": 26, "C": 30, "D": 26, "E": 24, "F": 26, "G": 70, "H": 40,
                  "I": 34, "J": 40}
        for column, width in widths.items():
            sheet.column_dimensions[column].width = width
        from openpyxl.styles import Alignment

        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
