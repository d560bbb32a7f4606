"""drsim dashboard entry point (``drsim dashboard`` or ``streamlit run dashboard/app.py``).

A multipage app: the language switch lives in the sidebar and in ``st.session_state["lang"]``;
every page reads it from there. UI state lives in ``st.session_state`` only.
"""

import streamlit as st

from dashboard.i18n import LANGUAGES, tr

st.set_page_config(page_title="drsim", page_icon=":material/flood:", layout="wide")
st.session_state.setdefault("lang", "en")
# Streamlit forgets a widget's value when its page is not shown; keep the choices a user makes
# on one page while visiting another (re-assigning a key detaches it from the widget).
for key in ("scenario", "experiment_dir", "experiment_spec", "experiment_reps",
            "experiment_out", "drill_dir", "drill_key", "drill_role", "drill_experiment"):
    if key in st.session_state:
        st.session_state[key] = st.session_state[key]
st.sidebar.radio(tr("language", st.session_state["lang"]), list(LANGUAGES),
                 format_func=LANGUAGES.__getitem__, key="lang", horizontal=True)
lang = st.session_state["lang"]

pages = [
    st.Page("views/explorer.py", title=tr("page_explorer", lang), icon=":material/map:",
            url_path="explorer", default=True),
    st.Page("views/compare.py", title=tr("page_compare", lang), icon=":material/balance:",
            url_path="compare"),
    st.Page("views/drill.py", title=tr("page_drill", lang), icon=":material/flag:",
            url_path="drill"),
]
st.sidebar.caption(tr("app_title", lang))
st.navigation(pages).run()
