"""The site's charts: matplotlib figures written as SVG text that is the same on every run.

Each function takes plain numbers (read from a committed results file by
its caller) and returns the SVG as a string.  No pyplot: a ``Figure`` made
directly has no global state, so drawing one chart never touches another.
Text stays text in the SVG (``svg.fonttype: none``), which keeps the files
small and lets the browser's search find the labels; a fixed ``hashsalt``
and no date make the bytes depend only on the numbers and matplotlib's
version (pinned in requirements.lock).
"""

from __future__ import annotations

import io

import matplotlib
from cycler import cycler
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator, PercentFormatter

# The site's accent colour first (Material's indigo), then matplotlib's defaults.
COLOURS = ("#3f51b5", "#e65100", "#2e7d32", "#8e24aa", "#00838f", "#c62828")
_SVG_SETTINGS = {
    "svg.fonttype": "none",
    "svg.hashsalt": "ftlab",
    "font.family": "sans-serif",
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": cycler(color=COLOURS),
}


def new_figure(width: float = 6.4, height: float = 3.6) -> Figure:
    """An empty figure in inches, with the site's settings (use it inside :func:`style`)."""
    return Figure(figsize=(width, height), layout="constrained")


def style():
    """The settings every chart is drawn and saved under."""
    return matplotlib.rc_context(_SVG_SETTINGS)


def to_svg(figure: Figure) -> str:
    """The figure as SVG text: no date, fixed ids, text kept as text."""
    buffer = io.StringIO()
    with style():
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return buffer.getvalue()


def line_chart(series: dict[str, tuple[list[float], list[float]]], *, x_label: str, y_label: str,
               title: str = "", log_y: bool = False, markers: bool = False) -> str:
    """One line per ``name: (xs, ys)``, with a legend."""
    if not series:
        raise ValueError("line_chart: no series")
    with style():
        figure = new_figure()
        axes = figure.add_subplot()
        for name, (xs, ys) in series.items():
            axes.plot(xs, ys, label=name, marker="o" if markers else None, markersize=4, linewidth=1.5)
        _label(axes, x_label, y_label, title)
        _integer_ticks_for_counts(axes, series.values())
        if log_y:
            axes.set_yscale("log")
        axes.legend(frameon=False)
    return to_svg(figure)


def line_panels(panels: list[tuple[str, dict[str, tuple[list[float], list[float]]]]], *, x_label: str) -> str:
    """Panels side by side sharing the x axis, each ``(y_label, {name: (xs, ys)})`` with its legend."""
    if not panels:
        raise ValueError("line_panels: no panels")
    with style():
        figure = new_figure(3.4 * len(panels), 3.4)
        for index, (y_label, series) in enumerate(panels):
            axes = figure.add_subplot(1, len(panels), index + 1)
            for name, (xs, ys) in series.items():
                axes.plot(xs, ys, label=name, marker="o", markersize=4, linewidth=1.5,
                          color=COLOURS[(index + list(series).index(name)) % len(COLOURS)])
            _label(axes, x_label, y_label, "")
            _integer_ticks_for_counts(axes, series.values())
            axes.legend(frameon=False)
    return to_svg(figure)


def interval_chart(rows: list[tuple[str, float, float, float]], *, x_label: str) -> str:
    """Dots with their 95% intervals, one row per ``(label, value, low, high)``; values in 0..1."""
    if not rows:
        raise ValueError("interval_chart: no rows")
    with style():
        figure = new_figure(6.4, 0.9 + 0.32 * len(rows))
        axes = figure.add_subplot()
        positions = range(len(rows))[::-1]  # the first row on top
        for y, (_, value, low, high) in zip(positions, rows):
            axes.plot([low, high], [y, y], color=COLOURS[0], linewidth=2)
            axes.plot([value], [y], "o", color=COLOURS[0], markersize=5)
        axes.set_yticks(list(positions), [row[0] for row in rows])
        axes.set_xlim(0, 1)
        axes.xaxis.set_major_formatter(PercentFormatter(1.0))
        axes.grid(axis="x", color="#dddddd")
        _label(axes, x_label, "", "")
    return to_svg(figure)


def heatmap(counts, *, rows: list[str], columns: list[str], title: str, x_label: str, y_label: str) -> str:
    """A count matrix as a heat map with each non-zero count written in its cell."""
    with style():
        figure = new_figure(1.6 + 0.5 * len(columns), 1.4 + 0.42 * len(rows))
        axes = figure.add_subplot()
        axes.imshow(counts, cmap="Blues", aspect="auto")
        largest = max(int(counts.max()), 1)
        for i in range(len(rows)):
            for j in range(len(columns)):
                count = int(counts[i][j])
                if count:
                    colour = "white" if count > largest / 2 else "black"
                    axes.text(j, i, str(count), ha="center", va="center", color=colour)
        axes.set_xticks(range(len(columns)), columns, rotation=60, ha="right")
        axes.set_yticks(range(len(rows)), rows)
        axes.spines[:].set_visible(False)
        _label(axes, x_label, y_label, title)
    return to_svg(figure)


