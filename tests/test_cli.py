"""The ``sparksim`` command line, run as a subprocess (``python -m simulation``).

Every run is small: configs/bass.toml (no influencers, ~0.2 s of simulation)
or a 5 000-person, 50-influencer, 30-day run. Interpreter start-up (~2 s) is
the main cost, so independent invocations are launched concurrently.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest

import simulation
from simulation import cli, plots
from simulation.model.config import parse_override
from simulation.plots import format_estimate
from simulation.runs.executors import MAX_LOCAL_WORKERS
from tests.conftest import CONFIGS, ROOT

BASS = CONFIGS / "bass.toml"
RIVAL = CONFIGS / "schemes" / "rival.toml"
WITH_INFLUENCERS = ["--set", "population.followers=5000", "--set", "population.influencers=50",
                    "--set", "horizon_days=30"]
FILES = {"timeseries.csv", "summary.json", "config.toml", "adoption.png"}
WRITTEN = FILES | {".sparksim.json"}  # the four files and the marker of a folder sparksim wrote
COLUMNS = [
    "day", "platform", "adopters", "new_adopters", "active_users", "lapsed_users",
    "joined_influencers", "active_influencers", "posts", "views", "gmv", "spend_flat_fee",
    "spend_commission", "spend_per_view", "spend_per_adopter", "spend_total", "revenue", "net",
    "attributed_adopters", "influenced_adopters",
]
SUMMARY_KEYS = {
    "peak_active_users", "peak_day", "active_users_end", "adoption_share_end", "days_to_10pct",
    "days_to_50pct", "total_spend", "cost_per_adopter", "cost_per_active_user_end",
    "retention_after_switch", "influencers_joined", "influencers_active_end", "gmv_total",
    "net_total", "people_per_agent", "attributed_adopters", "influenced_adopters",
    "cost_per_attributed_adopter", "adopters_end",
}


def sparksim(*args, cwd: Path) -> subprocess.CompletedProcess:
    """``python -m simulation ARGS`` in ``cwd`` (this checkout first on the path)."""
    env = {**os.environ, "MPLBACKEND": "Agg",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    return subprocess.run([sys.executable, "-m", "simulation", *map(str, args)], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=300)


def concurrently(jobs: dict[str, tuple[list, Path]]) -> dict[str, subprocess.CompletedProcess]:
    """Run several ``sparksim`` invocations at once: {key: (args, cwd)} → {key: process}."""
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        futures = {key: pool.submit(sparksim, *args, cwd=cwd) for key, (args, cwd) in jobs.items()}
        return {key: future.result() for key, future in futures.items()}


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative path → bytes)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path)


def assert_ok(proc: subprocess.CompletedProcess) -> None:
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


# --- all subprocess runs (launched together) ---------------------------------------

BROKEN_TOML = 'name = "broken"\nhorizon_days = \n[population\n'
UNKNOWN_KEY_TOML = 'name = "typo"\n[adoption]\nimitaton = 0.3\n'

# id → (arguments, words the one-line message must contain); --out is added per run
BAD = {
    "missing_file": (["run", "nope.toml"], ["nope.toml", "not found"]),
    "broken_toml": (["run", "broken.toml"], ["broken.toml", "TOML", "line"]),
    "wrong_type": (["run", BASS, "--set", "population.followers=abc"],
                   ["population.followers", "abc", "integer"]),
    "out_of_range": (["run", BASS, "--set", "adoption.innovation=-1"],
                     ["adoption.innovation", "-1", "greater than or equal to 0"]),
    "unknown_key_in_file": (["run", "typo.toml"],
                            ["adoption.imitaton", "0.3", "innovation", "imitation", "return_rel"]),
    "unknown_key_set": (["run", BASS, "--set", "adoption.imitaton=0.3"],
                        ["adoption.imitaton", "0.3", "innovation", "imitation", "return_rel"]),
    "set_without_equals": (["run", BASS, "--set", "adoption.imitation"],
                           ["adoption.imitation", "key=value"]),
    "index_past_end": (["run", BASS, "--set", "platforms.3.budget=1"],
                       ["platforms.3", "0..0"]),
    "unknown_argument": (["run", BASS, "--bogus"], ["--bogus", "--help"]),
    "negative_seed": (["run", BASS, "--seed", "-1"], ["seed", "-1", "0.."]),
    "missing_edgelist": (["run", BASS, "--set", "network.social.kind=edgelist",
                          "--set", "network.social.path=nope.txt"],
                         ["network.social.path", "nope.txt", "not found"]),
}


def bad_input_folder(folder: Path) -> Path:
    """A working folder holding the broken config files the bad cases name."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "broken.toml").write_text(BROKEN_TOML)
    (folder / "typo.toml").write_text(UNKNOWN_KEY_TOML)
    return folder


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict:
    """Every subprocess run, launched together. Good runs: bass copied to another stem
    (the file sets name), a file without name, --seed, --set, two platforms with
    influencers, --help. Bad runs: each bad case with --out to a fresh path."""
    base = tmp_path_factory.mktemp("cli")
    dirs = {key: base / key for key in ("named", "stem", "seed", "set", "rival", "help")}
    for folder in dirs.values():
        folder.mkdir()
    shutil.copy(BASS, dirs["named"] / "renamed.toml")  # sets name = "bass"
    text = BASS.read_text()
    assert 'name = "bass"\n' in text
    (dirs["stem"] / "mystem.toml").write_text(text.replace('name = "bass"\n', ""))
    jobs = {
        "named": (["run", "renamed.toml"], dirs["named"]),
        "stem": (["run", "mystem.toml"], dirs["stem"]),
        "seed": (["run", BASS, "--seed", 1, "--out", "out"], dirs["seed"]),
        "set": (["run", BASS, "--set", "adoption.innovation=0.1", "--out", "out"], dirs["set"]),
        "rival": (["run", RIVAL, "--seed", 3, "--out", "sub/rival", *WITH_INFLUENCERS],
                  dirs["rival"]),
        "help": (["--help"], dirs["help"]),
    }
    listings = {}
    for case, (args, _) in BAD.items():
        cwd = dirs[case] = bad_input_folder(base / case)
        listings[case] = sorted(os.listdir(cwd))
        jobs[case] = ([*args, "--out", "fresh"], cwd)
    return {"dirs": dirs, "procs": concurrently(jobs), "listings": listings}


