"""Read YAML keeping line numbers, so that schema errors can name file:line.

A file is read in two passes: its events first, to bound what aliases can expand to and how
deep it nests (PyYAML has no limit of its own: nine nested aliases of nine make a billion
nodes, and libyaml's composer overflows the C stack on deep nesting), then its node tree.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from harness.errors import PolyevalError

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Nodes that aliases may add to a document in all (each alias counts the nodes it stands for,
# expanded): shared settings reused a few times come to tens; a billion-laughs file to 10**9.
MAX_ALIAS_NODES = 100_000
# Collections nested in one another; task files and tables nest a handful deep.
MAX_DEPTH = 100


class _Open:
    """A collection whose events are being read: its anchor and its expanded node count."""

    __slots__ = ("anchor", "nodes")

    def __init__(self, anchor: str | None) -> None:
        self.anchor = anchor
        self.nodes = 1


def load_yaml(path: Path) -> tuple[Any, yaml.Node | None]:
    """The parsed document and its node tree (for line lookups)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolyevalError(f"cannot read: {exc.strerror}", where=str(path)) from None
    try:
        _check_expansion(text, path)
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise PolyevalError(f"invalid YAML: {problem}", where=where) from None
    return data, node


def line_of(node: yaml.Node | None, loc: Sequence[str | int]) -> int | None:
    """1-based line of the deepest key or item on the path `loc` that exists."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        found = _child(node, part)
        if found is None:
            break
        line, node = found
    return line


def _child(node: yaml.Node | None, part: str | int) -> tuple[int, yaml.Node] | None:
    """(line of the key or item, its value node)."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == part:
                return key.start_mark.line + 1, value
        return None
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        item: yaml.Node = node.value[part]
        return item.start_mark.line + 1, item
    return None


def _check_expansion(text: str, path: Path) -> None:
    """Refuse, before any node is built, a document whose aliases expand past
    MAX_ALIAS_NODES, that holds an alias inside the node it names, or that nests deeper than
    MAX_DEPTH. Syntax errors are left to the composer, which reports them."""
    check = _Expansion()
    for event in yaml.parse(text, Loader=_Loader):
        problem = check.feed(event)
        if problem is not None:
            line = event.start_mark.line + 1 if event.start_mark is not None else None
            where = f"{path}:{line}" if line is not None else str(path)
            raise PolyevalError(f"invalid YAML: {problem}", where=where)


class _Expansion:
    """The events of one document, counted: open collections, finished anchors, alias nodes."""

    def __init__(self) -> None:
        self.done: dict[str, int] = {}  # anchor -> expanded nodes of the finished node it names
        self.stack: list[_Open] = []
        self.added = 0  # nodes the aliases so far stand for

    def feed(self, event: yaml.Event) -> str | None:
        """The problem this event makes, if any."""
        if isinstance(event, yaml.CollectionStartEvent):
            if len(self.stack) >= MAX_DEPTH:
                return f"nested more than {MAX_DEPTH} levels deep"
            self.stack.append(_Open(event.anchor))
            return None
        size = 0
        if isinstance(event, yaml.CollectionEndEvent):
            closed = self.stack.pop()
            self._name(closed.anchor, closed.nodes)
            size = closed.nodes
        elif isinstance(event, yaml.ScalarEvent):
            self._name(event.anchor, 1)
            size = 1
        elif isinstance(event, yaml.AliasEvent):
            return self._alias(event.anchor or "")
        self._add(size)
        return None

    def _alias(self, anchor: str) -> str | None:
        if any(open_.anchor == anchor for open_ in self.stack):
            return f"alias *{anchor} stands for a node that holds it"
        size = self.done.get(anchor, 1)  # an undefined alias: the composer names it
        self.added += size
        if self.added > MAX_ALIAS_NODES:
            return f"aliases expand to more than {MAX_ALIAS_NODES:,} nodes (at *{anchor})"
        self._add(size)
        return None

    def _name(self, anchor: str | None, nodes: int) -> None:
        if anchor is not None:
            self.done[anchor] = nodes

    def _add(self, size: int) -> None:
        if self.stack:
            self.stack[-1].nodes += size
