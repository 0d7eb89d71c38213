"""The docs site builds offline with no warning, its examples run, and its references are whole.

- ``mkdocs build --strict`` (what ``make docs`` runs) succeeds with no WARNING
  line, and the built pages load nothing from another site;
- every runnable ```python block of README.md and docs/ runs. Convention: every
  ```python block is runnable unless the line before its fence is
  ``<!-- no-run -->``; a page's blocks run in order, as one script, in a fresh
  Python process whose working folder is a temporary copy of ``configs/`` and
  ``data/``;
- the generated reference lists every registry entry, every config key, every
  CLI subcommand and every public name, and a registry entry from a user's
  module shows up in it;
- README.md stays a front door: at most 200 lines, with ``make run`` and ``make test``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from html import unescape
from pathlib import Path

import pytest

import simulation
from simulation.cli import build_parser
from simulation.model.attribution import ATTRIBUTION_RULES
from simulation.model.metrics import METRICS
from simulation.model.modules import MODULES, import_built_in
from simulation.model.networks import SOCIAL_KINDS
from simulation.model.parameter_tables import keys
from simulation.model.payouts import SCHEMES
from simulation.runs.designs import DESIGNS
from tests.conftest import ROOT

DOCS = ROOT / "docs"
README = ROOT / "README.md"
NO_RUN = "<!-- no-run -->"
MAX_README_LINES = 200
MKDOCS = Path(sys.executable).with_name("mkdocs")
ENV = {**os.environ, "MPLBACKEND": "Agg",
       "DISABLE_MKDOCS_2_WARNING": "true", "NO_MKDOCS_2_WARNING": "1",  # plugins' banners
       "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}


def python_blocks(page: Path) -> list[str]:
    """The runnable ```python blocks of a Markdown page, in order."""
    lines = page.read_text().splitlines()
    blocks, inside, runnable, body = [], False, False, []
    for i, line in enumerate(lines):
        if not inside and line.strip() == "```python":
            inside, body = True, []
            runnable = i == 0 or lines[i - 1].strip() != NO_RUN
        elif inside and line.strip() == "```":
            inside = False
            if runnable:
                blocks.append("\n".join(body))
        elif inside:
            body.append(line)
    assert not inside, f"{page}: a ```python block is never closed"
    return blocks


def pages() -> list[Path]:
    return [README, *sorted(DOCS.rglob("*.md"))]


PAGES_WITH_CODE = [page for page in pages() if python_blocks(page)]


