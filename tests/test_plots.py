"""Figures: each builds from small real data, is titled, has labelled axes, and shows the data."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import simulation  # noqa: E402
from simulation import plots  # noqa: E402
from simulation.model.tiers import tier_timeseries  # noqa: E402
from simulation.runs.designs import Morris, Sobol, indices_table  # noqa: E402
from tests.conftest import CONFIGS  # noqa: E402

TINY = {"population.followers": 10_000, "population.influencers": 150, "horizon_days": 50}


@pytest.fixture(scope="module")
def result():
    def config(name):
        return simulation.load_config(CONFIGS / "schemes" / f"{name}.toml", TINY)

    return simulation.compare({"none": config("none"), "flat fee": config("flat_fee"),
                               "per adopter": config("per_adopter")}, replicates=3, seed=2)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def check_labelled(figure):
    """Every visible panel has a title (or the figure one) and both axes labelled; draws."""
    figure.canvas.draw()  # text errors (e.g. mathtext) surface only when drawn
    panels = [ax for ax in figure.axes if ax.get_visible() and ax.get_label() != "<colorbar>"]
    assert panels
    for ax in panels:
        assert ax.get_title() or figure.get_suptitle()
        assert ax.get_xlabel() and ax.get_ylabel()


def test_labels_have_units():
    assert plots.label("spark.active_users_end") == "spark: active users at the end (people)"
    assert plots.label("platforms.0.phases.0.flat_fee.fee") == "flat fee: fee ($/day)"
    assert plots.label("platforms.0.phases.1.start.day") == "phase 1 start: day (day)"
    assert plots.label("platforms.1.budget") == "platform 1: budget ($)"
    assert plots.label("adoption.imitation") == "adoption: imitation q (per day)"
    assert plots.label("spend_total") == "payout spend ($/day)"
    assert plots.label("cost_per_adopter") == "cost per adopter (all adopters) ($ per adopter)"
    assert plots.label("events.0.strength") == "event 0: strength (× hazards at its height)"


def test_band_figure_draws_the_median_over_replicates(result):
    figure = plots.band_figure(result.timeseries, ["adopters", "active_users"],
                               n_people=TINY["population.followers"], fan=True, title="bands")
    check_labelled(figure)
    adopters, users = figure.axes[:2]
    assert adopters.get_ylabel() == users.get_ylabel() == "share of people (%)"
    line = next(line for line in users.get_lines() if line.get_label() == "flat fee")
    rows = result.timeseries[result.timeseries["scenario"] == "flat fee"]
    median = rows.groupby("day")["active_users"].median() * 100 / TINY["population.followers"]
    np.testing.assert_allclose(line.get_ydata(), median.to_numpy())
    assert len(users.collections) == 2 * 3  # two nested bands per scenario


def test_band_figure_into_an_existing_axes_groups_by_any_column(result):
    figure, ax = plt.subplots()
    frame = result.timeseries.drop(columns="point").rename(columns={"scenario": "point"})
    returned = plots.band_figure(frame, "adopters", by="point", ax=ax)
    assert returned is figure and len(ax.get_lines()) == 3
    check_labelled(figure)


def test_spend_figure_stacks_the_mean_spend(result):
    figure = plots.spend_figure(result.timeseries, title="spend")
    check_labelled(figure)
    panel = figure.axes[1]  # flat fee
    assert "thousand $" in panel.get_ylabel()
    top = panel.collections[-1].get_paths()[0].vertices[:, 1].max()
    rows = result.timeseries[result.timeseries["scenario"] == "flat fee"]
    expected = rows.groupby("replicate")["spend_total"].sum().mean() / 1000
    assert top == pytest.approx(expected)


def test_tier_figure(result):
    config = simulation.load_config(CONFIGS / "schemes" / "rival.toml", TINY)
    tiers = tier_timeseries(config, seed=1)
    figure = plots.tier_figure(tiers, title="tiers")
    check_labelled(figure)
    assert len(figure.axes) == 2  # one panel per platform
    spark = figure.axes[0]
    for line in spark.get_lines():
        tier, what = line.get_label().split()
        rows = tiers[(tiers["platform"] == "spark") & (tiers["tier"] == tier)]
        column = "active" if what == "posting" else "joined"
        np.testing.assert_array_equal(line.get_ydata(), rows[column].to_numpy())


def test_comparison_figure_draws_the_paired_differences(result):
    metrics = ["influencers_joined", "adoption_share_end"]
    figure = plots.comparison_figure(result.table, metrics)
    check_labelled(figure)
    ax = figure.axes[0]
    assert "difference to none (influencers)" == ax.get_xlabel()
    drawn = {tick.get_text(): None for tick in ax.get_yticklabels()}
    assert set(drawn) == {"none", "flat fee", "per adopter"}
    centres = sorted(line.get_xdata()[0] for line in ax.get_lines() if len(line.get_xdata()))
    rows = result.table[result.table["metric"] == "influencers_joined"]
    assert set(np.round(rows["diff"], 9)) <= set(np.round(centres, 9))


def test_frontier_figure_marks_the_pareto_front(result):
    figure = plots.frontier_figure(result.table, cost="total_spend", value="active_users_end")
    check_labelled(figure)
    ax = figure.axes[0]
    assert ax.get_xlabel() == "total payout spend ($)"
    front = next(line for line in ax.get_lines() if "frontier" in line.get_label())
    means = result.wide("mean")
    mask = plots.pareto_front(means["total_spend"], means["active_users_end"])
    expected = means[mask].sort_values("total_spend")
    np.testing.assert_allclose(front.get_xdata(), expected["total_spend"])
    np.testing.assert_allclose(front.get_ydata(), expected["active_users_end"])
    # a runs table works too (columns as given, grouped by the label column)
    figure = plots.frontier_figure(result.runs, cost="spark.total_spend",
                                   value="spark.active_users_end")
    check_labelled(figure)


def test_pareto_front():
    cost = [0, 10, 10, 20, 30, 30]
    value = [1, 5, 4, 5, 9, 8]
    assert plots.pareto_front(cost, value).tolist() == [True, True, False, False, True, False]


def test_heatmap_figure_shows_cell_means(result):
    fee = "platforms.0.phases.0.flat_fee.fee"
    quota = "platforms.0.phases.0.flat_fee.posts_per_day"
    runs = pd.DataFrame({fee: [10, 10, 20, 20, 10, 20, 10], quota: [1, 1, 1, 1, 2, 2, 2],
                         "spark.active_users_end": [100, 300, 50, 70, 5, 9, 1000],
                         "status": ["ok"] * 6 + ["failed"]})
    figure = plots.heatmap_figure(runs, x=fee, y=quota, value="spark.active_users_end")
    check_labelled(figure)
    ax = figure.axes[0]
    assert ax.get_xlabel() == "flat fee: fee ($/day)"
    assert ax.get_ylabel() == "flat fee: quota (posts/day)"
    np.testing.assert_allclose(ax.images[0].get_array(), [[200, 60], [5, 9]])
    assert [t.get_text() for t in ax.texts] == ["200", "60", "5", "9"]
    colour_bar = next(a for a in figure.axes if a.get_label() == "<colorbar>")
    assert "people" in colour_bar.get_ylabel()


def test_sensitivity_figure_sobol_and_morris():
    problem = {"names": ["adoption.imitation", "platforms.0.budget"]}
    sobol = indices_table(Sobol(samples=8), problem, {
        "S1": [0.6, 0.1], "S1_conf": [0.05, 0.02], "ST": [0.7, 0.2], "ST_conf": [0.06, 0.03]})
    figure = plots.sensitivity_figure(sobol, output="spark.active_users_end")
    check_labelled(figure)
    widths = sorted(round(p.get_width(), 9) for p in figure.axes[0].patches)
    assert widths == [0.1, 0.2, 0.6, 0.7]
    morris = indices_table(Morris(samples=4), {"names": ["adoption.imitation"]}, {
        "mu_star": [3.0], "mu_star_conf": [0.5], "sigma": [1.0]})
    figure = plots.sensitivity_figure(morris, output="spark.active_users_end")
    check_labelled(figure)
    assert "(people)" in figure.axes[0].get_xlabel()
    with pytest.raises(ValueError, match="analyse"):
        plots.sensitivity_figure(pd.DataFrame({"parameter": ["x"], "y": [1]}))


def test_dollar_signs_are_text_not_mathtext(result):
    plots.LABELS["per_k"] = ("users per $1 000", "people per $1 000")
    try:
        frame = pd.DataFrame({"a": [1, 2], "b": [1, 1], "spark.per_k": [3.0, 4.0]})
        figure = plots.heatmap_figure(frame, x="a", y="b", value="spark.per_k",
                                      title="$2 and $3")
        check_labelled(figure)
        assert figure.axes[0].get_title() == r"\$2 and \$3"
    finally:
        del plots.LABELS["per_k"]
