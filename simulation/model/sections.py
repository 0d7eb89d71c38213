"""The base of every config section, and one message per validation problem.

Every config section (the run config, payout schemes, network kinds, sweep
files) is a :class:`Section`: a pydantic model in which unknown keys, NaN and
infinity are errors, and no value is misread: ``true`` is not the number 1,
the text ``"3"`` is not the number 3, and 1 is not ``true`` (a whole-number
float such as ``1e5`` is read as the integer it is, since TOML has no integer
exponents; ``1.5`` is refused where an integer is expected). Where a number may
be none (``rejoin_posts``), the text ``"none"`` is None, since TOML has no
null. A value assigned to a section's field is checked as it is set; a
refusal is a :class:`~simulation.errors.ConfigError`, like every other.
:func:`describe_error` turns a pydantic ``ValidationError`` into the one line
a user reads: the dotted key, the value given and what is allowed
(scikit-learn's rule: say what was expected and what arrived).

The registries (payout schemes, social-graph kinds, designs, attribution
rules) are read when a section is validated, never built into it: a field
marked :class:`OneKind` picks the registered kind its ``kind`` key names, a
phase checks its scheme keys against the schemes registered then, so
registering an entry changes no section class (a :class:`RegistryKeys`
section, such as a phase, takes a key per entry). :meth:`Section.config_keys`
gives every key of a section as a config sees it now, registries included.
"""

from __future__ import annotations

import copy
import keyword
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Union

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_core import InitErrorDetails, PydanticCustomError, PydanticKnownError, core_schema

from ..errors import ConfigError

# --- bounds shared by several sections -------------------------------------------
# Every size and value has an upper bound, stated with its reason where it is
# used (the Field's description or one of these). Together they keep every
# quantity of a run finite: float32 hazards, float64 money and counts, int32 days.

MAX_HORIZON_DAYS = 36_500
"""The longest run, and so every day-valued key: 100 years, longer than any platform has
existed. A simulated day of the baseline (10^5 people, 10^3 influencers) takes about 2 ms,
so the longest baseline run takes about a minute and a half; days are int32 in the model."""
MAX_INFLUENCERS = 1_000_000
"""Most influencers (mesa agents), and so every influencer count (k invited, slots): at
10^6 agents a year's run takes minutes (creating the agents alone takes 5 s) and their
decision table about 1.2 GB; more real creators than a launch could ever recruit."""
MAX_RATE_PER_DAY = 10.0
"""The largest hazard per day (adoption, imitation, influence, churn): a hazard of 10 moves
all but e^-10 (0.005%) of the people it applies to in one day, so larger values change
nothing but could overflow the model's float32 hazards."""
MAX_PRICE = 1e7
"""$ per post, order, day's fee or adopter: ten million dollars, above the dearest sponsored
post ever sold (about $3 million, Hopper HQ 2023)."""
MAX_DOLLARS = 1e12
"""$ of a whole budget or spend: a trillion dollars, more than any company's yearly revenue
(Walmart's, the largest, was $0.65 trillion in 2024)."""
MAX_POSTS = 1_000.0
"""Posts' worth (of a creator's own cost per post) of a one-off cost or a day's option:
a thousand posts is years of a creator's output."""