def test_run_writes_the_four_files_to_results_config_name(runs):
    proc, cwd = runs["procs"]["named"], runs["dirs"]["named"]
    assert_ok(proc)
    out = cwd / "results" / "bass"  # the file sets name = "bass": not results/renamed
    assert {p.name for p in out.iterdir()} == WRITTEN
    assert not (cwd / "results" / "renamed").exists()
    assert sorted(p.name for p in (cwd / "results").iterdir()) == ["bass"]  # no leftovers
    assert (out / "adoption.png").read_bytes().startswith(b"\x89PNG")
    assert all((out / name).stat().st_size > 0 for name in FILES)


def test_run_prints_a_short_summary(runs):
    proc = runs["procs"]["named"]
    assert_ok(proc)
    lines = proc.stdout.strip().splitlines()
    assert 2 <= len(lines) <= 12
    assert "bass" in proc.stdout and "spark" in proc.stdout
    assert "results/bass" in proc.stdout


def test_default_folder_is_the_file_stem_without_name(runs):
    proc, cwd = runs["procs"]["stem"], runs["dirs"]["stem"]
    assert_ok(proc)
    assert {p.name for p in (cwd / "results" / "mystem").iterdir()} == WRITTEN
    config = simulation.load_config(cwd / "results" / "mystem" / "config.toml")
    assert config.name == "mystem"


def test_resolved_config_and_csv_reproduce_the_run(runs):
    out = runs["dirs"]["named"] / "results" / "bass"
    resolved = simulation.load_config(out / "config.toml")
    assert resolved == simulation.load_config(BASS)
    table = read_csv(out / "timeseries.csv")
    assert list(table.columns) == COLUMNS
    rerun = simulation.run(resolved, seed=resolved.seed).timeseries
    assert list(rerun.columns) == COLUMNS
    pd.testing.assert_frame_equal(table, rerun)
    pd.testing.assert_frame_equal(table, simulation.run(BASS, seed=0).timeseries)


