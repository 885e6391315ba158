"""Charts and colours computed at build time: the heatmaps' colour scale, its legend and the bar
charts with interval whiskers, as inline SVG (no script, no network). Every label is escaped.
Where a value lies on a scale (a rate at its value, bits per byte within its column's range)
is harness.leaderboard.scales' to say."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from harness.leaderboard.ranks import Estimate
from harness.leaderboard.scales import POINTS, Scale

# viridis at five stops: dark (low) to yellow (high), readable by colour-blind readers
_STOPS = ((0x44, 0x01, 0x54), (0x3B, 0x52, 0x8B), (0x21, 0x91, 0x8C), (0x5E, 0xC9, 0x62),
          (0xFD, 0xE7, 0x25))  # fmt: skip
_STEPS = 100


def _mix(t: float) -> tuple[int, int, int]:
    t = min(max(t, 0.0), 1.0) * (len(_STOPS) - 1)
    i = min(int(t), len(_STOPS) - 2)
    f = t - i
    a, b = _STOPS[i], _STOPS[i + 1]
    r, g, bl = (round(a[k] + (b[k] - a[k]) * f) for k in range(3))
    return r, g, bl


def _style(rgb: tuple[int, int, int]) -> str:
    r, g, b = rgb
    luminance = (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255
    text = "#000" if luminance > 0.45 else "#fff"
    return f"background:#{r:02x}{g:02x}{b:02x};color:{text}"


_PALETTE = tuple(_style(_mix(i / _STEPS)) for i in range(_STEPS + 1))
# the bars' fills on the same steps: the overview's script recolours its chart from these
BAR_FILLS = tuple("#{:02x}{:02x}{:02x}".format(*_mix(i / _STEPS)) for i in range(_STEPS + 1))


def cell_style(value: float | None, lower_is_better: bool = False) -> str:
    """The inline style of a heatmap cell: its background on the scale (`value`: its place on
    it, 0 to 1, Scale.position; reversed where lower is better) and a text colour that reads
    on it."""
    if value is None:
        return ""
    t = 1.0 - value if lower_is_better else value
    return _PALETTE[round(min(max(t, 0.0), 1.0) * _STEPS)]


def legend(
    caption: str, lower_is_better: bool = False, marks: tuple[str, str, str] = ("0", "50", "100")
) -> Markup:
    """The colour scale as a strip of 20 swatches with its ends and middle marked (0, 50 and
    100 for points)."""
    swatches, width = 20, 12
    total = swatches * width + 16 + 7 * len(caption)
    parts = [
        f'<svg class="legend" role="img" width="{total}" height="34" '
        f'viewBox="0 0 {total} 34" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(caption)}</title>",
    ]
    for i in range(swatches):
        t = (i + 0.5) / swatches
        r, g, b = _mix(1.0 - t if lower_is_better else t)
        fill = f"#{r:02x}{g:02x}{b:02x}"
        parts.append(f'<rect x="{i * width}" y="0" width="{width}" height="14" fill="{fill}"/>')
    ends = (0, swatches * width // 2, swatches * width)
    for i, (mark, x) in enumerate(zip(marks, ends, strict=True)):
        anchor = ("start", "middle", "end")[i]
        parts.append(
            f'<text x="{x}" y="28" font-size="11" text-anchor="{anchor}">{escape(mark)}</text>'
        )
    parts.append(
        f'<text x="{swatches * width + 8}" y="12" font-size="11">{escape(caption)}</text></svg>'
    )
    return Markup("".join(parts))


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    estimate: Estimate | None
    note: str = ""


# a bar chart's geometry: the labels' widest, the plot's width, a row's height, the first
# row's top; a label is cut at LABEL_CHARS characters, each about CHAR_W wide
LABEL_W, PLOT_W, ROW_H, TOP = 230, 300, 18, 22
LABEL_CHARS, CHAR_W = 34, 6.5
TITLE_W = 7.0  # about the width of a character of the title (bold)


def bar_fill(position: float, lower_is_better: bool = False) -> str:
    """A bar's fill for its place on the axis (0 to 1), reversed where lower is better."""
    t = 1.0 - position if lower_is_better else position
    return BAR_FILLS[round(min(max(t, 0.0), 1.0) * _STEPS)]


