"""Drill control: seal a double-blind drill, run its clock and inject release (controllers, with
the key), show each role only what it has been sent, record decisions, score the drill.

The key lives only in this browser session (``st.session_state``), never on disk; without it
the page is a participant's view (inbox and decision form). All drill state is in the drill
folder (drills.session), so this page, ``drsim drill serve`` and ``drsim drill decide`` can
share one drill.
"""

import math
from datetime import datetime
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard.i18n import tr
from drills import Drill, bundled_drill_names, score_drill, seal_drill
from models.orders import ACTIONS
from sim.config import ConfigError

lang = st.session_state.get("lang", "en")
zh = lang == "zh"
st.title(tr("page_drill", lang))


def _text(item, field: str) -> str:
    """A bilingual field of an inject or message: ``field`` is Chinese, ``field_en``
    English."""
    return str(getattr(item, field if zh else f"{field}_en", "") or getattr(item, field, "")
               or "")


def _local(wall: float) -> str:
    """A wall-clock time (epoch seconds) as this machine's local time of day ("" if unknown)."""
    return datetime.fromtimestamp(wall).strftime("%H:%M:%S") if math.isfinite(wall) else ""


def _expected(expected) -> str:
    """An inject's expected action as "action: target, target" ("" if none)."""
    if expected is None:
        return ""
    return f"{tr('action_' + expected.action, lang)}: {', '.join(expected.targets)}"


# --- seal a new drill -----------------------------------------------------------------------------
with st.expander(tr("drill_seal", lang)):
    with st.form("seal"):
        specs = bundled_drill_names()
        spec = st.selectbox(tr("drill_spec", lang), specs, key="drill_spec")
        # A new folder each time by default (sealing refuses a folder that is not empty).
        out = st.text_input(tr("drill_out", lang), key="drill_out",
                            value=str(Path("exercises") / f"drill-{datetime.now():%Y%m%d-%H%M}"))
        if st.form_submit_button(tr("drill_seal_go", lang)):
            with st.spinner(tr("drill_sealing", lang)):
                try:
                    key, folder = seal_drill(spec, out)
                except ConfigError as exc:
                    st.error(str(exc), icon=":material/error:")
                else:
                    st.session_state["drill_dir"] = str(folder)
                    st.session_state["drill_key"] = key
                    st.warning(tr("drill_key_once", lang), icon=":material/key:")
                    st.code(key, language=None)

# --- open a drill ---------------------------------------------------------------------------------
left, right = st.columns(2)
folder = left.text_input(tr("drill_dir", lang), key="drill_dir")
key = right.text_input(tr("drill_key", lang), key="drill_key", type="password",
                       help=tr("drill_key_help", lang))
if not folder.strip():
    st.info(tr("drill_none", lang))
    st.stop()
try:
    drill = Drill.open(folder.strip(), key=key.strip() or None)
except ConfigError as exc:
    st.error(str(exc), icon=":material/error:")
    st.stop()

roles = drill.roles
role_names = {r["id"]: (r["name"] if zh else r.get("name_en") or r["name"]) for r in roles}

# --- controller -----------------------------------------------------------------------------------
if drill.has_key:
    st.markdown(f"#### {tr('drill_controller', lang)}")
    clock = drill.clock()
    sealed_speed = float(drill.packet.style.speed)  # the spec's pace
    a, b, c, d = st.columns(4)
    speed = a.number_input(tr("drill_speed", lang), min_value=1.0, max_value=3600.0,
                           value=float(clock.speed if clock.started else sealed_speed),
                           step=1.0, key="drill_speed_value", help=tr("drill_speed_help", lang))
    if not clock.started:
        if b.button(tr("drill_start", lang), key="drill_start", type="primary"):
            # The sealed pace (live drills: real time) unless the controller changed it.
            drill.start(speed=None if speed == sealed_speed else speed)
            st.rerun()
    else:
        if clock.paused and b.button(tr("drill_resume", lang), key="drill_resume"):
            drill.resume()
            st.rerun()
        if not clock.paused and b.button(tr("drill_pause", lang), key="drill_pause"):
            drill.pause()
            st.rerun()
        if c.button(tr("drill_advance", lang), key="drill_advance"):
            drill.advance(30)
            st.rerun()
        if speed != clock.speed and d.button(tr("drill_set_speed", lang), key="drill_set_speed"):
            drill.set_speed(speed)
            st.rerun()
        if not clock.ended and d.button(tr("drill_end", lang), key="drill_end",
                                        help=tr("drill_end_help", lang)):
            drill.end()
            st.rerun()

    @st.fragment(run_every=2.0 if clock.started and not clock.paused and not clock.ended
                 else None)
    def _control_panel() -> None:
        released = drill.release_due()
        status = drill.status()
        now = status["clock"]
        st.metric(tr("drill_clock", lang),
                  f"{now['clock']} · {tr('drill_minute_value', lang, minute=now['minute'])}",
                  help=f"{tr('drill_speed', lang)}: {now['speed']:g}×")
        st.caption(tr("drill_counts", lang, released=status.get("released", 0),
                      pending=status.get("pending", 0), decisions=status["decisions"]))
        for inject in released:
            st.toast(f"{inject.id}: {_text(inject, 'synopsis')}")
        with st.expander(tr("drill_msel", lang)):
            done = drill.released()
            st.dataframe(pd.DataFrame([{
                "id": i.id, tr("drill_minute", lang): i.minute,
                tr("drill_to", lang): role_names.get(i.recipient, i.recipient),
                tr("drill_synopsis", lang): _text(i, "synopsis"),
                tr("drill_expected", lang): _expected(i.expected),
                tr("drill_released", lang): i.id in done,
            } for i in drill.injects()]), hide_index=True, key="drill_msel_table")

    _control_panel()

