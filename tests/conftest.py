"""Shared test helpers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

import simulation

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"
SHIPPED = sorted([CONFIGS / "baseline.toml", CONFIGS / "bass.toml",
                  *(CONFIGS / "schemes").glob("*.toml")])
BIN = Path(sys.executable).parent
SMALL = {"population.followers": 20_000, "horizon_days": 200}


def small(path, **overrides):
    """A shipped config at test size (overrides use dotted keys with '__' for '.')."""
    extra = {key.replace("__", "."): value for key, value in overrides.items()}
    return simulation.load_config(path, {**SMALL, **extra})


@pytest.fixture(scope="session")
def root() -> Path:
    """The repository root."""
    return ROOT


@dataclass
class Cluster:
    """A Dask cluster of processes: the scheduler's address and the worker processes."""

    address: str
    workers: list[subprocess.Popen]


@pytest.fixture
def dask_cluster():
    """A scheduler and two workers, as separate processes on 127.0.0.1 (a :class:`Cluster`)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    dask = str(BIN / "dask")
    processes = [subprocess.Popen(
        [dask, "scheduler", "--host", "127.0.0.1", "--port", str(port),
         "--dashboard-address", ":0", "--no-show"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)]
    try:
        time.sleep(1.0)
        processes += [subprocess.Popen(
            [dask, "worker", address, "--host", "127.0.0.1", "--nthreads", "1",
             "--dashboard-address", ":0", "--no-nanny", "--name", f"w{i}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env) for i in range(2)]
        from distributed import Client

        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)
        yield Cluster(address, processes[1:])
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
