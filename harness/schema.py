"""YAML files read into pydantic models: each schema problem becomes one line naming file:line.

`load_model(path, Model)` reads any YAML table the project keeps (task.yaml, suite.yaml, the
language-identification tables, user-task files) and validates it. A validation error is
reported as its most telling problem (an unknown key before the missing one it misspells, with
a did-you-mean drawn from the model's own fields), at the line of the key or item at fault, and
how many more problems there are. `Problem` is one pydantic error with its path in the document
(union tags dropped) and the schema around it, for callers that word messages their own way.
"""

from __future__ import annotations

import difflib
import re
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, RootModel, ValidationError
from pydantic.fields import FieldInfo

from harness.errors import PolyevalError
from harness.yamlfile import line_of, load_yaml

M = TypeVar("M", bound=BaseModel)
Loc = tuple[str | int, ...]
Where = Callable[[Loc], str]


@dataclass(frozen=True)
class Problem:
    """One validation error, with its path in the document and the schema it falls in."""

    kind: str  # pydantic's error type: extra_forbidden, missing, literal_error, ...
    msg: str
    loc: Loc  # keys and indexes in the document (union tags dropped)
    input: Any
    ctx: dict[str, Any] = field(default_factory=dict)
    parent: type[BaseModel] | None = None  # the model whose field, or unknown key, loc ends in
    field: FieldInfo | None = None  # the field loc ends in, where it is one

    @property
    def path(self) -> str:
        """The dotted path, like `variants.zero_shot.template`."""
        return ".".join(str(part) for part in self.loc) or "(top level)"

    @property
    def line_loc(self) -> Loc:
        """Where its line is: the item or key at fault inside `loc`, where pydantic names one."""
        if self.kind.startswith("union_tag") and "discriminator" in self.ctx:
            return (*self.loc, str(self.ctx["discriminator"]).strip("'"))
        inner = self.ctx.get("index", self.ctx.get("key"))
        return (*self.loc, inner) if isinstance(inner, str | int) else self.loc

    def known(self) -> list[str]:
        """The fields the model around an unknown key has."""
        return list(self.parent.model_fields) if self.parent is not None else []

    def allowed(self) -> list[str]:
        """The values a literal field allows, as pydantic lists them."""
        return re.findall(r"'([^']*)'", str(self.ctx.get("expected", "")))


def did_you_mean(value: str, known: Sequence[str]) -> str:
    """`; did you mean 'x'?` for the closest of `known`, or nothing."""
    close = difflib.get_close_matches(value, list(known), n=1)
    if not close:
        return ""
    return f"; did you mean '{close[0]}'?"


def describe_field(problem: Problem) -> str:
    """A problem named by its field path, the way task.yaml errors are worded."""
    if problem.kind == "extra_forbidden":
        hint = did_you_mean(str(problem.loc[-1]), problem.known())
        return f"unknown field '{problem.path}'{hint}"
    if problem.kind == "missing":
        return f"missing field '{problem.path}'"
    return f"field '{problem.path}': {problem.msg}"


def problems(exc: ValidationError, root: Any) -> list[Problem]:
    """Every error of `exc`, in pydantic's order."""
    found = []
    for error in exc.errors():
        raw = [part for part in error["loc"] if isinstance(part, str | int)]
        loc, parent, field_info = _walk(root, raw)
        found.append(
            Problem(
                kind=error["type"],
                msg=error["msg"],
                loc=loc,
                input=error.get("input"),
                ctx=dict(error.get("ctx") or {}),
                parent=parent,
                field=field_info,
            )
        )
    return found


def schema_error(
    exc: ValidationError,
    root: Any,
    where: Where,
    describe: Callable[[Problem], str] = describe_field,
) -> PolyevalError:
    """The most telling problem (an unknown key before the missing field it misspells) as one
    error at its place, and how many more there are."""
    found = sorted(problems(exc, root), key=lambda p: p.kind != "extra_forbidden")
    message = describe(found[0])
    if len(found) > 1:
        message += f" (and {len(found) - 1} more problem{'s' if len(found) > 2 else ''})"
    return PolyevalError(message, where=where(found[0].line_loc))


