"""The ``sparksim`` command line (also ``python -m simulation``): a thin layer over the API.

Commands: ``run`` (one config), ``compare`` (plans against a reference on common
random numbers), ``sweep`` (many runs from a sweep file, resumable), ``report``
(summary and figures of a sweep folder), ``calibrate`` (fit config parameters to
an observed series). ``sparksim --version`` prints the version.

Exit codes (``simulation.errors``), each with one line on stderr:

- 0 done;
- 1 the machine failed the run: the output cannot be written, memory ran
  out, or a Dask cluster lost every worker (a sweep keeps what finished), or a
  calibration's simulations failed (the first failure is named);
- 2 bad input (config, sweep file, data, override, argument, or an output
  folder that is not the tool's to replace), with nothing written;
- 3 a sweep ended with runs failed or missing (recorded in runs.parquet;
  rerun the same command to retry them);
- 130 interrupted by Ctrl-C, 143 by SIGTERM (a sweep keeps what finished:
  rerun the same command to resume).

Heavy modules are imported inside the commands, so Ctrl-C even during
start-up ends with one line.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import (
    EXIT_ENVIRONMENT,
    EXIT_INTERRUPTED,
    EXIT_RUNS_FAILED,
    EXIT_TERMINATED,
    EXIT_USAGE,
    ConfigError,
    Terminated,
    WorkersLost,
    first_line,
)

if TYPE_CHECKING:
    import argparse

MAX_WORKER_TIMEOUT = 86_400.0
"""Longest ``--worker-timeout``, seconds (a day): a cluster with no worker for a day is gone,
not restarting, and waiting longer gains nothing, since a rerun resumes from the finished
runs."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for docs and tests)."""
    import argparse  # here, not at the top: Ctrl-C while it loads is caught by main

    class _Parser(argparse.ArgumentParser):
        def error(self, message: str) -> None:  # exit 2 with one line, no usage dump
            self.exit(EXIT_USAGE, f"sparksim: error: {message} (see sparksim --help)\n")

    parser = _Parser(prog="sparksim", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"sparksim {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run = commands.add_parser("run", help="run one config and write its outputs")
    run.add_argument("config", help="a TOML config, e.g. configs/baseline.toml")
    run.add_argument("--seed", type=int, default=None, help="run seed (default: the config's)")
    run.add_argument("--out", default=None, help="output folder (default: results/<config name>/)")
    run.add_argument("--set", dest="overrides", action="append", default=[],
                     metavar="KEY=VALUE", help="override a value, e.g. adoption.imitation=0.3")
    compare = commands.add_parser(
        "compare", help="compare plans with a reference on common random numbers")
    compare.add_argument("plans", nargs="+", metavar="PLAN.toml",
                         help="one or more plan configs, e.g. configs/schemes/flat_fee.toml")
    compare.add_argument("--reference", required=True, metavar="REF.toml",
                         help="the config the plans are compared with, e.g. "
                         "configs/schemes/none.toml")
    compare.add_argument("--set", dest="overrides", action="append", default=[],
                         metavar="KEY=VALUE", help="override a value in every plan and the "
                         "reference, e.g. population.followers=20000")
    compare.add_argument("--replicates", type=int, default=10,
                         help="runs per plan, paired by replicate (default 10)")
    compare.add_argument("--seed", type=int, default=0, help="root seed (default 0)")
    compare.add_argument("--workers", type=int, default=1,
                         help="local worker processes (default 1 = this process)")
    compare.add_argument("--out", default=None, help="output folder (default: "
                         "results/<first plan>-vs-<reference>/)")
    sweep = commands.add_parser("sweep", help="run a sweep file (resumes an interrupted sweep)")
    sweep.add_argument("sweep_file", help="a sweep TOML, e.g. configs/sweeps/quick.toml")
    sweep.add_argument("--out", default=None,
                       help="output folder (default: results/sweeps/<sweep name>/)")
    sweep.add_argument("--workers", type=int, default=None,
                       help="local worker processes (default: every core; 1 = this process)")
    sweep.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="run on a Dask cluster, e.g. tcp://10.0.0.5:8786")
    sweep.add_argument("--worker-timeout", type=float, default=None, metavar="SECONDS",
                       help="with --scheduler: stop after this long with no worker at all "
                       "(default 120; finished runs are kept)")
    sweep.add_argument("--force", action="store_true",
                       help="discard results in --out that belong to a different sweep")
    sweep.add_argument("--no-progress", dest="progress", action="store_false",
                       help="no progress bar")
    report = commands.add_parser("report", help="summarise a sweep folder: tables and figures")
    report.add_argument("sweep_dir", help="a folder `sparksim sweep` wrote")
    report.add_argument("--metric", default=None,
                        help="summary key for the heatmap and sensitivity "
                        "(default: the sweep file's report.metric)")
    report.add_argument("--platform", default=None, help="platform reported (default: first)")
    report.add_argument("--heatmap", nargs=2, default=None, metavar=("X", "Y"),
                        help="two swept parameters for the heatmap")
    report.add_argument("--out", default=None, help="output folder (default: SWEEP_DIR/report)")
    fit = commands.add_parser("calibrate", help="fit config parameters to an observed series")
    fit.add_argument("data", help="a CSV: a time column (period numbers, dates, or whole "
                     "days since launch in a column named day) and one value column, e.g. "
                     "data/vcr_sales.csv")
    fit.add_argument("--config", required=True, help="the base config, e.g. configs/bass.toml")
    fit.add_argument("--fit", dest="fits", action="append", default=[], required=True,
                     metavar="KEY=LOW:HIGH", help="a parameter and its search bounds, e.g. "
                     "adoption.imitation=0.1:0.6 (repeat; days_per_period=LOW:HIGH fits time)")
    fit.add_argument("--target", choices=("adopters", "active_users"), default="adopters",
                     help="new adopters per period or interval (default), or active users on "
                     "each row's day (monthly actives; a daily-active series differs by a "
                     "ratio the fitted scale absorbs)")
    fit.add_argument("--cumulative", action="store_true",
                     help="the data are cumulative adopters, e.g. registered accounts "
                     "(differenced before fitting)")
    fit.add_argument("--days-per-period", type=float, default=None, metavar="N",
                     help="simulated days per data period (default: from regularly dated rows)")
    fit.add_argument("--launch", default=None, metavar="DATE",
                     help="launch date, YYYY-MM-DD: each dated row is compared with the "
                     "simulation on its day since launch (the dates may be irregular)")
    fit.add_argument("--date-format", default=None, metavar="FORMAT",
                     help="how the time column's dates are written, in strptime codes, e.g. "
                     "%%d/%%m/%%Y or %%m/%%d/%%Y (default: ISO 8601, YYYY-MM-DD; other forms "
                     "are refused, never guessed)")
    fit.add_argument("--holdout", type=int, default=0, metavar="H",
                     help="fit all but the last H rows and forecast those, with 90%% intervals "
                     "(default 0)")
    fit.add_argument("--replicates", type=int, default=4, help="runs per candidate (default 4)")
    fit.add_argument("--trials", type=int, default=200,
                     help="candidates the search evaluates (default 200)")
    fit.add_argument("--seed", type=int, default=0, help="root seed (default 0)")
    fit.add_argument("--workers", type=int, default=1,
                     help="local worker processes per generation (default 1 = this process)")
    fit.add_argument("--out", default=None,
                     help="output folder (default: results/<config name>-calibration/)")
    fit.add_argument("--set", dest="overrides", action="append", default=[],
                     metavar="KEY=VALUE", help="override a base config value")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    signal.signal(signal.SIGTERM, _terminate)
    command = None
    try:
        args = build_parser().parse_args(argv)
        command = args.command
        return {"run": _run, "compare": _compare, "sweep": _sweep, "report": _report,
                "calibrate": _calibrate}[command](args)
    except ConfigError as err:
        return _fail(str(err), EXIT_USAGE)
    except KeyboardInterrupt as err:
        how = "terminated" if isinstance(err, Terminated) else "interrupted"
        code = EXIT_TERMINATED if isinstance(err, Terminated) else EXIT_INTERRUPTED
        if command == "sweep":
            return _fail(f"{how}; finished runs are kept: rerun the same command to resume",
                         code)
        return _fail(f"{how}; nothing was written", code)
    except WorkersLost as err:
        return _fail(f"{err}; finished runs are kept: start workers and rerun the same "
                     "command to resume", EXIT_ENVIRONMENT)
    except MemoryError:
        return _fail("out of memory; lower population.followers (or run fewer workers)",
                     EXIT_ENVIRONMENT)
    except OSError as err:  # the output folder cannot be written: not a config problem
        return _fail(f"cannot write {err.filename or 'the output'}: {err.strerror or err}",
                     EXIT_ENVIRONMENT)


