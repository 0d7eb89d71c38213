"""Regenerate the recorded baselines in tests/baselines/ (run on purpose, then review the diff).

    .venv/bin/python tests/regenerate_baselines.py

Results at a given seed may change only where an algorithm changed; when one
does, regenerate here and say why in the commit message.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import simulation  # noqa: E402

CASES = {
    # name: (config, overrides, seed)
    "baseline_small": ("configs/baseline.toml",
                       {"population.followers": 20_000, "population.influencers": 300,
                        "horizon_days": 200}, 0),
    "rival_small": ("configs/schemes/rival.toml",
                    {"population.followers": 20_000, "population.influencers": 300,
                     "horizon_days": 200}, 0),
    "bass": ("configs/bass.toml", {}, 0),
}


def record(name: str) -> dict:
    """The summary and a few daily rows of one case."""
    path, overrides, seed = CASES[name]
    result = simulation.run(ROOT / path, seed=seed, overrides=overrides)
    rows = result.timeseries.iloc[::25]
    return {"summary": result.summary,
            "rows": json.loads(rows.to_json(orient="records"))}


def main() -> None:
    """Write one JSON file per case."""
    out = ROOT / "tests" / "baselines"
    out.mkdir(exist_ok=True)
    for name in CASES:
        (out / f"{name}.json").write_text(json.dumps(record(name), indent=1) + "\n")
        print(f"wrote {out / name}.json")


if __name__ == "__main__":
    main()
