"""A score as the language view and the model pages show it: its value and 95% interval on
its scale (harness.leaderboard.scales), a gap with its sign, a rank with its tie, and the
hover text saying what the number rests on. Formatted here so that templates only place
them (every string is escaped by the templates)."""

from __future__ import annotations

from dataclasses import dataclass

from harness.leaderboard.language_ranks import LanguageScore
from harness.leaderboard.names import slug
from harness.leaderboard.pages import language_label, language_title
from harness.leaderboard.ranks import Estimate
from harness.leaderboard.scales import MISSING, Scale
from harness.wording import counted

LISTED_COLUMNS = 8  # a score's hover text names the tasks behind it up to this many


@dataclass(frozen=True, slots=True)
class Figure:
    """A number ready to place: `text` (`22.2`), `ci` (`18.1–26.3`, empty without one)."""

    text: str
    ci: str

    @property
    def title(self) -> str:
        return f"{self.text} (95%: {self.ci})" if self.ci else self.text


def figure(e: Estimate | None, scale: Scale) -> Figure:
    return Figure(scale.text(e.value if e else None), scale.interval(e))


def gap_figure(e: Estimate | None, scale: Scale) -> Figure:
    """A gap to English: `−6.2`, interval `−24.5 to +12.0`; a dash where there is none."""
    if e is None:
        return Figure(MISSING, "")
    ci = f"{scale.signed(e.low)} to {scale.signed(e.high)}" if e.has_interval else ""
    return Figure(scale.signed(e.value), ci)


def rank_text(rank: int | None, tied: bool) -> str:
    """`1`; `=2` where another model has the same rank (their intervals overlap)."""
    if rank is None:
        return MISSING
    return f"={rank}" if tied else str(rank)


def rank_title(rank: int | None, tied: bool, of: int) -> str:
    if rank is None:
        return "not ranked"
    tie = "; tied: the 95% intervals overlap" if tied else ""
    return f"rank {rank} of {of}{tie}"


def basis_text(score: LanguageScore) -> str:
    """`3 tasks · 21 samples`: what a language score rests on, shown under the model."""
    return f"{counted(len(score.columns), 'task')} · {score.samples:,} samples"


def score_title(score: LanguageScore, shared: tuple[str, ...] = ()) -> str:
    """A language score's hover text: value and interval, then the tasks and samples behind
    it (named, unless they are `shared`: the tasks its ranking's caption names), then its gap
    to English."""
    kind = score.kind
    shown = figure(score.estimate, kind.scale)
    basis = f"mean over {basis_text(score)}"
    if score.columns != shared:
        basis += ": " + columns_text(score.columns)
    lines = [f"{language_label(score.language)}: {kind.name} {shown.title}", basis]
    if score.gap is not None:
        gap = gap_figure(score.gap, kind.scale)
        lines.append(f"gap to English {gap.text}" + (f" (95%: {gap.ci})" if gap.ci else ""))
    if score.fewer:
        lines.append("rests on fewer tasks than another model's score here")
    return "\n".join(lines)


def columns_text(columns: tuple[str, ...]) -> str:
    """`mgsm/native_cot, xnli/zero_shot and 3 more`: the tasks behind a score."""
    more = len(columns) - LISTED_COLUMNS
    return ", ".join(columns[:LISTED_COLUMNS]) + (f" and {more} more" if more > 0 else "")


def language_entry(score: LanguageScore) -> dict[str, str]:
    """A language in a model's best or worst list: its label, score, interval, hover text
    and the anchor of its ranking on the language view."""
    shown = figure(score.estimate, score.kind.scale)
    return {
        "code": score.language,
        "label": language_label(score.language),
        "title": language_title(score.language) + "\n" + score_title(score),
        "text": shown.text,
        "ci": shown.ci,
        "anchor": language_anchor(score.language),
    }


def language_anchor(language: str) -> str:
    """The id of a language's section on the language view: `lang-ben_Beng`."""
    return f"lang-{slug(language)}"
