"""docs/ODD.md describes the model as it is: every config key has a row in its tables."""

from __future__ import annotations

from simulation.model.parameter_tables import BEGIN, END, keys, parameter_tables
from tests.conftest import ROOT

ODD = ROOT / "docs" / "ODD.md"


def test_every_config_key_has_a_row_in_the_odd_parameter_tables():
    text = ODD.read_text()
    missing = [key for key in keys() if f"| `{key}` |" not in text]
    assert not missing, (f"{len(missing)} keys lack a row in docs/ODD.md: {missing[:5]}; "
                         "run python -m simulation.model.parameter_tables docs/ODD.md")


def test_the_tables_are_the_schemas_own():
    block = ODD.read_text().split(BEGIN, 1)[1].split(END, 1)[0]
    assert block.strip() == parameter_tables().strip(), (
        "docs/ODD.md's tables are stale: run python -m simulation.model.parameter_tables "
        "docs/ODD.md")


def test_the_check_sees_a_missing_key():
    assert "adoption.imitation" in keys() and "events.N.strength" in keys()
    assert "platforms.N.phases.N.flat_fee.fee" in keys()
    assert "network.social.rewire_prob" in keys()