def labelled_scatter(points: list[tuple[str, float, float]], *, x_label: str, y_label: str) -> str:
    """Points ``(label, x, y)``, each with its label beside it."""
    if not points:
        raise ValueError("labelled_scatter: no points")
    with style():
        figure = new_figure()
        axes = figure.add_subplot()
        for label, x, y in points:
            axes.plot([x], [y], "o", color=COLOURS[0])
            axes.annotate(label, (x, y), xytext=(6, 0), textcoords="offset points", va="center")
        axes.set_xlim(0, max(x for _, x, _ in points) * 1.25)
        _label(axes, x_label, y_label, "")
    return to_svg(figure)


def stacked_bars(bars: dict[str, dict[str, float]], *, x_label: str, title: str = "",
                 line: tuple[float, str] | None = None, x_max: float | None = None) -> str:
    """Horizontal bars, one per ``name: {part: size}``, parts stacked in the order given.

    Each bar's total is written at its end.  ``line``: ``(x, label)`` draws a
    dashed vertical line (a budget to compare with).  ``x_max`` cuts the axis
    there; a longer bar is cut too, with its total written at the edge.
    """
    if not bars:
        raise ValueError("stacked_bars: no bars")
    parts = list(next(iter(bars.values())))
    with style():
        figure = new_figure(6.8, 1.8 + 0.42 * len(bars))
        axes = figure.add_subplot()
        names = list(bars)[::-1]  # the first bar on top
        starts = [0.0] * len(names)
        for index, part in enumerate(parts):
            sizes = [bars[name][part] for name in names]
            axes.barh(names, sizes, left=starts, label=part, color=COLOURS[index % len(COLOURS)], height=0.6)
            starts = [start + size for start, size in zip(starts, sizes)]
        for y, total in enumerate(starts):
            cut = x_max is not None and total > x_max
            axes.annotate(f"{total:.1f}" + (" \u2192" if cut else ""), (min(total, x_max or total), y),
                          xytext=(-4 if cut else 4, 0), textcoords="offset points", va="center",
                          ha="right" if cut else "left", color="white" if cut else "black")
        if line:
            axes.axvline(line[0], color="black", linestyle="--", linewidth=1)
            axes.annotate(line[1], (line[0], len(names) - 0.5), xytext=(4, 0), textcoords="offset points")
        if x_max is not None:
            axes.set_xlim(0, x_max)
        figure.legend(frameon=False, ncols=3, loc="outside lower center")
        _label(axes, x_label, "", title)
    return to_svg(figure)


def _integer_ticks_for_counts(axes, series) -> None:
    """Steps and counts get whole-number ticks (no "2.5 steps")."""
    if all(isinstance(x, int) for xs, _ in series for x in xs):
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))


def _label(axes, x_label: str, y_label: str, title: str) -> None:
    axes.set_xlabel(x_label)
    axes.set_ylabel(y_label)
    if title:
        axes.set_title(title, loc="left")


def lora_update(d: int, k: int, r: int, *, layer: str) -> str:
    """LoRA's picture, to scale: the frozen ``d x k`` weight W beside the trained ``B (d x r)`` and ``A (r x k)``."""
    with style():
        figure = new_figure(7.2, 3.0)
        axes = figure.add_subplot()
        gap = 0.18 * k

        def box(x, width, height, colour, label):
            axes.add_patch(Rectangle((x, d - height), width, height, facecolor=colour,
                                                        edgecolor="black", linewidth=0.8))
            axes.text(x + width / 2, -0.06 * d, label, ha="center", va="top")

        box(0, k, d, "#cfd8dc", f"W: {d} x {k}\nfrozen")
        axes.text(k + gap / 2, d / 2, "+", ha="center", va="center", fontsize=18)
        x_b = k + gap
        box(x_b, r, d, COLOURS[1], f"B: {d} x {r}\ntrained,\nstarts at 0")
        axes.text(x_b + r + gap / 4, d - r / 2, "\u00b7", ha="center", va="center", fontsize=18)
        x_a = x_b + r + gap / 2
        box(x_a, k, r, COLOURS[0], f"A: {r} x {k}, trained")
        axes.text(x_a, d * 0.45,
                  f"the layer computes W\u00b7x + (alpha / r)\u00b7B\u00b7A\u00b7x\n"
                  f"trained: r\u00b7(d + k) = {r * (d + k):,} numbers\nfrozen: d\u00b7k = {d * k:,}",
                  ha="left", va="center", linespacing=1.6)
        axes.set_title(f"LoRA on one {layer} layer, drawn to scale (r = {r})", loc="left")
        axes.set_xlim(-0.02 * k, x_a + k * 1.02)
        axes.set_ylim(-0.35 * d, d * 1.02)
        axes.set_aspect("equal")
        axes.axis("off")
    return to_svg(figure)
