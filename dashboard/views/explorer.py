"""Scenario explorer: choose a scenario, set the levers, run, see KPIs, the map and timelines."""

import time

import streamlit as st

from dashboard import charts, service
from dashboard.i18n import format_target, format_value, kpi_label, tr
from dashboard.levers import lever_groups, lever_widget
from models.catalog import spec_for
from models.levers import apply_levers, levers_for
from reporting.figures import figure_language, png_bytes
from reporting.timeline import timeline_figure
from sim.config import ConfigError
from sim.output import timeseries_frame

lang = st.session_state.get("lang", "en")
st.title(tr("page_explorer", lang))

# --- which scenario ------------------------------------------------------------------------------
names = service.explorer_scenarios()
left, right = st.columns([1, 1])
with left:
    # The default lives in session state (not index=): app.py keeps the choice across pages.
    st.session_state.setdefault("scenario", "zhumadian-flood" if "zhumadian-flood" in names
                                else names[0])
    name = st.selectbox(tr("bundled", lang), names, key="scenario")
with right:
    upload = st.file_uploader(tr("upload", lang), type=["toml"], key="upload")
try:
    if upload is not None:
        scenario = service.load_uploaded(upload.name, upload.getvalue())
    else:
        scenario = service.load_bundled(name)
except service.ScenarioError as exc:
    st.error(f"**{tr('upload_error', lang)}** — {exc}", icon=":material/error:")
    st.stop()
st.subheader(scenario.title or scenario.name)
if scenario.description:
    with st.expander(scenario.name):
        st.markdown(scenario.description)

# --- levers -----------------------------------------------------------------------------------
levers = levers_for(scenario)
scope = service.lever_scope(scenario)   # widget keys per scenario content (uploads too)
values: dict = {}
with st.form("levers"):
    st.markdown(f"**{tr('levers', lang)}**")
    groups = lever_groups(levers)
    if not groups:
        st.caption(tr("levers_none", lang))
    tabs = st.tabs([g.label(lang) for g in groups]) if groups else []
    for tab, group in zip(tabs, groups, strict=True):
        with tab:
            grid = st.columns(3)
            for i, lever in enumerate(lv for lv in levers if lv.group == group):
                values[lever.key] = lever_widget(grid[i % 3], lever, f"lever.{scope}.{lever.key}",
                                                 lang)
    a, b, c = st.columns([1, 1, 1])
    reps = a.number_input(tr("replications", lang), min_value=1, max_value=200, value=1,
                          step=1, key="reps")
    seed = b.number_input(tr("seed", lang), min_value=0, max_value=2**53 - 1,
                          value=int(scenario.seed), step=1, key=f"seed.{scope}")
    submitted = c.form_submit_button(tr("run", lang), type="primary")

if submitted:
    try:
        chosen = apply_levers(scenario, values)
    except ConfigError as exc:
        st.error(exc.one_line(), icon=":material/error:")
        st.stop()
    key = service.scenario_hash(chosen)
    bar = st.progress(0.0)
    started = time.perf_counter()
    results = []
    try:
        for i in range(int(reps)):
            bar.progress(i / reps, text=tr("running", lang, i=i + 1, n=int(reps)))
            results.append(service.run_one(key, i, int(seed), chosen))
    except ConfigError as exc:   # e.g. a file the scenario names cannot be read
        st.error(exc.one_line(), icon=":material/error:")
        st.stop()
    bar.empty()
    st.session_state["explorer_runs"] = st.session_state.get("explorer_runs", 0) + 1
    st.session_state["explorer"] = {
        "run": st.session_state["explorer_runs"], "scope": scope, "scenario": chosen,
        "results": results, "seed": int(seed), "seconds": time.perf_counter() - started}

run = st.session_state.get("explorer")
if run is not None and run["scope"] != scope:   # results of another scenario (or file)
    run = None
if run is None:
    st.info(tr("not_run", lang))
    if spec_for(scenario).map_zones(scenario):      # a model without zones has no map
        st.plotly_chart(charts.map_figure(scenario, None, 0, lang), key="map_plain")
    st.stop()

results = run["results"]
shown = run["scenario"]
st.caption(tr("results_for", lang, run=run["run"], name=shown.name, n=len(results),
              seed=run["seed"], secs=run["seconds"]))

# --- KPI cards ------------------------------------------------------------------------------------
model = shown.model
cards = service.kpi_cards(results, model)
first = service.shown_cards(cards, model)   # the spec's headline, then other plan targets
if first:
    st.markdown(f"#### {tr('kpis_targets', lang)}")
    for row in range(0, len(first), 3):
        for column, card in zip(st.columns(3), first[row:row + 3], strict=False):
            with column:
                st.metric(kpi_label(card.name, lang, model),
                          format_value(card.mean, card.unit, lang),
                          help=card.target.source if card.target else None)
                if card.shows_median and card.n > 1:
                    st.caption(tr("median_shown", lang, k=card.n_never, n=card.n))
                if card.target is None:
                    st.caption(tr("no_target", lang))
                    continue
                if card.met is None:
                    verdict, colour = tr("no_verdict", lang), "gray"
                else:
                    verdict = tr("met", lang) if card.met else tr("not_met", lang)
                    colour = "green" if card.met else "red"
                detail = (f" · {tr('met_share', lang, k=card.n_met, n=card.n)}"
                          if len(results) > 1 else "")
                st.markdown(f":{colour}[**{verdict}**] · {tr('target', lang)} "
                            f"{format_target(card.target, card.unit, lang)}{detail}")
with st.expander(tr("kpis_other", lang), expanded=not first):
    table = service.kpi_table(cards, lang, model)
    st.dataframe(table, hide_index=True, key="kpi_table")
    st.download_button(tr("download_kpis", lang), table.to_csv(index=False).encode("utf-8"),
                       file_name=f"{shown.name}-kpis.csv", mime="text/csv", on_click="ignore",
                       key="download_kpis")

# --- map -----------------------------------------------------------------------------------------
if spec_for(shown).map_zones(shown):
    st.markdown(f"#### {tr('map', lang)}")
    layers = service.zone_layers(shown, results)
    frame = 0
    if layers is not None and layers.hours.size > 1:
        frame = st.select_slider(
            tr("map_time", lang), options=list(range(layers.hours.size)),
            value=int(layers.values.max(axis=0).argmax()) if layers.values.size else 0,
            format_func=lambda i: f"{layers.hours[i]:.1f} h", key="map_time")
    st.plotly_chart(charts.map_figure(shown, layers, frame, lang), key="map")

# --- timelines -----------------------------------------------------------------------------------
st.markdown(f"#### {tr('timelines', lang)}")
if len(results) > 1:
    st.caption(tr("band", lang))
for panel, figure in charts.timeline_figures(results, shown, lang):
    st.markdown(f"**{panel.title(lang)}**")
    st.plotly_chart(figure, key=f"timeline.{panel.key}")


def _timeline_png() -> bytes:
    return png_bytes(timeline_figure(timeseries_frame(results), shown.title or shown.name,
                                     spec_for(shown), figure_language(lang)))


st.download_button(tr("download_timeline", lang), _timeline_png,
                   file_name=f"{shown.name}-timeline.png", mime="image/png", on_click="ignore",
                   key="download_timeline")
