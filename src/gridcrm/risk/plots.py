"""Plots of an :class:`~gridcrm.risk.evaluation.EvaluationReport`: ROC, PR, calibration, lift, importance.

Every function returns a :class:`matplotlib.figure.Figure` built without
``pyplot`` (no global state, safe in scripts and servers);
:func:`save_plots` writes them all as PNG files.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure
from sklearn.metrics import precision_recall_curve, roc_curve

if TYPE_CHECKING:
    import pandas as pd

    from gridcrm.risk.evaluation import EvaluationReport

__all__ = ["plot_calibration", "plot_importance", "plot_lift", "plot_pr", "plot_roc", "save_plots"]


def _axes(title: str, xlabel: str, ylabel: str, size: tuple[float, float] = (5.5, 4.5)):
    fig = Figure(figsize=size, layout="constrained")
    ax = fig.add_subplot()
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    return fig, ax


def plot_roc(report: EvaluationReport, title: str = "ROC curve") -> Figure:
    """ROC curve of every score, AUC in the legend."""
    fig, ax = _axes(title, "false positive rate", "true positive rate")
    for name, s in report.scores.items():
        fpr, tpr, _ = roc_curve(report.y, s)
        ax.plot(fpr, tpr, label=f"{name} (AUC {report.metrics.loc[name, 'roc_auc']:.3f})")
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", linewidth=1)
    ax.legend(loc="lower right", fontsize="small")
    return fig


def plot_pr(report: EvaluationReport, title: str = "Precision–recall curve") -> Figure:
    """Precision–recall curve of every score, average precision in the legend, base rate dotted."""
    fig, ax = _axes(title, "recall", "precision")
    for name, s in report.scores.items():
        prec, rec, _ = precision_recall_curve(report.y, s)
        ax.plot(rec, prec, label=f"{name} (AP {report.metrics.loc[name, 'pr_auc']:.3f})")
    ax.axhline(report.y.mean(), color="grey", linestyle=":", linewidth=1, label="base rate")
    ax.set_ylim(0, 1.02)
    ax.legend(loc="upper right", fontsize="small")
    return fig


def plot_calibration(report: EvaluationReport, title: str = "Calibration") -> Figure:
    """Observed event rate against mean predicted probability per bin, Brier score in the legend."""
    fig, ax = _axes(title, "mean predicted probability", "observed event rate")
    cal = report.calibration
    top = 0.0
    for name in report.probabilistic:
        c = cal.loc[cal["score"] == name]
        ax.plot(c["mean_predicted"], c["observed"], marker="o", markersize=3,
                label=f"{name} (Brier {report.metrics.loc[name, 'brier']:.4f})")
        top = max(top, float(c["mean_predicted"].max()), float(c["observed"].max()))
    top = min(1.0, top * 1.05) if top > 0 else 1.0
    ax.plot([0, top], [0, top], color="grey", linestyle=":", linewidth=1, label="perfect")
    ax.set_xlim(0, top)
    ax.set_ylim(0, top)
    ax.legend(loc="upper left", fontsize="small")
    return fig


def plot_lift(report: EvaluationReport, title: str = "Cumulative lift") -> Figure:
    """Lift (event rate in the top share over the base rate) against the share of customers contacted."""
    fig, ax = _axes(title, "share of customers, highest score first", "lift")
    y = report.y
    n = len(y)
    share = np.arange(1, n + 1) / n
    start = max(1, int(0.01 * n)) - 1  # the first percent is too noisy to read
    for name, s in report.scores.items():
        cum = np.cumsum(y[np.argsort(-s, kind="stable")])
        lift = cum / np.arange(1, n + 1) / y.mean()
        ax.plot(share[start:], lift[start:], label=name)
    for f in (0.05, 0.10, 0.20):
        ax.axvline(f, color="grey", linestyle=":", linewidth=0.8)
    ax.axhline(1.0, color="grey", linewidth=0.8)
    ax.legend(loc="upper right", fontsize="small")
    return fig


def plot_importance(importance: pd.DataFrame, top: int = 20, title: str = "Feature importance") -> Figure:
    """Horizontal bars of the ``top`` features by mean |SHAP| (or gain), labelled by their description."""
    col = "mean_abs_shap" if "mean_abs_shap" in importance.columns else "gain"
    imp = importance.sort_values(col, ascending=False).head(top).iloc[::-1]
    described = imp["description"] if "description" in imp.columns else imp.index
    labels = [f"{f}: {d}" if d and d != f else str(f) for f, d in zip(imp.index, described, strict=True)]
    labels = [lbl if len(lbl) <= 75 else lbl[:72] + "..." for lbl in labels]
    fig, ax = _axes(title, "mean |SHAP| (log-odds)" if col == "mean_abs_shap" else "total gain", "",
                    size=(8.5, 0.3 * len(imp) + 1.2))
    ax.barh(np.arange(len(imp)), imp[col].to_numpy(), color="tab:blue")
    ax.set_yticks(np.arange(len(imp)), labels, fontsize="small")
    ax.grid(alpha=0.3, axis="x")
    return fig


def save_plots(report: EvaluationReport, directory: str | Path, prefix: str = "", dpi: int = 110) -> dict[str, Path]:
    """Write ``roc.png``, ``pr.png``, ``calibration.png``, ``lift.png`` (and ``importance.png``) to ``directory``.

    Returns
    -------
    dict of str to Path

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from gridcrm.risk.evaluation import evaluate
    >>> rng = np.random.default_rng(0)
    >>> p = rng.uniform(0, 0.5, 500)
    >>> report = evaluate((rng.random(500) < p).astype(int), {"truth": p})
    >>> sorted(save_plots(report, tempfile.mkdtemp()))
    ['calibration_plot', 'lift_plot', 'pr_plot', 'roc_plot']
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    figures = {"roc": plot_roc(report), "pr": plot_pr(report), "lift": plot_lift(report)}
    if report.probabilistic:
        figures["calibration"] = plot_calibration(report)
    if report.importance is not None:
        figures["importance"] = plot_importance(report.importance)
    written = {}
    for name, fig in figures.items():
        path = out / f"{prefix}{name}.png"
        fig.savefig(path, dpi=dpi)
        written[f"{name}_plot"] = path
    return written
