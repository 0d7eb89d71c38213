"""The ``sparksim`` command line (also ``python -m simulation``): a thin layer over the API.

Commands: ``run`` (one config), ``sweep`` (many runs from a sweep file, resumable),
``report`` (summary and figures of a sweep folder), ``calibrate`` (fit config
parameters to an observed series).

Exit codes: 0 done; 2 bad input (config, sweep file, override or
arguments), with one message on stderr and nothing written; 1 the output
folder cannot be written; 3 a sweep finished but some runs failed (they are
recorded with their errors in runs.parquet); 130 interrupted (a sweep keeps
what finished: rerun the same command to resume).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .config import ConfigError, load_config, parse_override

EXIT_USAGE = 2
EXIT_RUNS_FAILED = 3


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # exit 2 with one line, no usage dump
        self.exit(EXIT_USAGE, f"sparksim: error: {message} (see sparksim --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for docs and tests)."""
    parser = _Parser(prog="sparksim", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run = commands.add_parser("run", help="run one config and write its outputs")
    run.add_argument("config", help="a TOML config, e.g. configs/baseline.toml")
    run.add_argument("--seed", type=int, default=None, help="run seed (default: the config's)")
    run.add_argument("--out", default=None, help="output folder (default: results/<config name>/)")
    run.add_argument("--set", dest="overrides", action="append", default=[],
                     metavar="KEY=VALUE", help="override a value, e.g. adoption.imitation=0.3")
    sweep = commands.add_parser("sweep", help="run a sweep file (resumes an interrupted sweep)")
    sweep.add_argument("sweep_file", help="a sweep TOML, e.g. configs/sweeps/quick.toml")
    sweep.add_argument("--out", default=None,
                       help="output folder (default: results/sweeps/<sweep name>/)")
    sweep.add_argument("--workers", type=int, default=None,
                       help="local worker processes (default: every core; 1 = this process)")
    sweep.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="run on a Dask cluster, e.g. tcp://10.0.0.5:8786")
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
    fit.add_argument("data", help="a CSV: a time column and one value column, e.g. "
                     "data/vcr_sales.csv")
    fit.add_argument("--config", required=True, help="the base config, e.g. configs/bass.toml")
    fit.add_argument("--fit", dest="fits", action="append", default=[], required=True,
                     metavar="KEY=LOW:HIGH", help="a parameter and its search bounds, e.g. "
                     "adoption.imitation=0.1:0.6 (repeat; days_per_period=LOW:HIGH fits time)")
    fit.add_argument("--target", choices=("adopters", "active_users"), default="adopters",
                     help="new adopters per period (default) or active users at period end")
    fit.add_argument("--cumulative", action="store_true",
                     help="the data are cumulative adopters (differenced before fitting)")
    fit.add_argument("--days-per-period", type=float, default=None, metavar="N",
                     help="simulated days per data period (default: from dated rows)")
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
    args = build_parser().parse_args(argv)
    command = {"run": _run, "sweep": _sweep, "report": _report,
               "calibrate": _calibrate}[args.command]
    try:
        return command(args)
    except ConfigError as err:
        print(f"sparksim: {err}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        if args.command == "sweep":
            print("sparksim: interrupted; finished runs are kept: rerun the same command "
                  "to resume", file=sys.stderr)
        else:
            print("sparksim: interrupted; nothing was written", file=sys.stderr)
        return 130
    except OSError as err:  # the output folder cannot be written: not a config problem
        print(f"sparksim: cannot write {err.filename or 'the output'}: {err.strerror}",
              file=sys.stderr)
        return 1


def _run(args: argparse.Namespace) -> int:
    from .run import check_output_dir, run

    if args.seed is not None and args.seed < 0:
        raise ConfigError(f"--seed = {args.seed}: must be a non-negative integer")
    overrides = dict(parse_override(text) for text in args.overrides)
    config = load_config(args.config, overrides)
    out = Path(args.out) if args.out else Path("results") / config.name
    check_output_dir(out)  # before the run: fail fast, and never clobber a user's folder
    result = run(config, seed=args.seed)
    result.write(out)
    print(f"{config.name}: {config.population.followers:,} people, "
          f"{config.population.influencers:,} influencers, {config.horizon_days} days, "
          f"seed {result.seed}")
    for platform, summary in result.summary.items():
        print(f"  {platform}: " + ", ".join(_fmt(k, summary[k]) for k in (
            "adoption_share_end", "active_users_end", "peak_active_users", "days_to_10pct",
            "influencers_joined", "total_spend", "cost_per_adopter", "retention_after_switch")))
    print(f"wrote {out}/ (timeseries.csv, summary.json, config.toml, adoption.png)")
    return 0


def _sweep(args: argparse.Namespace) -> int:
    import time

    from .designs import load_sweep_spec
    from .sweep import sweep

    spec = load_sweep_spec(args.sweep_file)
    started = time.perf_counter()
    result = sweep(spec, args.out, workers=args.workers, scheduler=args.scheduler,
                   force=args.force, progress=args.progress)
    runs = result.runs
    failed = runs[runs["status"] != "ok"]
    manifest = result.manifest
    print(f"{spec.name}: {len(runs)} of {manifest['runs_planned']} runs done "
          f"({len(failed)} failed) in {time.perf_counter() - started:.1f} s on "
          f"{manifest.get('executor', '?')}")
    print(f"wrote {result.path}/ (runs.parquet, timeseries/, manifest.json); "
          f"next: sparksim report {result.path}")
    if len(failed):
        first = failed.iloc[0]
        print(f"sparksim: {len(failed)} runs failed, e.g. run {first['run_id']}: "
              f"{first['error']}", file=sys.stderr)
        return EXIT_RUNS_FAILED
    return 0


def _report(args: argparse.Namespace) -> int:
    from .report import write_report

    report = write_report(args.sweep_dir, metric=args.metric, platform=args.platform,
                          heatmap=tuple(args.heatmap) if args.heatmap else None, out=args.out)
    print(f"wrote {report.folder}/ ({', '.join(report.files)})")
    if report.sensitivity is not None:
        print(f"sensitivity of {report.sensitivity.attrs['metric']}:")
        print(report.sensitivity.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    return 0


def _calibrate(args: argparse.Namespace) -> int:
    from .calibrate import calibrate, check_calibration_dir, parse_fit

    if args.seed < 0:
        raise ConfigError(f"--seed = {args.seed}: must be a non-negative integer")
    fits = dict(parse_fit(text) for text in args.fits)
    overrides = dict(parse_override(text) for text in args.overrides)
    config = load_config(args.config, overrides)
    out = Path(args.out) if args.out else Path("results") / f"{config.name}-calibration"
    check_calibration_dir(out)  # before the runs: fail fast, and never clobber other files
    result = calibrate(args.data, config, fits, args.target, cumulative=args.cumulative,
                       days_per_period=args.days_per_period, replicates=args.replicates,
                       trials=args.trials, seed=args.seed, workers=args.workers)
    result.write(out)
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
