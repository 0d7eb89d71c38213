"""The base of every config section, and one message per validation problem.

Every config section (the run config, payout schemes, network kinds, sweep
files) is a :class:`Section`: a pydantic model in which unknown keys, NaN and
infinity are errors. :func:`describe_error` turns a pydantic ``ValidationError``
into the one line a user reads: the dotted key, the value given and what is
allowed (scikit-learn's rule: say what was expected and what arrived).
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError


class Section(BaseModel):
    """Base of every config section: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)


_REGISTRY_HOOKS: list[Callable[[], None]] = []


def on_registry_change(hook: Callable[[], None]) -> Callable[[], None]:
    """Run ``hook`` whenever a registry (schemes, network kinds) gains an entry.

    The sections that embed registry-built sections use it to rebuild their
    validators, so a scheme defined in a user's module is a config key at once.
    """
    _REGISTRY_HOOKS.append(hook)
    return hook


def registry_changed() -> None:
    """Tell the sections that embed registry-built sections to rebuild."""
    for hook in _REGISTRY_HOOKS:
        hook()


class Kind(Section):
    """A section that is one kind of several (a registry entry).

    Defining a subclass with a ``kind`` literal adds it to the base's ``registry``,
    and so to the kinds a config may choose.
    """

    kind: str
    registry: ClassVar[dict[str, type[Kind]]]

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        values = typing.get_args(cls.model_fields["kind"].annotation)
        if len(values) == 1 and isinstance(values[0], str):
            cls.registry[values[0]] = cls
            registry_changed()


def describe_error(err: ValidationError, root: type[BaseModel], what: str = "config") -> str:
    """One message for all problems: each names its key, the value given and what is allowed."""
    problems = err.errors()
    # a value that fits no member of a union (a list, or a range) gets one error per
    # member; the member's own rule (a value error) says more than "should be a list"
    keys = {id(p): _walk(p["loc"], root)[0] for p in problems}
    ruled = {keys[id(p)] for p in problems if p["type"] == "value_error"}
    lines = []
    for problem in problems:
        key = keys[id(problem)]
        if problem["type"] != "value_error" and key in ruled:
            continue
        given = problem.get("input")
        message = problem["msg"].removeprefix("Value error, ")
        if problem["type"] == "union_tag_invalid":  # a kind no registry entry has
            expected = problem.get("ctx", {}).get("expected_tags", "")
            lines.append(f"{key}.kind = {problem['ctx']['tag']!r}: unknown kind; allowed: "
                         f"{expected}")
        elif problem["type"] == "extra_forbidden":
            model = _walk(problem["loc"][:-1], root)[1]
            allowed = ", ".join(model.model_fields) if model is not None else "?"
            lines.append(f"unknown key {key!r} (given: {given!r}); allowed here: {allowed}")
        elif not problem["loc"]:  # a cross-field rule: its message names the keys
            lines.append(message)
        else:
            lines.append(f"{key or '(top level)'} = {given!r}: {message}")
    return f"invalid {what}: " + "; ".join(dict.fromkeys(lines))


def _walk(loc: tuple[Any, ...], root: type[BaseModel]) -> tuple[str, type[BaseModel] | None]:
    """The dotted key of an error location and the section it ends in.

    Pydantic's own location parts that are not keys are dropped: union tags
    (``list[any]``, ``function-after[...]``) and the tag of a discriminated union
    (``network.social.watts_strogatz.rewire_prob`` is ``network.social.rewire_prob``).
    """
    parts: list[str] = []
    model: type[BaseModel] | None = root
    members: list[type[BaseModel]] = []
    for part in loc:
        if isinstance(part, int) or model is None and not members:
            parts.append(str(part))
            continue
        if isinstance(part, str) and "[" in part:
            continue
        if members:  # the previous part was a union of sections: this part may be its tag
            tagged = [m for m in members if part == _tag(m)]
            members = []
            if tagged:
                model = tagged[0]
                continue
        parts.append(str(part))
        field = model.model_fields.get(str(part)) if model is not None else None
        model, members = None, []
        if field is not None:
            sections = _sections_in(field.annotation)
            if len(sections) == 1:
                model = sections[0]
            elif sections:
                members = sections
    return ".".join(parts), model


def _sections_in(annotation: Any) -> list[type[BaseModel]]:
    """The sections an annotation can hold (``Phase``, ``list[Phase]``, a union of kinds)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for argument in typing.get_args(annotation):
        found += [s for s in _sections_in(argument) if s not in found]
    return found


def _tag(section: type[BaseModel]) -> str | None:
    """The discriminator value of a section in a tagged union (its ``kind`` literal)."""
    field = section.model_fields.get("kind")
    values = typing.get_args(field.annotation) if field is not None else ()
    return values[0] if len(values) == 1 else None
