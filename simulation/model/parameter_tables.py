"""Parameter tables of the config, made from the schema (for docs/ODD.md).

Every parameter is declared once, in the config sections (with its unit,
default and source in its description). :func:`parameter_tables` lays them out
as Markdown tables, one per section, so the ODD description cannot drift from
the code: ``python -m simulation.model.parameter_tables docs/ODD.md`` rewrites
the block between the ``<!-- parameters -->`` markers, and a test fails when a
key has no row there.
"""

from __future__ import annotations

import sys
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from .config import Config, Event
from .networks import SOCIAL_KINDS
from .payouts import SCHEMES, Phase, Start

BEGIN, END = "<!-- parameters:begin -->", "<!-- parameters:end -->"


def _sections(model: type[BaseModel], prefix: str) -> Iterator[tuple[str, type[BaseModel]]]:
    """(dotted prefix, section) of ``model`` and every section below it, depth first."""
    yield prefix, model
    for name, field in model.config_keys().items():
        for inner, path in _inner(field.annotation, f"{prefix}{name}"):
            yield from _sections(inner, path + ".")


def _inner(annotation: Any, path: str) -> list[tuple[type[BaseModel], str]]:
    """The sections an annotation holds, with their dotted paths (lists as ``N``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in (Phase, Event) or annotation in SOCIAL_KINDS.values():
            return []  # laid out on their own, below
        return [(annotation, path)]
    origin = typing.get_origin(annotation)
    found: list[tuple[type[BaseModel], str]] = []
    for argument in typing.get_args(annotation):
        listed = origin is list
        found += _inner(argument, f"{path}.N" if listed else path)
    return found


def keys() -> list[str]:
    """Every config key as a dotted path (``N`` for a list index, ``<kind>`` for a union)."""
    return [key for _, rows in _tables() for key, *_ in rows]


def _tables() -> list[tuple[str, list[tuple[str, str, str, str]]]]:
    """(title, rows of (key, default, allowed, description)) for every section."""
    tables = []
    seen: set[type[BaseModel]] = set()
    for prefix, model in _sections(Config, ""):
        if model in seen:
            continue
        seen.add(model)
        tables.append((_title(prefix, model), _rows(model, prefix)))
    phase = "platforms.N.phases.N."
    tables.append((f"`{phase}*` ({Phase.__doc__.splitlines()[0]})", [
        row for row in _rows(Phase, phase) if not row[0].endswith(tuple(SCHEMES))]))
    tables.append((f"`{phase}start.*` ({Start.__doc__.splitlines()[0]})",
                   _rows(Start, phase + "start.")))
    for key, scheme in SCHEMES.items():
        tables.append((f"`{phase}{key}.*`: {scheme.__doc__.splitlines()[0]}",
                       _rows(scheme, f"{phase}{key}.")))
    for kind, section in SOCIAL_KINDS.items():
        tables.append((f"`network.social.*` when kind = \"{kind}\": "
                       f"{section.__doc__.splitlines()[0]}", _rows(section, "network.social.")))
    tables.append((f"`events.N.*` ({Event.__doc__.splitlines()[0]})", _rows(Event, "events.N.")))
    return tables


def _title(prefix: str, model: type[BaseModel]) -> str:
    summary = (model.__doc__ or model.__name__).strip().splitlines()[0]
    return f"`{prefix}*` ({summary})" if prefix else f"top level ({summary})"


def _allowed(field: Any) -> str:
    """The bounds a field declares, as ``0 ≤ x ≤ 10`` (its description or a bound says why)."""
    low = high = length = ""
    for rule in field.metadata:
        for attribute, sign in (("ge", "≤"), ("gt", "<"), ("le", "≤"), ("lt", "<")):
            bound = getattr(rule, attribute, None)
            if bound is None:
                continue
            text = f"{bound:,}" if isinstance(bound, int) else f"{bound:g}"
            if attribute in ("ge", "gt"):
                low = f"{text} {sign} "
            else:
                high = f" {sign} {text}"
        if getattr(rule, "max_length", None) is not None:
            length = f"at most {rule.max_length:,} long"
    return f"{low}x{high}" if low or high else length


def _rows(model: type[BaseModel], prefix: str) -> list[tuple[str, str, str, str]]:
    rows = []
    for name, field in model.config_keys().items():
        if _inner(field.annotation, "") or _is_section(field.annotation):
            continue  # a nested section: its own table
        default = field.default
        if default is PydanticUndefined:
            shown = "required" if field.default_factory is None else repr(field.default_factory())
        else:
            shown = "none" if default is None else repr(default)
        description = " ".join((field.description or "").split()).replace("|", "\\|")
        rows.append((f"{prefix}{name}", shown, _allowed(field), description))
    return rows


def _is_section(annotation: Any) -> bool:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return True
    return any(_is_section(a) for a in typing.get_args(annotation))


def parameter_tables() -> str:
    """Every parameter as Markdown tables: key, default, allowed, unit / meaning / source."""
    lines = []
    for title, rows in _tables():
        if not rows:
            continue
        lines += [f"#### {title}", "", "| key | default | allowed | unit, meaning, source |",
                  "|---|---|---|---|"]
        lines += [f"| `{key}` | {default} | {allowed} | {description} |"
                  for key, default, allowed, description in rows]
        lines.append("")
    lines += ["#### Bounds and their reasons", "", "| bound | value | why |", "|---|---|---|"]
    lines += [f"| `{name}` | {value} | {why} |" for name, value, why in bounds()]
    return "\n".join(lines).rstrip() + "\n"


def bounds() -> list[tuple[str, str, str]]:
    """(name, value, reason) of every named bound the sections use (``MAX_*`` constants)."""
    import ast

    from . import config, networks, sections

    found = []
    for module in (sections, config, networks):
        tree = ast.parse(Path(module.__file__).read_text())
        for node, after in zip(tree.body, tree.body[1:], strict=False):
            is_bound = (isinstance(node, ast.Assign) and len(node.targets) == 1
                        and isinstance(node.targets[0], ast.Name)
                        and node.targets[0].id.startswith("MAX_"))
            if is_bound and isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant):
                name = node.targets[0].id
                value = getattr(module, name)
                shown = f"{value:,}" if isinstance(value, int) else f"{value:g}"
                found.append((name, shown, " ".join(after.value.value.split())))
    return found


def rewrite(path: Path) -> None:
    """Replace the block between the markers in ``path`` with fresh tables."""
    text = path.read_text()
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    path.write_text(f"{head}{BEGIN}\n\n{parameter_tables()}\n{END}{tail}")


if __name__ == "__main__":
    rewrite(Path(sys.argv[1]))
