"""Bad input over the whole command line, one table: every class of the reliability audit.

Each case runs ``sparksim`` in process (``cli.main``) in a fresh working folder
that holds the files the cases name, and checks:

- the documented exit code (2 for bad input);
- exactly one line on stderr, with the words the case names, and no traceback;
- the listing and contents of the whole test folder, before and after, are the
  same: nothing written, nothing deleted, no temporary folder left behind.

Signals and start-up (Ctrl-C, SIGTERM) need a real process: see test_reliability.py.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

import simulation
from simulation import cli
from simulation.model.config import MAX_CONFIG_BYTES
from simulation.runs.folders import FolderLock
from tests.conftest import CONFIGS

BASS = CONFIGS / "bass.toml"
BASELINE = CONFIGS / "baseline.toml"
SMALL = ["--set", "population.followers=2000", "--set", "population.influencers=20",
         "--set", "horizon_days=20"]

SWEEP_TOML = f"""
name = "tiny"
base = "{BASELINE}"
replicates = 1
seed = 3
[set]
"population.followers" = 2000
"population.influencers" = 20
"horizon_days" = 20
[parameters]
"platforms.0.phases.0.flat_fee.fee" = [5.0, 15.0]
"adoption.imitation" = [0.01, 0.03]
"""


@pytest.fixture(scope="module")
def sweep_folder(tmp_path_factory) -> Path:
    """A finished 4-run sweep, copied into each case's folder as ``sw``."""
    root = tmp_path_factory.mktemp("sweep")
    (root / "tiny.toml").write_text(SWEEP_TOML)
    simulation.sweep(root / "tiny.toml", root / "sw", workers=1, progress=False)
    return root / "sw"


def make_files(work: Path, sweep_folder: Path) -> None:
    """The files the cases name, in the working folder ``work``."""
    work.mkdir(parents=True)
    (work / "broken.toml").write_text('name = "broken"\nhorizon_days = \n[population\n')
    (work / "typo.toml").write_text('name = "typo"\n[adoption]\nimitaton = 0.3\n')
    (work / "latin1.toml").write_bytes('name = "caf\xe9"\n'.encode("latin-1"))
    (work / "folder.toml").mkdir()
    (work / "quoted.toml").write_text('name = "quoted"\n[population]\nfollowers = "3000"\n')
    (work / "loop.toml").symlink_to("loop.toml")  # a symlink loop
    (work / "loop_edges.txt").symlink_to("loop_edges.txt")
    (work / "dangling.toml").symlink_to("gone.toml")  # a symlink to nothing
    os.mkfifo(work / "pipe.toml")  # a named pipe: reading it would block
    with open(work / "big.toml", "wb") as big:  # sparse: 1 MB and a byte, written in no time
        big.truncate(MAX_CONFIG_BYTES + 1)
    (work / "secret_edges.txt").write_text("0 1\n1 2\nTOPSECRET 3\n")
    (work / "far_edges.txt").write_text("0 1\n1 999999\n")
    (work / "sweep.toml").write_text(SWEEP_TOML)
    for name, body in {
        "broken_sweep.toml": "name = \n",
        "typo_sweep.toml": SWEEP_TOML.replace("replicates", "replicate"),
        "badkey_sweep.toml": SWEEP_TOML.replace('"adoption.imitation"', '"adoption.imitaton"'),
        "range_grid.toml": SWEEP_TOML.replace("[0.01, 0.03]", "{low = 0.01, high = 0.03}"),
        "sobol_ten.toml": SWEEP_TOML.replace("[parameters]", '[design]\nkind = "sobol"\n'
                                             "samples = 10\n[parameters]").replace(
            "[5.0, 15.0]", "{low = 5.0, high = 15.0}").replace(
            "[0.01, 0.03]", "{low = 0.01, high = 0.03}"),
        "low_high.toml": SWEEP_TOML.replace("[parameters]", '[design]\nkind = "lhs"\n'
                                            "[parameters]").replace(
            "[5.0, 15.0]", "{low = 15.0, high = 5.0}").replace(
            "[0.01, 0.03]", "{low = 0.01, high = 0.03}"),
        "no_base.toml": "\n".join(line for line in SWEEP_TOML.splitlines()
                                  if not line.startswith("base")),
        "other_seed.toml": SWEEP_TOML.replace("seed = 3", "seed = 4"),
    }.items():
        (work / name).write_text(body)
    (work / "data.csv").write_text("year,sales\n1,10\n2,30\n3,60\n4,80\n5,70\n6,50\n")
    (work / "three.csv").write_text("year,a,b\n1,2,3\n2,3,4\n")
    (work / "falling.csv").write_text("year,total\n1,10\n2,30\n3,20\n4,40\n")
    (work / "data_folder.csv").mkdir()
    (work / "mine").mkdir()
    (work / "mine" / "thesis.tex").write_text("three years of work")
    (work / "exp").mkdir()
    (work / "exp" / "config.toml").write_text("# my commented config\n" + BASS.read_text())
    (work / "exp" / "data.csv").write_text((work / "data.csv").read_text())
    shutil.copytree(sweep_folder, work / "sw")
    shutil.copytree(sweep_folder, work / "deep" / "sw")
    (work / "oldrun").mkdir()
    (work / "oldrun" / "timeseries.csv").write_text("day\n0\n")
    (work / "oldrun" / ".sparksim.json").write_text(json.dumps(
        {"written_by": "sparksim", "kind": "run", "files": ["timeseries.csv"]}))
    shutil.copytree(sweep_folder, work / "report_out")  # a sweep folder, not a report one
    for name, damage in {
        "sw_manifest_text": lambda f: (f / "manifest.json").write_text("not json {"),
        "sw_manifest_list": lambda f: (f / "manifest.json").write_text("[1, 2]"),
        "sw_manifest_sweep": lambda f: (f / "manifest.json").write_text(
            json.dumps({"sweep": {"replicates": "many"}})),
        "sw_journal_empty_record": lambda f: _insert_line(f / "journal.jsonl", "{}"),
    }.items():
        shutil.copytree(sweep_folder, work / name)
        damage(work / name)


