"""Figures: each builds from small real data, is titled, has labelled axes, and shows the data."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import re  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import simulation  # noqa: E402
from simulation import plots  # noqa: E402
from simulation.analysis.sensitivity import indices_table  # noqa: E402
from simulation.model.tiers import tier_timeseries  # noqa: E402
from simulation.runs.designs import Morris, Sobol  # noqa: E402
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
    assert panel.get_ylabel() == "cumulative spend ($)"
    top = panel.collections[-1].get_paths()[0].vertices[:, 1].max()
    rows = result.timeseries[result.timeseries["scenario"] == "flat fee"]
    expected = rows.groupby("replicate")["spend_total"].sum().mean()
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


# --- figures of the analyses' results: drawn here, read by their attributes -------------


def test_bass_fit_figure_draws_data_fit_and_keeps_dates_as_dates():
    """Daily counts with a date index: the panels show the counts and their sums, the ticks
    stay dates (the thousands formatter used to turn a date axis into day numbers)."""
    from matplotlib.dates import ConciseDateFormatter

    counts = pd.Series([3.0, 8, 15, 22, 20, 14, 8, 4, 2, 1], name="new users",
                       index=pd.date_range("2025-03-01", periods=10, freq="D"))
    fit = simulation.fit_bass(counts)
    figure = plots.bass_fit_figure(fit)
    check_labelled(figure)
    per_period, cumulative = figure.axes
    np.testing.assert_allclose(per_period.get_lines()[0].get_ydata(), counts.to_numpy())
    np.testing.assert_allclose(cumulative.get_lines()[0].get_ydata(), counts.cumsum())
    assert cumulative.get_lines()[2].get_ydata()[0] == pytest.approx(fit.m)  # m's line
    for ax in figure.axes:
        assert ax.get_xlabel() == "date"
        assert isinstance(ax.xaxis.get_major_formatter(), ConciseDateFormatter)
    assert f"m = {plots.number(fit.m, 4)}" in figure.get_suptitle()
    assert plots.bass_fit_figure(fit, "mine").get_suptitle() == "mine"


def calibration_like(cumulative: bool) -> object:
    """What calibration_figure reads, by hand: 3 fitted observations on days 2, 4, 10 and one
    held out on day 12 (new adopters 2, 2, 12, then 4), as a Calibration holds them."""
    from types import SimpleNamespace

    observed = pd.Series([2.0, 2, 12], index=pd.Index([2, 4, 10], name="day"), name="accounts")
    band = pd.DataFrame({"period": [1, 2, 3], "label": [2, 4, 10], "day": [2.0, 4, 10],
                         "observed": observed.to_numpy(), "fitted": [2.0, 3, 11],
                         "median": [2.0, 3, 11], "low": [1.0, 2, 9], "high": [3.0, 4, 13],
                         "cum_median": [2.0, 5, 16], "cum_low": [1.0, 3, 12],
                         "cum_high": [3.0, 7, 20]})
    held = 20.0 if cumulative else 4.0  # the data's own form: a cumulative count, or new ones
    forecast = pd.DataFrame({"period": [4], "label": [12], "day": [12.0], "observed": [held],
                             "forecast": [held + 1], "low": [held - 1], "high": [held + 3],
                             "error": [-1.0]})
    return SimpleNamespace(band=band, forecast=forecast, observed=observed, target="adopters",
                           cumulative=cumulative, baseline=0.0, days_per_period=None,
                           replicates=2, forecast_level=0.9, best={"adoption.imitation": 0.2},
                           scale=1e-3, r2=0.95, config=SimpleNamespace(name="bass"))


@pytest.mark.parametrize("cumulative", [False, True])
def test_calibration_figure_draws_per_day_rates_sums_and_held_out_points(cumulative):
    figure = plots.calibration_figure(calibration_like(cumulative))
    check_labelled(figure)
    per_day, summed = figure.axes
    observed = [line for line in per_day.get_lines() if line.get_label() == "observed"][0]
    np.testing.assert_allclose(observed.get_ydata(), [1, 1, 2])  # 2/2, 2/2, 12/6 per day
    total = [line for line in summed.get_lines() if line.get_label() == "observed"][0]
    np.testing.assert_allclose(total.get_ydata(), [2, 4, 16])
    # held out: on the panel of the data's own form, divided by its interval (2 days)
    panel = summed if cumulative else per_day
    held = [line for line in panel.get_lines() if line.get_label() == "held out (observed)"]
    np.testing.assert_allclose(held[0].get_ydata(), [20] if cumulative else [2])
    assert "forecast, 90% interval" in panel.get_legend_handles_labels()[1]
    assert per_day.get_xlabel() == "day since launch"
    assert "bass: adoption: imitation q = 0.2" in figure.get_suptitle()  # words, not keys


def test_decomposition_and_search_figures_read_their_tables():
    """Stand-ins with the attributes the figures read: the bars are the tables' numbers."""
    from types import SimpleNamespace

    days = np.arange(4)
    rows = [{"platform": "spark", "world": world, "replicate": r, "day": d, "adopters": a}
            for world, curve in (("plan", [0, 4, 8, 10]), ("counterfactual", [0, 1, 3, 6]))
            for r in (0, 1) for d, a in zip(days, curve, strict=True)]
    parts = {"expansion": 4.0, "acceleration": 8.0, "adopter_days_gained": 12.0,
             "extra_adopters": 4.0, "cost_per_incremental_adopter": 25.0}
    table = pd.DataFrame([{"platform": "spark", "metric": m, "mean": v, "low": v - 1,
                           "high": v + 1} for m, v in parts.items()])
    found = SimpleNamespace(timeseries=pd.DataFrame(rows), table=table, plan="paid",
                            counterfactual="no payouts")
    figure = plots.decomposition_figure(found, title="what it bought")
    left, right = figure.axes
    assert [p.get_width() for p in right.patches] == [4.0, 8.0, 12.0]
    assert left.get_lines()[2].get_ydata()[0] == 6  # the level both curves reach
    assert right.get_title() == "4 extra adopters, $25 each"  # numbers as people read them
    with pytest.raises(simulation.ConfigError, match="myspace"):
        plots.decomposition_figure(found, platform="myspace")

    history = pd.DataFrame({"trial": [0, 1, 2], "state": "complete",
                            "feasible": [True, False, True], "objective": [5.0, 9.0, 7.0],
                            "best_so_far": [5.0, 5.0, 7.0]})
    fresh = pd.DataFrame([{"platform": "spark", "scenario": s, "metric": m, "n": 4,
                           "mean": v, "low": v - 1, "high": v + 1, "diff": 2.0,
                           "diff_low": 1.0, "diff_high": 3.0}
                          for m, values in (("objective", (5.0, 7.0)),
                                            ("active_users_end", (500.0, 650.0)))
                          for s, v in zip(("start", "best"), values, strict=True)])
    optimum = SimpleNamespace(history=history, fresh=fresh, platform="spark",
                              objective="total_spend", search_runs=pd.DataFrame(
                                  {"replicate": [0, 1, 0, 1]}),
                              target=SimpleNamespace(metric="active_users_end", value=600.0))
    figure = plots.search_figure(optimum)
    search, objective, target = figure.axes
    assert search.get_title() == "Search: 3 trials × 2 replicates"
    assert [p.get_height() for p in target.patches] == [500.0, 650.0]
    assert target.get_lines()[-1].get_ydata()[0] == 600.0
    assert objective.get_title() == ("Fresh seeds (4 replicates), best − start:\n"
                                     "+\\$2.0 (95% +\\$1.0 to +\\$3.0)")  # $ as text


