"""Coverage of held-out forecast intervals on simulated data (the figure in test_calibrate.py).

Run: ``.venv/bin/python tests/measurements/forecast_coverage.py`` (about 30 s).
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import pandas as pd  # noqa: E402

import simulation  # noqa: E402
from simulation.runs.sweep import run_many  # noqa: E402
from tests.test_calibrate import (  # noqa: E402
    BASS,
    HOLD_CONFIG,
    HOLD_DAYS,
    HOLD_TRUTH,
    THOUSANDS,
    hold_fit,
)

if __name__ == "__main__":
    total = 0
    for root in (2000, 3000, 4000):
        config = simulation.load_config(BASS, HOLD_CONFIG)
        table = run_many([HOLD_TRUTH], 8, root, base=config).timeseries
        runs = table.pivot(index="day", columns="run_id", values="adopters").loc[HOLD_DAYS]
        inside = sum(hold_fit(pd.Series(runs[run].to_numpy() * THOUSANDS,
                                        index=pd.Index(HOLD_DAYS, name="day"))).covered
                     for run in runs.columns)
        print(f"data root {root}: {inside} of 32 inside", flush=True)
        total += inside
    print(f"total {total} of 96")
