"""An inline SVG chart of findings by lifecycle stage and severity (no script, no library)."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from aisec.core.findings import Severity

__all__ = ["SEVERITY_COLOURS", "stage_chart"]

SEVERITY_COLOURS = {
    Severity.CRITICAL: "#7f1d1d",
    Severity.HIGH: "#dc2626",
    Severity.MEDIUM: "#f59e0b",
    Severity.LOW: "#0ea5e9",
    Severity.INFO: "#9ca3af",
}
_W, _H = 720, 300
_LEFT, _TOP, _BOTTOM = 48, 36, 56


def _nice_step(top: int) -> int:
    """The smallest of 1, 2, 5, 10, 20, 25, 50, 100, ... that needs at most four ticks."""
    scale = 1
    while True:
        for m in (1, 2, 5) if scale < 10 else (1, 2, 2.5, 5):
            step = int(m * scale)
            if step * 4 >= top:
                return step
        scale *= 10


def stage_chart(counts: Mapping[str, Mapping[Severity, int]]) -> str:
    """A stacked bar per stage (``counts[stage][severity]``), most severe on top."""
    stages = list(counts)
    top = max((sum(c.values()) for c in counts.values()), default=0)
    step = _nice_step(top)
    scale_max = max(step * -(-top // step), 1)
    plot_h = _H - _TOP - _BOTTOM
    slot = (_W - _LEFT - 16) / max(len(stages), 1)
    bar_w = min(64.0, slot * 0.6)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_W} {_H}" width="{_W}" '
        f'height="{_H}" role="img" aria-label="Findings by lifecycle stage and severity">',
        f'<line x1="{_LEFT}" y1="{_TOP + plot_h}" x2="{_W - 8}" y2="{_TOP + plot_h}" '
        'stroke="#6b7280"/>',
    ]
    for tick in range(0, scale_max + 1, step):
        y = _TOP + plot_h - plot_h * tick / scale_max
        parts.append(
            f'<text x="{_LEFT - 8}" y="{y + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="#374151">{tick}</text>'
            f'<line x1="{_LEFT}" y1="{y:.1f}" x2="{_W - 8}" y2="{y:.1f}" stroke="#e5e7eb"/>'
        )
    for i, stage in enumerate(stages):
        x = _LEFT + slot * i + (slot - bar_w) / 2
        y = float(_TOP + plot_h)
        for severity in Severity:  # info at the bottom, critical on top
            n = counts[stage].get(severity, 0)
            if not n:
                continue
            h = plot_h * n / scale_max
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{SEVERITY_COLOURS[severity]}"><title>{escape(stage)}: {n} '
                f"{severity.value}</title></rect>"
            )
        total = sum(counts[stage].values())
        parts.append(
            f'<text x="{x + bar_w / 2:.1f}" y="{y - 5:.1f}" text-anchor="middle" '
            f'font-size="12" font-weight="bold" fill="#111827">{total}</text>'
            f'<text x="{x + bar_w / 2:.1f}" y="{_TOP + plot_h + 18}" text-anchor="middle" '
            f'font-size="12" fill="#111827">{escape(stage)}</text>'
        )
    lx = _LEFT
    for severity in reversed(Severity):
        parts.append(
            f'<rect x="{lx}" y="10" width="12" height="12" fill="{SEVERITY_COLOURS[severity]}"/>'
            f'<text x="{lx + 16}" y="20" font-size="12" fill="#111827">{severity.value}</text>'
        )
        lx += 90
    parts.append("</svg>")
    return "".join(parts)