def test_summary_json_has_every_key_per_platform(runs):
    out = runs["dirs"]["named"] / "results" / "bass"
    summary = json.loads((out / "summary.json").read_text())
    assert list(summary) == ["spark"]
    assert set(summary["spark"]) == SUMMARY_KEYS


def test_two_platforms_with_influencers(runs):
    proc, cwd = runs["procs"]["rival"], runs["dirs"]["rival"]
    assert_ok(proc)
    out = cwd / "sub" / "rival"
    assert {p.name for p in out.iterdir()} == WRITTEN
    assert [p.name for p in (cwd / "sub").iterdir()] == ["rival"]
    summary = json.loads((out / "summary.json").read_text())
    assert list(summary) == ["spark", "vidsy"]
    for platform, entry in summary.items():
        assert set(entry) == SUMMARY_KEYS, platform
        assert all(v is None or isinstance(v, int | float) for v in entry.values()), entry
    assert sum(entry["influencers_joined"] for entry in summary.values()) > 0
    resolved = simulation.load_config(out / "config.toml")
    assert (resolved.seed, resolved.population.followers, resolved.population.influencers,
            resolved.horizon_days) == (3, 5000, 50, 30)
    table = read_csv(out / "timeseries.csv")
    assert list(table.columns) == COLUMNS
    assert table["day"].max() == 30 and set(table["platform"]) == {"spark", "vidsy"}
    pd.testing.assert_frame_equal(table, simulation.run(resolved, seed=3).timeseries)


def test_seed_changes_the_result(runs):
    assert_ok(runs["procs"]["seed"])
    out = runs["dirs"]["seed"] / "out"
    assert simulation.load_config(out / "config.toml").seed == 1
    seeded = read_csv(out / "timeseries.csv")
    default = read_csv(runs["dirs"]["named"] / "results" / "bass" / "timeseries.csv")
    assert not seeded["adopters"].equals(default["adopters"])
    pd.testing.assert_frame_equal(seeded, simulation.run(BASS, seed=1).timeseries)


def test_set_changes_the_value_and_the_outcome(runs):
    assert_ok(runs["procs"]["set"])
    out = runs["dirs"]["set"] / "out"
    written = tomllib.loads((out / "config.toml").read_text())
    assert written["adoption"]["innovation"] == 0.1
    assert written["adoption"]["imitation"] == simulation.load_config(BASS).adoption.imitation
    faster = read_csv(out / "timeseries.csv").set_index("day")["adopters"]
    default = read_csv(runs["dirs"]["named"] / "results" / "bass" / "timeseries.csv")
    default = default.set_index("day")["adopters"]
    assert simulation.load_config(BASS).adoption.innovation <= 0.04
    # p = 0.1 vs 0.03 per day: day 1 adopters ≈ 9 500 vs 3 000 of 100 000
    assert faster.loc[1] > 2 * default.loc[1]


def test_help_exits_zero(runs):
    proc = runs["procs"]["help"]
    assert_ok(proc)
    assert "run" in proc.stdout


# --- bad input -----------------------------------------------------------------


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_exits_2_with_one_line_and_creates_nothing(runs, case):
    proc, words = runs["procs"][case], BAD[case][1]
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    message = proc.stderr.strip()
    assert message and "\n" not in message, proc.stderr
    for word in words:
        assert word.lower() in message.lower(), (word, message)
    cwd = runs["dirs"][case]
    assert not (cwd / "fresh").exists()
    assert sorted(os.listdir(cwd)) == runs["listings"][case]  # no temporary folders


