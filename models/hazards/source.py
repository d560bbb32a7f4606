"""Chemical source terms: what is released, and how fast (kg/s) over time.

* :class:`Chemical` looks up a substance's properties in the `chemicals` package (Chemical
  Engineering Design Library; its data ship with it, nothing is downloaded): molecular weight,
  normal boiling point, vapour pressure and liquid density at a temperature.
* Three release models, each a pydantic section (``kind = "continuous" | "instantaneous" |
  "pool"``): a constant-rate leak, an instantaneous burst, and an evaporating liquid pool (US EPA
  RMP mass-transfer formula). Each gives a release rate ``q(t)`` (kg/s, ``t`` in seconds since the
  release began) that stops at a given stop time (the hazmat team's arrival, an argument of the
  rate function, not a field) or when the inventory is exhausted, whichever comes first.

Every model here releases at a constant rate from ``t = 0`` until it ends; :class:`ReleaseRate`
is that pair (rate, end), a vectorised callable that also knows its released mass exactly.

Equations, sources and limits: docs/models/chemical-physics.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from sim.config import StrictModel
from sim.units import Duration

__all__ = [
    "Chemical",
    "ContinuousRelease",
    "InstantaneousRelease",
    "PoolRelease",
    "Release",
    "ReleaseRate",
    "SHIPPED_CHEMICALS",
    "pool_evaporation_kg_s",
]

ZERO_CELSIUS_K = 273.15
STANDARD_ATMOSPHERE_PA = 101_325.0

# Names drsim guarantees, including the Chinese names used in the plans, mapped to CAS numbers.
# LPG (液化石油气) is modelled as propane: Chinese LPG is a propane/butane mix whose share varies
# with the season and the refinery; propane is the more volatile, lighter-than-butane choice.
_ALIASES = {
    "chlorine": "7782-50-5", "cl2": "7782-50-5", "氯气": "7782-50-5", "液氯": "7782-50-5",
    "ammonia": "7664-41-7", "nh3": "7664-41-7", "氨": "7664-41-7", "氨气": "7664-41-7",
    "液氨": "7664-41-7",
    "propane": "74-98-6", "lpg": "74-98-6", "liquefied petroleum gas": "74-98-6",
    "丙烷": "74-98-6", "液化石油气": "74-98-6",
    "mtbe": "1634-04-4", "methyl tert-butyl ether": "1634-04-4", "甲基叔丁基醚": "1634-04-4",
}
SHIPPED_CHEMICALS = {"7782-50-5": "chlorine", "7664-41-7": "ammonia", "74-98-6": "propane",
                     "1634-04-4": "MTBE"}
"""CAS number -> display name of the chemicals drsim's tests and scenarios rely on."""


# --- properties --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Chemical:
    """One substance's properties (SI units), from the `chemicals` package.

    Vapour pressure: DIPPR equation 101 with the coefficients of Perry's Chemical Engineers'
    Handbook (8th ed., table 2-8) inside their temperature range, else the Lee-Kesler corresponding
    states correlation. Liquid density: DIPPR equation 105 with Perry's table 2-32 coefficients
    inside their range, else COSTALD (Hankinson & Thomson 1979).
    """

    name: str
    cas: str
    molecular_weight: float  # g/mol
    boiling_point_k: float  # normal boiling point (at 101,325 Pa), K
    critical_temperature_k: float
    critical_pressure_pa: float
    critical_volume_m3_mol: float
    acentric_factor: float

    @staticmethod
    def lookup(name_or_cas: str) -> Chemical:
        """The chemical named ``name_or_cas`` (a name, Chinese name, formula or CAS number).

        Raises ValueError naming the input when the `chemicals` database does not know it.
        """
        return _lookup(str(name_or_cas).strip())

    def vapour_pressure_pa(self, temperature_k: float) -> float:
        """Saturation vapour pressure (Pa) at ``temperature_k`` (below the critical point)."""
        t = self._check_liquid(temperature_k)
        from chemicals import vapor_pressure
        from chemicals.dippr import EQ101

        table = vapor_pressure.Psat_data_Perrys2_8
        if self.cas in table.index:
            row = table.loc[self.cas]
            if row.Tmin <= t <= row.Tmax:
                return float(EQ101(t, row.C1, row.C2, row.C3, row.C4, row.C5))
        return float(vapor_pressure.Lee_Kesler(t, self.critical_temperature_k,
                                               self.critical_pressure_pa, self.acentric_factor))

    def liquid_density_kg_m3(self, temperature_k: float) -> float:
        """Density (kg/m³) of the saturated liquid at ``temperature_k``."""
        t = self._check_liquid(temperature_k)
        from chemicals import volume
        from chemicals.dippr import EQ105

        table = volume.rho_data_Perry_8E_105_l
        if self.cas in table.index:
            row = table.loc[self.cas]
            if row.Tmin <= t <= row.Tmax:
                molar = float(EQ105(t, row.C1, row.C2, row.C3, row.C4))  # mol/m³
                return molar * self.molecular_weight / 1000.0
        molar_volume = volume.COSTALD(t, self.critical_temperature_k,
                                      self.critical_volume_m3_mol, self.acentric_factor)
        return self.molecular_weight / 1000.0 / float(molar_volume)

    def _check_liquid(self, temperature_k: float) -> float:
        t = float(temperature_k)
        if not math.isfinite(t) or t <= 0:
            raise ValueError(f"temperature must be a positive number of kelvin, got {t!r}")
        if t >= self.critical_temperature_k:
            raise ValueError(
                f"{self.name} has no liquid at {t:g} K: its critical temperature is "
                f"{self.critical_temperature_k:g} K")
        return t


