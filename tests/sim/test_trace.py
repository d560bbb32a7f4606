"""The structured event trace: off by default, a typed DataFrame, a Parquet round trip."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from sim.trace import TRACE_COLUMNS, Trace

DTYPES = {"time": "float64", "kind": "string", "entity": "string", "place": "string",
          "quantity": "float64"}


@pytest.fixture
def trace() -> Trace:
    trace = Trace(enabled=True)
    trace.log(0, "request", "boat-1", "depot", 2)
    trace.log(1.5, "grant", "boat-1", "depot", 1)
    trace.log(4, "rescued", "household-7")  # a model's own kind; place and quantity left out
    return trace


def test_disabled_trace_records_nothing():
    trace = Trace()
    assert not trace.enabled
    trace.log(1, "grant", "boat-1", "depot", 1)
    assert len(trace) == 0
    assert trace.rows() == []
    frame = trace.to_frame()
    assert list(frame.columns) == list(TRACE_COLUMNS) and len(frame) == 0


def test_enabled_trace_keeps_rows_in_order(trace: Trace):
    assert len(trace) == 3
    rows = trace.rows()
    assert rows[:2] == [(0.0, "request", "boat-1", "depot", 2.0),
                        (1.5, "grant", "boat-1", "depot", 1.0)]
    time, kind, entity, place, quantity = rows[2]
    assert (time, kind, entity, place) == (4.0, "rescued", "household-7", "")
    assert math.isnan(quantity)
    assert trace.rows("grant") == [(1.5, "grant", "boat-1", "depot", 1.0)]
    assert trace.rows("cancel") == []


def test_rows_returns_a_copy(trace: Trace):
    trace.rows().clear()
    assert len(trace) == 3


def test_to_frame_columns_and_dtypes(trace: Trace):
    frame = trace.to_frame()
    assert list(frame.columns) == list(TRACE_COLUMNS)
    assert {name: str(dtype) for name, dtype in frame.dtypes.items()} == DTYPES
    assert frame["kind"].tolist() == ["request", "grant", "rescued"]
    assert frame["time"].tolist() == [0.0, 1.5, 4.0]
    assert frame["quantity"].isna().tolist() == [False, False, True]


def test_empty_frame_has_the_same_dtypes():
    frame = Trace(enabled=True).to_frame()
    assert {name: str(dtype) for name, dtype in frame.dtypes.items()} == DTYPES


def test_parquet_round_trip(trace: Trace, tmp_path):
    path = tmp_path / "trace.parquet"
    trace.to_parquet(path)
    back = pd.read_parquet(path)
    pd.testing.assert_frame_equal(back, trace.to_frame())
