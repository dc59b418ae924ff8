"""Inline SVG charts for the HTML report, drawn from the findings document (no JS, no network).

Every chart is a plain ``<svg>`` with a viewBox (it scales with the page), a <title> for
screen readers, and a <title> on each bar or point, which browsers show as a tooltip. Colours
come from CSS classes (``sev-error``, ``st-4xx`` …) defined in templates/report.css.
"""

from __future__ import annotations

import math
from datetime import timezone
from http import HTTPStatus
from typing import Any, Iterable

from markupsafe import Markup, escape

from readiness.report.terminal import family_key
from readiness.report.times import moment
from readiness.rules.base import plural

SEVERITIES = ("error", "warning", "notice")
WIDTH = 560
TREND_WIDTH = 1100  # the trend spans the page: a wider canvas keeps its text the same size
DEPTH_BUCKETS = 12  # depths beyond this share the last bar ("12+")


def _nice_max(value: float) -> float:
    """A round axis maximum at or above ``value`` (1, 2, 5 × 10^n)."""
    if value <= 0:
        return 1
    exponent = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * exponent:
            return step * exponent
    return 10 * exponent


def _svg(height: float, title: str, body: Iterable[str], width: float = WIDTH) -> Markup:
    return Markup(
        f'<svg class="chart" viewBox="0 0 {width} {height:.0f}" role="img" '
        f'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>")


def _text(x: float, y: float, text: Any, cls: str = "", anchor: str = "start") -> str:
    cls_attr = f' class="{cls}"' if cls else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{cls_attr}>'
            f"{escape(str(text))}</text>")


def _rect(x: float, y: float, w: float, h: float, cls: str, tip: str, rx: float = 3) -> str:
    return (f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{h:.1f}" rx="{rx}" '
            f'class="{cls}"><title>{escape(tip)}</title></rect>')


def _empty(message: str, height: float = 80) -> Markup:
    return _svg(height, message, [_text(WIDTH / 2, height / 2 + 5, message, "muted", "middle")])


def _hbars(rows: list[tuple[str, list[tuple[int, str, str]]]], title: str,
           label_width: float = 150) -> Markup:
    """Horizontal (stacked) bars: rows of (label, [(value, css class, tooltip)])."""
    row_h, bar_h, top = 30, 18, 6
    total_max = max((sum(v for v, _c, _t in parts) for _l, parts in rows), default=0)
    scale_max = _nice_max(total_max)
    bar_w = WIDTH - label_width - 60
    body = []
    for i, (label, parts) in enumerate(rows):
        y = top + i * row_h
        body.append(_text(label_width - 10, y + bar_h - 4, label, "label", "end"))
        x = label_width
        for value, cls, tip in parts:
            if value:
                w = max(bar_w * value / scale_max, 2)
                body.append(_rect(x, y, w, bar_h, cls, tip, rx=2))
                x += w
        body.append(_text(x + 6, y + bar_h - 4, sum(v for v, _c, _t in parts), "value"))
    return _svg(top + len(rows) * row_h, title, body)