@lru_cache(maxsize=256)
def _lookup(text: str) -> Chemical:
    import chemicals

    if not text:
        raise ValueError("a chemical name or CAS number is required, got an empty string")
    cas = _ALIASES.get(text.lower())
    if cas is None:
        try:
            cas = chemicals.CAS_from_any(text)
        except Exception:  # the package raises ValueError, or others for odd strings
            raise ValueError(
                f"unknown chemical {text!r}: not a name, formula or CAS number in the "
                "`chemicals` database; give its CAS number (e.g. '7782-50-5' for chlorine)"
            ) from None
    values = {
        "molecular weight": chemicals.MW(cas),
        "normal boiling point": chemicals.Tb(cas),
        "critical temperature": chemicals.Tc(cas),
        "critical pressure": chemicals.Pc(cas),
        "critical volume": chemicals.Vc(cas),
        "acentric factor": chemicals.omega(cas),
    }
    missing = [what for what, value in values.items() if value is None]
    if missing:
        raise ValueError(f"chemical {text!r} (CAS {cas}) lacks data in the `chemicals` "
                         f"package: {', '.join(missing)}")
    name = SHIPPED_CHEMICALS.get(cas) or text
    return Chemical(name=name, cas=cas, molecular_weight=float(values["molecular weight"]),
                    boiling_point_k=float(values["normal boiling point"]),
                    critical_temperature_k=float(values["critical temperature"]),
                    critical_pressure_pa=float(values["critical pressure"]),
                    critical_volume_m3_mol=float(values["critical volume"]),
                    acentric_factor=float(values["acentric factor"]))


# --- release rate ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReleaseRate:
    """A constant release rate (kg/s) from ``t = 0`` until ``end_s`` (s); zero otherwise.

    Called with times in seconds since the release began, it returns the rate there (vectorised);
    :meth:`released_kg` is its exact integral. The plume model uses both (see
    :func:`models.hazards.plume.concentration_series`).
    """

    rate_kg_s: float
    end_s: float

    def __call__(self, t_s: np.ndarray | float) -> np.ndarray:
        t = np.asarray(t_s, dtype=float)
        return np.where((t >= 0) & (t < self.end_s), self.rate_kg_s, 0.0)

    def released_kg(self, t_s: np.ndarray | float) -> np.ndarray:
        """Mass released (kg) between the start and ``t_s``."""
        t = np.asarray(t_s, dtype=float)
        return self.rate_kg_s * np.clip(t, 0.0, self.end_s)

    @property
    def total_kg(self) -> float:
        return self.rate_kg_s * self.end_s


def _positive(value: float, what: str, unit: str) -> float:
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{what} must be a positive number of {unit}, got {value!r}: a release "
                         "of nothing (or less) cannot be modelled")
    return value


