"""Option comparison: load an experiment's results (or run a small one here), rank options by a
KPI with confidence intervals, probability of meeting each plan target, cost-effectiveness,
downloads and a one-page briefing."""

import io
import zipfile
from pathlib import Path

import streamlit as st

from dashboard import charts
from dashboard import comparison as comparison_service
from dashboard.briefing import briefing_html, figure_png
from dashboard.i18n import kpi_label, tr
from experiments.report import forest_figure, frontier_figure, target_figure
from experiments.spec import bundled_spec_names

lang = st.session_state.get("lang", "en")
st.title(tr("page_compare", lang))

load_tab, run_tab = st.tabs([tr("experiment_tab_load", lang), tr("experiment_run", lang)])
with load_tab, st.form("load_experiment"):
    folder = st.text_input(tr("experiment_dir", lang), key="experiment_dir",
                           placeholder="results/zhumadian-capability-options")
    if st.form_submit_button(tr("experiment_load", lang)):
        try:
            st.session_state["experiment"] = comparison_service.load_experiment(folder).folder
        except comparison_service.ExperimentError as exc:
            st.session_state.pop("experiment", None)
            st.error(f"**{tr('experiment_error', lang)}** — {exc}", icon=":material/error:")
with run_tab, st.form("run_experiment"):
    specs = bundled_spec_names()
    spec = st.selectbox(tr("experiment_spec", lang), specs, key="experiment_spec")
    st.session_state.setdefault("experiment_reps", 4)
    reps = st.number_input(tr("experiment_reps", lang), min_value=1, max_value=500,
                           key="experiment_reps")
    out = st.text_input(tr("experiment_out", lang), key="experiment_out",
                        placeholder=str(Path("results") / "dashboard-<spec>-<replications>"))
    if st.form_submit_button(tr("experiment_go", lang)):
        bar = st.progress(0.0)
        try:
            # Default folder per spec and replication count: a second run with another count
            # does not collide with the first one's results.
            folder = out.strip() or str(Path("results") / f"dashboard-{spec}-{int(reps)}")
            experiment = comparison_service.run_small_experiment(
                spec, int(reps), folder,
                progress=lambda done, total: bar.progress(done / total, f"{done}/{total}"))
            st.session_state["experiment"] = experiment.folder
        except comparison_service.ExperimentError as exc:
            st.error(f"**{tr('experiment_error', lang)}** — {exc}", icon=":material/error:")
        bar.empty()

if "experiment" not in st.session_state:
    st.info(tr("experiment_none", lang))
    st.stop()
try:
    experiment = comparison_service.load_experiment(st.session_state["experiment"])
except comparison_service.ExperimentError as exc:  # the folder changed under us
    st.error(f"**{tr('experiment_error', lang)}** — {exc}", icon=":material/error:")
    st.stop()

spec = experiment.spec
st.subheader(spec.title or spec.name)
st.caption(tr("experiment_caption", lang, folder=experiment.folder, options=len(spec.options),
              reps=int(experiment.table.groupby("option")["replication"].count().min()),
              base=experiment.manifest.get("base_scenario", {}).get("name")))
choices = comparison_service.outcome_choices(experiment)
kpi = st.selectbox(tr("rank_by", lang), choices, format_func=lambda k: kpi_label(k, lang),
                   key="rank_by")
comparison = comparison_service.compare(experiment, kpi)

heading = "ranking_median" if comparison_service.ranked_by_median(comparison) else "ranking"
st.markdown(f"#### {tr(heading, lang)}")
st.caption(tr({-1: "lower_better", 1: "higher_better"}.get(comparison.direction, "not_judged"),
              lang))
st.dataframe(comparison_service.shown(comparison.ranking, kpi, lang), hide_index=True,
             key="ranking_table")
st.plotly_chart(charts.ranking_figure(comparison.ranking, kpi, lang), key="ranking_chart")

if not comparison.targets.empty:
    st.markdown(f"#### {tr('target_probability', lang)}")
    st.dataframe(comparison_service.shown(comparison.targets.assign(
        kpi=comparison.targets["kpi"].map(lambda k: kpi_label(str(k), lang))), lang=lang),
        hide_index=True, key="target_table")
    st.plotly_chart(charts.target_figure(comparison.targets, lang), key="target_chart")

if not comparison.costs.empty and "deaths_averted" in comparison.costs.columns:
    st.markdown(f"#### {tr('cost_effectiveness', lang)}")
    st.dataframe(comparison_service.shown(comparison.costs, lang=lang), hide_index=True,
                 key="cost_table")
    st.plotly_chart(charts.frontier_figure(comparison.costs, lang), key="cost_chart")


def _tables_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, frame in (("ranking", comparison.ranking),
                            ("paired_differences", comparison.differences),
                            ("target_probabilities", comparison.targets),
                            ("cost_effectiveness", comparison.costs)):
            archive.writestr(f"{spec.name}-{name}.csv", frame.to_csv(index=False))
    return buffer.getvalue()


def _figures_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        if not comparison.differences.empty:
            archive.writestr(f"difference-{kpi}.png",
                             figure_png(forest_figure(comparison.differences, kpi)))
        if not comparison.targets.empty:
            archive.writestr("targets.png", figure_png(target_figure(comparison.targets)))
        if not comparison.costs.empty and "deaths_averted" in comparison.costs.columns:
            archive.writestr("frontier.png", figure_png(frontier_figure(comparison.costs)))
    return buffer.getvalue()


a, b, c = st.columns(3)
a.download_button(tr("download_tables", lang), _tables_zip, file_name=f"{spec.name}-tables.zip",
                  mime="application/zip", on_click="ignore", key="download_tables")
b.download_button(tr("download_figure", lang), _figures_zip,
                  file_name=f"{spec.name}-figures.zip", mime="application/zip",
                  on_click="ignore", key="download_figures")
c.download_button(tr("briefing", lang),
                  lambda: briefing_html(experiment, comparison, lang).encode("utf-8"),
                  file_name=f"{spec.name}-{kpi}-briefing.html", mime="text/html",
                  on_click="ignore", key="download_briefing", type="primary")
