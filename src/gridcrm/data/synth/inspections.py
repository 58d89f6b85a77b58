"""The ``inspections`` table: site visits of the utility's inspection crews, with what they found.

Every theft the generator records as found (``truth.theft_found_on``) was found by an inspection on that
day (result ``theft``); a meter fault ends the day a crew finds and replaces the meter
(``truth.fault_to``, result ``meter_fault``); and crews make routine visits that find nothing (result
``clean``) at :data:`ROUTINE_RATE` visits per open customer-year, never while a theft or a fault is
active (a visit then would have found it). Drawn from the generator's ``inspections`` stream, so the
other tables do not move.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridcrm.data.schemas import INSPECTIONS
from gridcrm.data.synth.frames import build_frame

__all__ = ["ROUTINE_RATE", "inspections_frame"]

#: Routine (clean) inspections per open customer and year.
ROUTINE_RATE = 0.05


def inspections_frame(customers: pd.DataFrame, truth: pd.DataFrame, first_day: pd.Timestamp,
                      last_day: pd.Timestamp, rng: np.random.Generator) -> pd.DataFrame:
    """One row per inspection: ``customer_id``, ``date``, ``result`` (theft, meter_fault or clean).

    Examples
    --------
    >>> from gridcrm.data.synth import generate_dataset
    >>> s = generate_dataset(400, "2023-01-01", "2024-06-30", seed=3)
    >>> ins = s.dataset["inspections"]
    >>> found = s.truth["theft_found_on"].dropna()
    >>> theft = ins[ins["result"] == "theft"].set_index("customer_id")["date"]
    >>> bool((theft.sort_index() == found.sort_index()).all())
    True
    """
    ids = customers["customer_id"].to_numpy()
    t = truth.reindex(ids)
    found = t["theft_found_on"].notna().to_numpy() & (t["theft_found_on"] <= last_day).to_numpy()
    fixed = t["fault_to"].notna().to_numpy() & (t["fault_to"] <= last_day).to_numpy()
    parts = [pd.DataFrame({"customer_id": ids[found], "date": t["theft_found_on"].to_numpy()[found],
                           "result": "theft"}),
             pd.DataFrame({"customer_id": ids[fixed], "date": t["fault_to"].to_numpy()[fixed],
                           "result": "meter_fault"})]
    # routine visits while the account is open, uniformly in time
    start = customers["connected_on"].clip(lower=first_day).to_numpy()
    end = customers["closed_on"].fillna(last_day).clip(upper=last_day).to_numpy()
    days = np.maximum((end - start) / np.timedelta64(1, "D"), 0.0)
    n_visits = rng.poisson(ROUTINE_RATE * days / 365.25)
    who = np.repeat(np.arange(len(ids)), n_visits)
    offset = np.floor(rng.random(len(who)) * (days[who] + 1)).astype("int64")
    date = start[who] + offset.astype("timedelta64[D]")
    # a visit during an active theft or fault would have found it: such draws are not clean visits
    theft_from, theft_to = t["theft_from"].to_numpy()[who], t["theft_found_on"].to_numpy()[who]
    fault_from, fault_to = t["fault_from"].to_numpy()[who], t["fault_to"].to_numpy()[who]
    active = ((date >= theft_from) & ~(date > theft_to)) | ((date >= fault_from) & ~(date > fault_to))
    active |= (~pd.isna(theft_from) & pd.isna(theft_to) & (date >= theft_from))
    active |= (~pd.isna(fault_from) & pd.isna(fault_to) & (date >= fault_from))
    keep = ~active
    parts.append(pd.DataFrame({"customer_id": ids[who][keep], "date": date[keep], "result": "clean"}))
    out = pd.concat(parts, ignore_index=True)
    out["date"] = pd.to_datetime(out["date"]).dt.normalize()
    out = out.sort_values(["customer_id", "date", "result"], kind="stable")
    out = out.drop_duplicates(["customer_id", "date"], keep="last")  # one visit a day: 'theft' > 'meter_fault' > 'clean'
    return build_frame(INSPECTIONS, {c: out[c].to_numpy() for c in INSPECTIONS.column_names})
