"""Distances on the Earth's surface (WGS84 lon/lat in degrees, results in km)."""

from __future__ import annotations

import numpy as np

__all__ = ["EARTH_RADIUS_KM", "haversine_km", "distance_matrix_km"]

EARTH_RADIUS_KM = 6371.0088  # IUGG mean Earth radius


def haversine_km(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Great-circle distance (km) by the haversine formula; broadcasts over arrays."""
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(a, dtype=float)) for a in (lon1, lat1, lon2,
                                                                              lat2))
    a = (np.sin((lat2 - lat1) / 2) ** 2
         + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def distance_matrix_km(lon_a, lat_a, lon_b, lat_b) -> np.ndarray:
    """Distances (km) from each point a (rows) to each point b (columns)."""
    return haversine_km(np.asarray(lon_a)[:, None], np.asarray(lat_a)[:, None],
                        np.asarray(lon_b)[None, :], np.asarray(lat_b)[None, :])
