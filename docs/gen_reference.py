"""The docs' generated pages: made from the code at build time, so they cannot drift.

Run by mkdocs-gen-files (``mkdocs.yml``) on every build; :func:`pages` is also
imported by ``tests/test_docs.py``. Each page is read from its source:

- ``reference/api.md``: the public API (``simulation._PUBLIC``), from docstrings
  through mkdocstrings;
- ``reference/config.md``: every config key, from the sections and the
  registries as they are at build time (a phase's scheme keys and the social
  kinds are read from the registries, not from rebuilt models:
  :func:`simulation.model.parameter_tables.parameter_tables`, the same tables
  as the ODD description's);
- ``reference/cli.md``: every subcommand's help, from ``simulation.cli.build_parser``;
- ``reference/registries.md``: payout schemes, summary metrics, social-graph
  kinds, experiment designs and attribution rules, from their registries;
- ``tutorials/*.ipynb``: the notebooks, copied from ``notebooks/``.

A registry entry defined in a user's module shows up too when the module is
named in ``SPARKSIM_DOCS_IMPORT`` (comma-separated module names) at build time.
"""

from __future__ import annotations

import argparse
import importlib
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _first_line(thing: object) -> str:
    return ((getattr(thing, "__doc__", None) or "").strip().splitlines() or [""])[0]


def _cell(text: object) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _keys(section: type, skip: tuple[str, ...] = ("kind",)) -> str:
    """A section's keys as a config sees them now (``config_keys``), as code, comma-separated."""
    names = [name for name in section.config_keys() if name not in skip]
    return ", ".join(f"`{name}`" for name in names) or "none"


def api_page() -> str:
    """The public API, one mkdocstrings block per name in ``simulation._PUBLIC``."""
    import simulation

    lines = ["# Python API", "",
             "Everything `import simulation` gives (`simulation._PUBLIC`), from the docstrings. "
             "Names are loaded on first use, so `import simulation` is fast.", ""]
    for name, module in simulation._PUBLIC.items():
        if name in simulation._LIVE:  # a module __getattr__, read afresh: shown by value
            value = getattr(simulation, name)
            lines += [f"## {name}", "", f"`simulation.{name}` (from `simulation.{module}`, "
                      "read from the registries each time it is asked for): "
                      + ", ".join(f"`{item}`" for item in value) + ".", ""]
        else:
            lines += [f"::: simulation.{module}.{name}", ""]
    return "\n".join(lines)


def config_page() -> str:
    """Every config key, from the schema, with default, allowed range, unit and source."""
    from simulation.model.parameter_tables import keys, parameter_tables

    return "\n".join([
        "# Config keys", "",
        f"All {len(keys())} keys of a run's TOML config, made from the schema "
        "(`simulation/model/config.py` and the registries) at build time. `N` stands for a "
        "list index (`platforms.0.budget` in `--set`), and a key left out takes its default. "
        "The same tables close the [ODD description](../ODD.md#parameters).", "",
        parameter_tables()])


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def cli_page() -> str:
    """``sparksim --help`` and each subcommand's help, from the parser itself."""
    from simulation.cli import build_parser

    os.environ["COLUMNS"] = "100"  # argparse wraps to the terminal; the page is fixed-width
    parser = build_parser()
    lines = ["# Command line", "",
             "`sparksim` (also `python -m simulation`), from `simulation.cli.build_parser()`. "
             "Exit codes: 0 done; 1 the machine failed the run; 2 bad input, nothing "
             "written; 3 a sweep ended with runs failed or missing; 130 Ctrl-C; 143 SIGTERM.",
             "", "```text", parser.format_help().rstrip(), "```", ""]
    for name, sub in _subcommands(parser).items():
        lines += [f"## sparksim {name}", "", "```text", sub.format_help().rstrip(), "```", ""]
    return "\n".join(lines)


