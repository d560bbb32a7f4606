"""Great-circle distances (haversine, mean Earth radius 6371.0088 km)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.geo import EARTH_RADIUS_KM, distance_matrix_km, haversine_km

ONE_DEGREE_KM = EARTH_RADIUS_KM * math.pi / 180.0   # 111.195 km

lons = st.floats(-180.0, 180.0)
lats = st.floats(-90.0, 90.0)


def test_one_degree_of_latitude_is_about_111_km():
    assert float(haversine_km(113.0, 33.0, 113.0, 34.0)) == pytest.approx(111.195, abs=1e-3)
    assert float(haversine_km(113.0, 33.0, 113.0, 34.0)) == pytest.approx(ONE_DEGREE_KM)


def test_one_degree_of_longitude_shrinks_with_latitude():
    assert float(haversine_km(0.0, 0.0, 1.0, 0.0)) == pytest.approx(ONE_DEGREE_KM)
    # at 60 degrees: 2 R asin(cos 60 * sin 0.5 deg), about half a degree of latitude
    expected = 2 * EARTH_RADIUS_KM * math.asin(0.5 * math.sin(math.radians(0.5)))
    assert float(haversine_km(10.0, 60.0, 11.0, 60.0)) == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx(ONE_DEGREE_KM / 2, rel=1e-4)


def test_zero_distance_and_antipodes():
    assert float(haversine_km(113.6, 34.7, 113.6, 34.7)) == 0.0
    assert float(haversine_km(0.0, 0.0, 180.0, 0.0)) == pytest.approx(math.pi * EARTH_RADIUS_KM)
    assert float(haversine_km(0.0, 90.0, 0.0, -90.0)) == pytest.approx(math.pi * EARTH_RADIUS_KM)


def test_longitude_wraps_at_the_date_line():
    assert float(haversine_km(179.5, 0.0, -179.5, 0.0)) == pytest.approx(ONE_DEGREE_KM)


@settings(max_examples=200, deadline=None)
@given(a=st.tuples(lons, lats), b=st.tuples(lons, lats), c=st.tuples(lons, lats))
def test_haversine_is_a_metric_on_the_sphere(a, b, c):
    ab = float(haversine_km(*a, *b))
    assert ab == pytest.approx(float(haversine_km(*b, *a)), abs=1e-9)
    assert 0.0 <= ab <= math.pi * EARTH_RADIUS_KM + 1e-9
    assert ab <= float(haversine_km(*a, *c)) + float(haversine_km(*c, *b)) + 1e-6


def test_distance_matrix_rows_are_a_points_columns_b_points():
    lon_a, lat_a = np.array([113.0, 114.0]), np.array([33.0, 34.0])
    lon_b, lat_b = np.array([113.0, 113.0, 115.0]), np.array([33.0, 34.0, 33.5])
    m = distance_matrix_km(lon_a, lat_a, lon_b, lat_b)
    assert m.shape == (2, 3)
    for i in range(2):
        for j in range(3):
            assert m[i, j] == pytest.approx(float(haversine_km(lon_a[i], lat_a[i],
                                                               lon_b[j], lat_b[j])))
    assert m[0, 0] == 0.0 and m[0, 1] == pytest.approx(ONE_DEGREE_KM)
