"""Drill control (built with the drills package)."""

import streamlit as st

from dashboard.i18n import tr

st.title(tr("page_drill", st.session_state.get("lang", "en")))
