"""Charts for the Word report, drawn with matplotlib's Agg backend into PNG bytes.

Figures are built with `matplotlib.figure.Figure` and never through pyplot, so
no global figure state is kept between reports (or between threads of a worker).
"""

from __future__ import annotations

import io
import re
import warnings

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
DPI = 150


def _png(figure: Figure) -> bytes:
    FigureCanvasAgg(figure)
    out = io.BytesIO()
    with warnings.catch_warnings():
        # A transcript language's letter missing from the bundled font must not fail a report.
        warnings.filterwarnings("ignore", message=r".*[Gg]lyph .* missing")
        figure.savefig(out, format="png", dpi=DPI)
    return out.getvalue()


def occurrence_chart(
    by_session: list[tuple[str, int]],
    by_phase: list[tuple[str, int]],
    *,
    colour: str,
    titles: tuple[str, str],
    y_label: str,
) -> bytes:
    """Return two bar charts side by side: coded segments by session and by phase."""
    colour = colour if _HEX.match(colour or "") else "#777777"
    # Fixed margins: constrained layout would double the drawing time of each chart.
    figure = Figure(figsize=(7.0, 2.6))
    figure.subplots_adjust(left=0.08, right=0.99, bottom=0.12, top=0.9, wspace=0.08)
    axes = figure.subplots(1, 2, sharey=True)
    for ax, data, title in zip(axes, (by_session, by_phase), titles, strict=True):
        labels = [label for label, _n in data]
        ax.bar(range(len(data)), [n for _label, n in data], color=colour, edgecolor="#333333")
        ax.set_xticks(range(len(data)), labels, fontsize=8)
        ax.set_title(title, fontsize=10)
        ax.tick_params(axis="y", labelsize=8)
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.spines[["top", "right"]].set_visible(False)
    axes[0].set_ylabel(y_label, fontsize=9)
    return _png(figure)


def heatmap(labels: list[str], matrix: list[list[int]], *, title: str) -> bytes:
    """Return a labelled heatmap of a square count matrix, each cell showing its count."""
    size = max(3.5, min(7.0, 1.2 + 0.55 * len(labels)))
    figure = Figure(figsize=(size + 1.6, size), layout="constrained")
    ax = figure.subplots()
    image = ax.imshow(matrix, cmap="Blues", vmin=0)
    ticks = range(len(labels))
    ax.set_xticks(ticks, labels, rotation=40, ha="right", fontsize=8)
    ax.set_yticks(ticks, labels, fontsize=8)
    peak = max((max(row) for row in matrix), default=0) or 1
    for i, row in enumerate(matrix):
        for j, value in enumerate(row):
            ax.text(
                j,
                i,
                str(value),
                ha="center",
                va="center",
                fontsize=7,
                color="white" if value > peak * 0.6 else "black",
            )
    ax.set_title(title, fontsize=10)
    figure.colorbar(image, ax=ax, shrink=0.8)
    return _png(figure)


def count_panels(panels: list[tuple[str, list[tuple[str, int]]]], *, colour: str) -> bytes:
    """Return horizontal bar charts of labelled counts, two panels per row, largest on top."""
    colour = colour if _HEX.match(colour or "") else "#777777"
    rows = (len(panels) + 1) // 2
    tallest = max((len(data) for _title, data in panels), default=1)
    figure = Figure(figsize=(7.0, rows * max(1.6, 0.3 * tallest + 0.8)), layout="constrained")
    axes = figure.subplots(rows, 2, squeeze=False).flatten()
    for ax, (title, data) in zip(axes, panels, strict=False):
        data = list(reversed(data))  # barh draws bottom-up
        ax.barh(range(len(data)), [n for _label, n in data], color=colour, edgecolor="#333333")
        ax.set_yticks(range(len(data)), [_short(label) for label, _n in data], fontsize=7)
        ax.set_title(title, fontsize=9)
        ax.tick_params(axis="x", labelsize=7)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.spines[["top", "right"]].set_visible(False)
    for ax in axes[len(panels) :]:
        ax.set_visible(False)
    return _png(figure)


def _short(label: str, limit: int = 28) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"
