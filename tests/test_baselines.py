"""Recorded baselines: same config and seed, same numbers as when they were recorded.

Regenerate on purpose with ``python tests/regenerate_baselines.py`` when an
algorithm changes, and say why in the commit.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.regenerate_baselines import CASES, record

BASELINES = Path(__file__).parent / "baselines"


@pytest.mark.parametrize("name", list(CASES))
def test_matches_recorded_baseline(name):
    expected = json.loads((BASELINES / f"{name}.json").read_text())
    actual = json.loads(json.dumps(record(name)))  # same JSON round trip as when recorded
    assert actual["summary"].keys() == expected["summary"].keys()
    for platform, values in expected["summary"].items():
        for key, value in values.items():
            got = actual["summary"][platform][key]
            if value is None:
                assert got is None, (platform, key)
            else:
                np.testing.assert_allclose(got, value, rtol=1e-9, err_msg=f"{platform}.{key}")
    for got, want in zip(actual["rows"], expected["rows"], strict=True):
        for key, value in want.items():
            if isinstance(value, str):
                assert got[key] == value
            else:
                np.testing.assert_allclose(got[key], value, rtol=1e-9, err_msg=key)