def _insert_line(journal: Path, line: str) -> None:
    lines = journal.read_text().splitlines()
    journal.write_text("\n".join([lines[0], line, *lines[1:]]) + "\n")


def hold_lock(work: Path) -> FolderLock:
    return FolderLock(work / "sw").__enter__()


def stdin_not_a_file(work: Path) -> None:
    """Skip the case where this process's stdin is a regular file (then it is read)."""
    if stat.S_ISREG(os.stat("/dev/stdin").st_mode):
        pytest.skip("stdin is a regular file here: /dev/stdin is read like any file")


ELEVEN = "platforms=[" + ", ".join(f'{{name = "p{i}"}}' for i in range(11)) + "]"
BACKWARDS = ("platforms.0.phases=[{start = {adoption_share = 0.05, notice_days = 14}, "
             "commission = {rate = 0.04}}, {start = {day = 0}, flat_fee = {fee = 40.0}}]")
SHARES_FALL = ("platforms.0.phases=[{start = {adoption_share = 0.1}, commission = {}}, "
               "{start = {adoption_share = 0.05}, per_view = {}}]")


# id → (argv, exit code, words in the message[, setup returning something to keep alive])
Case = tuple[list[str], int, list[str]] | tuple[list[str], int, list[str], Callable]
S = ["sweep", "sweep.toml", "--no-progress", "--workers", "1"]
R = ["report", "sw"]
C = ["calibrate", "data.csv", "--config", str(BASS), "--fit", "adoption.imitation=0.1:0.5",
     "--days-per-period", "6", "--replicates", "2", "--trials", "8"]
