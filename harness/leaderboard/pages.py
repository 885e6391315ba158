"""What every page of the site shares: the Jinja2 environment (templates from
leaderboard/templates, autoescaped: text from models and datasets never becomes markup), number
formats (formatted here so that templates only place them: a rate in points, 0 to 100, an
unbounded metric as it is, harness.leaderboard.scales), provenance, drill-down links, and
rendering a page."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import jinja2
from markupsafe import Markup, escape

import harness
from harness.languages import get_language, is_known
from harness.leaderboard.corpus import METHOD as CORPUS_METHOD
from harness.leaderboard.corpus import NOTE as CORPUS_NOTE
from harness.leaderboard.drill import Available, script_json
from harness.leaderboard.names import drill_key
from harness.leaderboard.ranks import Estimate
from harness.leaderboard.runs import Run
from harness.leaderboard.scales import POINTS, Scale
from harness.leaderboard.selection import TIER_LABELS, status_text
from harness.leaderboard.tables import ALL, Board, Cell, Column, basis
from harness.paths import LEADERBOARD_DIR
from harness.translation.keys import scored_language

TEMPLATES = LEADERBOARD_DIR / "templates"
STATIC = LEADERBOARD_DIR / "static"


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,  # every template: text from models and datasets is never markup
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["script_json"] = lambda value: Markup(script_json(value))
    env.filters["breakable"] = breakable
    return env


def breakable(text: str) -> Markup:
    """Text (escaped) that a narrow column may break after a colon (`baseline:<wbr>random`)."""
    return Markup(str(escape(text)).replace(":", ":<wbr>"))


# ---- formatting


def points(value: float | None) -> str:
    """A rate in points (harness.leaderboard.scales.POINTS); a column's values through its
    own scale (`Column.scale`)."""
    return POINTS.text(value)


def interval(e: Estimate | None) -> str:
    return POINTS.interval(e)


def signed(value: float | None) -> str:
    return POINTS.signed(value)


def sort_value(value: float | None) -> str:
    return POINTS.sort_value(value)


def language_label(code: str) -> str:
    """`ben_Beng Bengali`; a pair `npi_Deva-eng_Latn Nepali → English`."""
    legs = code.split("-")
    if all(is_known(leg) for leg in legs):
        return f"{code} " + " → ".join(get_language(leg).name for leg in legs)
    return code


def language_title(code: str) -> str:
    scored = scored_language(code)
    if not is_known(scored):
        return code
    lang = get_language(scored)
    return f"{lang.name} ({lang.native_name}), {lang.script}, {lang.tier}-resource"


# ---- what a cell rests on

INCOMPLETE_MARK = "⚠"  # shown beside the score of a cell whose run is incomplete
LISTED_LANGUAGES = 12  # a cell's hover text names its languages up to this many


def rank_label(cell: Cell) -> str:
    """A cell's rank as a chart shows it: `#2`; the incomplete mark for an unranked cell of an
    incomplete run; nothing for a cell without a score."""
    rank = cell.ranks.get(ALL)
    if rank is not None:
        return f"#{rank}"
    return INCOMPLETE_MARK if not cell.complete and cell.scores.primary else ""


NO_INTERVAL = "no interval"


def interval_line(e: Estimate | None, scale: Scale, method: str = "") -> str:
    """A hover text's line on a number's interval where the number's cell does not say all:
    that there is none, or for a corpus metric's how it was computed
    (harness.leaderboard.corpus); nothing for the summary's own intervals, which the cell
    shows (a site has 100,000s of hover texts)."""
    if e is None:
        return ""
    if not e.has_interval:
        return f"\n{NO_INTERVAL}"
    return f"\n{CORPUS_NOTE}: {scale.interval(e)}" if method == CORPUS_METHOD else ""


def basis_title(cell: Cell) -> str:
    """The hover text of a cell: what its number rests on, one fact a line."""
    facts = basis(cell)
    run = cell.run
    count = facts["languages"]
    languages = facts["language_codes"] if count <= LISTED_LANGUAGES else "listed on the task page"
    lines = [
        f"n={facts['n']:,} samples in {count} language{'' if count == 1 else 's'}: {languages}",
        f"data: {TIER_LABELS[facts['data']]} (source {facts['source'] or 'not recorded'})",
        f"limit: {'none' if facts['limit'] is None else facts['limit']}",
        f"prompt format: {facts['prompt_format'] or 'not recorded'}",
        f"run {run.run_id}: {status_text(run)}",
    ]
    if facts["errors"]:
        lines.append(f"{facts['errors']:,} failed requests in this column")
    if not cell.complete:
        lines.append("incomplete: not ranked, not in the means")
    return "\n".join(lines)


# ---- pieces every page has


@dataclass(frozen=True, slots=True)
class Provenance:
    builder: str
    versions: list[tuple[str, str]]  # (harness version, git commit) of the runs
    runs: list[Run]


def provenance(runs: Sequence[Run]) -> Provenance:
    versions = sorted({(r.harness_version or "unknown", r.git or "unknown") for r in runs})
    return Provenance(harness.__version__, versions, list(runs))


@dataclass(slots=True)
class Page:
    """One HTML page: its path under the site, title, depth and template context."""

    path: str
    template: str
    title: str
    runs: Sequence[Run]
    context: dict[str, Any] = field(default_factory=dict)

    @property
    def root(self) -> str:
        return "../" * self.path.count("/")


def render(env: jinja2.Environment, page: Page) -> str:
    template = env.get_template(page.template)
    return template.render(
        root=page.root,
        title=page.title,
        page=page.path,
        provenance=provenance(page.runs),
        **page.context,
    )


# ---- drill-down links


def drill_href(
    root: str, available: Available, run: Run, column: Column, language: str | None = None
) -> str | None:
    found = available.get((run.key, column.task, column.variant))
    if found is None or (language is not None and language not in found):
        return None
    href = f"{root}samples.html#d={drill_key(run.key, column.task, column.variant)}"
    return href + (f"&l={_quoted(language)}" if language is not None else "")


@functools.lru_cache(maxsize=4096)
def _quoted(text: str) -> str:
    return quote(text, safe="")


def samples_page(board: Board) -> Page:
    return Page("samples.html", "samples.html.j2", "Samples", board.used_runs(), {})