def test_the_results_figure_methods_delegate_to_plots(monkeypatch):
    from simulation.analysis.calibrate import Calibration
    from simulation.analysis.decompose import Decomposition
    from simulation.analysis.optimise import Optimum

    calls = []
    for name in ("bass_fit_figure", "calibration_figure", "decomposition_figure",
                 "search_figure"):
        monkeypatch.setattr(plots, name, lambda *args, name=name: calls.append((name, args)))
    fit = simulation.fit_bass([1, 3, 8, 15, 22, 20, 14, 8])
    fit.figure("t")
    stand_in = object()
    Calibration.figure(stand_in, "t")
    Decomposition.figure(stand_in, "spark", "t")
    Optimum.figure(stand_in, "t")
    assert calls == [("bass_fit_figure", (fit, "t")), ("calibration_figure", (stand_in, "t")),
                     ("decomposition_figure", (stand_in, "spark", "t")),
                     ("search_figure", (stand_in, "t"))]


# --- figures fit to publish: words, not keys; readable; more than colour; marks ---------------

RAW_KEY = re.compile(r"\b[A-Za-z]\w*_\w+\b"  # an identifier: active_users_end, posts_per_day
                     r"|\b[a-z]\w*\.(?:\d|[a-z_]\w*\b)"  # a dotted key: spark.active_users_end
                     r"|\w=\S")  # an override: posts_per_day=1
FEE = "platforms.0.phases.0.flat_fee.fee"
QUOTA = "platforms.0.phases.0.flat_fee.posts_per_day"