CASES: dict[str, Case] = {
    # run: config files
    "run_missing_file": (["run", "nope.toml"], 2, ["nope.toml", "not found"]),
    "run_config_is_a_folder": (["run", "folder.toml"], 2, ["folder.toml", "is a folder"]),
    "run_broken_toml": (["run", "broken.toml"], 2, ["broken.toml", "TOML", "line"]),
    "run_not_utf8": (["run", "latin1.toml"], 2, ["latin1.toml", "UTF-8"]),
    "run_unknown_key_in_file": (["run", "typo.toml"], 2, ["adoption.imitaton", "allowed"]),
    # run: overrides and values
    "run_wrong_type": (["run", BASS, "--set", "population.followers=abc"], 2,
                       ["population.followers", "abc", "integer"]),
    "run_out_of_range": (["run", BASS, "--set", "adoption.innovation=-1"], 2,
                         ["adoption.innovation", "-1", "greater than or equal to 0"]),
    "run_nan": (["run", BASS, "--set", "adoption.imitation=nan"], 2,
                ["adoption.imitation", "nan"]),
    "run_unknown_key_set": (["run", BASS, "--set", "adoption.imitaton=0.3"], 2,
                            ["adoption.imitaton", "imitation", "return_rel"]),
    "run_set_without_equals": (["run", BASS, "--set", "adoption.imitation"], 2,
                               ["adoption.imitation", "key=value"]),
    "run_index_past_end": (["run", BASS, "--set", "platforms.3.budget=1"], 2,
                           ["platforms.3", "0..0"]),
    "run_followers_past_int32": (["run", BASS, "--set", "population.followers=10000000000"],
                                 2, ["population.followers", "10000000000", "2147483647"]),
    "run_followers_past_memory": (["run", BASS, "--set", "population.followers=2000000000",
                                   "--set", "population.market_size=3e9"],
                                  2, ["population.followers", "GB", "allowed here"]),
    "run_quota_above_limit": (["run", BASELINE, "--set",
                               "platforms.0.phases.0.flat_fee.posts_per_day=9"], 2,
                              ["posts_per_day", "9", "max_posts_per_day"]),
    "run_bad_name": (["run", BASS, "--set", 'name="a/b"'], 2, ["name", "a/b"]),
    "run_duplicate_platforms": (["run", BASS, "--set",
                                 'platforms=[{name = "x"}, {name = "x"}]'], 2,
                                ["platform names", "unique"]),
    "run_two_triggers": (["run", BASELINE, "--set",
                          "platforms.0.phases.1.start.day=30"], 2,
                         ["exactly one of day, adoption_share, spend"]),
    "run_bad_tier": (["run", BASELINE, "--set",
                      "platforms.0.phases.0.flat_fee.tier_fees={giga = 3.0}"], 2,
                     ["giga", "nano"]),
    # run: sizes past their bounds (each hung, overflowed or exhausted memory before)
    "run_horizon_hangs": (["run", BASS, "--set", "horizon_days=100000000"], 2,
                          ["horizon_days", "100000000", "less than or equal to 36500"]),
    "run_horizon_past_int64": (["run", BASS, "--set", "horizon_days=4611686018427387904"], 2,
                               ["horizon_days", "4611686018427387904", "36500"]),
    "run_influencers_past_bound": (["run", BASS, "--set", "population.influencers=100000000"],
                                   2, ["population.influencers", "100000000", "1000000"]),
    "run_too_many_platforms": (["run", BASS, "--set", ELEVEN], 2,
                               ["platforms", "p10", "at most 10 items"]),
    "run_mean_degree_past_bound": (["run", BASS, "--set", "network.social.kind=erdos_renyi",
                                    "--set", "network.social.mean_degree=1e9"], 2,
                                   ["network.social.mean_degree", "1000000000", "5000"]),
    # run: overflows (each was a traceback) and non-finite outputs (each was exit 0)
    "run_patience_overflow": (["run", BASELINE, *SMALL, "--set", "influencers.patience=1e19"], 2,
                              ["influencers.patience", "1e+19", "36500"]),
    "run_largest_audience_overflow": (["run", BASELINE, *SMALL, "--set",
                                       "population.creators.largest_audience=1e300"], 2,
                                      ["population.creators.largest_audience", "1e+300",
                                       "less than or equal"]),
    "run_creators_too_few_for_the_sample": (["run", BASELINE, *SMALL, *(
        arg for tier in ("nano", "micro", "mid", "macro", "mega")
        for arg in ("--set", f"population.creators.{tier}=3"))], 2,
        ["population.influencers = 20", "more than the 15 creators", "at most 15"]),
    "run_persuadability_overflow": (["run", BASS, "--set", "adoption.persuadability_cv=1e308"],
                                    2, ["adoption.persuadability_cv", "1e+308", "10"]),
    "run_offer_days_past_int32": (["run", BASELINE, *SMALL, "--set",
                                   "platforms.0.phases.0.flat_fee.offer_days=3000000000"], 2,
                                  ["platforms.0.phases.0.flat_fee.offer_days", "3000000000",
                                   "36500"]),
    "run_basket_value_infinite_gmv": (["run", BASELINE, *SMALL, "--set",
                                       "commerce.basket_value=1e308"], 2,
                                      ["commerce.basket_value", "1e+308", "10000000"]),
    "run_event_strength_nan": (["run", BASS, "--set", "events=[{day = 3, strength = 1e308}]"],
                               2, ["events.0.strength", "1e+308", "less than or equal"]),
    "run_events_surge_together": (["run", BASS, "--set", "events=[{day = 3, strength = 1e7}, "
                                   "{day = 30, strength = 1e7}]"], 2,
                                  ["events.0.strength", "1e+07", "at most 1e+12"]),
    "run_tier_count_negative": (["run", BASELINE, "--set",
                                 "platforms.0.invitation.tiers={nano = -1}"], 2,
                                ["platforms.0.invitation.tiers", "-1", "greater than or equal"]),
    "run_tier_fee_negative": (["run", BASELINE, "--set",
                               "platforms.0.phases.0.flat_fee.tier_fees={micro = -5.0}"], 2,
                              ["tier_fees", "-5.0", "greater than or equal to 0"]),
    # run: values misread in silence before
    "run_horizon_true": (["run", BASS, "--set", "horizon_days=true"], 2,
                         ["horizon_days", "True", "integer", "not true/false"]),
    "run_rate_true": (["run", BASS, "--set", "adoption.imitation=true"], 2,
                      ["adoption.imitation", "True", "a number"]),
    "run_quoted_number_in_file": (["run", "quoted.toml"], 2,
                                  ["population.followers", "'3000'", "integer", "text"]),
    "run_phases_out_of_order": (["run", BASELINE, "--set", "platforms.0.phases.0.start={day = 30}",
                                 "--set", "platforms.0.phases.1.start={day = 10}"], 2,
                                ["platforms.0.phases.1.start.day", "10", "day >= 30"]),
    "run_phases_backwards": (["run", BASELINE, "--set", BACKWARDS], 2,
                             ["platforms.0.phases.1.start.day", "0", "day >= 14"]),
    "run_phase_shares_fall": (["run", BASELINE, "--set", SHARES_FALL], 2,
                              ["platforms.0.phases.1.start.adoption_share", "0.05",
                               "adoption_share >= 0.1"]),
    "run_platform_name_with_a_dot": (["run", BASS, "--set", 'platforms.0.name="sp.ark"'], 2,
                                     ["platforms.0.name", "sp.ark", "letters, digits"]),
    "run_platform_name_with_a_space": (["run", BASS, "--set", 'platforms.0.name="my app"'], 2,
                                       ["platforms.0.name", "my app", "letters, digits"]),
    # run: special and oversized files (each was "not found", or read for seconds)
    "run_config_symlink_loop": (["run", "loop.toml"], 2, ["loop.toml", "symlink loop"]),
    "run_config_dangling_symlink": (["run", "dangling.toml"], 2,
                                    ["dangling.toml", "symbolic link to 'gone.toml'",
                                     "does not exist"]),
    "run_config_fifo": (["run", "pipe.toml"], 2, ["pipe.toml", "named pipe", "regular file"]),
    "run_config_dev_stdin": (["run", "/dev/stdin"], 2, ["/dev/stdin", "not a regular file"],
                             stdin_not_a_file),
    "run_config_too_large": (["run", "big.toml"], 2,
                             ["big.toml", "1,000,001 bytes", "at most 1.0 MB"]),
    "run_edgelist_symlink_loop": (["run", BASS, "--set", "network.social.kind=edgelist",
                                   "--set", "network.social.path=loop_edges.txt"], 2,
                                  ["network.social.path", "loop_edges.txt", "symlink loop"]),
    "run_edgelist_fifo": (["run", BASS, "--set", "network.social.kind=edgelist",
                           "--set", "network.social.path=pipe.toml"], 2,
                          ["network.social.path", "pipe.toml", "named pipe"]),
    # run: seeds and arguments
    "run_unknown_argument": (["run", BASS, "--bogus"], 2, ["--bogus", "--help"]),
    "run_negative_seed": (["run", BASS, "--seed", "-1"], 2, ["seed", "-1", "0.."]),
    "run_seed_past_toml": (["run", BASS, "--seed", str(2**70)], 2, [str(2**70), "2**63"]),
    "run_fractional_seed": (["run", BASS, "--seed", "2.7"], 2, ["--seed", "2.7"]),
    # run: edge lists
    "run_missing_edgelist": (["run", BASS, "--set", "network.social.kind=edgelist",
                              "--set", "network.social.path=nope.txt"], 2,
                             ["network.social.path", "nope.txt", "not found"]),
    "run_edgelist_is_a_folder": (["run", BASS, "--set", "network.social.kind=edgelist",
                                  "--set", "network.social.path=mine"], 2,
                                 ["network.social.path", "is a folder"]),
    "run_edgelist_garbage": (["run", BASS, "--set", "network.social.kind=edgelist",
                              "--set", "network.social.path=secret_edges.txt"], 2,
                             ["secret_edges.txt", "line 3"]),
    "run_edgelist_ids_out_of_range": (["run", BASS, "--set", "population.followers=1000",
                                       "--set", "network.social.kind=edgelist", "--set",
                                       "network.social.path=far_edges.txt"], 2,
                                      ["far_edges.txt", "0..999"]),
    # run: output folders
    "run_out_is_a_file": (["run", BASS, "--out", "data.csv"], 2, ["data.csv", "not a folder"]),
    "run_out_is_the_working_folder": (["run", BASS, "--out", "."], 2, ["working folder"]),
    "run_out_holds_the_working_folder": (["run", BASS, "--out", ".."], 2,
                                         ["holds the working folder"]),
    "run_out_holds_user_files": (["run", BASS, "--out", "mine"], 2, ["thesis.tex"]),
    "run_out_holds_its_config": (["run", "exp/config.toml", "--out", "exp"], 2,
                                 ["exp/config.toml", "input"]),
    "run_out_is_a_sweep_folder": (["run", BASS, "--out", "sw"], 2, ["'sweep'", "not a run"]),
    # compare
    "compare_missing_reference": (["compare", BASELINE, "--reference", "nope.toml"], 2,
                                  ["nope.toml", "not found"]),
    "compare_without_reference": (["compare", BASELINE], 2, ["--reference"]),
    "compare_bad_override": (["compare", BASELINE, "--reference", BASS, "--set",
                              "adoption.imitaton=0.3"], 2, ["adoption.imitaton", "imitation"]),
    "compare_replicates_past_bound": (["compare", BASELINE, "--reference", BASS,
                                       "--replicates", "100000"], 2,
                                      ["replicates", "100000", "10,000"]),
    "compare_zero_replicates": (["compare", BASELINE, "--reference", BASS, "--replicates",
                                 "0"], 2, ["replicates", "0"]),
    "compare_workers_past_bound": (["compare", BASELINE, "--reference", BASS, "--workers",
                                    "100000"], 2, ["--workers", "100000"]),
    "compare_out_holds_user_files": (["compare", BASELINE, "--reference", BASS, "--out",
                                      "mine"], 2, ["thesis.tex"]),
    "compare_out_holds_its_plan": (["compare", "exp/config.toml", "--reference", BASELINE,
                                    "--out", "exp"], 2, ["exp/config.toml", "input"]),
    "compare_out_is_a_run_folder": (["compare", BASELINE, "--reference", BASS, "--out",
                                     "oldrun"], 2, ["'run'", "not a comparison"]),
    # sweep: files
    "sweep_missing_file": (["sweep", "nope.toml"], 2, ["nope.toml", "not found"]),
    "sweep_file_is_a_folder": (["sweep", "folder.toml"], 2, ["folder.toml", "is a folder"]),
    "sweep_broken_toml": (["sweep", "broken_sweep.toml"], 2, ["broken_sweep.toml", "TOML"]),
    "sweep_unknown_key": (["sweep", "typo_sweep.toml"], 2, ["replicate", "allowed"]),
    "sweep_parameter_not_a_key": (["sweep", "badkey_sweep.toml"], 2,
                                  ["adoption.imitaton", "not a config key"]),
    "sweep_grid_with_a_range": (["sweep", "range_grid.toml"], 2, ["grid needs a list"]),
    "sweep_sobol_not_power_of_two": (["sweep", "sobol_ten.toml"], 2, ["power of two"]),
    "sweep_low_above_high": (["sweep", "low_high.toml"], 2, ["must be below high"]),
    "sweep_no_base": (["sweep", "no_base.toml"], 2, ["base", "missing"]),
    # sweep: where it runs (nothing written, not even a skeleton folder)
    "sweep_zero_workers": (["sweep", "sweep.toml", "--workers", "0", "--out", "new"], 2,
                           ["--workers", "0", "at least 1"]),
    "sweep_negative_workers": (["sweep", "sweep.toml", "--workers", "-3", "--out", "new"], 2,
                               ["--workers", "-3"]),
    "sweep_garbage_scheduler": (["sweep", "sweep.toml", "--scheduler", "foo", "--out", "new"],
                                2, ["--scheduler", "foo", "not a scheduler address"]),
    "sweep_worker_timeout_without_cluster": (["sweep", "sweep.toml", "--worker-timeout", "5",
                                              "--out", "new"], 2,
                                             ["--worker-timeout", "--scheduler"]),
    # sweep: output folders
    "sweep_out_holds_user_files": ([*S, "--out", "mine"], 2, ["thesis.tex"]),
    "sweep_out_is_the_working_folder": ([*S, "--out", "."], 2, ["working folder"]),
    "sweep_out_holds_its_sweep_file": ([*S, "--out", "exp"], 2, ["config.toml"]),
    "sweep_out_is_the_working_folder_by_path": ([*S, "--out", "exp/.."], 2, ["working folder"]),
    "sweep_out_is_a_run_folder": ([*S, "--out", "oldrun"], 2, ["'run'", "not a sweep"]),
    "sweep_different_sweep_without_force": (["sweep", "other_seed.toml", "--no-progress",
                                             "--out", "sw"], 2, ["different sweep", "--force"]),
    "sweep_locked_folder": ([*S, "--out", "sw"], 2, ["another sweep", "process"], hold_lock),
    "sweep_locked_folder_with_force": (["sweep", "other_seed.toml", "--force", "--out", "sw"],
                                       2, ["another sweep", "process"], hold_lock),
    "sweep_damaged_manifest": ([*S, "--out", "sw_manifest_text"], 2,
                               ["manifest.json", "not valid JSON"]),
    "sweep_empty_journal_record": ([*S, "--out", "sw_journal_empty_record"], 2,
                                   ["journal.jsonl", "line 2", "not a run record"]),
    # report: the sweep folder
    "report_missing_folder": (["report", "nowhere"], 2, ["nowhere", "not a sweep folder"]),
    "report_of_a_file": (["report", "data.csv"], 2, ["data.csv", "not a sweep folder"]),
    "report_manifest_not_json": (["report", "sw_manifest_text"], 2,
                                 ["manifest.json", "not valid JSON"]),
    "report_manifest_not_a_manifest": (["report", "sw_manifest_list"], 2,
                                       ["manifest.json", "not a sweep manifest"]),
    "report_manifest_bad_sweep": (["report", "sw_manifest_sweep"], 2,
                                  ["manifest.json", "not a valid sweep file"]),
    "report_journal_empty_record": (["report", "sw_journal_empty_record"], 2,
                                    ["journal.jsonl", "line 2"]),
    # report: options
    "report_heatmap_unknown": ([*R, "--heatmap", "a", "b"], 2, ["--heatmap", "'a'", "allowed"]),
    "report_heatmap_twice": ([*R, "--heatmap", "adoption.imitation", "adoption.imitation"], 2,
                             ["--heatmap", "two different"]),
    "report_heatmap_one": ([*R, "--heatmap", "adoption.imitation"], 2, ["--heatmap"]),
    "report_unknown_metric": ([*R, "--metric", "happiness"], 2, ["happiness", "not in"]),
    "report_unknown_platform": ([*R, "--platform", "myspace"], 2, ["myspace", "spark"]),
    # report: output folders (each of these deleted files before)
    "report_out_holds_user_files": ([*R, "--out", "mine"], 2, ["thesis.tex"]),
    "report_out_is_the_sweep": ([*R, "--out", "sw"], 2, ["sw", "input"]),
    "report_out_holds_the_sweep": (["report", "deep/sw", "--out", "deep"], 2,
                                   ["deep/sw", "input"]),
    "report_out_is_the_working_folder": ([*R, "--out", "."], 2, ["working folder"]),
    "report_out_is_the_working_folder_by_path": ([*R, "--out", "{cwd}"], 2,
                                                 ["working folder"]),
    "report_out_is_a_parent": ([*R, "--out", "{parent}"], 2, ["holds the working folder"]),
    "report_out_is_a_sweep_folder": ([*R, "--out", "report_out"], 2, ["'sweep'", "not a report"]),
    # calibrate
    "calibrate_zero_workers": ([*C, "--workers", "0"], 2, ["--workers", "0"]),
    "calibrate_negative_seed": ([*C, "--seed", "-1"], 2, ["seed", "-1"]),
    "calibrate_missing_data": (["calibrate", "nope.csv", *C[2:]], 2, ["nope.csv", "not found"]),
    "calibrate_data_is_a_folder": (["calibrate", "data_folder.csv", *C[2:]], 2,
                                   ["data_folder.csv", "is a folder"]),
    "calibrate_three_columns": (["calibrate", "three.csv", *C[2:]], 2,
                                ["three.csv", "3 columns"]),
    "calibrate_falling_cumulative": (["calibrate", "falling.csv", *C[2:], "--cumulative"], 2,
                                     ["falling.csv", "never fall"]),
    "calibrate_fit_syntax": ([*C[:4], "--fit", "adoption.imitation=0.1", *C[6:]], 2,
                             ["key=LOW:HIGH"]),
    "calibrate_unknown_key": ([*C[:4], "--fit", "adoption.imitaton=0.1:0.5", *C[6:]], 2,
                              ["adoption.imitaton", "allowed"]),
    "calibrate_unknown_target": ([*C, "--target", "happiness"], 2, ["--target", "happiness"]),
    "calibrate_out_empty": ([*C, "--out", ""], 2, ["--out ''", "empty"]),
    "calibrate_out_holds_user_files": ([*C, "--out", "mine"], 2, ["thesis.tex"]),
    "calibrate_out_holds_its_data": (["calibrate", "exp/data.csv", *C[2:], "--out", "exp"], 2,
                                     ["exp/data.csv", "input"]),
}


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every path under ``folder``: relative path → bytes (None for folders)."""
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None)
            for p in sorted(folder.rglob("*"))}


def test_the_table_covers_at_least_sixty_cases_of_every_command():
    assert len(CASES) >= 60
    commands = {case[0][0] for case in CASES.values()}
    assert commands == {"run", "compare", "sweep", "report", "calibrate"}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_gives_one_line_its_exit_code_and_writes_nothing(
        case, sweep_folder, tmp_path, monkeypatch, capsys):
    argv, code, words, *setup = CASES[case]
    root = tmp_path / "root"
    work = root / "work"
    make_files(work, sweep_folder)
    monkeypatch.chdir(work)
    keep = [prepare(work) for prepare in setup]  # e.g. a lock another sweep holds
    argv = [str(a).replace("{cwd}", str(work)).replace("{parent}", str(root)) for a in argv]
    before = snapshot(root)
    capsys.readouterr()
    try:
        got = cli.main(argv)
    except SystemExit as done:  # argparse
        got = done.code
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert got == code, captured.err
    assert len(lines) == 1, captured.err
    assert "Traceback" not in captured.err + captured.out
    assert lines[0].startswith("sparksim:")
    for word in words:
        assert word in lines[0], (word, lines[0])
    assert "TOPSECRET" not in lines[0]  # a file's content is never echoed
    assert snapshot(root) == before
    for lock in filter(None, keep):  # setups that return nothing hold nothing
        lock.__exit__(None, None, None)
