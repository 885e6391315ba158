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


def bar_chart(
    title: str, bars: Sequence[Bar], lower_is_better: bool = False, scale: Scale = POINTS
) -> Markup:
    """Horizontal bars with the 95% interval as a whisker, one row per label: from 0 to 100
    points for a rate, from 0 to a round number above every value for an unbounded metric."""
    label_w, plot_w, row_h, top = 230, 360, 18, 22
    extent = scale.axis(
        v for bar in bars if bar.estimate for v in (bar.estimate.value, bar.estimate.high) if v
    )
    height = top + row_h * len(bars) + 20
    width = label_w + plot_w + 70
    parts = [
        f'<svg class="chart" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="14" font-size="12" font-weight="bold">{escape(title)}</text>',
    ]
    for quarter in range(5):
        x = label_w + plot_w * quarter / 4
        tick = scale.tick(extent * quarter / 4)
        parts.append(
            f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{height - 16}" '
            'stroke="#ccc" stroke-width="1"/>'
            f'<text x="{x:.1f}" y="{height - 4}" font-size="10" text-anchor="middle">{tick}</text>'
        )
    for i, bar in enumerate(bars):
        y = top + i * row_h
        label = bar.label if len(bar.label) <= 34 else bar.label[:33] + "…"
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 12}" font-size="11" text-anchor="end">'
            f"<title>{escape(bar.label)}</title>{escape(label)}</text>"
        )
        e = bar.estimate
        if e is None:
            parts.append(f'<text x="{label_w + 4}" y="{y + 12}" font-size="11">–</text>')
            continue
        value = min(max(e.value / extent, 0.0), 1.0)
        r, g, b = _mix(1.0 - value if lower_is_better else value)
        parts.append(
            f'<rect x="{label_w}" y="{y + 3}" width="{plot_w * value:.1f}" height="{row_h - 6}" '
            f'fill="#{r:02x}{g:02x}{b:02x}"/>'
        )
        if e.low is not None and e.high is not None:
            lo = label_w + plot_w * min(max(e.low / extent, 0.0), 1.0)
            hi = label_w + plot_w * min(max(e.high / extent, 0.0), 1.0)
            mid = y + row_h / 2
            parts.append(
                f'<path d="M{lo:.1f} {mid:.1f}H{hi:.1f}M{lo:.1f} {mid - 4:.1f}V{mid + 4:.1f}'
                f'M{hi:.1f} {mid - 4:.1f}V{mid + 4:.1f}" stroke="#222" stroke-width="1.2" '
                'fill="none"/>'
            )
        text = scale.text(e.value) + (f" {bar.note}" if bar.note else "")
        parts.append(
            f'<text x="{label_w + plot_w + 6}" y="{y + 12}" font-size="11">{escape(text)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
