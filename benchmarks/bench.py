"""Benchmarks: wall time and peak memory of sparksim, and how it compares on network Bass.

Cases (each in a fresh subprocess, so peak memory — ``ru_maxrss`` — belongs to that case alone):

- ``baseline``: ``configs/baseline.toml`` at its default size.
- ``baseline_100k``: the same with 100 000 people x 1 000 influencers x 365 days.
- ``network_bass_sparksim``: ``configs/bass.toml`` (no influencers, no churn) on a
  Barabási–Albert graph of 10 000 people, mean degree 10, 365 days.
- ``network_bass_mesa``: the same dynamics with one Mesa agent per person
  (``mesa_network_bass.py``), the way Mesa's examples are written.
- ``network_bass_numpy``: the same dynamics in bare numpy (``numpy_network_bass.py``), the floor.
- ``people_10k`` .. ``people_3m`` (1 000 influencers) and ``influencers_10k``, ``influencers_30k``
  (1 000 000 people): the baseline at growing sizes, for the scaling table (30 000 simulated
  creators need a market larger than the default 17 102: every tier doubled, each creator's
  in-market share halved, so a person follows as many creators). ``influencers_10k``
  is the headline target: a million people, ten thousand influencers, a year. At a million
  people the table also gives each stage's share of the day (``model.plan()``).

Wall time covers the whole run (config loading, graph building, agent creation, every day) but
not interpreter start-up or module imports; the per-agent and numpy cases also report the
graph-building part. The three network Bass cases use the same p and q; their final adopted
shares are printed under the table as a sanity check (they should agree within a few percent:
same model, different random streams and, for sparksim, its own BA generator).

Usage: ``python benchmarks/bench.py [--cases a,b,c] [--repeat N]``. With ``--repeat`` each case
runs N times (each in a fresh process); the best wall time and the largest peak memory are
reported. The table is also written to ``results/bench.txt``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from network_bass_case import BENCHMARK, NetworkBass

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MARKER = "@@BENCH_RESULT@@ "

CASE = BENCHMARK  # the network Bass case, run by all three implementations
N_PEOPLE, MEAN_DEGREE, DAYS, P, Q, SEED = (CASE.n, CASE.mean_degree, CASE.days, CASE.p,
                                           CASE.q, CASE.seed)

NETWORK_BASS_SIZE = CASE.size
SIMULATION_CASES = {"baseline", "baseline_100k", "network_bass_sparksim"}


# --- the cases (run inside the child process) --------------------------------------------------


def _import_simulation():
    if str(ROOT) not in sys.path:
        sys.path.append(str(ROOT))  # works from a clone without `pip install -e .`
    import psutil  # noqa: F401 - imported here so that no case times an import

    import simulation

    for name in ("load_config", "SparkModel", "RunResult"):  # the API loads on first use
        getattr(simulation, name)
    return simulation


def _size_of(config) -> str:
    pop = config.population
    return f"{pop.followers:,} people x {pop.influencers:,} infl x {config.horizon_days} d"


def _final_share(simulation_result, config) -> float | None:
    """Final adopted share of the first platform, from the run's timeseries."""
    df = simulation_result.timeseries
    if "platform" in df.columns:
        df = df[df["platform"] == config.platforms[0].name]
    if df.empty or "adopters" not in df.columns:
        return None
    last = df.sort_values("day").iloc[-1]
    return float(last["adopters"]) / config.population.market_size


def _run_simulation(config_file: str, overrides: dict | None, final_share: bool) -> dict:
    simulation = _import_simulation()
    start = time.perf_counter()
    config = simulation.load_config(ROOT / config_file, overrides=overrides)
    model = simulation.SparkModel(config, seed=SEED, time_stages=True)
    built = time.perf_counter()
    model.run()  # then the same outputs simulation.run returns, built once
    table = model.timeseries
    result = simulation.RunResult(table, model.summarise(table), config, SEED)
    wall = time.perf_counter() - start
    out = {"wall_s": wall, "size": _size_of(config), "build_s": built - start,
           "people": config.population.followers, "days": config.horizon_days,
           "edges": int(model.follows.nnz + model.friends.n_edges),
           "stages": model.stage_seconds}
    if final_share:
        out["size"] = NETWORK_BASS_SIZE
        out["final_share"] = _final_share(result, config)
    return out