def _vbars(bars: list[tuple[str, int, str, str]], title: str, height: float = 200) -> Markup:
    """Vertical bars: (x label, value, css class, tooltip), with a y axis."""
    left, bottom, top = 40, 26, 14
    plot_h = height - bottom - top
    scale_max = _nice_max(max((v for _l, v, _c, _t in bars), default=0))
    slot = (WIDTH - left - 10) / max(len(bars), 1)
    body = []
    for tick in (0, scale_max / 2, scale_max):
        y = top + plot_h - plot_h * tick / scale_max
        body.append(f'<line x1="{left}" x2="{WIDTH - 10}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
        body.append(_text(left - 6, y + 4, f"{tick:g}", "axis", "end"))
    for i, (label, value, cls, tip) in enumerate(bars):
        h = plot_h * value / scale_max
        x = left + i * slot + slot * 0.15
        if value:
            body.append(_rect(x, top + plot_h - h, slot * 0.7, h, cls, tip, rx=2))
            body.append(_text(x + slot * 0.35, top + plot_h - h - 4, value, "value small",
                              "middle"))
        body.append(_text(x + slot * 0.35, height - 8, label, "axis", "middle"))
    return _svg(height, title, body)


def findings_by_family(summary: dict[str, Any], titles: dict[str, str]) -> Markup:
    by_family = summary["by_family"]
    if not by_family:
        return _empty("No open findings")
    rows = []
    for family in sorted(by_family, key=family_key):
        counts = by_family[family]
        title = titles.get(family, family)
        rows.append((title, [(counts.get(s, 0), f"sev-{s}",
                              f"{title}: {plural(counts.get(s, 0), s)}") for s in SEVERITIES]))
    return _hbars(rows, "Open findings by family and severity", label_width=170)


def status_class(code: str) -> str:
    return f"st-{code[0]}xx" if code.isdigit() else "st-none"


def status_label(code: str) -> str:
    if not code.isdigit():
        return "no response"
    try:
        return f"{code} {HTTPStatus(int(code)).phrase}"
    except ValueError:
        return code


def status_codes(crawl: dict[str, Any]) -> Markup:
    codes = crawl["status_codes"]
    if not codes:
        return _empty("No URL was fetched")
    ordered = sorted(codes, key=lambda c: (not c.isdigit(), c))
    rows = [(status_label(c), [(codes[c], status_class(c),
                                f"{status_label(c)}: {plural(codes[c], 'URL')}")])
            for c in ordered]
    return _hbars(rows, "Site URLs by HTTP status", label_width=190)


def crawl_depth(crawl: dict[str, Any]) -> Markup:
    depth = {int(d): n for d, n in crawl["depth"].items()}
    if not depth:
        return _empty("No depth recorded")
    deepest = min(max(depth), DEPTH_BUCKETS)
    bars = []
    for d in range(deepest + 1):
        n = depth.get(d, 0) if d < DEPTH_BUCKETS else sum(v for k, v in depth.items() if k >= d)
        label = f"{d}+" if d == DEPTH_BUCKETS else str(d)
        where = "the start URL" if d == 0 else f"{label} clicks from the start"
        bars.append((label, n, "depth", f"depth {label} ({where}): {plural(n, 'URL')}"))
    unreached = crawl.get("depth_unreached", 0)
    if unreached:  # sitemap-only entries and the like: no click depth at all
        bars.append(("none", unreached, "depth",
                     f"no click from the start URL reaches {plural(unreached, 'URL')}"))
    return _vbars(bars, "Site URLs by click depth (clicks from the start URL)")


def format_ms(value: float | None) -> str:
    """1234.5 -> "1.2 s", 87.3 -> "87 ms"."""
    if value is None:
        return "?"
    return f"{value / 1000:.3g} s" if value >= 1000 else f"{value:.0f} ms"


def response_times(crawl: dict[str, Any]) -> Markup:
    timing = crawl["response_ms"]
    if not timing["count"]:
        return _empty("No response times recorded")
    buckets = timing["histogram"]
    bars = []
    for i, bucket in enumerate(buckets):
        low, high = bucket["from"], bucket["to"]
        if high is None:
            label = f"≥ {format_ms(low)}"
        elif not low:
            label = f"< {format_ms(high)}"
        elif (low >= 1000) == (high >= 1000):  # same unit: "1–2 s", "100–250 ms"
            label = f"{format_ms(low).split()[0]}–{format_ms(high)}"
        else:
            label = f"{format_ms(low)}–{format_ms(high)}"
        speed = "fast" if i < 2 else "ok" if i < 4 else "slow"
        bars.append((label, bucket["count"], f"rt-{speed}",
                     f"{label}: {plural(bucket['count'], 'response')}"))
    return _vbars(bars, "Response times of site URLs (request to full body)")


def _date(value: float | str | None, with_time: bool = False) -> str:
    """A run's start (ISO 8601, or unix seconds in a schema 1 file) as "21 Nov"."""
    when = moment(value)
    if when is None:
        return "?"
    return when.astimezone(timezone.utc).strftime("%d %b %H:%M" if with_time else "%d %b")


def trend(history: list[dict[str, Any]], current: dict[str, Any]) -> Markup | None:
    """Open findings per severity across earlier runs and this one; None without history."""
    if not history:
        return None
    points = [*history, current]
    width, height, left, bottom, top, right = TREND_WIDTH, 200, 40, 30, 14, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    scale_max = _nice_max(max(max(p["counts"].values(), default=0) for p in points))
    step = plot_w / max(len(points) - 1, 1)
    body = []
    for tick in (0, scale_max / 2, scale_max):
        y = top + plot_h - plot_h * tick / scale_max
        body.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
                    'class="grid"/>')
        body.append(_text(left - 6, y + 4, f"{tick:g}", "axis", "end"))
    label_every = max(1, math.ceil(len(points) / 12))
    days = [_date(p.get("started_at")) for p in points]
    with_time = len(set(days)) < len(days)  # several runs a day: tell them apart
    for i, point in enumerate(points):
        if i % label_every == 0 or i == len(points) - 1:
            last = i == len(points) - 1
            label = "this run" if last else _date(point.get("started_at"), with_time)
            body.append(_text(left + i * step, height - 8, label, "axis", "middle"))
    for severity in SEVERITIES:
        coords = [(left + i * step,
                   top + plot_h - plot_h * p["counts"].get(severity, 0) / scale_max)
                  for i, p in enumerate(points)]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        body.append(f'<polyline points="{path}" class="line sev-{severity}"/>')
        for (x, y), point in zip(coords, points):
            tip = (f"{point.get('run_id') or 'this run'} ({_date(point.get('started_at'), True)}): "
                   f"{plural(point['counts'].get(severity, 0), severity)}")
            body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" class="dot sev-{severity}">'
                        f"<title>{escape(tip)}</title></circle>")
    return _svg(height, "Open findings per run", body, width=width)
