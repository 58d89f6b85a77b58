"""Satisfaction drivers: what in a customer's recent service experience moves the survey score.

:func:`satisfaction_drivers` takes every survey answer before ``as_of`` and the customer's
contacts in the ``window_days`` before it: complaints per topic, repeat contacts, outage
contacts (calls, complaints and repairs about outages), tickets resolved late (beyond the
service standard) and hours of the slowest ticket. An ordinary least-squares regression of
the score on them (with the survey kind — follow-up or routine — as a control) gives, per
driver, the change in score it brings and its 95 % interval: the explanation.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from gridcrm.errors import InputError

__all__ = ["satisfaction_drivers", "survey_experience"]


def survey_experience(contacts: pd.DataFrame, as_of: pd.Timestamp | str, standards: Mapping[str, float], *,
                      window_days: int = 90) -> pd.DataFrame:
    """One row per survey answer before ``as_of`` with the customer's experience in the window before it.

    Returns
    -------
    DataFrame
        ``satisfaction``, ``followup`` (a survey after a complaint or repair) and the drivers:
        ``complaints_<topic>``, ``repeat_contacts``, ``outage_contacts``, ``late_tickets``,
        ``slowest_ticket_days``.
    """
    from gridcrm.data.dates import as_date

    need = ["customer_id", "at", "kind", "topic", "closed_at", "satisfaction"]
    missing = [c for c in need if c not in contacts.columns]
    if missing:
        raise InputError(f"contacts: missing column(s) {missing}; satisfaction drivers need {need}")
    cut = as_date(as_of, "as_of")
    seen = contacts.loc[contacts["at"] < cut]
    surveys = seen.loc[(seen["kind"] == "survey") & seen["satisfaction"].notna()].reset_index(drop=True)
    tickets = seen.loc[(seen["kind"] != "survey") & seen["topic"].notna()]
    pairs = surveys[["customer_id", "at"]].reset_index(names="survey").merge(
        tickets[["customer_id", "at", "kind", "topic", "closed_at"]], on="customer_id", suffixes=("", "_t"))
    pairs = pairs[(pairs["at_t"] < pairs["at"]) & (pairs["at_t"] >= pairs["at"] - pd.Timedelta(days=window_days))]
    closed = pairs["closed_at"].where(pairs["closed_at"] < pairs["at"])  # known when the survey was answered
    hours = ((closed.fillna(pairs["at"]) - pairs["at_t"]).dt.total_seconds() / 3600)
    std = pairs["topic"].astype(str).map(dict(standards)).astype(float)
    topic = pairs["topic"].astype(str)
    out = pd.DataFrame(index=surveys.index)
    complaint = pairs["kind"] == "complaint"
    for t in sorted(topic[complaint].unique()):
        out[f"complaints_{t}"] = (complaint & (topic == t)).groupby(pairs["survey"]).sum()
    repeat = pairs.duplicated(["survey", "topic"])
    out["repeat_contacts"] = repeat.groupby(pairs["survey"]).sum()
    out["outage_contacts"] = (topic == "outage").groupby(pairs["survey"]).sum()
    out["late_tickets"] = (hours > std).groupby(pairs["survey"]).sum()
    out["slowest_ticket_days"] = (hours / 24).groupby(pairs["survey"]).max()
    out = out.fillna(0.0)
    out.insert(0, "followup", surveys["category"].astype(str).str.endswith("followup").astype(float)
               if "category" in surveys else 0.0)
    out.insert(0, "satisfaction", surveys["satisfaction"].astype(float))
    return out


def satisfaction_drivers(contacts: pd.DataFrame, as_of: pd.Timestamp | str, standards: Mapping[str, float], *,
                         window_days: int = 90) -> pd.DataFrame:
    """Change in the survey score per unit of each driver, with its 95 % interval (OLS).

    Parameters
    ----------
    contacts : DataFrame
        ``customer_id``, ``at``, ``kind``, ``topic``, ``closed_at``, ``satisfaction`` (``category``
        to tell follow-up surveys).
    as_of : Timestamp-like
    standards : mapping
        Topic → service standard in hours (a ticket resolved later, or still open then, is late).
    window_days : int

    Returns
    -------
    DataFrame
        Indexed by driver: ``effect`` (score points per unit), ``low``, ``high`` (95 %), ``p_value``,
        ``mean`` (of the driver over the surveys); sorted by effect. ``attrs["n_surveys"]`` and
        ``attrs["r2"]``.

    Raises
    ------
    gridcrm.errors.InputError
        Fewer than 30 survey answers before ``as_of``.
    """
    import statsmodels.api as sm

    data = survey_experience(contacts, as_of, standards, window_days=window_days)
    if len(data) < 30:
        raise InputError(f"satisfaction_drivers: {len(data)} survey answers before as_of; at least 30 are needed")
    X = data.drop(columns="satisfaction")
    X = X.loc[:, X.std() > 0]
    fit = sm.OLS(data["satisfaction"], sm.add_constant(X, has_constant="add")).fit()
    ci = fit.conf_int(0.05)
    out = pd.DataFrame({"effect": fit.params, "low": ci[0], "high": ci[1], "p_value": fit.pvalues,
                        "mean": X.mean().reindex(fit.params.index)}).drop(index="const")
    out = out.sort_values("effect")
    out.index.name = "driver"
    out.attrs.update(n_surveys=int(len(data)), r2=float(fit.rsquared))
    return out
