"""Small SVG trend charts for the review summary, drawn with matplotlib.

matplotlib is imported only here and only when a chart is drawn (it takes about half a
second to import); its object API (``Figure``, no pyplot) keeps no global state, so charts
drawn in one process do not leak into each other. The SVG has no date and fixed element ids,
so the same history gives the same file.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import io
from collections.abc import Sequence

SPARKS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[float]) -> str:
    """The values as one line of block characters, for text where no picture shows."""
    if not values:
        return ""
    low, high = min(values), max(values)
    span = high - low
    return "".join(SPARKS[0 if span == 0 else round((v - low) / span * (len(SPARKS) - 1))]
                   for v in values)


def trend_svg(title: str, series: dict[str, Sequence[float]], labels: Sequence[str],
              threshold: float | None = None) -> str:
    """A line chart of each series over the runs (``labels``: one per run), with the
    threshold as a dashed line when there is one."""
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context({"svg.hashsalt": "pytest-nocode", "svg.fonttype": "none",
                                "font.size": 8}):
        fig = Figure(figsize=(4.2, 1.6), dpi=100)
        ax = fig.subplots()
        positions = list(range(len(labels)))
        for name, values in series.items():
            ax.plot(positions, list(values), marker="o", markersize=3, linewidth=1.5,
                    label=name)
        if threshold is not None:
            ax.axhline(threshold, color="#c0392b", linestyle="--", linewidth=1,
                       label=f"threshold {threshold:g}")
        ax.set_title(title, fontsize=9, loc="left")
        ax.set_xticks(positions, list(labels), fontsize=7)
        ax.set_ylim(bottom=0)
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="y", linewidth=0.3)
        if len(series) > 1 or threshold is not None:
            ax.legend(fontsize=7, frameon=False, loc="best")
        fig.tight_layout()
        out = io.StringIO()
        fig.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()
