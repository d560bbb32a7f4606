"""Option comparison."""

import streamlit as st

from dashboard.i18n import tr

st.title(tr("page_compare", st.session_state.get("lang", "en")))
