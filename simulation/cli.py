"""The ``sparksim`` command line (also ``python -m simulation``): a thin layer over the API.

Exit codes: 0 done; 2 bad input (config, override or arguments), with one
message on stderr and nothing written; 1 the output folder cannot be
written; 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .config import ConfigError, load_config, parse_override

EXIT_USAGE = 2


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
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except ConfigError as err:
        print(f"sparksim: {err}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
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


def _fmt(key: str, value: object) -> str:
    if value is None:
        return f"{key} -"
    if isinstance(value, float):
        return f"{key} {value:,.3g}" if abs(value) < 1000 else f"{key} {value:,.0f}"
    return f"{key} {value:,}" if isinstance(value, int) else f"{key} {value}"


if __name__ == "__main__":
    sys.exit(main())
