"""Latent behaviour segments of the synthetic customers.

Every customer belongs to one customer class of the data model and, inside
it, to one latent segment that fixes how it uses electricity: the level, the
weekly pattern, the reaction to holidays, to the Spring Festival and to the
weather, the irrigation season and the day-to-day noise. The segments are the
"true clusters" a segmentation model should find again; they are kept in the
generator's truth table, never in the dataset.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gridcrm.data.schemas import CUSTOMER_CLASSES

__all__ = ["Segment", "SEGMENTS", "CLASS_SHARES", "TARIFFS", "segment_array"]


@dataclass(frozen=True)
class Segment:
    """How one latent group of customers uses electricity.

    Parameters
    ----------
    name : str
        Segment name, unique.
    customer_class : str
        Customer class of the data model the segment belongs to.
    share : float
        Share of the class's customers in the segment.
    weekly : tuple of 7 float
        Consumption factor Monday .. Sunday.
    holiday : float
        Factor on public holidays (replaces the weekday factor).
    spring : float
        Depth of the Spring Festival dip (0.6 = down to 40 %); negative is a rise.
    level : tuple of 2 float
        Range of the base level: mean daily kWh for residential segments,
        otherwise the load factor (share of ``contracted_kva × 24 h``).
    heat, cool : float
        Relative rise of consumption per heating / cooling degree day.
    noise : float
        Standard deviation of the log of the daily multiplicative noise.
    industry : tuple of str
        GB/T 4754 industry codes the segment draws from (empty: none).
    irrigation : bool
        Whether consumption follows the spring-summer irrigation season.
    """

    name: str
    customer_class: str
    share: float
    weekly: tuple[float, ...]
    holiday: float
    spring: float
    level: tuple[float, float]
    heat: float
    cool: float
    noise: float
    industry: tuple[str, ...] = ()
    irrigation: bool = False


_FLAT = (1.0,) * 7
_HOME = (1.0, 1.0, 1.0, 1.0, 1.02, 1.10, 1.12)

#: All segments, grouped by class in the order of :data:`CUSTOMER_CLASSES`.
SEGMENTS: tuple[Segment, ...] = (
    Segment("small_household", "residential", 0.30, _HOME, 1.10, -0.15, (2.0, 5.0), 0.030, 0.050, 0.28),
    Segment("family", "residential", 0.38, _HOME, 1.10, -0.20, (5.0, 11.0), 0.035, 0.065, 0.22),
    Segment("high_consumption", "residential", 0.14, _HOME, 1.08, -0.20, (11.0, 22.0), 0.040, 0.090, 0.20),
    Segment("electric_heating", "residential", 0.10, _HOME, 1.10, -0.25, (6.0, 12.0), 0.090, 0.050, 0.22),
    Segment("second_home", "residential", 0.08, (0.9, 0.9, 0.9, 0.9, 1.0, 1.3, 1.3), 1.4, -0.4, (1.5, 5.0),
            0.020, 0.050, 0.40),
    Segment("office", "commercial", 0.50, (1.10, 1.10, 1.10, 1.10, 1.05, 0.45, 0.40), 0.45, 0.55, (0.12, 0.30),
            0.020, 0.050, 0.12, ("I65", "L72", "J66", "M74")),
    Segment("shop", "commercial", 0.35, (1.0, 1.0, 1.0, 1.0, 1.05, 0.85, 0.75), 0.85, 0.30, (0.10, 0.25),
            0.015, 0.045, 0.12, ("F51", "F52")),
    Segment("hospitality", "commercial", 0.15, (0.95, 0.95, 0.95, 1.0, 1.05, 1.10, 1.0), 1.10, -0.05,
            (0.15, 0.35), 0.030, 0.050, 0.10, ("H61", "H62")),
    Segment("one_shift", "industrial", 0.40, (1.0, 1.0, 1.0, 1.0, 1.0, 0.55, 0.30), 0.35, 0.65, (0.10, 0.25),
            0.005, 0.010, 0.10, ("C18", "C19", "C21", "C33")),
    Segment("two_shift", "industrial", 0.40, (1.0, 1.0, 1.0, 1.0, 1.0, 0.80, 0.50), 0.50, 0.60, (0.20, 0.40),
            0.005, 0.010, 0.09, ("C29", "C34", "C38", "C39")),
    Segment("continuous", "industrial", 0.20, (1.0, 1.0, 1.0, 1.0, 1.0, 0.95, 0.92), 0.90, 0.35, (0.35, 0.60),
            0.003, 0.008, 0.07, ("C22", "C26", "C30")),
    Segment("irrigation", "agricultural", 0.65, _FLAT, 1.0, 0.0, (0.04, 0.12), 0.0, 0.040, 0.35,
            ("A01", "A05"), irrigation=True),
    Segment("livestock", "agricultural", 0.35, _FLAT, 1.0, 0.05, (0.15, 0.30), 0.030, 0.040, 0.15, ("A03", "A04")),
    Segment("process", "large_industry", 0.60, (1.0, 1.0, 1.0, 1.0, 1.0, 0.97, 0.96), 0.95, 0.20, (0.45, 0.70),
            0.002, 0.005, 0.05, ("C26", "C30", "C31", "C32")),
    Segment("batch", "large_industry", 0.40, (1.0, 1.0, 1.0, 1.0, 1.0, 0.80, 0.65), 0.60, 0.50, (0.30, 0.50),
            0.002, 0.005, 0.07, ("C35", "C36", "C39")),
)

#: Target share of each customer class.
CLASS_SHARES: dict[str, float] = {
    "residential": 0.80,
    "commercial": 0.12,
    "industrial": 0.05,
    "agricultural": 0.02,
    "large_industry": 0.01,
}

#: Tariff code of each class (index = class code).
TARIFFS: tuple[str, ...] = ("res_tiered", "commercial_flat", "industrial_flat", "agri_flat", "large_industry_2part")

assert tuple(CLASS_SHARES) == CUSTOMER_CLASSES and len(TARIFFS) == len(CUSTOMER_CLASSES)


def segment_array(attribute: str) -> np.ndarray:
    """One attribute of every segment as an array indexed by segment code.

    Parameters
    ----------
    attribute : str
        A field of :class:`Segment`.

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> segment_array("noise").shape
    (15,)
    """
    return np.array([getattr(s, attribute) for s in SEGMENTS])
