"""The tag catalogue: every tag with its category, description, rule in words and share of customers.

:func:`tag_catalogue` evaluates a tag set on a feature table and lists each tag
with the share of customers it holds for (each level's share for a band tag);
:func:`catalogue_markdown` writes that table as Markdown, the form of
``docs/tags.md`` (made by ``python experiments/tag_catalogue.py``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from gridcrm.tags.engine import TagSet

__all__ = ["tag_catalogue", "catalogue_markdown", "CATALOGUE_COLUMNS"]

#: Columns of :func:`tag_catalogue`, in order.
CATALOGUE_COLUMNS: tuple[str, ...] = ("category", "category_label", "label", "kind", "description", "rule", "share",
                                      "level_shares", "customers")


def tag_catalogue(tags: TagSet, features: pd.DataFrame, extra: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every tag of ``tags`` with the share of the customers of ``features`` it holds for.

    Parameters
    ----------
    tags : TagSet
        From :func:`gridcrm.tags.load_tags`.
    features : DataFrame
        From :func:`gridcrm.features.build_features`.
    extra : DataFrame, optional
        Other models' outputs the ``column`` rules read (as in :meth:`TagSet.evaluate`); a
        tag whose column is absent is listed with no share.

    Returns
    -------
    DataFrame
        Indexed by tag id in file order, with :data:`CATALOGUE_COLUMNS`: ``share`` is the
        share of customers holding a flag tag, or holding any level of a band tag (NaN for
        a tag not evaluated); ``level_shares`` maps each level of a band tag to its share
        (empty for a flag); ``customers`` is the number of customers evaluated.

    Examples
    --------
    >>> import pandas as pd
    >>> tags = TagSet.from_dict({"categories": {"usage": "Electricity-use behaviour"}, "tags": [
    ...     {"id": "big", "label": "Big user", "category": "usage", "description": "Uses 20 kWh a day or more.",
    ...      "rule": {"feature": "kwh_mean_365d", "op": ">=", "value": 20}},
    ...     {"id": "size", "label": "Size", "category": "usage", "description": "Daily kWh in two bands.",
    ...      "bands": {"feature": "kwh_mean_365d", "scale": "value",
    ...                "levels": [{"label": "small", "from": 0, "to": 20}, {"label": "large", "from": 20, "to": 1000}]}},
    ...     {"id": "risky", "label": "Risky", "category": "usage", "description": "Churn score 0.5 or more.",
    ...      "rule": {"column": "churn_probability", "op": ">=", "value": 0.5}}]})
    >>> features = pd.DataFrame({"kwh_mean_365d": [35.0, 4.0, 8.0, float("nan")]},
    ...                         index=pd.Index([1, 2, 3, 4], name="customer_id"))
    >>> cat = tag_catalogue(tags, features)
    >>> cat[["kind", "share", "customers"]]  # doctest: +NORMALIZE_WHITESPACE
             kind  share  customers
    tag_id
    big      flag   0.25          4
    size     band   0.75          4
    risky    flag    NaN          4
    >>> cat.loc["size", "level_shares"]
    {'small': 0.5, 'large': 0.25}
    """
    if not isinstance(tags, TagSet):
        raise TypeError(f"tags must be a TagSet (gridcrm.tags.load_tags), got {type(tags).__name__}")
    result = tags.evaluate(features, extra=extra)
    n = len(features)
    base = tags.catalog()
    shares: list[float] = []
    levels: list[dict[str, float]] = []
    for spec in tags:
        if spec.id not in result.wide.columns or n == 0:
            shares.append(math.nan)
            levels.append({})
            continue
        col = result.wide[spec.id]
        if spec.kind == "band":
            codes = col.cat.codes.to_numpy()
            levels.append({lv: float(np.mean(codes == i)) for i, lv in enumerate(spec.levels)})
            shares.append(float(np.mean(codes >= 0)))
        else:
            levels.append({})
            shares.append(float(np.mean(col.to_numpy(dtype=bool))))
    out = base.assign(share=shares, level_shares=levels, customers=n)
    return out[list(CATALOGUE_COLUMNS)]


def _cell(text: object) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _pct(x: float) -> str:
    if isinstance(x, float) and math.isnan(x):
        return "—"
    return f"{100 * x:.1f} %"


def catalogue_markdown(catalogue: pd.DataFrame, title: str = "Tag catalogue", note: str = "") -> str:
    """The catalogue of :func:`tag_catalogue` as a Markdown document: a count by category, then one table.

    Parameters
    ----------
    catalogue : DataFrame
        From :func:`tag_catalogue`.
    title : str
        The document's heading.
    note : str
        A paragraph under the heading (what data the shares were measured on, the command).

    Returns
    -------
    str
        Markdown with the columns id, category, description, rule and share of the customers
        (each level's share for a band tag; "—" for a tag whose model column was absent).

    Examples
    --------
    >>> cat = pd.DataFrame({"category": ["usage"], "category_label": ["Electricity-use behaviour"],
    ...     "label": ["Big user"], "kind": ["flag"], "description": ["Uses 20 kWh | day."],
    ...     "rule": ["kwh_mean_365d >= 20"], "share": [0.25], "level_shares": [{}], "customers": [4]},
    ...     index=pd.Index(["big"], name="tag_id"))
    >>> print(catalogue_markdown(cat).splitlines()[-1])
    | `big` | Electricity-use behaviour | **Big user**: Uses 20 kWh \\| day. | `kwh_mean_365d >= 20` | 25.0 % |
    """
    missing = [c for c in CATALOGUE_COLUMNS if c not in catalogue.columns]
    if missing:
        raise ValueError(f"catalogue lacks column(s) {missing}; build it with tag_catalogue()")
    lines = [f"# {title}", ""]
    if note:
        lines += [note, ""]
    counts = catalogue.groupby("category_label", sort=False).size()
    lines += [f"{len(catalogue)} tags: " + ", ".join(f"{label} {n}" for label, n in counts.items()) + ".", ""]
    lines += ["| id | category | description | rule | share of customers |", "| --- | --- | --- | --- | --- |"]
    for tid, row in catalogue.iterrows():
        if row["kind"] == "band" and row["level_shares"]:
            share = "; ".join(f"{_cell(lv)} {_pct(s)}" for lv, s in row["level_shares"].items())
        else:
            share = _pct(float(row["share"]))
        rule = _cell(row["rule"]).replace("`", "'")
        lines.append(f"| `{tid}` | {_cell(row['category_label'])} | **{_cell(row['label'])}**: "
                     f"{_cell(row['description'])} | `{rule}` | {share} |")
    return "\n".join(lines) + "\n"