def case_baseline() -> dict:
    return _run_simulation("configs/baseline.toml", None, final_share=False)


def case_baseline_100k() -> dict:
    overrides = {
        "population.followers": 100_000,
        "population.influencers": 1_000,
        "horizon_days": 365,
    }
    return _run_simulation("configs/baseline.toml", overrides, final_share=False)


WARM_UP = {"n": 200, "days": 2}
"""The network Bass cases first run this small, untimed, so that one-time first-use costs
(pandas' and numpy's lazy set-up) stay out of a comparison of steady running speeds."""


def case_network_bass_sparksim() -> dict:
    _run_simulation("configs/bass.toml", {
        "population.followers": WARM_UP["n"], "population.market_size": WARM_UP["n"],
        "horizon_days": WARM_UP["days"]}, final_share=True)
    overrides = {
        "population.followers": N_PEOPLE, "population.market_size": N_PEOPLE,
        "network.social.kind": "barabasi_albert",
        "network.social.mean_degree": MEAN_DEGREE,
        "horizon_days": DAYS,
        "adoption.innovation": P,
        "adoption.imitation": Q,
    }
    return _run_simulation("configs/bass.toml", overrides, final_share=True)


def _scale_case(people: int, influencers: int):
    def case() -> dict:
        overrides = {"population.followers": people, "population.influencers": influencers,
                     "horizon_days": 365}
        return _run_simulation("configs/baseline.toml", {**overrides, **_market_for(influencers)},
                               final_share=False)
    return case


def _market_for(influencers: int) -> dict:
    """A creator market with room for ``influencers`` simulated creators and the same follows.

    The default market has 17 102 creators; a larger sample needs a larger market, here
    every tier's count times a whole factor with each creator's in-market share divided by
    it, so that a person follows as many creators as at the defaults (the follow graph, and
    so the work, the same but for the agents).
    """
    simulation = _import_simulation()
    market = simulation.load_config({}).population.creators
    factor = -(-influencers // market.total)  # ceiling
    if factor <= 1:
        return {}
    share = simulation.load_config({}).influencers.audience_in_market
    return {**{f"population.creators.{tier}": getattr(market, tier) * factor
               for tier in ("nano", "micro", "mid", "macro", "mega")},
            "influencers.audience_in_market": share / factor}


SCALING = {  # name: (people, influencers); the 1M x 10k row is the headline target
    "people_10k": (10_000, 1_000),
    "people_100k": (100_000, 1_000),
    "people_1m": (1_000_000, 1_000),
    "people_3m": (3_000_000, 1_000),
    "influencers_1k": (1_000_000, 1_000),
    "influencers_10k": (1_000_000, 10_000),
    "influencers_30k": (1_000_000, 30_000),
}
SIMULATION_CASES |= set(SCALING)


def _run_network_bass(fn) -> dict:
    fn(NetworkBass(**WARM_UP))
    timings: dict = {}
    start = time.perf_counter()
    shares = fn(CASE, timings=timings)
    wall = time.perf_counter() - start
    return {"wall_s": wall, "graph_s": timings.get("graph_s"), "size": NETWORK_BASS_SIZE,
            "final_share": float(shares[-1])}


def case_network_bass_mesa() -> dict:
    import mesa
    from mesa_network_bass import run_mesa_network_bass

    out = _run_network_bass(run_mesa_network_bass)
    out["note"] = f"mesa {mesa.__version__}"
    return out


def case_network_bass_numpy() -> dict:
    from numpy_network_bass import run_numpy_network_bass

    return _run_network_bass(run_numpy_network_bass)


CASES = {
    "baseline": case_baseline,
    "baseline_100k": case_baseline_100k,
    "network_bass_sparksim": case_network_bass_sparksim,
    "network_bass_mesa": case_network_bass_mesa,
    "network_bass_numpy": case_network_bass_numpy,
    **{name: _scale_case(*size) for name, size in SCALING.items() if name != "influencers_1k"},
}


def _peak_memory_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024  # bytes on macOS, else KiB


def child(name: str) -> None:
    """Run one case in this process and print its result as one marked JSON line."""
    try:
        out = CASES[name]()
    except Exception as err:  # noqa: BLE001 - reported in the table
        kind = "unavailable" if name in SIMULATION_CASES else "failed"
        out = {"error": f"{kind}: {type(err).__name__}: {err}"}
    out["peak_mb"] = _peak_memory_mb()
    print(MARKER + json.dumps(out), flush=True)


# --- the parent: run cases, print the table ----------------------------------------------------


def run_case(name: str, repeat: int) -> dict:
    """Run a case ``repeat`` times, each in a fresh process; keep the best wall time."""
    best: dict | None = None
    peak = 0.0
    for _ in range(repeat):
        proc = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--case", name],
            cwd=ROOT, capture_output=True, text=True, env=os.environ.copy(),
        )
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(MARKER)]
        if not lines:
            tail = (proc.stderr.strip().splitlines() or [f"exit code {proc.returncode}"])[-1]
            return {"error": f"failed: {tail}"}
        out = json.loads(lines[-1][len(MARKER):])
        if "error" in out:
            return out
        peak = max(peak, out["peak_mb"])
        if best is None or out["wall_s"] < best["wall_s"]:
            best = out
    best["peak_mb"] = peak
    return best