class _ReleaseBase(StrictModel):
    chemical: str = Field(
        min_length=1, description="Name, Chinese name, formula or CAS number (`chemicals` data).")

    @field_validator("chemical")
    @classmethod
    def _known(cls, value: str) -> str:
        Chemical.lookup(value)  # ValueError with a clear message for an unknown chemical
        return value

    @property
    def substance(self) -> Chemical:
        return Chemical.lookup(self.chemical)

    def rate_function(self, stop_s: float = math.inf) -> ReleaseRate:  # pragma: no cover
        raise NotImplementedError

    def release_rate_kg_s(self, t_s: np.ndarray | float, stop_s: float = math.inf) -> np.ndarray:
        """Release rate (kg/s) at ``t_s`` seconds after the start, stopped at ``stop_s``."""
        return self.rate_function(stop_s)(t_s)

    def released_kg(self, t_s: np.ndarray | float, stop_s: float = math.inf) -> np.ndarray:
        """Mass released (kg) by ``t_s`` seconds after the start, stopped at ``stop_s``."""
        return self.rate_function(stop_s).released_kg(t_s)


def _stopped(rate: float, end_s: float, stop_s: float) -> ReleaseRate:
    if math.isnan(stop_s):
        raise ValueError("stop_s must be a time in seconds (inf for never), got nan")
    return ReleaseRate(rate_kg_s=rate, end_s=max(0.0, min(end_s, stop_s)))


class ContinuousRelease(_ReleaseBase):
    """A leak at a constant rate (kg/s) for a duration, or until the inventory runs out."""

    kind: Literal["continuous"] = "continuous"
    rate_kg_s: float = Field(description="Release rate (kg/s), > 0.")
    duration: Duration = Field(description="How long the leak lasts if nobody stops it (> 0).")
    inventory_kg: float | None = Field(
        default=None, description="Mass available (kg); the leak ends when it is gone.")

    @field_validator("rate_kg_s")
    @classmethod
    def _rate(cls, value: float) -> float:
        return _positive(value, "rate_kg_s", "kg/s")

    @field_validator("duration")
    @classmethod
    def _duration(cls, value: float) -> float:
        return _positive(value, "duration", "minutes")

    @field_validator("inventory_kg")
    @classmethod
    def _inventory(cls, value: float | None) -> float | None:
        return None if value is None else _positive(value, "inventory_kg", "kg")

    def rate_function(self, stop_s: float = math.inf) -> ReleaseRate:
        """The rate over time, stopped at ``stop_s`` seconds (the hazmat team's arrival)."""
        end = self.duration * 60.0
        if self.inventory_kg is not None:
            end = min(end, self.inventory_kg / self.rate_kg_s)
        return _stopped(self.rate_kg_s, end, stop_s)


class InstantaneousRelease(_ReleaseBase):
    """A burst (vessel rupture): ``mass_kg`` released within ``release_time_s``."""

    kind: Literal["instantaneous"] = "instantaneous"
    mass_kg: float = Field(description="Mass released (kg), > 0.")
    release_time_s: float = Field(
        default=1.0, description="Seconds over which the burst happens (assumption: 1 s).")

    @field_validator("mass_kg")
    @classmethod
    def _mass(cls, value: float) -> float:
        return _positive(value, "mass_kg", "kg")

    @field_validator("release_time_s")
    @classmethod
    def _time(cls, value: float) -> float:
        return _positive(value, "release_time_s", "seconds")

    def rate_function(self, stop_s: float = math.inf) -> ReleaseRate:
        return _stopped(self.mass_kg / self.release_time_s, self.release_time_s, stop_s)


# US EPA (1999, rev. 2009) Risk Management Program Guidance for Offsite Consequence Analysis,
# EPA 550-B-99-009, Appendix D, eq. D-1 (after Kawamura & MacKay 1987):
#   QR [lb/min] = 0.284 · U^0.78 · MW^(2/3) · A [ft²] · VP [mmHg] / (82.05 · T [K]),  U in m/s.
RMP_COEFFICIENT = 0.284
RMP_GAS_CONSTANT = 82.05  # atm·cm³/(mol·K), as written in the guidance
LB_PER_MIN_TO_KG_S = 0.45359237 / 60.0
M2_TO_FT2 = 1.0 / 0.09290304
PA_TO_MMHG = 760.0 / STANDARD_ATMOSPHERE_PA