def _terminate(signum: int, frame: object) -> None:
    raise Terminated()


def _fail(message: str, code: int) -> int:
    print(f"sparksim: {message}", file=sys.stderr)
    return code


def _run(args: argparse.Namespace) -> int:
    from .model.config import check_seed, load_config, parse_override
    from .runs.folders import check_output_folder, out_option
    from .runs.run import run

    if args.seed is not None:
        check_seed(args.seed)
    overrides = dict(parse_override(text) for text in args.overrides)
    config = load_config(args.config, overrides)
    edges = getattr(config.network.social, "path", None)  # an edge-list file is an input too
    inputs = [args.config, *([edges] if edges else [])]
    out = out_option(args.out, Path("results") / config.name)
    check_output_folder(out, "run", inputs=inputs)  # before the run: fail fast
    result = run(config, seed=args.seed)
    result.write(out, inputs=inputs)
    print(f"{config.name}: {config.population.followers:,} simulated people for a market of "
          f"{config.population.market_size:,.0f}, {config.population.influencers:,} simulated "
          f"creators for {config.population.creators.total:,}, {config.horizon_days} days, "
          f"seed {result.seed}")
    for platform, summary in result.summary.items():
        print(f"  {platform}: " + ", ".join(_fmt(k, summary[k]) for k in (
            "adoption_share_end", "adopters_end", "active_users_end", "peak_active_users",
            "influencers_joined", "total_spend", "cost_per_adopter", "attributed_adopters",
            "retention_after_switch")))
    print(f"wrote {out}/ (timeseries.csv, summary.json, config.toml, adoption.png)")
    return 0


