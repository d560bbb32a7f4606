"""Fixtures for the engine (sim/) tests."""

from __future__ import annotations

import pytest
import simpy


@pytest.fixture
def env() -> simpy.Environment:
    """A fresh SimPy environment starting at time 0."""
    return simpy.Environment()
