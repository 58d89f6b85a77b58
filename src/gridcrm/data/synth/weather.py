"""Regions, their daily temperature and their outage days.

Each region has a seasonal temperature curve (coldest mid-January, hottest
mid-July) plus AR(1) day-to-day noise, and a random set of outage days
(more in summer, when storms and peak load strike) with a severity in 0..1.
Temperature drives heating and cooling demand through degree days; outages
cut that day's consumption and raise calls, repairs and complaints.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gridcrm.data.schemas import WEATHER
from gridcrm.data.synth.calendar import Calendar
from gridcrm.data.synth.frames import build_frame

__all__ = ["Climate", "make_climate", "weather_frame", "HEATING_BASE_C", "COOLING_BASE_C"]

#: Below this daily mean temperature, heating demand rises (°C).
HEATING_BASE_C = 15.0
#: Above this daily mean temperature, cooling demand rises (°C).
COOLING_BASE_C = 22.0

# name: (annual mean °C, half the winter-summer swing °C, relative customer weight)
_REGIONS: dict[str, tuple[float, float, float]] = {
    "east_city": (17.0, 12.5, 1.6),
    "west_city": (16.0, 13.5, 1.3),
    "north_county": (14.0, 14.5, 0.8),
    "south_county": (19.5, 11.0, 0.8),
    "central_city": (17.5, 13.0, 1.2),
    "lake_county": (17.0, 12.0, 0.7),
}
_AR_PHI = 0.7
_AR_SD = 2.0


@dataclass(frozen=True)
class Climate:
    """Weather and outages of every region over the simulated days.

    Attributes
    ----------
    names : tuple of str
        Region names, indexed by region code.
    weight : ndarray
        Relative number of customers of each region.
    temp : ndarray, shape (n_regions, n_sim)
        True daily mean temperature, °C.
    hdd, cdd : ndarray, shape (n_regions, n_sim)
        Heating and cooling degree days.
    outage : ndarray, shape (n_regions, n_sim)
        Severity (0..1) of the region's outage that day, 0 when none.
    """

    names: tuple[str, ...]
    weight: np.ndarray
    temp: np.ndarray
    hdd: np.ndarray
    cdd: np.ndarray
    outage: np.ndarray

    def monthly_outage(self, cal: Calendar) -> np.ndarray:
        """Sum of outage severities per region and simulated month, shape (n_regions, n_months)."""
        return np.add.reduceat(self.outage, cal.month_lo, axis=1)


def _region_parameters(n_regions: int, rng: np.random.Generator) -> tuple[list[str], np.ndarray]:
    names = list(_REGIONS)[:n_regions]
    params = [_REGIONS[n] for n in names]
    for k in range(len(names), n_regions):
        names.append(f"region_{k + 1:02d}")
        params.append((rng.uniform(14.0, 20.0), rng.uniform(11.0, 14.5), rng.uniform(0.6, 1.4)))
    return names, np.array(params)


def make_climate(cal: Calendar, n_regions: int, rng: np.random.Generator) -> Climate:
    """Draw the temperature and outage days of ``n_regions`` regions.

    Parameters
    ----------
    cal : Calendar
    n_regions : int
        Number of regions; the first six have fixed names and climates.
    rng : numpy.random.Generator

    Returns
    -------
    Climate

    Examples
    --------
    >>> from gridcrm.data.synth.calendar import make_calendar
    >>> cal = make_calendar(pd.Timestamp("2024-01-01"), pd.Timestamp("2024-12-31"))
    >>> clim = make_climate(cal, 3, np.random.default_rng(0))
    >>> clim.names
    ('east_city', 'west_city', 'north_county')
    >>> bool(clim.temp[:, 180:220].mean() > clim.temp[:, :40].mean() + 15)
    True
    """
    names, params = _region_parameters(n_regions, rng)
    mean, swing, weight = params[:, 0:1], params[:, 1:2], params[:, 2]
    season = mean - swing * np.cos(2 * np.pi * (cal.doy - 15) / 365.25)[None, :]
    shocks = rng.normal(0.0, _AR_SD, size=(n_regions, cal.n_sim))
    noise = np.empty_like(shocks)
    noise[:, 0] = shocks[:, 0] / np.sqrt(1 - _AR_PHI**2)
    for d in range(1, cal.n_sim):  # a short recursion over days, vectorised over regions
        noise[:, d] = _AR_PHI * noise[:, d - 1] + shocks[:, d]
    temp = season + noise
    summer = np.exp(-0.5 * ((cal.doy - 200) / 35.0) ** 2)
    p_outage = 0.035 * (1.0 + 1.5 * summer)
    outage = (rng.random((n_regions, cal.n_sim)) < p_outage[None, :]) * rng.beta(1.5, 4.0, (n_regions, cal.n_sim))
    return Climate(
        names=tuple(names),
        weight=weight / weight.sum(),
        temp=temp,
        hdd=np.maximum(HEATING_BASE_C - temp, 0.0),
        cdd=np.maximum(temp - COOLING_BASE_C, 0.0),
        outage=outage,
    )


def weather_frame(climate: Climate, cal: Calendar, rng: np.random.Generator) -> pd.DataFrame:
    """The ``weather`` table: recorded temperature of each region up to ``end``.

    The record is the true temperature rounded to 0.1 °C; about one day in a
    thousand is missing (station outage).
    """
    n_regions, n_days = len(climate.names), cal.n_days
    order = np.argsort(np.array(climate.names))
    temp = np.round(climate.temp[order, :n_days], 1).ravel()
    temp[rng.random(temp.size) < 0.001] = np.nan
    names = np.array(climate.names, dtype=object)[order]
    return build_frame(
        WEATHER,
        {
            "region": np.repeat(names, n_days),
            "date": np.tile(cal.dates(np.arange(n_days)), n_regions),
            "temp_c": temp,
        },
    )
