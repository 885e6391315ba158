"""Tables that fit the terminal: what a table shows (a `Grid` or a `Listing`) laid out as rich
tables no wider than the console, never with a cell cut to `…`.

A grid (rows by columns, each column a task's variant) is printed whole where it fits; else one
table per task (the columns named by their variant alone, the rows the task has); and a task
whose table is still too wide is printed in long format: one row per language and variant. A
listing (one row per task/variant/...: `evaluate compare`) is printed whole where it fits, else
one table per task. Text that is still wider than its column (a long language name at 40
columns) wraps, and a word longer than its column folds onto the next line: never an ellipsis,
so that two names with the same prefix stay told apart.

The decision is made here alone: the report modules say what to show, this one how.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field, replace

from rich.console import Console
from rich.measure import Measurement
from rich.table import Table

EMPTY = "-"  # a cell without a value
LABEL_WIDTH = 32  # a row label (a language pair's names) wraps past this many characters
_MEASURE_WIDTH = 100_000
Row = tuple[str, list[str]]  # a label and its cells


@dataclass(frozen=True)
class Grid:
    """Rows (languages, breakdown values) by columns, each column (group, name): a task and
    its variant (or variant/language). `footer` rows (macro averages) follow a line."""

    title: str
    row_header: str
    columns: list[tuple[str, str]]
    rows: list[Row]
    footer: list[Row] = field(default_factory=list)
    caption: str | None = None
    column_header: str = "variant"  # what a column's name is, in long format
    value_header: str = "value"  # what a cell is, in long format

    def groups(self) -> list[str]:
        return list(dict.fromkeys(group for group, _ in self.columns))

    def only(self, group: str) -> Grid:
        """The grid cut to one group's columns and the rows with a value there."""
        keep = [i for i, (g, _) in enumerate(self.columns) if g == group]

        def cut(rows: list[Row]) -> list[Row]:
            picked = [(label, [cells[i] for i in keep]) for label, cells in rows]
            return [(label, cells) for label, cells in picked if any(c != EMPTY for c in cells)]

        columns = [self.columns[i] for i in keep]
        return replace(self, columns=columns, rows=cut(self.rows), footer=cut(self.footer))

    def transposed(self) -> Grid | None:
        """One group's grid with its rows and columns swapped (a breakdown's few values as
        columns, its many variant/languages as rows); None where it has a footer."""
        if self.footer or not self.columns:
            return None
        group = self.columns[0][0]
        rows = [
            (name, [cells[index] for _, cells in self.rows])
            for index, (_, name) in enumerate(self.columns)
        ]
        return replace(
            self,
            row_header=self.column_header,
            column_header=self.row_header,
            columns=[(group, label) for label, _ in self.rows],
            rows=rows,
        )


@dataclass(frozen=True)
class Listing:
    """One row per item of a group (a task): `rows` are (group, cells), the first cell the
    item's name within its group (the variant); `right`: the headers justified right;
    `said_once`: the headers whose column, where it holds one value throughout a group's own
    table, is left out of it and said in its title (the variant, the metric)."""

    title: str
    group_header: str
    headers: list[str]
    rows: list[tuple[str, list[str]]]
    right: frozenset[str] = frozenset()
    label: str | None = None  # the header of the column that wraps at LABEL_WIDTH
    said_once: frozenset[str] = frozenset()

    def groups(self) -> list[str]:
        return list(dict.fromkeys(group for group, _ in self.rows))


def fit_grid(grid: Grid, width: int) -> list[Table]:
    """The grid as one table where it fits `width`, else one table per group: as it is, or
    with rows and columns swapped, or in long format, whichever fits first."""
    whole = _grid_table(grid, whole=True)
    if fits(whole, width):
        return [whole]
    tables = []
    for group in grid.groups():
        part = grid.only(group)
        if not part.rows:
            continue
        tables.append(_group_table(part, width))
    if tables and grid.caption:
        tables[-1].caption = grid.caption
    return tables