def _exit_code(argv: list[str]) -> int:
    """cli.main's exit code, whether returned or raised (argparse exits)."""
    try:
        return cli.main(argv)
    except SystemExit as done:
        return done.code


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_leaves_an_earlier_output_untouched(runs, case, tmp_path, monkeypatch,
                                                      capsys):
    """In process (the subprocess cases above cover the real entry point)."""
    good = runs["dirs"]["named"] / "results" / "bass"
    assert {p.name for p in good.iterdir()} == WRITTEN
    cwd = bad_input_folder(tmp_path)
    shutil.copytree(good, cwd / "existing")
    before, listing = snapshot(cwd), sorted(os.listdir(cwd))
    monkeypatch.chdir(cwd)
    capsys.readouterr()
    assert _exit_code([*map(str, BAD[case][0]), "--out", "existing"]) == 2
    message = capsys.readouterr().err.strip()
    assert message and "\n" not in message
    assert snapshot(cwd) == before
    assert sorted(os.listdir(cwd)) == listing


@pytest.mark.parametrize("name", ["", "../escape"])
def test_config_name_cannot_write_outside_its_own_results_folder(tmp_path, monkeypatch, name):
    """The default folder is results/<name>/: other results and the cwd are never replaced."""
    keep = tmp_path / "results" / "earlier" / "data.txt"
    keep.parent.mkdir(parents=True)
    keep.write_text("earlier run")
    monkeypatch.chdir(tmp_path)
    code = _exit_code(["run", str(BASS), "--set", f'name="{name}"'])
    assert code in (0, 2)
    assert keep.read_text() == "earlier run"
    assert sorted(os.listdir(tmp_path)) == ["results"]
    if code == 0:
        folders = [p for p in (tmp_path / "results").iterdir() if p.name != "earlier"]
        assert len(folders) == 1 and {p.name for p in folders[0].iterdir()} == WRITTEN


# --- atomic writing (in process) ----------------------------------------------------


class DiskFull(RuntimeError):
    pass


def _fail(*args, **kwargs):
    raise DiskFull("simulated failure while writing adoption.png")


def _interrupt(*args, **kwargs):
    raise KeyboardInterrupt


def _main(argv: list[str]):
    """cli.main's exit code, or None if the simulated failure propagated."""
    try:
        return cli.main(argv)
    except (DiskFull, KeyboardInterrupt):
        return None


@pytest.mark.parametrize("failure", [_fail, _interrupt], ids=["error", "interrupt"])
def test_failed_write_leaves_no_folder(tmp_path, monkeypatch, failure):
    monkeypatch.setattr(plots, "adoption_figure", failure)
    out = tmp_path / "out"
    code = _main(["run", str(BASS), "--out", str(out)])
    assert code != 0
    if failure is _interrupt:
        assert code == 130
    assert not out.exists()
    assert os.listdir(tmp_path) == []  # no '.out.*' staging folder either


@pytest.mark.parametrize("failure", [_fail, _interrupt], ids=["error", "interrupt"])
def test_failed_write_leaves_existing_folder_untouched(tmp_path, monkeypatch, failure):
    out = tmp_path / "out"
    assert cli.main(["run", str(BASS), "--out", str(out)]) == 0
    assert {p.name for p in out.iterdir()} == WRITTEN
    before, listing = snapshot(out), sorted(os.listdir(tmp_path))
    monkeypatch.setattr(plots, "adoption_figure", failure)
    assert _main(["run", str(BASS), "--seed", "5", "--out", str(out)]) != 0
    assert snapshot(out) == before
    assert sorted(os.listdir(tmp_path)) == listing == ["out"]
    assert not [name for name in os.listdir(tmp_path) if name.startswith(".")]


def test_good_write_replaces_existing_folder(tmp_path):
    out = tmp_path / "out"
    assert cli.main(["run", str(BASS), "--out", str(out)]) == 0
    assert cli.main(["run", str(BASS), "--seed", "5", "--out", str(out)]) == 0
    assert {p.name for p in out.iterdir()} == WRITTEN
    assert simulation.load_config(out / "config.toml").seed == 5
    assert os.listdir(tmp_path) == ["out"]
    (out / "stale.txt").write_text("not ours")  # now a folder sparksim must not replace
    assert cli.main(["run", str(BASS), "--seed", "6", "--out", str(out)]) == 2
    assert simulation.load_config(out / "config.toml").seed == 5