def at_line(shown: str, node: yaml.Node | None) -> Where:
    """Places in a YAML file: `file:line` of the deepest key on the path that exists."""

    def where(loc: Loc) -> str:
        line = line_of(node, list(loc))
        return f"{shown}:{line}" if line else shown

    return where


def validate(
    model: type[M],
    data: Any,
    where: Where,
    describe: Callable[[Problem], str] = describe_field,
) -> M:
    """`data` as `model`, or one PolyevalError naming the place of the first problem."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise schema_error(exc, model, where, describe) from None


def read_model(
    path: Path,
    model: type[M],
    *,
    shown: str | None = None,
    not_mapping: str | None = None,
    describe: Callable[[Problem], str] = describe_field,
) -> tuple[M, yaml.Node | None]:
    """The YAML file at `path` as `model`, and its node tree for further line lookups.
    `shown` names the file in messages; `not_mapping` is the message for a document that is
    not a mapping (checked first, where given)."""
    shown = shown or str(path)
    try:
        data, node = load_yaml(path)
    except PolyevalError as exc:  # name the file the way users know it
        where = exc.where.replace(str(path), shown, 1) if exc.where else shown
        raise PolyevalError(exc.message, where=where) from None
    if not_mapping is not None and not isinstance(data, dict):
        raise PolyevalError(not_mapping, where=shown)
    return validate(model, data, at_line(shown, node), describe), node


def load_model(
    path: Path,
    model: type[M],
    *,
    shown: str | None = None,
    not_mapping: str | None = None,
    describe: Callable[[Problem], str] = describe_field,
) -> M:
    """The YAML file at `path` as `model`; every problem one error naming file:line."""
    return read_model(path, model, shown=shown, not_mapping=not_mapping, describe=describe)[0]


# --- following a path through the schema -----------------------------------------------------


def _walk(
    root: Any, raw: Sequence[str | int]
) -> tuple[Loc, type[BaseModel] | None, FieldInfo | None]:
    """The document path of an error's `loc` (a union's tag or member name is no key of the
    document), the model that the last part is a field or unknown key of, and that field."""
    annotation: Any = root
    parent: type[BaseModel] | None = None
    field_info: FieldInfo | None = None
    loc: list[str | int] = []
    for part in raw:
        annotation = _unwrap(annotation)
        members = _members(annotation)
        if members:
            chosen = _member(members, part)
            if chosen is not None:
                annotation = chosen
                continue
            annotation = Any
        if part == "[key]":  # pydantic's marker for a mapping key that failed validation
            continue
        loc.append(part)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            parent = annotation
            field_info = annotation.model_fields.get(part) if isinstance(part, str) else None
            annotation = field_info.annotation if field_info is not None else Any
            continue
        parent, field_info = None, None
        args = get_args(annotation)
        annotation = args[-1] if get_origin(annotation) in (dict, list, tuple) and args else Any
    return tuple(loc), parent, field_info


def _unwrap(annotation: Any) -> Any:
    """Through Annotated, Optional and RootModel to the type that holds the next part."""
    while True:
        if get_origin(annotation) is Annotated:
            annotation = get_args(annotation)[0]
        elif isinstance(annotation, type) and issubclass(annotation, RootModel):
            annotation = annotation.model_fields["root"].annotation
        elif get_origin(annotation) in (Union, types.UnionType):
            members = [a for a in get_args(annotation) if a is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation


def _members(annotation: Any) -> list[Any]:
    if get_origin(annotation) in (Union, types.UnionType):
        return [_unwrap(a) for a in get_args(annotation) if a is not type(None)]
    return []


def _member(members: list[Any], part: str | int) -> Any:
    """The union member that `part` names: by its class name or by its tag (a literal field)."""
    for member in members:
        if not (isinstance(member, type) and issubclass(member, BaseModel)):
            continue
        if part == member.__name__:
            return member
        for info in member.model_fields.values():
            if get_origin(info.annotation) is Literal and part in get_args(info.annotation):
                return member
    return None
