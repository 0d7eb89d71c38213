"""The figures quoted in test_stylised_facts.py's docstrings, measured with its own helpers.

Run: ``.venv/bin/python tests/measurements/stylised_facts.py`` (a few minutes).
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import simulation  # noqa: E402
import tests.test_stylised_facts as T  # noqa: E402
from simulation.model.spark_model import SparkModel  # noqa: E402

ALIKE = {"adoption.persuadability_cv": 0.0, "adoption.loyalty_cv": 0.0, "adoption.wear_out": 0.0}


def kept(days: int, **overrides) -> list[float]:
    return [round(T.kept_a_year_later(T.big_push(days, **overrides), s), 3) for s in T.SEEDS]


def share(config, seed: int, **overrides) -> float:
    result = simulation.run(config, seed=seed, overrides={**T.PEOPLE, **overrides})
    return round(result.summary["spark"]["adoption_share_end"], 4)


def commission_core(rate: float) -> int:
    later = {"name": "commission", "start": {"day": 240}}
    if rate:
        later["commission"] = {"rate": rate}
    config = simulation.load_config(T.big_push(240), {"platforms.0.phases.1": later})
    table = SparkModel(config, seed=1).run().influencers
    return round(float(table.weight @ (table.posts[:, 0] > 0)))  # real creators


if __name__ == "__main__":
    print("kept a year later: paid 240 d", kept(240), "paid 30 d", kept(30),
          "240 d without network effects", kept(240, **{"retention.network_effect": 0.0}))
    tiring = T.followers_adopted(horizon_days=1095)
    alike = T.followers_adopted(horizon_days=1095, **ALIKE)
    print(f"followers adopted: tiring {tiring[364]:.3f} after a year, {tiring[-1]:.3f} after "
          f"three; alike {alike[364]:.3f}, {alike[729]:.3f}, {alike[-1]:.3f}")
    print("plateaus", {name: share(T.CONFIGS / "schemes" / f"{name}.toml", 1)
                       for name in ("none", "flat_fee", "hybrid", "per_adopter")})
    print("fee grid joined", T.joined_by_fee())
    print("fee grid joined, alike", T.joined_by_fee(**{
        "influencers.cost_sigma": 0.0, "population.creators": T.ALIKE,
        "influencers.engagement_elasticity": 0.0, "influencers.decision_noise": 0.0,
        "influencers.product_fit_sigma": 0.0}))
    base = {**T.PEOPLE, "horizon_days": 150, "platforms.0.invitation": {"policy": "open"},
            "platforms.0.phases.0.flat_fee.max_enrolled": None, "platforms.0.budget": 1e12}
    notice = simulation.load_config(T.BASELINE, {
        **base, "platforms.0.phases.1.start": {"day": 60, "notice_days": 30}})
    plain = simulation.load_config(T.BASELINE, {
        **base, "platforms.0.phases.1.start": {"day": 90, "notice_days": 0}})
    print("joins on days 60-89: with notice", [T.joins(notice, s, range(60, 90))[0]
                                               for s in T.SEEDS],
          "without", [T.joins(plain, s, range(60, 90))[0] for s in T.SEEDS])
    stop = simulation.run(T.BASELINE, seed=1, overrides={
        **T.PEOPLE, "horizon_days": 220,
        "platforms.0.phases.1": {"name": "stop", "start": {"day": 120}}})
    joined = stop.timeseries.set_index("day")["joined_influencers"]
    print("creators joined on days 119, 121, 127, 180:",
          [int(joined[d]) for d in (119, 121, 127, 180)])
    print("posting at the horizon on commission", {r: commission_core(r)
                                                   for r in (0.0, 0.04, 0.10)})
    print("seeding", {policy: [share(T.BASELINE, s, **{
        "platforms.0.invitation": {"policy": policy, "top_k": 5000},
        "platforms.0.phases.1.start.adoption_share": 1.0, "platforms.0.budget": 2e6})
        for s in (1, 2, 3)] for policy in ("top_k", "random_k", "bottom_k")})
