"""The main job, step by step, from a validated :class:`~gridcrm.config.RunConfig`.

Each step is a library call; this module only wires them and writes results to
the output folder. Later capabilities (features, segments, forecasts, scores)
join as further steps.
"""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from gridcrm.config import RunConfig
from gridcrm.data import Dataset, load_dataset

__all__ = ["RunResult", "run"]

logger = logging.getLogger(__name__)


@dataclass
class RunResult:
    """What the main job produced.

    Attributes
    ----------
    dataset : Dataset
        The validated data.
    summary : DataFrame
        Per table: rows, customers, date range, rows set aside.
    rejections : DataFrame
        Per table, column and rule: rows set aside, with examples.
    output_dir : Path
    files : dict of str to Path
        Every file written, by what it holds.
    """

    dataset: Dataset
    summary: pd.DataFrame
    rejections: pd.DataFrame
    output_dir: Path
    files: dict[str, Path] = field(default_factory=dict)


def run(config: RunConfig) -> RunResult:
    """Run the main job: load and validate the data, summarise it, write the results.

    Parameters
    ----------
    config : RunConfig
        From :func:`gridcrm.config.load_config`.

    Returns
    -------
    RunResult
    """
    out = config.output.dir
    out.mkdir(parents=True, exist_ok=True)
    logger.info("step 1/2: loading and validating %s", config.data.path)
    dataset = load_dataset(config.data.path, on_error=config.data.on_error, extracted_on=config.data.extracted_on)
    summary = dataset.summary()
    rejections = dataset.report.to_frame() if dataset.report is not None else pd.DataFrame()

    logger.info("step 2/2: writing the data summary to %s", out)
    files = {
        "summary": out / "data_summary.csv",
        "rejections": out / "data_rejections.csv",
        "report": out / "data_report.json",
    }
    summary.to_csv(files["summary"])
    rejections.to_csv(files["rejections"], index=False)
    report = {
        "extracted_on": str(dataset.extracted_on.date()),
        "rows_in": dataset.report.rows_in if dataset.report else {},
        "rows_kept": dataset.report.rows_kept if dataset.report else {},
        "rows_rejected": dataset.report.rows_rejected if dataset.report else {},
        "ignored_columns": dataset.report.ignored_columns if dataset.report else {},
        "rejections": json.loads(rejections.to_json(orient="records", date_format="iso")),
    }
    files["report"].write_text(json.dumps(report, indent=2, default=str) + "\n")
    if config.source is not None:
        files["config"] = out / "config.yaml"
        shutil.copyfile(config.source, files["config"])
    return RunResult(dataset=dataset, summary=summary, rejections=rejections, output_dir=out, files=files)