class Section(BaseModel):
    """Base of every config section: unknown keys are errors, and values are never misread."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _not_misread(cls, value: Any, info: ValidationInfo) -> Any:
        """Refuse true/false where a number is expected, text for a number, a number for a flag."""
        field = cls.model_fields.get(info.field_name or "")
        if (isinstance(value, str) and value == "none" and field is not None
                and optional_number(field.annotation)):
            return None  # TOML has no null: the text "none" stands for it
        problem = misread(field.annotation, value) if field is not None else None
        if problem:
            raise ValueError(problem)
        return value

    @classmethod
    def config_keys(cls) -> dict[str, FieldInfo]:
        """Every key a config may give in this section, read from the registries now.

        Its own fields (``model_fields``, fixed when the class is defined), with a
        field that holds one kind of a registry (:class:`OneKind`) typed as the union
        of the kinds registered now; a section whose keys come from a registry adds
        them (a phase's schemes). Nothing is rebuilt: these are fresh field infos.
        """
        keys = {}
        for name, field in cls.model_fields.items():
            kinds = next((m for m in field.metadata if isinstance(m, OneKind)), None)
            if kinds is not None:
                field = copy.copy(field)
                field.annotation = kinds.union()
            keys[name] = field
        return keys

    def __setattr__(self, name: str, value: Any) -> None:
        """Set a field, checked as in a config file; a refusal is one-line ConfigError."""
        keys = type(self).config_keys()
        if not name.startswith("_") and name not in keys:
            raise ConfigError(f"unknown key {name!r} (given: {value!r}); allowed here: "
                              f"{', '.join(keys)}")
        try:
            super().__setattr__(name, value)
        except ValidationError as err:
            raise ConfigError(describe_error(
                err, type(self), f"value set on a {type(self).__name__} section")) from None


def optional_number(annotation: Any) -> bool:
    """Whether ``annotation`` is a number or None (``float | None``), where "none" means None."""
    members = typing.get_args(annotation)
    return (typing.get_origin(annotation) in (typing.Union, types.UnionType)
            and type(None) in members and any(m in (int, float) for m in members)
            and str not in members)


def misread(annotation: Any, value: Any) -> str | None:
    """Why ``value`` would be misread as ``annotation`` (None if it would not).

    Pydantic's lax mode reads ``true`` as 1, ``"3"`` as 3 and 1 as ``true``:
    here each is an error. Lists and mappings are checked item by item.
    """
    if typing.get_origin(annotation) is Annotated:
        annotation = typing.get_args(annotation)[0]
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        if value is None or str in members:
            return None
        scalars = [a for a in members if a in (int, float, bool)]
        return misread(scalars[0], value) if len(scalars) == 1 else None
    if origin is list and isinstance(value, list) and typing.get_args(annotation):
        item = typing.get_args(annotation)[0]
        return next((p for v in value if (p := misread(item, v))), None)
    if origin is dict and isinstance(value, dict) and len(typing.get_args(annotation)) == 2:
        item = typing.get_args(annotation)[1]
        return next((p for v in value.values() if (p := misread(item, v))), None)
    if annotation is bool and not isinstance(value, bool):
        return "expected true or false"
    if annotation in (int, float):
        number = "an integer (a whole number)" if annotation is int else "a number"
        if isinstance(value, bool):
            return f"expected {number}, not true/false"
        if isinstance(value, str):
            return f"expected {number}, not text (write it without quotes)"
    return None


class RegistryError(TypeError):
    """A registry entry refused where it is defined: a programming error, not a config one.

    A TypeError (as Python raises for a bad class definition), so it is not mistaken
    for a user's bad config (:class:`~simulation.errors.ConfigError`). The message
    names the entry, the rule it breaks and how to fix it; a refused entry leaves
    every registry and every config section as it was.
    """


def check_key(key: Any, what: str) -> None:
    """A RegistryError unless ``key`` can be a config key: a Python identifier, not private."""
    if (not isinstance(key, str) or not key.isidentifier() or key.startswith("_")
            or keyword.iskeyword(key)):
        raise RegistryError(f"{what}: key {key!r} must be a Python identifier not starting "
                            "with '_' (it is a config key), e.g. 'tip_jar'")


def register_class(registry: dict[str, Any], cls: type, kind: str,
                   problem: Callable[[Any], str | None], *, replace: bool = False) -> None:
    """Register ``cls`` under its ``key``: the key checked, then ``problem(cls)`` (None: fine)."""
    what = f"{kind} {cls.__name__}"
    check_key(cls.__dict__.get("key"), what)
    found = problem(cls)
    if found:
        raise RegistryError(f"{what}: {found}")
    register(registry, cls.key, cls, what, replace=replace)


def register(registry: dict[str, Any], key: str, entry: Any, what: str, *,
             replace: bool = False) -> None:
    """Add ``entry`` to ``registry`` under ``key``, all or nothing.

    A key already taken is refused unless ``replace`` (then the entry keeps its
    place), and so is a section whose field types are not all defined (it could
    not validate). Nothing else changes: the sections read the registries when
    they validate (:class:`OneKind`, a phase's scheme keys).
    """
    missing = object()
    previous = registry.get(key, missing)
    if previous is not missing and not replace:
        owner = getattr(previous, "__qualname__", None) or type(previous).__name__
        module = getattr(previous, "__module__", "")
        raise RegistryError(
            f"{what}: key {key!r} is already registered (by {module}.{owner}); choose "
            "another key, or pass replace=True to replace it on purpose")
    if getattr(entry, "__pydantic_complete__", True) is False:
        raise RegistryError(f"{what}: key {key!r} could not be added, nothing changed: "
                            f"{_undefined(entry)}")
    registry[key] = entry


def _undefined(section: type) -> str:
    """Why a section's field types are not all defined (a name defined nowhere)."""
    try:
        typing.get_type_hints(section)
    except Exception as err:  # a NameError names it; anything else says what it is
        reason = (str(err).strip().splitlines() or [type(err).__name__])[0]
        return f"its field types are not all defined ({reason})"
    return "its field types are not all defined"


class Kind(Section):
    """A section that is one kind of several (a registry entry).

    Defining a subclass that declares its own ``kind`` literal adds it to the
    base's ``registry``, and so to the kinds a config may choose; a kind already
    taken is an error unless the class is defined with ``replace=True``
    (``class MyGraph(SocialKind, replace=True)``). :meth:`entry_problem` says
    what a registry's entries must have.
    """

    kind: str
    registry: ClassVar[dict[str, type[Kind]]]

    def __init_subclass__(cls, replace: bool = False, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)

    @classmethod
    def __pydantic_init_subclass__(cls, replace: bool = False, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        kind = _tag(cls)
        if not isinstance(kind, str):
            return  # a base of several kinds (Generated, Sampled): not an entry itself
        if "kind" not in cls.__dict__.get("__annotations__", {}):
            return  # inherits its parent's kind: a variant, not a new entry
        what = f"{cls.__name__} (kind = {kind!r})"
        check_key(kind, what)
        problem = cls.entry_problem()
        if problem:
            raise RegistryError(f"{what}: {problem}")
        register(cls.registry, kind, cls, what, replace=replace)

    @classmethod
    def entry_problem(cls) -> str | None:
        """What this entry lacks to be registered (None if nothing): each registry's rule."""
        return None


@dataclass(frozen=True)
class OneKind:
    """A field that holds one kind of ``base``'s registry, picked when it is validated.

    Annotate the field ``Annotated[SerializeAsAny[Base], OneKind(Base, "default")]``.
    A mapping is validated by the kind registered now under its ``kind`` key
    (``default`` when it names none), so a kind defined later is a value at once
    and no section is rebuilt; an instance of ``base`` is kept as it is. A kind not
    registered, or a value that is not a section, is the error a tagged union gives,
    and a kind's own errors are located under its tag (``social.watts_strogatz.x``),
    as in a tagged union. ``SerializeAsAny`` dumps the kind's own keys.
    """

    base: type[Kind]
    default: str

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        return core_schema.no_info_before_validator_function(self.pick, handler(source))

    def kinds(self) -> dict[str, type[Kind]]:
        """The kinds registered now under ``base``, by their ``kind`` value."""
        return {kind: cls for kind, cls in self.base.registry.items()
                if issubclass(cls, self.base)}

    def union(self) -> Any:
        """The kinds registered now, as a union type (the field as a config sees it)."""
        return Union[tuple(self.kinds().values())]  # noqa: UP007 - built from a tuple

    def pick(self, value: Any) -> Any:
        """``value`` validated by the kind its ``kind`` key names."""
        if isinstance(value, self.base):
            return value
        if not isinstance(value, dict):
            raise PydanticKnownError("union_tag_not_found", {"discriminator": "'kind'"})
        kind, kinds = value.get("kind", self.default), self.kinds()
        if not isinstance(kind, str) or kind not in kinds:
            raise PydanticKnownError("union_tag_invalid", {
                "discriminator": "'kind'", "tag": str(kind),
                "expected_tags": ", ".join(repr(k) for k in kinds)})
        try:
            return kinds[kind].model_validate(value)
        except ValidationError as err:
            raise ValidationError.from_exception_data(
                err.title, relocated(err, kind)) from None


class RegistryKeys(Section, extra="allow"):
    """A section that takes, besides its fields, one optional key per entry of a registry.

    ``key_registry`` maps each such key to the section that validates it (a phase:
    ``SCHEMES``). It is read when the section is validated, so an entry registered
    later is a key at once and the class never changes. The entries given are kept
    as pydantic's extra values (so they dump, copy and compare with the section); an
    entry not given reads None; any other key is refused, as in every section, and
    every problem is reported at once under its full key (``commission.rate``).
    """

    key_registry: ClassVar[dict[str, type[BaseModel]]] = {}

    @classmethod
    def config_keys(cls) -> dict[str, FieldInfo]:
        """The fields, then one optional key per registered entry, in registry order."""
        return {**super().config_keys(), **{
            key: FieldInfo.from_annotated_attribute(entry | None, Field(None, description=(
                entry.__doc__ or key).strip().splitlines()[0]))
            for key, entry in cls.key_registry.items()}}

    @model_validator(mode="wrap")
    @classmethod
    def _registered_keys(cls, data: Any, handler: ModelWrapValidatorHandler[Any]) -> Any:
        """Each registry key validated by the entry registered now; an unknown key refused."""
        if not isinstance(data, dict):  # an instance already (or not a section: pydantic says)
            return handler(data)
        own = {key: value for key, value in data.items() if key in cls.model_fields}
        entries: dict[str, BaseModel] = {}
        problems: list[InitErrorDetails] = []
        for key, entry in cls.key_registry.items():
            if data.get(key) is not None:
                try:
                    entries[key] = entry.model_validate(data[key])
                except ValidationError as err:
                    problems += relocated(err, key)
        problems += [InitErrorDetails(type="extra_forbidden", loc=(key,), input=value)
                     for key, value in data.items()
                     if key not in cls.model_fields and key not in cls.key_registry]
        try:
            section = handler({**own, **entries})
        except ValidationError as err:
            problems = relocated(err) + problems
        if problems:
            raise ValidationError.from_exception_data(cls.__name__, problems)
        return section

    def __getattr__(self, name: str) -> Any:
        """A registry key: the entry given, or None when this section has none."""
        if name in type(self).key_registry:
            return (self.__pydantic_extra__ or {}).get(name)
        return super().__getattr__(name)

    def __setattr__(self, name: str, value: Any) -> None:
        """Set a registry key (None: none), checked as in a config file, or another key."""
        entry = type(self).key_registry.get(name)
        if entry is None:
            super().__setattr__(name, value)
            return
        extra = self.__pydantic_extra__
        if value is None:
            extra.pop(name, None)
            return
        try:
            extra[name] = entry.model_validate(value)
        except ValidationError as err:
            problems = ValidationError.from_exception_data(type(self).__name__,
                                                           relocated(err, name))
            raise ConfigError(describe_error(
                problems, type(self), f"value set on a {type(self).__name__} section")) from None
        self.__pydantic_fields_set__.add(name)


_KNOWN_ERRORS = frozenset(typing.get_args(core_schema.ErrorType))


def relocated(err: ValidationError, *prefix: str | int) -> list[InitErrorDetails]:
    """The problems of ``err`` with ``prefix`` before each location, to raise again as one.

    For a section that validates a part itself (a kind, a phase's scheme), so its
    problems name the full key: ``ValidationError.from_exception_data(title, details)``.
    """
    details: list[InitErrorDetails] = []
    for problem in err.errors():
        known = problem["type"] in _KNOWN_ERRORS
        detail = InitErrorDetails(
            type=problem["type"] if known else PydanticCustomError(problem["type"],
                                                                   problem["msg"]),
            loc=(*prefix, *problem["loc"]), input=problem["input"])
        if known and "ctx" in problem:
            detail["ctx"] = problem["ctx"]
        details.append(detail)
    return details


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
        elif problem["type"] == "union_tag_not_found":  # not a section at all
            lines.append(f"{key} = {given!r}: expected a section with a `kind` key")
        elif problem["type"] == "missing":  # the input shown would be the section around it
            lines.append(f"{key}: missing; it has no default, so it must be given")
        elif problem["type"] == "extra_forbidden":
            model = _walk(problem["loc"][:-1], root)[1]
            allowed = ", ".join(_keys(model)) if model is not None else "?"
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
        field = _keys(model).get(str(part)) if model is not None else None
        model, members = None, []
        if field is not None:
            sections = _sections_in(field.annotation)
            if len(sections) == 1:
                model = sections[0]
            elif sections:
                members = sections
    return ".".join(parts), model


def _keys(model: type[BaseModel]) -> dict[str, FieldInfo]:
    """A section's keys as a config sees them now (a model's fields, for other models)."""
    return model.config_keys() if issubclass(model, Section) else dict(model.model_fields)


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
