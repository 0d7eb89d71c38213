"""Network Bass diffusion written the way Mesa's own examples write it: one agent per person.

This is the "idiomatic Mesa" reference point of the benchmark. Each person is a
``mesa.discrete_space.FixedAgent`` sitting on a cell of a ``mesa.discrete_space.Network``
built over a networkx Barabási–Albert graph (as in Mesa's ``virus_on_network`` example).
Every day each agent that has not adopted looks at its neighbours' states and adopts with
probability ``1 - exp(-(p + q * s))``, ``s`` being the share of its neighbours that had adopted
at the start of the day (degree-0 people have ``s = 0``). The update is synchronous, like Mesa's
Game of Life example: all agents ``decide`` first, then all ``advance``.

What is timed (by ``benchmarks/bench.py``) is the whole call: graph building, space and agent
creation, and the 365 daily steps. ``timings`` (optional) receives the split.

Runs on Mesa 3.3 and 3.5. The only difference handled here: from Mesa 3.5 ``Network`` takes a
``layout`` argument defaulting to ``nx.spring_layout`` (which would dominate the run time on
10 000 nodes); we pass ``layout=None`` when the argument exists, for a purely topological network.
"""

from __future__ import annotations

import inspect
import math
import time

import mesa
import numpy as np
from mesa.discrete_space import FixedAgent, Network
from network_bass_case import BENCHMARK, NetworkBass

_NETWORK_HAS_LAYOUT = "layout" in inspect.signature(Network.__init__).parameters


class Person(FixedAgent):
    """A person who may adopt the new platform, fixed to one node of the social graph."""

    def __init__(self, model: NetworkBassModel, cell) -> None:
        super().__init__(model)
        self.cell = cell
        self.adopted = False
        self._next_adopted = False

    def decide(self) -> None:
        """Look at the neighbours' current states and decide tomorrow's state."""
        if self.adopted:
            self._next_adopted = True
            return
        neighbours = list(self.cell.neighborhood.agents)
        if neighbours:
            s = sum(1 for other in neighbours if other.adopted) / len(neighbours)
        else:
            s = 0.0
        model = self.model
        hazard = 1.0 - math.exp(-(model.p + model.q * s))
        self._next_adopted = self.random.random() < hazard

    def advance(self) -> None:
        """Apply the decision taken in :meth:`decide`."""
        self.adopted = self._next_adopted


class NetworkBassModel(mesa.Model):
    """Bass diffusion on a Barabási–Albert social graph, one Mesa agent per person."""

    def __init__(self, case: NetworkBass, timings: dict | None = None) -> None:
        super().__init__(rng=case.seed)
        self.p, self.q, self.n = case.p, case.q, case.n

        t0 = time.perf_counter()
        graph = case.graph()
        t1 = time.perf_counter()
        kwargs = {"layout": None} if _NETWORK_HAS_LAYOUT else {}
        self.grid = Network(graph, capacity=1, random=self.random, **kwargs)
        Person.create_agents(self, case.n, list(self.grid.all_cells))
        t2 = time.perf_counter()
        if timings is not None:
            timings["graph_s"] = t1 - t0
            timings["setup_s"] = t2 - t1

    def step(self) -> None:
        """One day: everybody decides on yesterday's states, then everybody applies."""
        self.agents.do("decide")
        self.agents.do("advance")

    def adopted_share(self) -> float:
        """Share of people who have adopted."""
        return sum(1 for a in self.agents if a.adopted) / self.n


def run_mesa_network_bass(case: NetworkBass = BENCHMARK, timings: dict | None = None
                          ) -> np.ndarray:
    """Run the per-agent Mesa model; return the adopted share at the end of each day.

    ``timings``, if given, is filled with ``graph_s``, ``setup_s`` and ``steps_s`` (seconds).
    """
    model = NetworkBassModel(case, timings)
    t0 = time.perf_counter()
    shares = np.empty(case.days)
    for day in range(case.days):
        model.step()
        shares[day] = model.adopted_share()
    if timings is not None:
        timings["steps_s"] = time.perf_counter() - t0
    return shares


if __name__ == "__main__":
    t = {}
    start = time.perf_counter()
    out = run_mesa_network_bass(timings=t)
    print(f"mesa {mesa.__version__}: final adopted share {out[-1]:.4f} "
          f"in {time.perf_counter() - start:.2f} s {t}")
