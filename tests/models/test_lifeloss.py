"""Life loss: flood hazard rating (FD2320/FD2321) and lethality zones (McClelland & Bowles 2002).

Class boundaries: ``hazard_class`` bins with lower bounds inclusive, so a threshold belongs to the
more dangerous class: HR 0.75 is "danger for some", 1.25 "danger for most", and exactly 2.0 is
already "danger for all" (FD2321 writes the last class as "> 2.0").
"""

from __future__ import annotations

import numpy as np
import pytest

from models.lifeloss import HR_CLASSES, LifeLossSection, hazard_class, hazard_rating, lethality
from models.population import VULNERABLE

SECTION = LifeLossSection()
SAFE, COMPROMISED, CHANCE = 0.0002, 0.12, 0.91


@pytest.mark.parametrize("depth, velocity, debris, hr", [
    (1.0, 1.0, 0.5, 2.0),         # 1.0 * 1.5 + 0.5
    (0.5, 0.0, 0.0, 0.25),        # still water: d * 0.5
    (0.3, 2.0, 1.0, 1.75),        # 0.3 * 2.5 + 1
    (2.0, 0.25, 0.5, 2.0),        # 2.0 * 0.75 + 0.5
    (0.2, 0.5, 0.5, 0.7),         # 0.2 * 1.0 + 0.5
    (0.0, 3.0, 1.0, 0.0),         # dry: no debris either
])
def test_hazard_rating_at_hand_computed_points(depth, velocity, debris, hr):
    assert float(hazard_rating(depth, velocity, debris)) == pytest.approx(hr)


def test_hazard_rating_broadcasts_over_arrays():
    hr = hazard_rating(np.array([0.0, 0.4, 1.2]), np.array([1.0, 0.5, 2.0]),
                       np.array([1.0, 0.5, 0.0]))
    np.testing.assert_allclose(hr, [0.0, 0.9, 3.0])


@pytest.mark.parametrize("hr, cls", [
    (0.0, 0), (0.74999, 0),
    (0.75, 1), (1.0, 1), (1.24999, 1),
    (1.25, 2), (1.99999, 2),
    (2.0, 3), (2.00001, 3), (10.0, 3),
])
def test_hazard_class_thresholds_lower_bound_inclusive(hr, cls):
    assert int(hazard_class(hr)) == cls


def test_hazard_classes_have_fd2321_names():
    got = [HR_CLASSES[int(c)] for c in hazard_class([0.5, 1.0, 1.5, 2.5])]
    assert got == ["low", "danger for some", "danger for most", "danger for all"]


def test_defaults_are_the_published_rates():
    assert (SECTION.chance_rate, SECTION.compromised_rate, SECTION.safe_rate) == (
        CHANCE, COMPROMISED, SAFE)
    assert SECTION.debris_factor == 0.5


@pytest.mark.parametrize("hr, vulnerable, rate", [
    (0.0, True, SAFE), (0.5, True, SAFE), (0.5, False, SAFE),
    (0.75, True, COMPROMISED), (1.0, True, COMPROMISED), (1.0, False, SAFE),
    (1.25, False, COMPROMISED), (1.5, True, COMPROMISED), (1.9, False, COMPROMISED),
    (2.0, False, CHANCE), (2.5, True, CHANCE), (4.0, False, CHANCE),
])
def test_lethality_zone_by_hazard_class_and_vulnerability(hr, vulnerable, rate):
    assert float(lethality(hr, vulnerable, SECTION)) == rate


def test_lethality_by_group_children_adults_elderly():
    """Class 1 endangers children and elderly only; class 2 everyone; class 3 is 'chance'."""
    np.testing.assert_array_equal(lethality(0.5, VULNERABLE, SECTION), [SAFE, SAFE, SAFE])
    np.testing.assert_array_equal(lethality(1.0, VULNERABLE, SECTION),
                                  [COMPROMISED, SAFE, COMPROMISED])
    np.testing.assert_array_equal(lethality(1.5, VULNERABLE, SECTION), [COMPROMISED] * 3)
    np.testing.assert_array_equal(lethality(3.0, VULNERABLE, SECTION), [CHANCE] * 3)


def test_lethality_uses_the_sections_rates():
    section = LifeLossSection(chance_rate=0.5, compromised_rate=0.05, safe_rate=0.0)
    np.testing.assert_array_equal(lethality([0.1, 1.0, 1.5, 2.2], True, section),
                                  [0.0, 0.05, 0.05, 0.5])


def test_lethality_is_non_decreasing_in_hazard_rating():
    hr = np.linspace(0.0, 4.0, 401)
    for vulnerable in (True, False):
        assert np.all(np.diff(lethality(hr, vulnerable, SECTION)) >= 0)
    assert np.all(lethality(hr, True, SECTION) >= lethality(hr, False, SECTION))


def test_knee_deep_fast_water_with_debris_is_deadly_for_all():
    """d = 0.6 m, v = 2 m/s, DF = 1 (vehicles): HR = 0.6 * 2.5 + 1 = 2.5, the chance zone."""
    hr = hazard_rating(0.6, 2.0, SECTION.in_transit_debris_factor)
    assert float(hr) == pytest.approx(2.5)
    assert float(lethality(hr, False, SECTION)) == CHANCE