def _fmt(value, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def _ratio(results: dict, num: str, den: str) -> str:
    a, b = results.get(num, {}).get("wall_s"), results.get(den, {}).get("wall_s")
    return "n/a" if a is None or b is None else f"{a / b:,.1f}x"


def bass_closed_form(p: float, q: float, t: float) -> float:
    """Mean-field Bass adopted share F(t) — a reference only: a sparse graph need not match it."""
    e = math.exp(-(p + q) * t)
    return (1 - e) / (1 + q / p * e)


def render(results: dict, repeat: int | None) -> str:
    header = ["case", "size", "wall (s)", "graph (s)", "peak mem (MB)", "note"]
    rows = []
    for name, out in results.items():
        if "error" in out:
            rows.append([name, "", "", "", "", out["error"][:160]])
            continue
        rows.append([name, out.get("size", ""), _fmt(out["wall_s"], ".2f"),
                     _fmt(out.get("graph_s"), ".2f"), _fmt(out["peak_mb"], ".0f"),
                     out.get("note", "")])
    numeric = {2, 3, 4}
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(cells):
        return "  ".join(
            str(c).rjust(w) if i in numeric else str(c).ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    text = [
        f"sparksim benchmarks — python {sys.version.split()[0]}, "
        f"{time.strftime('%Y-%m-%d %H:%M')}, best of "
        + (str(repeat) if repeat else "3 runs for network Bass, 1 for the rest"),
        line(header),
        line(["-" * w for w in widths]),
        *(line(r) for r in rows),
        "",
        "wall = whole run incl. config/graph/agents, excl. interpreter start, imports and "
        "(network Bass) a 200-person warm-up; "
        "graph = building the BA graph (part of wall)",
        "network Bass: per-agent Mesa time / sparksim time = "
        + _ratio(results, "network_bass_mesa", "network_bass_sparksim"),
        "network Bass: sparksim time / bare numpy time     = "
        + _ratio(results, "network_bass_sparksim", "network_bass_numpy"),
        "network Bass: per-agent Mesa time / bare numpy    = "
        + _ratio(results, "network_bass_mesa", "network_bass_numpy"),
    ]

    scaled = {name: results[name] for name in SCALING
              if name in results and "error" not in results[name]}
    if "influencers_1k" not in scaled and "people_1m" in scaled:
        scaled["influencers_1k"] = scaled["people_1m"]  # the same run
    if scaled:
        text += ["", "scaling (configs/baseline.toml, 365 days, wall includes building; the last "
                 "column, ns per (person + edge) per day,", "falls while fixed daily costs "
                 "dominate and levels off at scale: cost grows no faster than people + edges):",
                 f"  {'case':<17}{'people':>11}{'influencers':>13}{'edges':>12}{'build (s)':>11}"
                 f"{'wall (s)':>10}{'peak MB':>9}{'ns/(p+e)/d':>12}"]
        for name in SCALING:
            if name in scaled:
                out, (people, infl) = scaled[name], SCALING[name]
                per = out["wall_s"] / ((people + out["edges"]) * out["days"]) * 1e9
                text.append(f"  {name:<17}{people:>11,}{infl:>13,}{out['edges']:>12,}"
                            f"{out['build_s']:>11.2f}{out['wall_s']:>10.2f}{out['peak_mb']:>9.0f}"
                            f"{per:>12.1f}")
    staged = [name for name in ("people_1m", "influencers_10k") if name in scaled]
    if staged:
        text += ["", "the day's stages (model.plan()): share of the daily loop's time, "
                 "at 1 000 000 people:", f"  {'stage':<17}" + "".join(
                     f"{name:>18}" for name in staged)]
        totals = {name: sum(scaled[name]["stages"].values()) for name in staged}
        stages = list(dict.fromkeys(stage for name in staged for stage in scaled[name]["stages"]))
        for stage in stages:  # a stage a config does not assemble takes no time
            text.append(f"  {stage:<17}" + "".join(
                f"{scaled[name]['stages'].get(stage, 0.0) / totals[name]:>17.1%} "
                for name in staged))
        text.append(f"  {'(seconds)':<17}" + "".join(f"{totals[name]:>17.2f} " for name in staged))
    shares = {name: results[name].get("final_share")
              for name in ("network_bass_sparksim", "network_bass_mesa", "network_bass_numpy")
              if name in results and results[name].get("final_share") is not None}
    if shares:
        text += ["", f"sanity check — final adopted share after {DAYS} d "
                 f"(p = {P:.5f}/d, q = {Q:.5f}/d, seed {SEED}):"]
        text += [f"  {name:<24}{share:.4f}" for name, share in shares.items()]
        if len(shares) > 1:
            spread = max(shares.values()) - min(shares.values())
            verdict = "agree" if spread < 0.05 else "DISAGREE — check the implementations"
            text.append(f"  spread {spread:.4f} ({verdict}; tolerance 0.05)")
        text.append(f"  (mean-field Bass F({DAYS}) = {bass_closed_form(P, Q, DAYS):.4f}, "
                    "for reference only)")
    return "\n".join(text)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=",".join(CASES),
                        help=f"comma-separated subset of: {', '.join(CASES)}")
    parser.add_argument("--repeat", type=int, default=None,
                        help="runs per case, best time kept (default: 3 for the network Bass "
                        "cases, whose ratios are the point, 1 for the rest)")
    parser.add_argument("--case", help=argparse.SUPPRESS)  # internal: run one case here
    args = parser.parse_args(argv)

    if args.case:
        child(args.case)
        return

    names = [c.strip() for c in args.cases.split(",") if c.strip()]
    unknown = [c for c in names if c not in CASES]
    if unknown:
        parser.error(f"unknown case(s) {unknown}; choose from {list(CASES)}")
    if args.repeat is not None and args.repeat < 1:
        parser.error("--repeat must be at least 1")

    results = {}
    for i, name in enumerate(names, 1):
        print(f"[{i}/{len(names)}] {name} ...", file=sys.stderr, flush=True)
        repeat = args.repeat or (3 if name.startswith("network_bass") else 1)
        results[name] = run_case(name, repeat)
        results[name]["repeat"] = repeat

    text = render(results, args.repeat)
    print(text)
    out_dir = ROOT / "results"
    out_dir.mkdir(exist_ok=True)
    (out_dir / "bench.txt").write_text(text + "\n")
    print(f"\n(written to {out_dir / 'bench.txt'})")


if __name__ == "__main__":
    main()