def shown_texts(figure) -> list[str]:
    """Every title, axis label, legend entry and annotation a reader sees, and the tick
    labels of category axes (scenario names)."""
    figure.canvas.draw()
    texts = [figure.get_suptitle()]
    for legend in [*figure.legends, *(ax.get_legend() for ax in figure.axes)]:
        if legend is not None:
            texts += [legend.get_title().get_text(), *(t.get_text() for t in legend.get_texts())]
    for ax in figure.axes:
        if not ax.get_visible():
            continue
        texts += [ax.get_title(loc) for loc in ("left", "center", "right")]
        texts += [ax.get_xlabel(), ax.get_ylabel(), *(t.get_text() for t in ax.texts)]
        for axis in (ax.xaxis, ax.yaxis):
            if type(axis.get_major_formatter()).__name__ == "FixedFormatter":  # categories
                texts += [t.get_text() for t in axis.get_ticklabels()]
    return [t for t in texts if t]


@pytest.fixture(scope="module")
def every_figure(result):
    """One of each figure function's figures, from tables with config keys in them."""
    from types import SimpleNamespace

    base = simulation.load_config(CONFIGS / "schemes" / "flat_then_commission.toml",
                                  {**TINY, "platforms.0.phases.1.start.day": 10})  # day 40
    plans = simulation.compare([{QUOTA: 1}, {QUOTA: 3}], base=base, replicates=2, seed=1)
    one = simulation.run(base, seed=1)
    runs = pd.DataFrame({FEE: [10, 10, 20, 20], QUOTA: [1, 2, 1, 2],
                         "spark.active_users_end": [100.0, 300, 50, 70], "point": [0, 1, 2, 3],
                         "spark.total_spend": [1e6, 2e6, 3e6, 4e6]})
    sobol = indices_table(Sobol(samples=8), {"names": [FEE, QUOTA]}, {
        "S1": [0.6, 0.1], "S1_conf": [0.05, 0.02], "ST": [0.7, 0.2], "ST_conf": [0.06, 0.03]})
    tiers = tier_timeseries(base, seed=1)
    fit = simulation.fit_bass([1.0, 3, 8, 15, 22, 20, 14, 8])
    history = pd.DataFrame({"trial": [0, 1], "state": "complete", "feasible": [True, True],
                            "objective": [5.0, 7.0], "best_so_far": [5.0, 7.0]})
    fresh = pd.DataFrame([{"platform": "spark", "scenario": s, "metric": "objective", "n": 4,
                           "mean": v, "low": v - 1, "high": v + 1, "diff": 2.0,
                           "diff_low": 1.0, "diff_high": 3.0}
                          for s, v in (("start", 5.0), ("best", 7.0))])
    optimum = SimpleNamespace(history=history, fresh=fresh, platform="spark",
                              objective="active_users_end", target=None,
                              search_runs=pd.DataFrame({"replicate": [0, 1]}))
    decomposition = simulation.decompose(base, replicates=2, seed=1)
    marks = plots.schedule_marks(base, one.timeseries, one.switch_days)
    return {
        "adoption": plots.adoption_figure(one.timeseries, "flat fee, then commission",
                                          n_people=base.population.market_size, marks=marks),
        "band": plots.band_figure(plans.timeseries, ["adopters", "active_users"], fan=True,
                                  marks=marks, title="Two quotas"),
        "band one group": plots.band_figure(one.timeseries, "active_influencers", by=None),
        "spend": plots.spend_figure(plans.timeseries, marks=marks),
        "spend one": plots.spend_figure(simulation.run(simulation.load_config(
            CONFIGS / "schemes" / "hybrid.toml", TINY), seed=1).timeseries, by=None),
        "tiers": plots.tier_figure(tiers),
        "comparison": plots.comparison_figure(plans.table, ["active_users_end", "total_spend",
                                                            "adoption_share_end"]),
        "comparison means": plots.comparison_figure(result.table, ["cost_per_adopter"],
                                                    value="mean"),
        "frontier": plots.frontier_figure(plans.table),
        "frontier of runs": plots.frontier_figure(runs, cost="spark.total_spend",
                                                  value="spark.active_users_end", label="point"),
        "heatmap": plots.heatmap_figure(runs, x=FEE, y=QUOTA, value="spark.active_users_end"),
        "sensitivity": plots.sensitivity_figure(sobol, output="spark.active_users_end"),
        "bass": plots.bass_fit_figure(fit),
        "calibration": plots.calibration_figure(calibration_like(True)),
        "decomposition": plots.decomposition_figure(decomposition),
        "search": plots.search_figure(optimum),
        "_marks": marks, "_run": one,
    }


