"""The ``gridcrm`` command line: thin commands over the library."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from gridcrm import __version__

if TYPE_CHECKING:  # pandas is imported by the commands that need it: `gridcrm --help` stays fast
    import pandas as pd

_EPILOG = """examples:
  gridcrm run --config configs/demo.yaml        the main job on the sample data
  gridcrm validate data/sample                  check a dataset folder, print what would be set aside
  gridcrm synth --customers 2000 --out data/sample   regenerate the committed sample
"""


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {value}")
    return value


def _date_arg(text: str) -> str:
    """A date argument, checked when parsed (as the library reads it: ISO, year first)."""
    import re

    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
        raise argparse.ArgumentTypeError(f"expected a date such as 2024-10-01, got {text!r}")
    from datetime import date

    try:
        date.fromisoformat(text.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected a date such as 2024-10-01, got {text!r} ({exc})") from None
    return text.strip()


def _date_format_arg(text: str) -> tuple[str | None, str]:
    """``TABLE=LAYOUT`` (or ``TABLE.COLUMN=LAYOUT``) or a bare ``LAYOUT``."""
    where, sep, layout = text.partition("=")
    if not sep:
        return None, text
    if not where or not layout or "%" in where:
        raise argparse.ArgumentTypeError(f"expected TABLE=LAYOUT such as customers=%d/%m/%Y, got {text!r}")
    return where, layout


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="gridcrm",
        description="Customer analytics for electricity utilities: validated data, features and tags, "
        "segments, consumption forecasts, AHP credit scores, churn and arrears risk.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"gridcrm {__version__}")
    p.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    p.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors")
    p.add_argument("--debug", action="store_true", help="show the full traceback of an error")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)

    r = sub.add_parser("run", help="run the main job from a config file", description="Run the main job.")
    r.add_argument("--config", required=True, type=Path, help="YAML run configuration, e.g. configs/demo.yaml")
    r.add_argument("--output", type=Path, help="output folder (overrides output.dir of the config)")
    r.add_argument("--engine", choices=["pandas", "spark"],
                   help="pandas (one machine) or spark (validation, features, customer and group forecasts and "
                        "tags on Spark; gridcrm[spark] and Java); "
                        "default: the config's engine, else pandas")

    v = sub.add_parser("validate", help="load and validate a dataset folder", description="Validate a dataset.")
    v.add_argument("path", type=Path, help="folder of table files (parquet or csv)")
    v.add_argument("--on-error", choices=["raise", "quarantine"], default="quarantine",
                   help="raise on the first bad table, or set bad rows aside and count them (default)")
    v.add_argument("--extracted-on", type=_date_arg, help="extraction date (default: the folder's dataset.json, else today)")
    v.add_argument("--encoding", default="utf-8", help="text encoding of CSV files (default utf-8; e.g. gb18030)")
    v.add_argument("--date-format", metavar="[TABLE=]LAYOUT", action="append", type=_date_format_arg,
                   help="layout of day/month text dates (never guessed), e.g. customers=%%d/%%m/%%Y; repeat per "
                        "table (TABLE or TABLE.COLUMN); without TABLE= it applies to every table")

    sc = sub.add_parser("score", help="batch-score every customer with the registered models",
                        description="Write every active customer's portrait row (segment, credit score and grade, value "
                        "score and rank, churn and arrears probabilities with risk grades and reasons, consumption "
                        "range, tags) from the registered champions.")
    sc.add_argument("--config", required=True, type=Path, help="run configuration (data, as_of, tags, tracking)")
    sc.add_argument("--output", type=Path, help="Parquet file (default: <output dir>/scores.parquet)")
    sc.add_argument("--alias", default="champion", help="registered model alias (default: champion)")

    sv = sub.add_parser("serve", help="serve a registered model over HTTP on 127.0.0.1",
                        description="Serve a registered model (its champion by default) until interrupted.")
    sv.add_argument("name", help="registered model name, e.g. gridcrm-churn")
    sv.add_argument("--alias", default="champion", help="model alias to serve (default: champion)")
    sv.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    sv.add_argument("--port", type=int, default=5000, help="port (default 5000)")
    sv.add_argument("--tracking-uri", help="tracking store (default: $MLFLOW_TRACKING_URI or sqlite:///mlruns.db)")

    se = sub.add_parser("select", help="select a campaign audience by a tag expression, counted by group",
                        description="Select the customers a tag expression holds for at the config's as_of (features, "
                        "the config's tags and, with --scores, the model columns of `gridcrm score`), print the counts "
                        "by group and write the customer list.")
    se.add_argument("--config", required=True, type=Path, help="run configuration (data, as_of, features, tags)")
    se.add_argument("expression", help='e.g. "large_capacity and (outage_complaint or complaints_365d >= 2) '
                                       'and not chronic_late_payer"')
    se.add_argument("--by", action="append", metavar="COLUMN",
                    help="group column of the counts (repeat for several; default customer_class)")
    se.add_argument("--columns", action="append", metavar="COLUMN", default=[],
                    help="extra column copied to the list (repeat)")
    se.add_argument("--scores", type=Path, help="scores.parquet of `gridcrm score`: model columns (credit_grade, "
                                                "segment_name, churn_risk, ...) and the tags on them")
    se.add_argument("--out", type=Path, help="CSV customer list (default: <output dir>/audience.csv)")

    s = sub.add_parser("synth", help="generate a synthetic dataset", description="Generate synthetic data.")
    s.add_argument("--customers", type=_positive_int, default=2000, help="number of customers (default 2000)")
    s.add_argument("--start", default="2023-01-01", help="first day of meter reads (default 2023-01-01)")
    s.add_argument("--end", default="2024-12-31", help="last day of meter reads (default 2024-12-31)")
    s.add_argument("--seed", type=int, default=20241231, help="random seed (default 20241231)")
    s.add_argument("--interval-customers", type=int,
                   help="customers with 15-min load (default: the largest ~2.5%%, at most 50)")
    s.add_argument("--interval-days", type=_positive_int, default=31, help="days of 15-min load before --end (default 31)")
    s.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    s.add_argument("--out", required=True, type=Path, help="folder to write")
    return p


def _setup_logging(verbose: int, quiet: bool) -> None:
    level = logging.WARNING if quiet else (logging.DEBUG if verbose > 1 else logging.INFO)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
                        datefmt="%H:%M:%S")
    logging.getLogger("gridcrm").setLevel(level)


def _print_summary(summary: pd.DataFrame) -> None:
    import pandas as pd

    shown = summary.copy()
    for c in ("first", "last"):
        shown[c] = shown[c].map(lambda t: "" if pd.isna(t) else str(t.date()) if t == t.normalize() else str(t))
    shown["customers"] = shown["customers"].map(lambda n: "" if pd.isna(n) else f"{int(n):,}")
    shown["rows"] = shown["rows"].map("{:,}".format)
    shown["rows_rejected"] = shown["rows_rejected"].map("{:,}".format)
    print(shown.to_string())


def _print_rejections(rejections: pd.DataFrame) -> None:
    if rejections.empty:
        print("\nNo row broke the data model.")
        return
    print("\nRows set aside, by rule:")
    for r in rejections.itertuples(index=False):
        print(f"  {r.table}.{r.column}: {r.rule} — {r.rows:,} row(s)")


def _cmd_run(args: argparse.Namespace) -> int:
    import dataclasses

    from gridcrm._paths import prepare_output_dir
    from gridcrm.config import OutputConfig, load_config
    from gridcrm.job import run

    cfg = load_config(args.config)
    if args.output is not None:
        cfg = dataclasses.replace(cfg, output=OutputConfig(dir=args.output))
    prepare_output_dir(cfg.output.dir, "output folder" if args.output is not None else "output.dir")
    t0 = time.perf_counter()
    if (args.engine or cfg.engine) == "spark":
        from gridcrm.job.engine import PandasEngine
        from gridcrm.spark.engine import SparkEngine
        from gridcrm.spark.session import started_session

        with started_session(cfg.spark.master) as spark:
            engine = SparkEngine(spark, cfg.spark.partitions, driver=PandasEngine(),
                                 driver_max_series=cfg.spark.driver_max_series,
                                 collect_max_rows=cfg.spark.collect_max_rows)
            try:
                result = run(cfg, engine=engine)
            finally:
                engine.close()
    else:
        result = run(cfg)
    print(f"gridcrm {__version__} — run {cfg.name!r} on {cfg.data.path} "
          f"(extracted on {result.dataset.extracted_on.date()})\n")
    _print_summary(result.summary)
    _print_rejections(result.rejections)
    print()
    for note in result.notes:
        print(f"  {note}")
    print(f"\nDone in {time.perf_counter() - t0:.1f} s. Results in {result.output_dir}/:")
    for what, file in result.files.items():
        print(f"  {file}  ({what})")
    print(f"\nReport with every plot: {result.files['report_md']}")
    tracking = result.tracking
    if tracking:
        print(f"Browse the runs and registered models: mlflow ui --backend-store-uri {tracking['uri']}")
        print(f"Batch-score with the champions:        gridcrm score --config {args.config}")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from gridcrm.data import load_dataset

    date_format: str | dict[str, str] | None = None
    if args.date_format:
        every = [layout for where, layout in args.date_format if where is None]
        date_format = every[-1] if every and len(args.date_format) == 1 else {
            where: layout for where, layout in args.date_format if where is not None}
        if every and len(args.date_format) > 1:
            from gridcrm.errors import InputError

            raise InputError("--date-format: give one LAYOUT for every table, or TABLE=LAYOUT for each, not both")
    ds = load_dataset(args.path, on_error=args.on_error, extracted_on=args.extracted_on, encoding=args.encoding,
                      date_format=date_format)
    print(f"{args.path} (extracted on {ds.extracted_on.date()})\n")
    _print_summary(ds.summary())
    _print_rejections(ds.report.to_frame())
    return 0


def _cmd_synth(args: argparse.Namespace) -> int:
    from gridcrm._paths import prepare_output_dir
    from gridcrm.data.synth import generate_dataset

    prepare_output_dir(args.out, "--out folder")
    t0 = time.perf_counter()
    synth = generate_dataset(args.customers, args.start, args.end, seed=args.seed,
                             n_interval_customers=args.interval_customers, interval_days=args.interval_days,
                             show_progress=sys.stderr.isatty())
    folder = synth.dataset.save(args.out, format=args.format)
    for name, frame in (("truth", synth.truth), ("bill_truth", synth.bill_truth), ("offer_truth", synth.offer_truth)):
        frame.to_parquet(folder / f"{name}.parquet", compression="zstd", compression_level=9)
    print(f"Generated {args.customers:,} customers, {args.start} to {args.end}, seed {args.seed}, "
          f"in {time.perf_counter() - t0:.1f} s:\n")
    _print_summary(synth.dataset.summary())
    print(f"\nWritten to {folder}/ (ground truth in truth.parquet, bill_truth.parquet and offer_truth.parquet)")
    return 0


def _cmd_score(args: argparse.Namespace) -> int:
    from gridcrm._paths import prepare_output_dir
    from gridcrm.config import load_config
    from gridcrm.job import score

    if args.output is not None:
        prepare_output_dir(args.output.parent, "--output's folder")
    t0 = time.perf_counter()
    rows, path = score(load_config(args.config), output=args.output, alias=args.alias)
    models = [c for c in rows.columns if not c.startswith("tag_")]
    print(f"Scored {len(rows):,} customers in {time.perf_counter() - t0:.1f} s: {', '.join(models) or 'no model'}"
          f" + {sum(c.startswith('tag_') for c in rows.columns)} tags -> {path}")
    return 0


def _cmd_select(args: argparse.Namespace) -> int:
    import pandas as pd

    from gridcrm._paths import prepare_output_dir
    from gridcrm.config import load_config
    from gridcrm.data import load_dataset
    from gridcrm.recommend.audience import audience_customers, parse_expression, select

    cfg = load_config(args.config)
    parse_expression(args.expression)  # a bad expression stops before the data is read
    out = args.out or cfg.output.dir / "audience.csv"
    prepare_output_dir(out.parent, "--out's folder" if args.out is not None else "output.dir")
    scores = pd.read_parquet(args.scores) if args.scores is not None else None
    t0 = time.perf_counter()
    dataset = load_dataset(cfg.data.path, **cfg.data.load_kwargs())
    tags = cfg.step("tags")
    customers = audience_customers(dataset, cfg.as_of, windows=cfg.features.windows,
                                   tags=tags.config if tags is not None else None, scores=scores)
    audience = select(customers, args.expression, by=args.by or ["customer_class"], columns=args.columns)
    audience.to_csv(out)
    print(f"{len(audience):,} of {len(customers):,} customers selected at "
          f"{(pd.Timestamp(cfg.as_of) if cfg.as_of else dataset.extracted_on).date()} by {audience.expression}\n")
    print(audience.counts.to_string(float_format=lambda x: f"{x:.1%}"))
    if audience.unknown_columns:
        print(f"\nUnknown (absent) column(s), their conditions not met: {', '.join(audience.unknown_columns)}"
              + ("" if args.scores is not None else " — model columns need --scores (gridcrm score)"))
    print(f"\nCustomer list -> {out} ({time.perf_counter() - t0:.1f} s)")
    return 0


class _Stop(Exception):
    """A stop signal (SIGINT, SIGTERM, SIGHUP) reached ``gridcrm serve``."""


def _raise_stop(signum: int, frame: object) -> None:
    raise _Stop(signal.Signals(signum).name)


def _cmd_serve(args: argparse.Namespace) -> int:
    from gridcrm.tracking import ModelServer

    # Ctrl-C, `kill` and a closed terminal all stop the server and its workers (they run in their own
    # session, so nothing else would). Set explicitly: a process started in the background of a
    # non-interactive shell inherits SIGINT as ignored.
    previous = {sig: signal.signal(sig, _raise_stop) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    server = ModelServer(f"models:/{args.name}@{args.alias}", host=args.host, port=args.port,
                         tracking_uri=args.tracking_uri)
    try:
        server.start()
        print(f"Serving {server.model_uri} at {server.url}/invocations (Ctrl-C to stop)", flush=True)
        while server.process is not None and server.process.poll() is None:
            time.sleep(1)
        code = server.process.returncode if server.process is not None else None
        print(f"gridcrm serve: error: the model server exited with code {code}; its log: {server.log_file}",
              file=sys.stderr)
        return 1
    except _Stop as stop:
        print(f"Stopping ({stop})", flush=True)
        return 0
    finally:
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``gridcrm`` command.

    A user's mistake (a :class:`~gridcrm.errors.GridcrmError`, a missing or unreadable file) ends as
    one line on stderr naming what is wrong, with exit status 2; ``--debug`` shows the traceback.
    """
    args = _parser().parse_args(argv)
    _setup_logging(args.verbose, args.quiet)
    from gridcrm.errors import GridcrmError

    commands = {"run": _cmd_run, "validate": _cmd_validate, "synth": _cmd_synth, "serve": _cmd_serve,
                "score": _cmd_score, "select": _cmd_select}
    try:
        return commands[args.command](args)
    except (GridcrmError, OSError) as exc:
        if args.debug:
            raise
        print(f"gridcrm {args.command}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"gridcrm {args.command}: interrupted", file=sys.stderr)
        return 130


def _one_line(exc: BaseException) -> str:
    """The error's message; an OSError says what failed on which file (not its errno repr)."""
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"{exc.strerror or type(exc).__name__}: {exc.filename}"
    text = str(exc) or type(exc).__name__
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) <= 1:
        return text.strip()
    # a message listing several problems ("3 problems in tags.yaml:\n- ...\n- ..."): one line, "; " between them
    head, items = lines[0].rstrip(":"), [line.lstrip("-• ").strip() for line in lines[1:]]
    return f"{head}: {'; '.join(items)}"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