def _compare(args: argparse.Namespace) -> int:
    from .analysis.compare import HEADLINE, compare
    from .model.config import check_seed, load_config, parse_override
    from .runs.executors import check_workers_option
    from .runs.folders import check_output_folder, out_option

    check_seed(args.seed)
    check_workers_option(args.workers)
    overrides = dict(parse_override(text) for text in args.overrides)
    paths = [*args.plans, args.reference]
    configs = [load_config(path, overrides) for path in paths]
    names = [config.name for config in configs]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ConfigError(f"plans and reference: each needs its own name (repeated: "
                          f"{', '.join(map(repr, repeated))}); allowed: configs whose name "
                          "keys differ (or --set name=... is applied to all: rename a file's name)")
    reference = names[-1]
    out = out_option(args.out, Path("results") / f"{names[0]}-vs-{reference}")
    check_output_folder(out, "comparison", inputs=paths)  # before the runs: fail fast
    result = compare(dict(zip(names, configs, strict=True)), replicates=args.replicates,
                     seed=args.seed, reference=reference, workers=args.workers,
                     keep_timeseries=False)
    result.write(out, inputs=paths)
    print(f"{len(names) - 1} plan(s) against {reference!r}: {args.replicates} replicates each on "
          f"common random numbers, seed {args.seed}; paired differences with 95% intervals")
    table = result.table
    for name in names[:-1]:
        for platform in dict.fromkeys(table.loc[table["scenario"] == name, "platform"]):
            print(f"  {name} ({platform}):")
            for metric in HEADLINE:
                rows = table[(table["scenario"] == name) & (table["platform"] == platform)
                             & (table["metric"] == metric)]
                if len(rows):
                    print(f"    {_difference(metric, rows.iloc[0])}")
    print(f"wrote {out}/ (comparison.csv, runs.csv, comparison.png)")
    return 0


def _difference(metric: str, row: object) -> str:
    """One line of ``sparksim compare``: the metric in words and units, its difference."""
    import math

    from .plots.labels import words

    text, unit = words(metric)
    if metric == "cost_per_incremental_adopter":
        if not math.isfinite(row["mean"]):
            return f"{text}: - (the plan adds no adopters on average)"
        interval = ("" if not math.isfinite(row["low"])
                    else f" (95% {row['low']:,.2f} to {row['high']:,.2f})")
        return f"{text}: {row['mean']:,.2f} {unit}{interval}"
    return (f"{text}: {row['diff']:+,.0f} {unit} (95% {row['diff_low']:+,.0f} to "
            f"{row['diff_high']:+,.0f}; plan {row['mean']:,.0f})")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("sparksim")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