def bar_chart(
    title: str,
    bars: Sequence[Bar],
    lower_is_better: bool = False,
    scale: Scale = POINTS,
    title_chars: int = 0,
) -> Markup:
    """Horizontal bars with the 95% interval as a whisker, one row per label, over an axis
    with its ticks: from 0 to 100 points for a rate, from 0 to a round number above every
    value for an unbounded metric. Each row is a group (g.row[data-i], its bar's index) of a
    label, a bar (rect.bar), a whisker (path.whisker, empty without an interval) and the value
    (text.value): the overview's script moves and redraws them when a filter changes. The
    chart is as wide as its title needs (`title_chars`: room for a longer one, which the
    script may write)."""
    extent = scale.axis(
        v for bar in bars if bar.estimate for v in (bar.estimate.value, bar.estimate.high) if v
    )
    longest = max((min(len(bar.label), LABEL_CHARS) for bar in bars), default=0)
    x0 = min(LABEL_W, round(12 + CHAR_W * longest))  # as wide as the labels need
    height = TOP + ROW_H * len(bars) + 20
    width = max(x0 + PLOT_W + 70, round(TITLE_W * max(len(title), title_chars)))
    axis_y = height - 16
    parts = [
        f'<svg class="chart" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg" '
        f'data-x0="{x0}" data-plot="{PLOT_W}" data-row="{ROW_H}" data-top="{TOP}">',
        f"<title>{escape(title)}</title>",
        f'<text class="title" x="0" y="14" font-size="12" font-weight="bold">'
        f"{escape(title)}</text>",
        f'<line class="axis" x1="{x0}" y1="{axis_y}" x2="{x0 + PLOT_W}" '
        f'y2="{axis_y}" stroke="#555" stroke-width="1"/>',
    ]
    for quarter in range(5):
        x = x0 + PLOT_W * quarter / 4
        tick = scale.tick(extent * quarter / 4)
        parts.append(
            f'<line x1="{x:.1f}" y1="{TOP - 4}" x2="{x:.1f}" y2="{axis_y}" '
            'stroke="#ccc" stroke-width="1"/>'
            f'<text class="tick" x="{x:.1f}" y="{height - 4}" font-size="10" '
            f'text-anchor="middle">{tick}</text>'
        )
    for i, bar in enumerate(bars):
        parts.append(_bar_row(i, bar, x0, extent, lower_is_better, scale))
    parts.append("</svg>")
    return Markup("".join(parts))


def _bar_row(i: int, bar: Bar, x0: int, extent: float, lower_is_better: bool, scale: Scale) -> str:
    label = bar.label if len(bar.label) <= LABEL_CHARS else bar.label[: LABEL_CHARS - 1] + "…"
    e = bar.estimate
    value = 0.0 if e is None else min(max(e.value / extent, 0.0), 1.0)
    whisker = ""
    if e is not None and e.low is not None and e.high is not None:
        lo = x0 + PLOT_W * min(max(e.low / extent, 0.0), 1.0)
        hi = x0 + PLOT_W * min(max(e.high / extent, 0.0), 1.0)
        mid = ROW_H / 2
        whisker = f"M{lo:.1f} {mid:.1f}H{hi:.1f}M{lo:.1f} {mid - 4:.1f}V{mid + 4:.1f}"
        whisker += f"M{hi:.1f} {mid - 4:.1f}V{mid + 4:.1f}"
    text = "–" if e is None else scale.text(e.value) + (f" {bar.note}" if bar.note else "")
    return (
        f'<g class="row" data-i="{i}" transform="translate(0,{TOP + i * ROW_H})">'
        f'<text x="{x0 - 6}" y="12" font-size="11" text-anchor="end">'
        f"<title>{escape(bar.label)}</title>{escape(label)}</text>"
        f'<rect class="bar" x="{x0}" y="3" width="{PLOT_W * value:.1f}" '
        f'height="{ROW_H - 6}" fill="{bar_fill(value, lower_is_better)}"/>'
        f'<path class="whisker" d="{whisker}" stroke="#222" stroke-width="1.2" fill="none"/>'
        f'<text class="value" x="{x0 + PLOT_W + 6}" y="12" font-size="11">'
        f"{escape(text)}</text></g>"
    )
