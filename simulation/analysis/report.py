"""The report of a sweep (``sparksim report DIR``): summary table, fan charts, heatmap, sensitivity.

Writes into ``DIR/report/`` (atomically, like every output, holding the sweep
folder's lock: a sweep running there makes ``report`` exit 2):

- ``summary.csv``: per design point and metric, the number of successful
  replicates, mean, median and the 5–95% band;
- ``fan_adoption.png``, ``fan_active_users.png``: adoption share and active
  users over time per design point (median, 25–75% and 5–95% bands over
  replicates), for up to ``report.fan_points`` points;
- ``heatmap.png``: the mean of the chosen metric over two parameters
  (sampled designs are binned);
- for sobol and morris designs, ``sensitivity.csv`` and ``sensitivity.png``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..model.config import ConfigError
from ..runs.folders import FolderLock, check_output_folder, out_option, staged_folder
from ..runs.runner import FIXED_COLUMNS, STATUS_COLUMNS
from ..runs.sweep import SweepResult, load_sweep
from .sensitivity import analyse, metric_column

HEATMAP_BINS = 8  # bins per axis when a sampled parameter has too many distinct values


@dataclass
class SweepReport:
    """What :func:`write_report` made."""

    folder: Path
    summary: pd.DataFrame
    sensitivity: pd.DataFrame | None = None
    files: list[str] = field(default_factory=list)


def summary_table(result: SweepResult) -> pd.DataFrame:
    """Per design point and metric: n ok, mean, median, 5% and 95% quantiles over replicates."""
    runs = result.runs
    ok = runs[runs["status"] == "ok"]
    parameters = result.parameters
    metrics = [c for c in runs.columns
               if c not in (*FIXED_COLUMNS, *parameters, *STATUS_COLUMNS)]
    long = ok.melt(id_vars=["point"], value_vars=metrics, var_name="metric")
    grouped = long.groupby(["point", "metric"], sort=False)["value"]
    table = pd.DataFrame({
        "n": grouped.count(), "mean": grouped.mean(), "median": grouped.median(),
        "p5": grouped.quantile(0.05), "p95": grouped.quantile(0.95),
    }).reset_index()
    points = runs.drop_duplicates("point").set_index("point")[parameters]
    table = table.join(points, on="point")
    order = {m: i for i, m in enumerate(metrics)}
    table = table.sort_values(["point", "metric"], key=lambda s: s.map(order) if
                              s.name == "metric" else s, kind="stable")
    return table[["point", *parameters, "metric", "n", "mean", "median", "p5", "p95"]]


def write_report(
    path: str | Path,
    metric: str | None = None,
    platform: str | None = None,
    heatmap: tuple[str, str] | None = None,
    out: str | Path | None = None,
) -> SweepReport:
    """Write the report of the sweep in ``path`` (into ``path/report`` unless ``out``).

    The sweep folder's lock is held while the report reads and writes, so a
    report never mixes with a sweep running there (a ConfigError names it).
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    folder = Path(path)
    load_sweep(folder)  # a ConfigError unless it is a sweep folder (nothing is created)
    lock = FolderLock(folder, "sweep folder", create=False,
                      advice="wait for it to finish, then run report again", what="report")
    try:
        lock.__enter__()
    except PermissionError:  # a sweep folder this user may read but not write
        lock = None
        if out is None:
            raise
    try:
        return _write_report(folder, metric, platform, heatmap, out, plt)
    finally:
        if lock is not None:
            lock.__exit__(None, None, None)


def _write_report(path: Path, metric: str | None, platform: str | None,
                  heatmap: tuple[str, str] | None, out: str | Path | None,
                  plt: Any) -> SweepReport:
    """write_report's work, under the sweep folder's lock."""
    result = load_sweep(path)
    spec = result.spec
    if not (result.runs["status"] == "ok").any():
        raise ConfigError(f"{str(path)!r}: no successful runs to report on")
    column = metric_column(result.runs, metric or spec.report.metric,
                           platform or spec.report.platform)
    chosen_platform = column.split(".", 1)[0] if "." in column else None
    axes = _heatmap_axes(result, heatmap)
    target = out_option(out, result.path / "report")
    target = check_output_folder(target, "report", inputs=[result.path / "manifest.json"])
    report = SweepReport(target, summary_table(result))
    figures = {}  # made before the folder is staged: a damaged daily table writes nothing
    if result.manifest.get("keep_timeseries", True):
        figures.update(_fan_charts(result, chosen_platform))
    if len(axes) == 2:
        figures["heatmap.png"] = _heatmap(result, axes[0], axes[1], column)
    if spec.design.analyses:
        from ..plots import sensitivity_figure

        report.sensitivity = analyse(result, column)
        figures["sensitivity.png"] = sensitivity_figure(
            report.sensitivity, title=f"{spec.name}: sensitivity", output=column)
    try:
        with staged_folder(target, "report") as staging:
            report.summary.to_csv(staging / "summary.csv", index=False)
            report.files.append("summary.csv")
            if report.sensitivity is not None:
                report.sensitivity.to_csv(staging / "sensitivity.csv", index=False)
                report.files.append("sensitivity.csv")
            for name, figure in figures.items():
                figure.savefig(staging / name, dpi=110)
                report.files.append(name)
    finally:
        for figure in figures.values():
            plt.close(figure)
    return report