# --- participant view -----------------------------------------------------------------------------
st.markdown(f"#### {tr('drill_participant', lang)}")
role = st.selectbox(tr("drill_role", lang), list(role_names), format_func=role_names.get,
                    key="drill_role")
info = drill.role(role)
running = drill.clock().started and not drill.clock().paused and not drill.clock().ended


@st.fragment(run_every=2.0 if running else None)
def _inbox() -> None:
    """The role's messages, newest first (refreshed every 2 s while the clock runs)."""
    inbox = drill.inbox(role)
    if not inbox:
        st.caption(tr("drill_inbox_empty", lang))
    for message in reversed(inbox):
        with st.container(border=True):
            st.markdown(f"**{message.clock}** · {_text(message, 'source')} · "
                        f"{_text(message, 'mode')}")
            st.markdown(_text(message, "message"))
            if message.still_missing:
                st.caption(f"{tr('drill_still_missing', lang)}: "
                           f"{', '.join(message.still_missing)}")


_inbox()

st.markdown(f"**{tr('drill_decide', lang)}**")
action = st.selectbox(tr("drill_action", lang), info["actions"], key="drill_action",
                      format_func=lambda a: tr(f"action_{a}", lang))
with st.form("decision", clear_on_submit=True):
    # Ids of the kind this action names (zones, shelters, teams, ...): the public list, the
    # same for every scenario of the drill's library, so it does not give the scenario away.
    chosen = st.multiselect(tr("drill_targets", lang), drill.targets.get(ACTIONS[action], []),
                            key="drill_targets", help=tr("drill_targets_help", lang))
    note = st.text_input(tr("drill_note", lang), key="drill_note")
    if st.form_submit_button(tr("drill_record", lang), type="primary"):
        try:
            record = drill.record_decision(role, action, chosen, note=note)
        except ConfigError as exc:
            st.error(str(exc), icon=":material/error:")
        else:
            if drill.has_key:
                st.success(tr("drill_recorded", lang, minute=record.minute))
            else:   # participants do not see the drill clock (it would reveal the scenario)
                st.success(tr("drill_recorded_blind", lang, time=_local(record.wall_time())))

# This role's own decisions (each role sees its own record, not the others').
decisions = [d for d in drill.decisions() if d.role == role]
if decisions:
    st.dataframe(pd.DataFrame([{
        tr("drill_recorded_at", lang): _local(d.wall_time()), tr("drill_action", lang):
        tr(f"action_{d.action}", lang), tr("drill_targets", lang): ", ".join(d.targets),
        tr("drill_note", lang): d.note} for d in decisions]),
        hide_index=True, key="drill_decisions")

# --- score ----------------------------------------------------------------------------------------
if drill.has_key:
    st.markdown(f"#### {tr('drill_score', lang)}")
    experiment = st.text_input(tr("drill_experiment", lang), key="drill_experiment")
    ended = drill.clock().ended
    force = False
    if not ended:
        st.caption(tr("drill_score_wait", lang))
        force = st.checkbox(tr("drill_score_force", lang), key="drill_score_force")
    if st.button(tr("drill_score_go", lang), key="drill_score_go", disabled=not (ended or force)):
        with st.spinner(tr("drill_scoring", lang)):
            try:
                report = score_drill(folder.strip(), key.strip(),
                                     experiment=experiment.strip() or None, lang=lang,
                                     force=force)
            except ConfigError as exc:
                st.error(str(exc), icon=":material/error:")
            else:
                st.session_state["drill_report"] = str(report.out)
                overall = report.overall
                points = overall.get("points")
                st.metric(tr("drill_rating", lang),
                          overall["rating"] if zh else overall["rating_en"],
                          None if points is None else tr("drill_points", lang, points=points),
                          delta_color="off", help=tr("drill_points_help", lang))
    shown = st.session_state.get("drill_report")
    if shown and (Path(shown) / "report.html").exists():
        html = (Path(shown) / "report.html").read_bytes()
        st.download_button(tr("drill_report", lang), html, file_name="after-action-report.html",
                           mime="text/html", on_click="ignore", key="drill_report_download")
