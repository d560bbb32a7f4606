"""Fixtures of the dashboard tests: a stored tiny experiment, clean Streamlit caches."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from stored_experiment import store_tiny_experiment


@pytest.fixture(scope="session")
def tiny_experiment(tmp_path_factory) -> Path:
    return store_tiny_experiment(tmp_path_factory.mktemp("experiment") / "tiny-options")


@pytest.fixture(autouse=True)
def _clear_caches():
    """Each test starts with empty Streamlit caches (no result leaks from one to the next)."""
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