def _heatmap_axes(result: SweepResult, heatmap: tuple[str, str] | None) -> list[str]:
    """The two parameters of the heatmap (checked), or fewer when the sweep has fewer."""
    if heatmap is None:
        return list(result.spec.report.heatmap or result.parameters[:2])
    allowed = ", ".join(result.parameters)
    for key in heatmap:
        if key not in result.parameters:
            raise ConfigError(f"--heatmap {key!r}: not a parameter of this sweep "
                              f"(allowed: {allowed})")
    if heatmap[0] == heatmap[1]:
        raise ConfigError(f"--heatmap {heatmap[0]!r} {heatmap[1]!r}: give two different "
                          f"parameters (allowed: {allowed})")
    return list(heatmap)


def _fan_points(result: SweepResult) -> list[int]:
    """Up to ``report.fan_points`` design points, evenly spread over the design."""
    ok_points = sorted(result.runs.loc[result.runs["status"] == "ok", "point"].unique())
    wanted = result.spec.report.fan_points
    if len(ok_points) <= wanted:
        return [int(p) for p in ok_points]
    picks = np.linspace(0, len(ok_points) - 1, wanted).round().astype(int)
    return [int(ok_points[i]) for i in picks]


def _point_label(result: SweepResult, point: int) -> str:
    row = result.runs.loc[result.runs["point"] == point].iloc[0]
    return ", ".join(f"{_short(k)}={_fmt(row[k])}" for k in result.parameters)


def _short(key: str) -> str:
    """A readable name for a dotted key: its last part (``...flat_fee.fee`` → ``fee``)."""
    return key.rsplit(".", 1)[-1]


def _fmt(value: object) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def _fan_charts(result: SweepResult, platform: str | None) -> dict[str, object]:
    from ..plots import band_figure

    points = _fan_points(result)
    runs = result.runs[(result.runs["status"] == "ok") & result.runs["point"].isin(points)]
    table = result.timeseries(runs["run_id"], columns=["adopters", "active_users"])
    if table.empty:
        return {}
    if platform is not None:
        table = table[table["platform"] == platform]
    n_people = _people(result)
    labels = {p: _point_label(result, p) for p in points}
    table = table.assign(design_point=table["point"].map(labels))
    name = result.spec.name
    return {
        "fan_adoption.png": band_figure(
            table, metric="adopters", by="design_point", n_people=n_people, fan=True,
            title=f"{name}: adoption per design point ({len(points)} shown)"),
        "fan_active_users.png": band_figure(
            table, metric="active_users", by="design_point", fan=True,
            title=f"{name}: active users per design point ({len(points)} shown)"),
    }


def _people(result: SweepResult) -> float | None:
    """The market's people (adoption is drawn as a share of them), if one for all points."""
    import tomllib

    text = result.manifest.get("base_config")
    if not text:
        return None
    key = "population.market_size"
    people = tomllib.loads(text).get("population", {}).get("market_size")
    people = result.spec.set.get(key, people)
    if key in result.parameters:
        return None  # varies by point
    return float(people) if people else None


def _heatmap(result: SweepResult, x: str, y: str, column: str) -> object:
    from ..plots import heatmap_figure

    ok = result.runs[result.runs["status"] == "ok"]
    frame = ok[[x, y, column]].copy()
    for key in (x, y):
        if frame[key].nunique() > 12:  # a sampled design: bin, label cells by their middle
            spec = result.spec.parameters.get(key)
            log = bool(getattr(spec, "log", False))
            values = np.log10(frame[key]) if log else frame[key].astype(float)
            edges = np.linspace(values.min(), values.max(), HEATMAP_BINS + 1)
            mids = (edges[:-1] + edges[1:]) / 2
            mids = 10.0 ** mids if log else mids
            index = np.clip(np.searchsorted(edges, values, side="right") - 1, 0,
                            HEATMAP_BINS - 1)
            frame[key] = [float(f"{m:.3g}") for m in mids[index]]
    return heatmap_figure(frame, x=x, y=y, value=column,
                          title=f"{result.spec.name}: mean {column}")