def test_the_block_reader_sees_the_convention(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("```python\nx = 1\n```\n\n<!-- no-run -->\n```python\nboom()\n```\n"
                    "```bash\nmake run\n```\n```python\ny = x + 1\n```\n")
    assert python_blocks(page) == ["x = 1", "y = x + 1"]
    assert len(PAGES_WITH_CODE) >= 10, [p.name for p in PAGES_WITH_CODE]


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES_WITH_CODE, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_examples_on_each_page_run(page, tmp_path):
    for folder in ("configs", "data"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    script = tmp_path / "example.py"
    script.write_text("\n\n".join(python_blocks(page)) + "\n")
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=ENV,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{page.relative_to(ROOT)}:\n{done.stderr[-3000:]}"


def test_the_readme_is_a_front_door():
    text = README.read_text()
    assert len(text.splitlines()) <= MAX_README_LINES, len(text.splitlines())
    for command in ("make run", "make test", "make app", "make docs", "requirements.lock",
                    "make lock", "make test-latest"):
        assert command in text, command
    for image in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text):
        assert (ROOT / image).is_file() and (ROOT / image).stat().st_size < 200_000, image


# --- the built site ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The site built as `make docs` builds it, into a temporary folder."""
    out = tmp_path_factory.mktemp("site")
    done = subprocess.run([str(MKDOCS), "build", "--strict", "--site-dir", str(out)],
                          cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=600)
    log = re.sub(r"\x1b\[[0-9;]*m", "", done.stdout + done.stderr)
    warnings = [line for line in log.splitlines() if re.match(r"\s*WARNING\b", line)]
    assert done.returncode == 0 and not warnings, "\n".join(warnings) or log[-3000:]
    return out


def text_of(site: Path, page: str) -> str:
    """A built page's text, tags removed."""
    return unescape(re.sub(r"<[^>]+>", "", (site / page).read_text()))


@pytest.mark.slow
def test_the_site_builds_with_no_warning_and_fetches_nothing(site):
    assert (site / "index.html").is_file() and (site / "ODD.html").is_file()
    assert (site / "tutorials" / "01_quickstart.html").is_file()
    remote = re.compile(r"""<(?:script|img|iframe)[^>]*\ssrc=["']?(?:https?:)?//"""
                        r"""|<link[^>]*\shref=["']?(?:https?:)?//|fonts\.googleapis""")
    fetching = [str(p.relative_to(site)) for p in site.rglob("*.html")
                if remote.search(p.read_text())]
    assert not fetching, fetching


@pytest.mark.slow
def test_the_reference_lists_every_registry_entry_config_key_and_command(site):
    registries = (site / "reference" / "registries.html").read_text()
    import_built_in()
    for registry in (SCHEMES, METRICS, SOCIAL_KINDS, DESIGNS, ATTRIBUTION_RULES, MODULES):
        missing = [key for key in registry if f"<td><code>{key}</code></td>" not in registries]
        assert not missing, missing
    config = (site / "reference" / "config.html").read_text()
    assert not [key for key in keys() if f"<td><code>{key}</code></td>" not in config]
    cli = text_of(site, "reference/cli.html")
    commands = next(a for a in build_parser()._actions if a.dest == "command").choices
    assert all(f"sparksim {name}" in cli for name in commands)
    api = text_of(site, "reference/api.html")
    assert all(name in api for name in simulation._PUBLIC)
    assert "Fit config parameters (and the scale) to an observed series" in api  # a docstring


def test_a_users_registry_entries_show_in_the_generated_reference(tmp_path):
    (tmp_path / "my_entries.py").write_text(textwrap.dedent('''
        from typing import ClassVar, Literal

        import numpy as np
        from pydantic import Field

        from simulation.model.metrics import metric
        from simulation.model.networks import Generated
        from simulation.model.payouts import Scheme


        class PerActiveFollower(Scheme):
            """Cents per active follower of a posting influencer."""

            key: ClassVar[str] = "per_active_follower"
            label: ClassVar[str] = "per active follower"
            color: ClassVar[str] = "#937860"
            rate: float = Field(0.01, ge=0, description="$ per active follower per day")

            def owed(self, activity):
                return 0.0 * activity.posts

            def expected(self, n_posts, outlook):
                return 0.0 * n_posts


        class Star(Generated):
            """Everyone is a friend of person 0."""

            kind: Literal["star"] = Field("star", description="which graph")

            def edges(self, n, rng):
                return np.zeros(n - 1, dtype=np.int32), np.arange(1, n, dtype=np.int32)


        @metric("always_one", "one, always", "count")
        def always_one(run):
            return 1
    '''))
    generator = str(DOCS / "gen_reference.py")
    script = ("import importlib.util, sys\n"
              f"spec = importlib.util.spec_from_file_location('g', {generator!r})\n"
              "g = importlib.util.module_from_spec(spec); spec.loader.exec_module(g)\n"
              "p = g.pages(); sys.stdout.write(p['reference/registries.md'] + "
              "p['reference/config.md'])\n")
    env = {**ENV, "SPARKSIM_DOCS_IMPORT": "my_entries",
           "PYTHONPATH": os.pathsep.join([str(tmp_path), ENV["PYTHONPATH"]])}
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    for entry in ("`per_active_follower`", "`spend_per_active_follower`", "`star`",
                  "`always_one`", "`platforms.N.phases.N.per_active_follower.rate`"):
        assert entry in done.stdout, entry