def _sweep(args: argparse.Namespace) -> int:
    import time

    from .runs.executors import check_workers_option
    from .runs.sweep import sweep
    from .runs.sweep_file import load_sweep_spec

    check_workers_option(args.workers)
    spec = load_sweep_spec(args.sweep_file)
    if args.worker_timeout is not None and args.scheduler is None:
        raise ConfigError("--worker-timeout: applies to a Dask cluster only; allowed with "
                          "--scheduler ADDRESS")
    if args.worker_timeout is not None and not 0 < args.worker_timeout <= MAX_WORKER_TIMEOUT:
        raise ConfigError(f"--worker-timeout {args.worker_timeout:g}: must be above 0 and at "
                          f"most {MAX_WORKER_TIMEOUT:,.0f} seconds (a day; a rerun resumes "
                          "from the finished runs)")
    started = time.perf_counter()
    timeout = {} if args.worker_timeout is None else {"worker_timeout": args.worker_timeout}
    result = sweep(spec, args.out, workers=args.workers, scheduler=args.scheduler,
                   force=args.force, progress=args.progress,
                   announce=lambda line: print(line, flush=True), **timeout)
    runs = result.runs
    failed = result.failed
    manifest = result.manifest
    planned = manifest["runs_planned"]
    done = len(runs) - len(failed)
    print(f"{spec.name}: {done} of {planned} runs done ({len(failed)} failed) in "
          f"{time.perf_counter() - started:.1f} s on {manifest.get('executor', '?')}")
    print(f"wrote {result.path}/ (runs.parquet, timeseries/, manifest.json); "
          f"next: sparksim report {result.path}")
    if len(failed):
        first = failed.iloc[0]
        return _fail(f"{len(failed)} runs failed, e.g. run {first['run_id']}: "
                     f"{first['error']}; rerun the same command to retry them",
                     EXIT_RUNS_FAILED)
    if done < planned:
        return _fail(f"{planned - done} of {planned} runs are missing; rerun the same "
                     "command to run them", EXIT_RUNS_FAILED)
    return 0


def _report(args: argparse.Namespace) -> int:
    from .analysis.report import write_report

    report = write_report(args.sweep_dir, metric=args.metric, platform=args.platform,
                          heatmap=tuple(args.heatmap) if args.heatmap else None, out=args.out)
    print(f"wrote {report.folder}/ ({', '.join(report.files)})")
    if report.sensitivity is not None:
        print(f"sensitivity of {report.sensitivity.attrs['metric']}:")
        print(report.sensitivity.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    return 0


def _calibrate(args: argparse.Namespace) -> int:
    from .analysis.calibrate import calibrate, check_data_file, parse_fit
    from .model.config import check_seed, load_config, parse_override
    from .runs.executors import check_workers_option
    from .runs.folders import check_output_folder, out_option

    check_seed(args.seed)
    check_workers_option(args.workers)
    fits = dict(parse_fit(text) for text in args.fits)
    overrides = dict(parse_override(text) for text in args.overrides)
    config = load_config(args.config, overrides)
    check_data_file(args.data)  # a special file or a link loop named before paths are resolved
    inputs = [args.data, args.config]
    out = out_option(args.out, Path("results") / f"{config.name}-calibration")
    check_output_folder(out, "calibration", inputs=inputs)  # before the runs: fail fast
    try:
        result = calibrate(args.data, config, fits, args.target, cumulative=args.cumulative,
                           days_per_period=args.days_per_period, launch=args.launch,
                           date_format=args.date_format, holdout=args.holdout,
                           replicates=args.replicates, trials=args.trials, seed=args.seed,
                           workers=args.workers)
    except RuntimeError as err:  # simulations failed (e.g. memory): nothing to fit
        return _fail(f"{first_line(err)}; nothing was written", EXIT_ENVIRONMENT)
    result.write(out, inputs=inputs)
    print(result.summary())
    print(f"wrote {out}/ (calibration.json, history.csv, fit.png)")
    return 0


def _fmt(key: str, value: object) -> str:
    if value is None:
        return f"{key} -"
    if isinstance(value, float):
        return f"{key} {value:,.3g}" if abs(value) < 1000 else f"{key} {value:,.0f}"
    return f"{key} {value:,}" if isinstance(value, int) else f"{key} {value}"


if __name__ == "__main__":
    sys.exit(main())