def pool_evaporation_kg_s(molecular_weight: float, area_m2: float, vapour_pressure_pa: float,
                          temperature_k: float, wind_speed_m_s: float) -> float:
    """Evaporation rate (kg/s) of a non-boiling pool: US EPA RMP guidance eq. D-1, in SI."""
    lb_per_min = (RMP_COEFFICIENT * wind_speed_m_s**0.78 * molecular_weight ** (2.0 / 3.0)
                  * area_m2 * M2_TO_FT2 * vapour_pressure_pa * PA_TO_MMHG
                  / (RMP_GAS_CONSTANT * temperature_k))
    return lb_per_min * LB_PER_MIN_TO_KG_S


class PoolRelease(_ReleaseBase):
    """A spilled liquid evaporating from a pool of fixed area at a fixed temperature.

    The rate is constant (RMP eq. D-1) until the spilled mass is gone. Give the pool's area, or its
    depth (the area is then mass / (density · depth)); RMP's default for an undiked spill is 1 cm.
    """

    kind: Literal["pool"] = "pool"
    mass_kg: float = Field(description="Mass of liquid spilled (kg), > 0.")
    area_m2: float | None = Field(default=None, description="Pool area (m²); or give depth_m.")
    depth_m: float | None = Field(default=None, description="Pool depth (m); or give area_m2.")
    temperature_c: float = Field(
        default=25.0, description="Pool temperature (°C); assumption: 25 °C ambient. At most the "
        "normal boiling point: a boiling pool is outside this model.")
    wind_speed_m_s: float = Field(
        default=1.5, description="Wind speed at 10 m over the pool (m/s); 1.5 is RMP's "
        "worst-case value.")

    @field_validator("mass_kg")
    @classmethod
    def _mass(cls, value: float) -> float:
        return _positive(value, "mass_kg", "kg")

    @field_validator("area_m2", "depth_m")
    @classmethod
    def _size(cls, value: float | None, info) -> float | None:
        return None if value is None else _positive(value, info.field_name, "metres")

    @field_validator("wind_speed_m_s")
    @classmethod
    def _wind(cls, value: float) -> float:
        return _positive(value, "wind_speed_m_s", "m/s")

    @model_validator(mode="after")
    def _pool(self) -> PoolRelease:
        if (self.area_m2 is None) == (self.depth_m is None):
            raise ValueError("give exactly one of area_m2 and depth_m for a pool")
        chem = self.substance
        t = self.temperature_c + ZERO_CELSIUS_K
        if not math.isfinite(t) or t <= 0:
            raise ValueError(
                f"temperature_c: must be above absolute zero, got {self.temperature_c}")
        if t > chem.boiling_point_k:
            raise ValueError(
                f"temperature_c: a pool of {chem.name} at {self.temperature_c:g} °C is above its "
                f"normal boiling point ({chem.boiling_point_k - ZERO_CELSIUS_K:.1f} °C) and would "
                "boil, which this evaporation formula does not model: use a continuous release "
                "(flashing liquefied gas) or the temperature of a refrigerated pool")
        return self

    @property
    def temperature_k(self) -> float:
        return self.temperature_c + ZERO_CELSIUS_K

    def pool_area_m2(self) -> float:
        """The pool's area (m²): given, or mass / (liquid density · depth)."""
        if self.area_m2 is not None:
            return self.area_m2
        assert self.depth_m is not None
        return self.mass_kg / (self.substance.liquid_density_kg_m3(self.temperature_k)
                               * self.depth_m)

    def evaporation_kg_s(self) -> float:
        """Evaporation rate (kg/s) while liquid remains."""
        chem = self.substance
        return pool_evaporation_kg_s(chem.molecular_weight, self.pool_area_m2(),
                                     chem.vapour_pressure_pa(self.temperature_k),
                                     self.temperature_k, self.wind_speed_m_s)

    def rate_function(self, stop_s: float = math.inf) -> ReleaseRate:
        rate = self.evaporation_kg_s()
        return _stopped(rate, self.mass_kg / rate, stop_s)


Release = Annotated[ContinuousRelease | InstantaneousRelease | PoolRelease,
                    Field(discriminator="kind")]
"""A release section: ``kind = "continuous"``, ``"instantaneous"`` or ``"pool"``."""