def test_out_below_a_file_is_refused_before_the_run(tmp_path, capsys):
    """A path that cannot become a folder is a bad --out, caught before the run (exit 2)."""
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    code = cli.main(["run", str(BASS), "--out", str(blocker / "out")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "a_file" in err and "Traceback" not in err
    assert blocker.read_text() == "not a folder"
    assert os.listdir(tmp_path) == ["a_file"]


def test_a_write_that_fails_is_one_line_and_exit_1(tmp_path, monkeypatch, capsys):
    """The disk fills during the write: the machine failed, not the input (exit 1)."""
    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device", str(tmp_path / "out" / "adoption.png"))

    monkeypatch.setattr(plots, "adoption_figure", disk_full)
    code = cli.main(["run", str(BASS), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and "cannot write" in err and "No space left" in err
    assert "Traceback" not in err
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("target", ["here", "dot", "file"])
def test_out_never_replaces_a_folder_with_other_files(tmp_path, monkeypatch, capsys, target):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("important")
    out = {"here": str(tmp_path), "dot": ".", "file": "notes.txt"}[target]
    code = cli.main(["run", str(BASS), "--out", out])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "--out" in err and "allowed" in err or "not a folder" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
    assert (tmp_path / "notes.txt").read_text() == "important"


def test_out_replaces_an_earlier_run_and_fills_an_empty_folder(tmp_path, capsys):
    for folder in ("earlier", "empty"):
        (tmp_path / folder).mkdir()
    assert cli.main(["run", str(BASS), "--out", str(tmp_path / "earlier")]) == 0
    assert cli.main(["run", str(BASS), "--seed", "3", "--out", str(tmp_path / "earlier")]) == 0
    assert cli.main(["run", str(BASS), "--out", str(tmp_path / "empty")]) == 0
    assert 'seed = 3' in (tmp_path / "earlier" / "config.toml").read_text()
    assert sorted(p.name for p in (tmp_path / "empty").iterdir()) == sorted(WRITTEN)


# --- bounds on the command line's own numbers (issue 19) ------------------------------

SWEEP = CONFIGS / "sweeps" / "quick.toml"
OPTION_BOUNDS = {
    "sweep_workers": (["sweep", SWEEP, "--workers", "1000000"],
                      ["--workers 1000000", f"1..{MAX_LOCAL_WORKERS}"]),
    "calibrate_workers": (["calibrate", ROOT / "data" / "vcr_sales.csv", "--config", BASS,
                           "--fit", "adoption.imitation=0.1:0.5", "--days-per-period", "6",
                           "--workers", "1000000"],
                          ["--workers 1000000", f"1..{MAX_LOCAL_WORKERS}"]),
    "worker_timeout_1e300": (["sweep", SWEEP, "--scheduler", "tcp://127.0.0.1:9",
                              "--worker-timeout", "1e300"],
                             ["--worker-timeout 1e+300", f"{cli.MAX_WORKER_TIMEOUT:,.0f}"]),
    "worker_timeout_inf": (["sweep", SWEEP, "--scheduler", "tcp://127.0.0.1:9",
                            "--worker-timeout", "inf"], ["--worker-timeout inf"]),
    "worker_timeout_nan": (["sweep", SWEEP, "--scheduler", "tcp://127.0.0.1:9",
                            "--worker-timeout", "nan"], ["--worker-timeout nan"]),
}


@pytest.mark.parametrize("case", list(OPTION_BOUNDS))
def test_worker_options_have_upper_bounds(case, tmp_path, monkeypatch, capsys):
    """Refused before any pool, cluster connection or run: one line, exit 2, nothing written."""
    monkeypatch.chdir(tmp_path)
    argv, words = OPTION_BOUNDS[case]
    capsys.readouterr()
    assert _exit_code([*map(str, argv), "--out", "out"]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sparksim:"), captured.err
    for word in words:
        assert word in lines[0], (word, lines[0])
    assert os.listdir(tmp_path) == []


# --- sparksim compare and --version --------------------------------------------------------

SCHEMES_DIR = CONFIGS / "schemes"
COMPARE_SMALL = ["--set", "population.followers=3000", "--set", "population.influencers=60",
                 "--set", "horizon_days=60"]


def test_compare_writes_the_table_and_figure_and_matches_the_api(tmp_path, monkeypatch, capsys):
    """The CLI's numbers are simulation.compare's with the same plans, seed and replicates."""
    monkeypatch.chdir(tmp_path)
    plan, reference = SCHEMES_DIR / "flat_fee.toml", SCHEMES_DIR / "none.toml"
    code = cli.main(["compare", str(plan), "--reference", str(reference), *COMPARE_SMALL,
                     "--replicates", "3", "--seed", "5", "--out", "cmp"])
    out = capsys.readouterr().out
    assert code == 0
    assert {p.name for p in (tmp_path / "cmp").iterdir()} == {
        "comparison.csv", "runs.csv", "comparison.png", ".sparksim.json"}
    table = pd.read_csv(tmp_path / "cmp" / "comparison.csv")
    overrides = dict(parse_override(text) for text in COMPARE_SMALL[1::2])
    expected = simulation.compare(
        {"flat_fee": simulation.load_config(plan, overrides),
         "none": simulation.load_config(reference, overrides)},
        replicates=3, seed=5, reference="none", keep_timeseries=False).table
    pd.testing.assert_frame_equal(table, expected.reset_index(drop=True), check_dtype=False)
    gained = expected[(expected["scenario"] == "flat_fee")
                      & (expected["metric"] == "adopters_end")]["diff"].iloc[0]
    assert gained > 0  # paying influencers brings adopters: the table is not all zeros
    row = expected[(expected["scenario"] == "flat_fee") & (expected["metric"] == "adopters_end")]
    shown = format_estimate(gained, row["diff_low"].iloc[0], row["diff_high"].iloc[0], "people",
                            sign=True)
    assert shown.startswith("+") and shown in out  # the number, rounded, with its unit
    assert "cost per incremental adopter $" in out and " per adopter" in out
    assert "active users at the end" in out.splitlines()[2]  # the judged metric comes first
    assert ("higher than none" in out) or ("can't tell yet" in out)


def test_compare_grows_replicates_until_settled_within_the_budget(tmp_path, monkeypatch,
                                                                  capsys):
    """--max-runs: batches of replicates until the judged metric is settled; the table is
    then simulation.compare's at the replicates it stopped at."""
    monkeypatch.chdir(tmp_path)
    plan, reference = SCHEMES_DIR / "flat_fee.toml", SCHEMES_DIR / "none.toml"
    code = cli.main(["compare", str(plan), "--reference", str(reference), *COMPARE_SMALL,
                     "--replicates", "2", "--metric", "adopters_end", "--max-runs", "40",
                     "--out", "cmp"])
    out = capsys.readouterr().out
    assert code == 0
    runs = pd.read_csv(tmp_path / "cmp" / "runs.csv")
    replicates = runs["replicate"].nunique()
    assert 2 <= replicates <= 20 and len(runs) == 2 * replicates
    assert f"{replicates} replicates each" in out
    assert "settled after" in out or "stopped at the run budget" in out
    table = pd.read_csv(tmp_path / "cmp" / "comparison.csv")
    overrides = dict(parse_override(text) for text in COMPARE_SMALL[1::2])
    expected = simulation.compare(
        {"flat_fee": simulation.load_config(plan, overrides),
         "none": simulation.load_config(reference, overrides)},
        replicates=replicates, seed=0, reference="none", keep_timeseries=False).table
    pd.testing.assert_frame_equal(table, expected.reset_index(drop=True), check_dtype=False)


def test_compare_refuses_plans_with_one_name_before_running(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    plan = SCHEMES_DIR / "none.toml"
    code = cli.main(["compare", str(plan), "--reference", str(plan), *COMPARE_SMALL])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "repeated: 'none'" in err[0]
    assert not (tmp_path / "results").exists()


def test_version_is_the_installed_distributions(capsys):
    from importlib.metadata import version

    with pytest.raises(SystemExit) as done:
        cli.main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"sparksim {version('sparksim')}"