def fit_listing(listing: Listing, width: int) -> list[Table]:
    """The listing as one table where it fits `width`, else one table per group."""
    whole = _table(listing.title, _whole_headers(listing), listing.right, listing.label)
    for group, (name, *cells) in listing.rows:
        whole.add_row(f"{group}/{name}", *cells)
    if fits(whole, width):
        return [whole]
    return [_listing_group(listing, group) for group in listing.groups()]


def _group_table(part: Grid, width: int) -> Table:
    for shape in (part, part.transposed()):
        if shape is not None and fits(table := _grid_table(shape, whole=False), width):
            return table
    return _long_table(part)


def fits(table: Table, width: int) -> bool:
    """Whether the table, every cell on its natural width (labels wrapped at LABEL_WIDTH),
    is no wider than `width`."""
    console = Console(file=io.StringIO(), width=_MEASURE_WIDTH)
    measured = Measurement.get(console, console.options, table)
    return measured.maximum <= width


def _grid_table(grid: Grid, whole: bool) -> Table:
    """Rows by columns; a whole grid's columns are `group/name`, a group's their name."""
    headers = [f"{g}/{name}" if whole else name for g, name in grid.columns]
    title = grid.title if whole else f"{grid.columns[0][0]}: {grid.title}"
    table = _table(title, [grid.row_header, *headers], frozenset(headers), grid.row_header)
    for label, cells in grid.rows:
        table.add_row(label, *cells)
    if grid.footer:
        table.add_section()
        for label, cells in grid.footer:
            table.add_row(label, *cells, style="bold")
    if whole and grid.caption:
        table.caption = grid.caption
    return table


def _long_table(grid: Grid) -> Table:
    """A group's grid in long format: one row per row label and column with a value."""
    group = grid.columns[0][0]
    headers = [grid.row_header, grid.column_header, grid.value_header]
    right = frozenset({grid.value_header})
    table = _table(f"{group}: {grid.title}", headers, right, grid.row_header)
    names = [name for _, name in grid.columns]
    for rows, style in ((grid.rows, None), (grid.footer, "bold")):
        if style and rows:
            table.add_section()
        for label, cells in rows:
            for name, cell in zip(names, cells, strict=True):
                if cell != EMPTY:
                    table.add_row(label, name, cell, style=style)
    return table


def _whole_headers(listing: Listing) -> list[str]:
    first, *others = listing.headers
    return [f"{listing.group_header}/{first}", *others]


def _listing_group(listing: Listing, group: str) -> Table:
    """A group's rows, the columns with one value throughout said once in the title."""
    rows = [cells for g, cells in listing.rows if g == group]
    said = [
        index
        for index, header in enumerate(listing.headers)
        if header in listing.said_once and len({cells[index] for cells in rows}) == 1
    ]
    shown = [i for i in range(len(listing.headers)) if i not in said]
    facts = ", ".join(f"{listing.headers[i]} {rows[0][i]}" for i in said)
    title = f"{group} ({facts}): {listing.title}" if facts else f"{group}: {listing.title}"
    headers = [listing.headers[i] for i in shown]
    table = _table(title, headers, listing.right, listing.label)
    for cells in rows:
        table.add_row(*[cells[i] for i in shown])
    return table


def _table(title: str, headers: list[str], right: frozenset[str], label: str | None) -> Table:
    """A table whose cells wrap, and fold a word too long for their column: never `…`; the
    `label` column wraps past LABEL_WIDTH."""
    table = Table(title=title, title_justify="left", caption_justify="left")
    for header in headers:
        table.add_column(
            header,
            justify="right" if header in right else "left",
            overflow="fold",
            max_width=LABEL_WIDTH if header == label else None,
        )
    return table


def print_fitted(console: Console, shown: Grid | Listing) -> None:
    """The grid or listing printed in tables that fit the console's width."""
    if isinstance(shown, Grid):
        tables = fit_grid(shown, console.width)
    else:
        tables = fit_listing(shown, console.width)
    for table in tables:
        console.print(table)
