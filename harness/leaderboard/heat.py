"""Heatmap cells: a model's score in one language of a task, coloured on the scale, with the
gap to English, its worst-language mark and a drill-down link; built once, shown on the task
and model pages. Values are shown and coloured on their column's scale
(harness.leaderboard.scales: a rate in points by its value, bits per byte as is within the
range of its column's values)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from markupsafe import Markup, escape

from harness.leaderboard.drill import Available
from harness.leaderboard.pages import drill_href, points
from harness.leaderboard.scales import NOT_APPLICABLE
from harness.leaderboard.svg import cell_style
from harness.leaderboard.tables import LanguageCell


def _heat_cell(
    cell: LanguageCell, root: str, available: Available, span: tuple[float, float] | None
) -> dict[str, Any]:
    score = cell.score
    value = score.value if score else None
    scale = cell.column.scale
    title = [cell.language]
    if score is not None:
        title.append(
            f"{cell.column.metric} {scale.text(value)}"
            + (f" (95%: {scale.interval(score)})" if scale.interval(score) else "")
            + f", n={cell.n}"
        )
    if cell.gap is not None:
        title.append(
            f"gap to English {scale.signed(cell.gap.value)}"
            + (
                f" (95%: {scale.signed(cell.gap.low)} to {scale.signed(cell.gap.high)})"
                if cell.gap.has_interval
                else ""
            )
        )
    if cell.worst:
        title.append("worst language of this model")
    if cell.errors:
        title.append(f"{cell.errors} failed requests")
    if cell.consistency is not None:
        title.append(f"consistency {points(cell.consistency)} ({cell.consistency_failures} off)")
    elif cell.column.loglikelihood:
        title.append(f"consistency {NOT_APPLICABLE} (log-likelihood)")
    return {
        "text": scale.text(value),
        "value": scale.sort_value(value),
        "style": cell_style(scale.position(value, span), cell.column.lower_is_better),
        "gap": scale.signed(cell.gap.value) if cell.gap else "",
        "worst": cell.worst,
        "title": "; ".join(title),
        "drill": drill_href(root, available, cell.run, cell.column, cell.language),
    }


def heat_td(cell: dict[str, Any] | None) -> str:
    """One heatmap <td>. Built here rather than in a template because a site has 100,000s
    of them; every value is escaped (markupsafe.escape) as autoescaping would, so that model
    and dataset text can never become markup."""
    if cell is None:
        return '<td class="heat empty" data-value=""></td>'
    text = escape(cell["text"])
    if cell.get("drill"):
        text = Markup(f'<a class="drill" href="{escape(cell["drill"])}">{text}</a>')
    gap = f'<span class="gap">{escape(cell["gap"])}</span>' if cell["gap"] else ""
    return (
        f'<td class="heat{" worst" if cell["worst"] else ""}" style="{escape(cell["style"])}" '
        f'data-value="{escape(cell["value"])}" title="{escape(cell["title"])}">{text}{gap}</td>'
    )


class HeatCells:
    """The <td> of each language cell under a folder one level down (task and model pages
    show the same cells), made once; `spans`: each column's least and greatest score
    (Board.spans), the range an unbounded metric is coloured within."""

    def __init__(self, available: Available, spans: dict[str, tuple[float, float]]) -> None:
        self.available = available
        self.spans = spans
        self._made: dict[int, str] = {}

    def td(self, cell: LanguageCell | None) -> str:
        if cell is None:
            return heat_td(None)
        found = self._made.get(id(cell))
        if found is None:
            span = self.spans.get(cell.column.key)
            found = self._made[id(cell)] = heat_td(_heat_cell(cell, "../", self.available, span))
        return found

    def row(self, cells: Sequence[LanguageCell | None]) -> Markup:
        return Markup("".join(self.td(cell) for cell in cells))
