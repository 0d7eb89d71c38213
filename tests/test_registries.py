"""One conformance suite over every entry of every registry, end to end.

Payout schemes, social-graph kinds, designs and summary metrics are registries
(one class or one declaration each). Every entry passes the public conformance
suite (``simulation.testing``: what each kind promises), then runs a small model
(or a small sweep) and writes its outputs through ``RunResult.write`` or
``write_report``, so a new entry that breaks a figure, a column or the CLI fails
here. A scheme defined outside the package, in a user's module, proves that a
scheme takes one class (tests/test_conformance.py checks a user's entries).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import simulation
from simulation import plots
from simulation.analysis.optimise import default_direction
from simulation.analysis.report import write_report
from simulation.model.metrics import METRICS, columns, daily_columns
from simulation.model.networks import SOCIAL_KINDS
from simulation.model.payouts import SCHEMES
from simulation.runs.designs import DESIGNS
from simulation.testing import check_social_kind, parametrize_with_checks
from tests.conftest import CONFIGS, ROOT

TINY = {"population.followers": 1500, "population.influencers": 40, "horizon_days": 25,
        "population.market_size": 1_500_000,
        "platforms.0.budget": 1e9, "platforms.0.invitation": {"policy": "open"}}
FILES = {"timeseries.csv", "summary.json", "config.toml", "adoption.png", ".sparksim.json"}


def check_outputs(result: simulation.RunResult, folder: Path) -> pd.DataFrame:
    """Write through RunResult.write and read back: files, columns, summary keys."""
    result.write(folder)
    assert {p.name for p in folder.iterdir()} == FILES
    table = pd.read_csv(folder / "timeseries.csv")
    assert list(table.columns) == list(columns())
    summary = json.loads((folder / "summary.json").read_text())
    assert all(set(entry) == set(METRICS) for entry in summary.values())
    assert simulation.load_config(folder / "config.toml") == result.config
    return table


# --- the public conformance suite, on every shipped entry ---------------------------------


@parametrize_with_checks([*SCHEMES.values(), *(cls for kind, cls in SOCIAL_KINDS.items()
                                                if kind != "edgelist"),
                          *DESIGNS.values(), *METRICS.values()])
def test_every_shipped_entry_passes_the_public_conformance_suite(entry, check):
    """simulation.testing's checks, each entry's promises (a user's entries get the same)."""
    check(entry)


def test_the_edge_list_kind_passes_the_suite(tmp_path):
    ring = np.arange(2000)
    np.savetxt(tmp_path / "ring.txt", np.column_stack([ring, (ring + 1) % 2000]), fmt="%d")
    check_social_kind(SOCIAL_KINDS["edgelist"](path=str(tmp_path / "ring.txt")))


# --- payout schemes --------------------------------------------------------------------


@pytest.mark.parametrize("key", list(SCHEMES))
def test_every_scheme_runs_writes_and_draws(key, tmp_path):
    """Each scheme at its defaults, beside a flat fee, written and drawn (check_scheme pays)."""
    scheme = SCHEMES[key]
    phase = {"name": key, "flat_fee": {"fee": 60.0, "posts_per_day": 1}, key: {}}
    config = simulation.load_config(CONFIGS / "baseline.toml", {
        **TINY, "platforms.0.phases": [phase]})
    table = check_outputs(simulation.run(config, seed=1), tmp_path / key)
    paying = {scheme.column(), "spend_flat_fee"}
    figure = plots.spend_figure(table.assign(scenario=key), by="scenario")
    shown = {t.get_text() for t in figure.legends[0].get_texts()}
    assert shown == {SCHEMES[c.removeprefix("spend_")].label for c in paying}
    assert plots.label(scheme.column()) == f"{scheme.label} spend ($/day)"


def test_a_scheme_defined_in_a_users_module_takes_one_class(tmp_path):
    """A tip jar: $ per post published, defined outside the package, run from the CLI."""
    (tmp_path / "tip_jar.py").write_text(textwrap.dedent('''
        from typing import ClassVar

        import numpy as np
        from pydantic import Field

        from simulation.model.payouts import Scheme


        class TipJar(Scheme):
            """A tip per post published."""

            key: ClassVar[str] = "tip_jar"
            label: ClassVar[str] = "tip jar"
            color: ClassVar[str] = "#8172B3"
            tip: float = Field(1.5, ge=0, description="$ per post")

            def owed(self, activity):
                return self.tip * activity.posts

            def expected(self, n_posts, outlook):
                return self.tip * n_posts.astype(float)
    '''))
    config = (CONFIGS / "schemes" / "per_adopter.toml").read_text().replace(
        "per_adopter = { bounty = 3.0 }", "tip_jar = { tip = 40.0 }")
    assert "tip_jar" in config
    (tmp_path / "tips.toml").write_text(config)
    script = ("import sys, tip_jar; from simulation.cli import main; "
              "sys.exit(main(['run', 'tips.toml', '--out', 'out', '--set', "
              "'population.followers=2000', '--set', 'population.influencers=40', "
              "'--set', 'horizon_days=20', '--set', 'population.market_size=2e6', "
              "'--set', 'platforms.0.budget=1e12']))")  # the market's 17 000 may all take tips
    env = {**os.environ, "MPLBACKEND": "Agg",
           "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(tmp_path / "out" / "timeseries.csv")
    assert "spend_tip_jar" in table.columns
    assert table["posts"].sum() > 0
    assert table["spend_tip_jar"].sum() == pytest.approx(40.0 * table["posts"].sum())
    assert np.allclose(table["spend_total"], table["spend_tip_jar"])
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())["spark"]
    assert summary["total_spend"] == pytest.approx(table["spend_total"].sum())


# --- social-graph kinds --------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(SOCIAL_KINDS))
def test_every_social_kind_builds_runs_and_writes(kind, tmp_path):
    social: dict = {"kind": kind}
    if kind == "edgelist":
        ring = np.arange(1500)
        np.savetxt(tmp_path / "ring.txt", np.column_stack([ring, (ring + 1) % 1500]), fmt="%d")
        social["path"] = str(tmp_path / "ring.txt")
    config = simulation.load_config(CONFIGS / "baseline.toml", {**TINY, "network.social": social})
    assert config.network.social.kind == kind
    model = simulation.SparkModel(config, seed=2)
    if SOCIAL_KINDS[kind].mean_field:
        assert model.friends.mean_field and model.friends.n_edges == 0
    else:
        assert model.friends.n_edges > 0
    model.release()
    table = check_outputs(simulation.run(config, seed=2), tmp_path / kind)
    assert table["adopters"].iloc[-1] > 0


def test_an_unknown_kind_lists_every_registered_kind():
    with pytest.raises(simulation.ConfigError) as caught:
        simulation.load_config(CONFIGS / "baseline.toml", {"network.social.kind": "grid"})
    message = str(caught.value)
    assert "network.social.kind = 'grid'" in message
    assert all(kind in message for kind in SOCIAL_KINDS)


# --- designs ---------------------------------------------------------------------------------


def sweep_file(folder: Path, kind: str) -> Path:
    design = DESIGNS[kind]()
    if design.grid:
        parameters = ('"adoption.imitation" = [0.01, 0.04]\n'
                      '"platforms.0.phases.0.flat_fee.fee" = [5.0, 30.0]\n')
        extra = ""
    else:
        parameters = ('"adoption.imitation" = {low = 0.01, high = 0.04}\n'
                      '"platforms.0.phases.0.flat_fee.fee" = {low = 5.0, high = 30.0}\n')
        extra = "samples = 4\n"
    path = folder / f"{kind}.toml"
    path.write_text(f'name = "{kind}"\nbase = "{CONFIGS / "baseline.toml"}"\nseed = 5\n'
                    f'[set]\n"population.followers" = 1000\n"population.influencers" = 30\n'
                    f'"horizon_days" = 15\n[design]\nkind = "{kind}"\n{extra}'
                    f'[parameters]\n{parameters}')
    return path


@pytest.mark.parametrize("kind", list(DESIGNS))
def test_every_design_sweeps_and_reports(kind, tmp_path):
    result = simulation.sweep(sweep_file(tmp_path, kind), tmp_path / "sweep", workers=1,
                              progress=False)
    assert (result.runs["status"] == "ok").all() and len(result.runs) >= 4
    assert result.spec.design.kind == kind
    report = write_report(tmp_path / "sweep", metric="total_spend")
    assert {"summary.csv", "heatmap.png", "fan_adoption.png"} <= set(report.files)
    if result.spec.design.analyses:
        assert {"sensitivity.csv", "sensitivity.png"} <= set(report.files)
        indices = report.sensitivity
        assert list(indices["parameter"]) == list(result.parameters)
        assert all(column in indices.columns for column, _ in DESIGNS[kind].bars)
    else:
        assert report.sensitivity is None


# --- summary metrics -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def comparison():
    config = simulation.load_config(CONFIGS / "schemes" / "flat_then_commission.toml", {
        **TINY, "horizon_days": 200, "platforms.0.phases.1.start.day": 60,
        "platforms.0.phases.1.start.notice_days": 0})
    return simulation.compare({"plan": config, "none": {"platforms.0.phases": []}},
                              replicates=2, seed=3, base=config, reference="none")


@pytest.mark.parametrize("key", list(METRICS))
def test_every_metric_is_computed_labelled_compared_and_optimisable(key, comparison):
    metric = METRICS[key]
    assert metric.words and metric.unit and metric.better in ("higher", "lower", None)
    value = comparison.value("plan", key)
    assert math.isfinite(value) or metric.none, (key, value)
    assert plots.label(key).endswith(f"({metric.unit})")
    assert plots.label(f"spark.{key}") == f"spark: {metric.words} ({metric.unit})"
    assert default_direction(key) == {"higher": "maximize", "lower": "minimize"}.get(
        metric.better or "")
    if metric.integer:
        runs = comparison.runs[f"spark.{key}"].dropna()
        assert (runs == runs.round()).all()


def test_every_daily_column_has_words_a_unit_and_a_type():
    for name, column in daily_columns().items():
        assert column.words and (column.unit or name == "platform"), name
    assert tuple(simulation.COLUMNS) == columns()