def registries_page() -> str:
    """Every entry of every registry, one table per registry."""
    from simulation.model.attribution import ATTRIBUTION_RULES
    from simulation.model.metrics import METRICS
    from simulation.model.modules import MODULES, import_built_in
    from simulation.model.networks import SOCIAL_KINDS
    from simulation.model.observers import OBSERVERS
    from simulation.model.payouts import SCHEMES
    from simulation.model.tiers import TierCounts  # noqa: F401 (registers "tiers")
    from simulation.runs.designs import DESIGNS

    lines = ["# Registries", "",
             "Each extension point is a registry; these tables are read from them at build "
             "time, so a new entry shows here with no edit to the docs "
             "([Extending](../extending/index.md) shows how to add one). The keys of "
             "each are in [Config keys](config.md).", "",
             "## Payout schemes", "",
             "`simulation.model.payouts.SCHEMES`: a phase's keys "
             "(`platforms.N.phases.N.<key>`); each pays into its daily column.", "",
             "| key | label | daily column | pays | keys |", "|---|---|---|---|---|"]
    lines += [f"| `{key}` | {_cell(cls.label)} | `{cls.column()}` | {_cell(_first_line(cls))} "
              f"| {_keys(cls)} |" for key, cls in SCHEMES.items()]
    lines += ["", "## Summary metrics", "",
              "`simulation.model.metrics.METRICS`: the keys of `summary.json` per platform, "
              "in order (`better` sets the optimiser's default direction).", "",
              "| key | meaning | unit | better | whole number |", "|---|---|---|---|---|"]
    lines += [f"| `{key}` | {_cell(m.words)} | {_cell(m.unit)} | {m.better or ''} "
              f"| {'yes' if m.integer else ''} |" for key, m in METRICS.items()]
    lines += ["", "## Social-graph kinds", "",
              "`simulation.model.networks.SOCIAL_KINDS`: values of `network.social.kind`.", "",
              "| kind | graph | keys | edges |", "|---|---|---|---|"]
    lines += [f"| `{kind}` | {_cell(_first_line(cls))} | {_keys(cls)} "
              f"| {'none (mean field)' if cls.mean_field else 'built'} |"
              for kind, cls in SOCIAL_KINDS.items()]
    lines += ["", "## Experiment designs", "",
              "`simulation.runs.designs.DESIGNS`: values of a sweep file's `design.kind`.", "",
              "| kind | design | keys | parameters | sensitivity analysis |",
              "|---|---|---|---|---|"]
    lines += [f"| `{kind}` | {_cell(_first_line(cls))} | {_keys(cls)} "
              f"| {'lists of values' if cls.grid else 'ranges'} "
              f"| {_cell(', '.join(words for _, words in cls.bars)) if cls.bars else 'none'} |"
              for kind, cls in DESIGNS.items()]
    lines += ["", "## Attribution rules", "",
              "`simulation.model.attribution.ATTRIBUTION_RULES`: values of "
              "`attribution.rule`.", "", "| rule | credits |", "|---|---|"]
    lines += [f"| `{name}` | {_cell(_first_line(function))} |"
              for name, function in ATTRIBUTION_RULES.items()]
    lines += ["", "## Observers", "",
              "`simulation.model.observers.OBSERVERS`: keys of `observers=` in "
              "`simulation.run`, `run_many` and `compare` (the daily table is always "
              "recorded).", "", "| key | table | class |", "|---|---|---|"]
    lines += [f"| `{key}` | {_cell(cls.words)} | `{cls.__module__}.{cls.__qualname__}` |"
              for key, cls in OBSERVERS.items()]
    import_built_in()
    lines += ["", "## Modules of the day", "",
              "`simulation.model.modules.MODULES`: the parts a day is assembled from; a "
              "config builds those it needs and runs their stages in order "
              "(`SparkModel(config).plan()`).", "",
              "| key | stages (order) | owns | reads | daily columns | class |",
              "|---|---|---|---|---|---|"]
    def codes(names: tuple[str, ...]) -> str:
        return ", ".join(f"`{name}`" for name in names)

    lines += [f"| `{key}` | {', '.join(f'`{n}` ({o:g})' for n, o in cls.stages.items())} "
              f"| {_cell(cls.words)} | {codes(cls.reads)} | {codes(cls.column_names())} "
              f"| `{cls.__module__}.{cls.__qualname__}` |"
              for key, cls in sorted(MODULES.items(),
                                     key=lambda item: min(item[1].stages.values(), default=0))]
    return "\n".join(lines) + "\n"


def pages() -> dict[str, str]:
    """Path in the site → Markdown, for every generated reference page."""
    for module in filter(None, os.environ.get("SPARKSIM_DOCS_IMPORT", "").split(",")):
        importlib.import_module(module.strip())
    return {"reference/api.md": api_page(), "reference/config.md": config_page(),
            "reference/cli.md": cli_page(), "reference/registries.md": registries_page()}


def write() -> None:
    """Add the generated pages and the notebooks to the build (mkdocs-gen-files)."""
    import mkdocs_gen_files

    for path, text in pages().items():
        with mkdocs_gen_files.open(path, "w") as page:
            page.write(text)
        mkdocs_gen_files.set_edit_path(path, "gen_reference.py")
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        with mkdocs_gen_files.open(f"tutorials/{notebook.name}", "w") as copy:
            copy.write(notebook.read_text())


if __name__ == "<run_path>":  # run by mkdocs-gen-files
    write()
