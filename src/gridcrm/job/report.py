"""``report.md``: what each step did, the data summary, the steps' tables and every plot."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from gridcrm.config import RunConfig
    from gridcrm.job.run import RunResult

__all__ = ["markdown_table", "write_report"]


def markdown_table(frame: pd.DataFrame) -> str:
    """A DataFrame (its index as the first column) as a Markdown table.

    Examples
    --------
    >>> print(markdown_table(pd.DataFrame({"n": [1]}, index=pd.Index(["a"], name="k"))))
    | k | n |
    | --- | --- |
    | a | 1 |
    """
    shown = frame.reset_index().astype(str)
    lines = ["| " + " | ".join(shown.columns) + " |", "|" + " --- |" * shown.shape[1]]
    lines += ["| " + " | ".join(map(str, row)) + " |" for row in shown.itertuples(index=False)]
    return "\n".join(lines)


def write_report(config: RunConfig, result: RunResult) -> Path:
    """Write ``report.md`` in the output folder: the notes, the data summary, the steps' tables and plots."""
    parts = [f"# gridcrm run `{config.name}` — as of {result.as_of.date()}", "",
             *[f"- {note}" for note in result.notes], "", "## Data", "", markdown_table(result.summary)]
    for title, frame in result.tables.items():
        parts += ["", f"## {title}", "", markdown_table(frame)]
    plots = [(k, p) for k, p in result.files.items() if k.endswith("_plot")]
    if plots:
        parts += ["", "## Plots", ""] + [f"### {k[:-5].replace('_', ' ')}\n\n![{k}]({p.name})\n" for k, p in plots]
    path = result.output_dir / "report.md"
    path.write_text("\n".join(parts) + "\n")
    return path
