"""Invariants over every shipped config: people and money are conserved, and rules hold.

In market units: every person count is the simulated count × people_per_agent, so
the market's people are conserved exactly as the sample's are.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import simulation
from simulation.model.metrics import COLUMNS, SUMMARY_KEYS
from simulation.model.payouts import spend_columns
from simulation.model.population import ACTIVE, LAPSED, NEVER
from tests.conftest import SHIPPED, small


def run_checked(config):
    """Step a model by hand, checking the per-influencer rules every day."""
    model = simulation.SparkModel(config)
    while model.running:
        model.step()
        slots = model.modules.get("flat_fee_slots")
        for k, payments in enumerate(model.today.payments):
            paid_fee = payments.get("spend_flat_fee", np.zeros(0)) > 0
            if paid_fee.any():
                book = slots.books[k]
                quota = book.flat_fee.posts_per_day
                assert (model.influencers.posts[paid_fee, k] >= quota).all(), "fee below quota"
                assert book.enrolled[paid_fee].all(), "fee without a slot"
            for amounts in payments.values():
                assert (amounts >= 0).all()
    return model


@pytest.fixture(scope="module", params=SHIPPED, ids=lambda p: p.stem)
def checked(request):
    model = run_checked(small(request.param))
    return model, model.timeseries, model.summary


def test_columns_and_keys(checked):
    model, table, summary = checked
    assert tuple(table.columns) == COLUMNS
    assert len(table) == (model.config.horizon_days + 1) * len(model.platforms)
    assert set(summary) == {p.name for p in model.config.platforms}
    for values in summary.values():
        assert tuple(values) == SUMMARY_KEYS


def test_no_nan(checked):
    _, table, summary = checked
    assert not table.isna().any().any()
    for values in summary.values():
        for key, value in values.items():
            assert value is None or np.isfinite(value), key


def test_people_conserved(checked):
    model, table, _ = checked
    market, scale = model.config.population.market_size, model.scale
    never = market - table["adopters"]
    assert (never >= -1e-6).all()
    assert np.allclose(never + table["active_users"] + table["lapsed_users"], market)
    for k, name in enumerate(model.platform_names):
        states = np.bincount(model.people.state[k], minlength=3) * scale
        end = table[table.platform == name].iloc[-1]
        assert states[NEVER] == pytest.approx(market - end["adopters"])
        assert states[ACTIVE] == pytest.approx(end["active_users"])
        assert states[LAPSED] == pytest.approx(end["lapsed_users"])


def test_credit_never_exceeds_new_adopters(checked):
    _, table, _ = checked
    assert (table["attributed_adopters"] <= table["new_adopters"] * (1 + 1e-9)).all()
    assert (table["influenced_adopters"] <= table["new_adopters"] * (1 + 1e-9)).all()
    assert (table[["attributed_adopters", "influenced_adopters"]] >= 0).all().all()


def test_adopters_never_fall(checked):
    _, table, _ = checked
    for _, rows in table.groupby("platform"):
        assert (rows["adopters"].diff().dropna() >= 0).all()
        assert np.allclose(rows["adopters"].diff().dropna(), rows["new_adopters"].iloc[1:])


def test_spend_adds_up_and_stays_in_budget(checked):
    model, table, _ = checked
    assert np.allclose(table["spend_total"], table[list(spend_columns())].sum(axis=1))
    assert np.allclose(table["net"], table["revenue"] - table["spend_total"])
    for spec in model.config.platforms:
        spent = table.loc[table.platform == spec.name, "spend_total"].cumsum()
        assert (spent <= spec.budget * (1 + 1e-9)).all()
        assert (table[list(spend_columns())] >= 0).all().all()


def test_influencer_counts_are_consistent(checked):
    model, table, _ = checked
    n_influencers = model.config.population.influencers
    assert (table["active_influencers"] <= table["joined_influencers"]).all()
    assert (table["joined_influencers"] <= n_influencers).all()
    assert (table["posts"] <= table["active_influencers"]
            * model.config.influencers.max_posts_per_day).all()


def test_summary_agrees_with_table(checked):
    model, table, summary = checked
    n = model.config.population.market_size
    for name, values in summary.items():
        rows = table[table.platform == name]
        assert values["total_spend"] == pytest.approx(rows["spend_total"].sum())
        assert values["gmv_total"] == pytest.approx(rows["gmv"].sum())
        assert values["net_total"] == pytest.approx(rows["net"].sum())
        weekly = rows["active_users"].rolling(7, center=True, min_periods=1).mean()
        assert values["peak_active_users"] == pytest.approx(weekly.max())
        assert weekly.iloc[values["peak_day"]] == pytest.approx(values["peak_active_users"])
        assert values["active_users_end"] == rows["active_users"].iloc[-1]
        assert values["people_per_agent"] == model.scale
        assert values["attributed_adopters"] == pytest.approx(rows["attributed_adopters"].sum())
        assert values["influenced_adopters"] == pytest.approx(rows["influenced_adopters"].sum())
        assert values["adoption_share_end"] == pytest.approx(rows["adopters"].iloc[-1] / n)
        assert values["influencers_active_end"] == rows["active_influencers"].iloc[-1]
        assert values["influencers_joined"] >= rows["joined_influencers"].max()
        for key, level in (("days_to_10pct", 0.1), ("days_to_50pct", 0.5)):
            reached = rows["day"][rows["adopters"] / n >= level]
            assert values[key] == (int(reached.iloc[0]) if len(reached) else None)
        if values["total_spend"] > 0 and rows["adopters"].iloc[-1] > 0:
            assert values["cost_per_adopter"] == pytest.approx(
                values["total_spend"] / rows["adopters"].iloc[-1])


def test_budget_cap_binds_exactly():
    """A budget far below the bill is spent to the cent and never beyond."""
    config = small(SHIPPED[0], platforms__0__budget=5000.0)
    model = run_checked(config)
    table = model.timeseries
    assert table["spend_total"].sum() == pytest.approx(5000.0, rel=1e-9)
    assert table["spend_total"].sum() <= 5000.0 * (1 + 1e-12)
    last_paid = table.index[table["spend_total"] > 0][-1]
    assert (table.loc[last_paid + 1:, "spend_total"] == 0).all()


def test_timeseries_is_a_dataframe_with_integer_counts(checked):
    model, table, _ = checked
    assert isinstance(table, pd.DataFrame)
    for column in ("day", "joined_influencers", "active_influencers", "posts"):
        assert pd.api.types.is_integer_dtype(table[column])
    for column in ("adopters", "active_users", "lapsed_users", "new_adopters"):  # market units
        simulated = table[column] / model.scale
        assert np.allclose(simulated, simulated.round())