FIGURES = ["adoption", "band", "band one group", "spend", "spend one", "tiers", "comparison",
           "comparison means", "frontier", "frontier of runs", "heatmap", "sensitivity", "bass",
           "calibration", "decomposition", "search"]


def test_every_figure_function_is_covered():
    drawn = {name for name in plots.__all__ if name.endswith("_figure")}
    assert drawn == {"adoption_figure", "band_figure", "spend_figure", "tier_figure",
                     "comparison_figure", "frontier_figure", "heatmap_figure",
                     "sensitivity_figure", "bass_fit_figure", "calibration_figure",
                     "decomposition_figure", "search_figure"}


@pytest.mark.parametrize("name", FIGURES)
def test_no_raw_config_key_in_any_title_axis_or_legend(every_figure, name):
    texts = shown_texts(every_figure[name])
    assert texts
    raw = [t for t in texts if RAW_KEY.search(t.replace("\\$", "$"))]
    assert not raw, raw


@pytest.mark.parametrize("name", FIGURES)
def test_figures_are_readable_and_say_each_title_once(every_figure, name):
    from matplotlib.text import Text

    figure = every_figure[name]
    figure.canvas.draw()
    sizes = [t.get_fontsize() for t in figure.findobj(Text) if t.get_visible() and t.get_text()]
    assert min(sizes) >= plots.style.MIN_FONT_SIZE
    assert figure.get_size_inches()[0] <= 15  # shown 1 280 px wide: text stays >= 9 px
    titles = [ax.get_title() for ax in figure.axes if ax.get_visible()]
    if figure.get_suptitle():
        assert figure.get_suptitle() not in titles
    for ax in figure.axes:  # no "1e6" offset, no "thousand $"
        for axis in (ax.xaxis, ax.yaxis):
            assert axis.get_offset_text().get_text() == ""
        assert "thousand" not in ax.get_ylabel() + ax.get_xlabel()


def test_engineering_ticks_for_money_and_people(every_figure):
    adoption = every_figure["adoption"]
    spend = adoption.axes[3]
    ticks = [t.get_text() for t in spend.get_yticklabels() if t.get_text()]
    assert ticks and all(t.startswith(("$", "-$")) for t in ticks), ticks
    assert any(t.endswith(("k", "M")) for t in ticks), ticks
    users = adoption.axes[1]
    people = [t.get_text() for t in users.get_yticklabels() if t.get_text()]
    assert any(t.endswith(("k", "M")) for t in people), people


def test_groups_differ_in_more_than_colour(every_figure, result):
    figure = plots.band_figure(result.timeseries, "adopters")
    medians = [line for line in figure.axes[0].get_lines() if not line.get_label().startswith("_")]
    assert len({line.get_linestyle() for line in medians}) == len(medians) == 3
    spend = every_figure["spend one"].axes[0]
    hatches = [area.get_hatch() for area in spend.collections]
    assert len(set(hatches)) == len(hatches) >= 2
    comparison = every_figure["comparison"].axes[0]
    markers = {line.get_marker() for line in comparison.get_lines()}
    assert len(markers) >= 2  # the reference (zero) and a plan's difference differ in shape


def test_the_switch_events_and_budget_are_marked_and_labelled(every_figure):
    run, marks = every_figure["_run"], every_figure["_marks"]
    switch = run.switch_days["spark"]
    assert switch is not None
    assert any(m.kind == "switch" and m.day == switch and "switch to commission" in m.label
               for m in marks)
    adoption = every_figure["adoption"].axes[0]
    words = [t.get_text() for t in adoption.texts]
    assert f"switch to commission, day {switch}" in words
    assert any(line.get_xdata()[0] == switch for line in adoption.get_lines()
               if len(line.get_xdata()) == 2)


def test_schedule_marks_name_events_and_the_budget_spent():
    config = simulation.load_config(CONFIGS / "schemes" / "flat_fee.toml", {
        **TINY, "platforms.0.budget": 2000.0,
        "events": [{"day": 30, "strength": 1.0, "kind": "exodus"}]})
    run = simulation.run(config, seed=2)
    marks = plots.schedule_marks(config, run.timeseries, run.switch_days)
    kinds = {m.kind: m for m in marks}
    assert kinds["event"].day == 30 and "people leave a rival" in kinds["event"].label
    spent = run.timeseries["spend_total"].cumsum()
    first = int(run.timeseries["day"][spent >= 2000.0 * (1 - 1e-9)].iloc[0])
    assert kinds["budget"].day == first and "budget spent" in kinds["budget"].label
