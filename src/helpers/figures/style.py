"""The house style of every figure: drawn at the size the page shows it, text at least 11 CSS px, real text in SVG.

A report page (``report/templates/mg``) shows a figure in an output area :data:`CONTENT_WIDTH_PX` CSS pixels
wide at a 1280 px window (measured in Chromium). Every figure function draws at that width, or a declared
fraction of it (:func:`width`), so the browser never scales a figure down: one drawn pixel is one CSS pixel
(``figure.dpi`` 96, the CSS pixels of an inch) and a text of ``s`` points is ``s * 96 / 72`` px on screen.
The smallest text is :data:`SMALL_PT` = 8.5 pt = 11.3 px (:data:`MIN_TEXT_PX` = 11 px is the floor the
tests hold every text to); body text is 9 pt (12 px).

:func:`house` wraps every figure function: it draws inside :data:`HOUSE` (the rcParams below: SVG text kept
as text, ``svg.fonttype: none``; constrained layout, so nothing leaves the figure; seaborn's ``colorblind``
palette cycled together with markers and line styles, so a meaning is never carried by colour alone) and
tags the figure with the function's name (:func:`source`), which the report records beside the figure.
Every figure is SVG: none has thousands of marks (the largest, the workers' trajectories, is about 115 KB).

:func:`legibility_problems` is the check the report runs on every figure it shows (and the tests read back):
two texts overlapping, a text leaving the figure, a text under 11 px as displayed, a figure wider than the
page. :func:`place_labels` writes point labels (organisations outside funnel limits) where they cover no
point and no other label.
"""

from __future__ import annotations

import functools
import itertools

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from cycler import cycler

#: width of a report page's figure (the output area less its 20 px right padding) in CSS px, Chromium at a
#: 1280 px window (any window from 1060 px: the page is 64em wide at most); tests/test_figure_legibility.py
CONTENT_WIDTH_PX = 802
#: CSS pixels per inch (and matplotlib's figure.dpi here: one drawn pixel = one CSS pixel)
PX_PER_INCH = 96
#: the smallest text a reader is shown, in CSS px at the displayed size (issue 22)
MIN_TEXT_PX = 11.0
#: the smallest font the figures use (8.5 pt = 11.3 px), for annotations, cell values and dense ticks
SMALL_PT = 8.5
#: body text of a figure: ticks, axis labels, legends (9 pt = 12 px)
BODY_PT = 9.0

#: seaborn's "colorblind" palette (Okabe-Ito-like), as hex: blue, orange, green, vermilion, pink, brown, ...
PALETTE = ["#0173b2", "#de8f05", "#029e73", "#d55e00", "#cc78bc", "#ca9161", "#fbafe4", "#949494", "#ece133",
           "#56b4e9"]
#: markers and line styles that go with the palette's colours in order (a meaning is never only a colour)
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "<", ">", "*"]
LINESTYLES = ["-", "--", ":", "-.", (0, (5, 1, 1, 1)), (0, (1, 1)), (0, (3, 1, 1, 1, 1, 1)), "-", "--", ":"]

HOUSE = {
    "figure.dpi": PX_PER_INCH,
    "savefig.dpi": PX_PER_INCH,
    "svg.fonttype": "none",  # text stays text: found with Ctrl-F, read aloud, sharp in print
    "svg.hashsalt": "mystery-guest",  # the same figure gives the same file
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Bitstream Vera Sans", "Verdana", "Arial", "Helvetica"],
    "font.size": BODY_PT,
    "axes.titlesize": 10.0,
    "axes.labelsize": BODY_PT,
    "xtick.labelsize": BODY_PT,
    "ytick.labelsize": BODY_PT,
    "legend.fontsize": BODY_PT,
    "legend.title_fontsize": BODY_PT,
    "figure.titlesize": 10.5,
    "figure.labelsize": BODY_PT,
    "figure.constrained_layout.use": True,
    # colours and line styles cycle together; markers are set by each figure (a marker in the cycle would put
    # one on every point of every line: funnel limits of 200 points, 30 KB of SVG each)
    "axes.prop_cycle": cycler(color=PALETTE[:7]) + cycler(linestyle=LINESTYLES[:7]),
    "image.cmap": "viridis",
}


def width(fraction: float = 1.0) -> float:
    """A figure's width in inches: ``fraction`` of the page's content width (side-by-side panels take less).

    >>> round(width() * PX_PER_INCH) == CONTENT_WIDTH_PX, round(width(0.5) * PX_PER_INCH) == CONTENT_WIDTH_PX // 2
    (True, True)
    """
    return CONTENT_WIDTH_PX * fraction / PX_PER_INCH


def house(func):
    """Draw ``func``'s figure in the house style (:data:`HOUSE`) and tag it with the function's name."""
    name = f"{func.__module__.rsplit('.', 1)[-1]}.{func.__name__}"

    @functools.wraps(func)
    def draw(*args, **kwargs):
        with plt.rc_context(HOUSE):
            fig = func(*args, **kwargs)
        fig.mg_source = name
        return fig

    draw.mg_figure = name
    return draw


def source(fig) -> str:
    """The figure function that drew ``fig`` (``"nok.share_funnel_plot"``), ``""`` for a figure drawn elsewhere."""
    return getattr(fig, "mg_source", "")


def texts(fig, renderer=None) -> list:
    """Every text of ``fig`` a reader is shown: visible and non-empty, inside a visible parent (a hidden legend
    or axes hides its words), tick labels only of the ticks drawn (inside the axis' view), annotations only
    when drawn (their point inside the axes). ``renderer``: the one the figure was drawn with."""
    from matplotlib.axis import Axis
    from matplotlib.text import Annotation, Text

    found = []

    def walk(artist) -> None:
        if not artist.get_visible():
            return
        if isinstance(artist, Text):
            if artist.get_text().strip() and not (isinstance(artist, Annotation) and renderer is not None
                                                  and not artist._check_xy(renderer)):
                found.append(artist)
            return
        if isinstance(artist, mpl.axes.Axes) and not artist.axison:  # ax.axis("off"): no axis is drawn
            children = [c for c in artist.get_children() if not isinstance(c, Axis)]
        elif isinstance(artist, Axis):
            children = [artist.label, artist.offsetText]
            for tick in artist._update_ticks():  # the ticks drawn: inside the view interval
                children += [tick.label1, tick.label2]
        else:
            children = artist.get_children()
        for child in children:
            walk(child)

    walk(fig)
    return found


def renderer_of(fig):
    """Draw ``fig`` once (its layout engine runs) and return the renderer that drew it."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if fig.dpi != PX_PER_INCH:
        fig.set_dpi(PX_PER_INCH)
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()
    return canvas.get_renderer()


def legibility_problems(fig, shown_width_px: float = CONTENT_WIDTH_PX, min_px: float = MIN_TEXT_PX,
                        tolerance_px: float = 0.5, renderer=None) -> list[str]:
    """What a reader could not read in ``fig`` as the page shows it: texts overlapping one another, texts
    leaving the figure, texts under ``min_px`` CSS px, a figure drawn wider than ``shown_width_px`` (the
    browser would shrink it, and its text with it).

    Boxes are the renderer's (``Text.get_window_extent``): by default the figure is drawn here at
    :data:`PX_PER_INCH` (CSS px); ``renderer``: the one of a draw just made (the report passes its SVG
    renderer from the ``draw_event``, sparing a drawing; its units are points, and the check does not depend
    on them). Two boxes overlap when they share more than ``tolerance_px`` in both directions. Font size is in points,
    ``px = pt * 96 / 72``, scaled by the display ratio (shown / drawn width, at most 1).

    >>> with plt.rc_context(HOUSE):
    ...     fig, ax = plt.subplots(figsize=(width(0.5), 2))
    ...     _ = ax.set_title("a title"); _ = ax.text(0.5, 0.5, "one"); _ = ax.text(0.5, 0.5, "two", fontsize=6)
    >>> legibility_problems(fig)  # doctest: +NORMALIZE_WHITESPACE
    ["text 'two' is 8.0 px high as shown (under 11 px)", "texts overlap: 'one' and 'two'"]
    >>> plt.close(fig)
    """
    problems: list[str] = []
    drawn_px = fig.get_figwidth() * PX_PER_INCH
    if drawn_px > shown_width_px + 1:
        problems.append(f"figure drawn {drawn_px:.0f} px wide, shown at {shown_width_px:.0f} px (scaled down)")
    ratio = min(1.0, shown_width_px / drawn_px)
    if renderer is None:
        with plt.rc_context(HOUSE):
            renderer = renderer_of(fig)
    frame = fig.bbox
    boxes = []
    for t in texts(fig, renderer):
        words = t.get_text().replace("\n", " ")
        px = t.get_fontsize() * PX_PER_INCH / 72 * ratio
        if px < min_px - 1e-9:
            problems.append(f"text {words!r} is {px:.1f} px high as shown (under {min_px:g} px)")
        box = t.get_window_extent(renderer)
        if box.width <= 0 or box.height <= 0:
            continue
        if (box.x0 < frame.x0 - tolerance_px or box.y0 < frame.y0 - tolerance_px
                or box.x1 > frame.x1 + tolerance_px or box.y1 > frame.y1 + tolerance_px):
            problems.append(f"text {words!r} leaves the figure")
        boxes.append((words, box))
    for (a, p), (b, q) in itertools.combinations(boxes, 2):
        dx = min(p.x1, q.x1) - max(p.x0, q.x0)
        dy = min(p.y1, q.y1) - max(p.y0, q.y0)
        if dx > tolerance_px and dy > tolerance_px:
            problems.append(f"texts overlap: {a!r} and {b!r}")
    return problems


def place_labels(ax, xs, ys, labels, avoid_x=None, avoid_y=None, fontsize: float = SMALL_PT,
                 marker_px: float = 5.0, renderer=None) -> list:
    """Write ``labels`` beside the points ``(xs, ys)`` where no label covers a point or another label.

    A simple greedy placement (no adjustText): each label tries offsets around its point, nearest first
    (right, left, above, below, then the diagonals, then twice as far), and takes the first whose box stays
    inside the axes and touches neither a point of ``(avoid_x, avoid_y)`` (default: the labelled points),
    within ``marker_px``, nor a label placed before it. A label that finds no free place goes to its first
    choice with a thin line to its point. Returns the annotations. The axes' limits and the figure's layout
    must be final: ``renderer`` is the one of a draw made after them (by default the figure is drawn here).
    """
    renderer = renderer or renderer_of(ax.figure)
    avoid_x = xs if avoid_x is None else avoid_x
    avoid_y = ys if avoid_y is None else avoid_y
    pts = ax.transData.transform(np.column_stack([np.asarray(avoid_x, float), np.asarray(avoid_y, float)]))
    pts = pts[np.isfinite(pts).all(axis=1)]
    frame = ax.get_window_extent(renderer)
    placed: list = []
    out = []
    base = [(6, 0, "left", "center"), (-6, 0, "right", "center"), (0, 7, "center", "bottom"),
            (0, -7, "center", "top"), (5, 5, "left", "bottom"), (-5, 5, "right", "bottom"),
            (5, -5, "left", "top"), (-5, -5, "right", "top")]
    offsets = base + [(2.5 * dx, 2.5 * dy, ha, va) for dx, dy, ha, va in base]
    for x, y, words in zip(xs, ys, labels, strict=True):
        chosen = None
        for k, (dx, dy, ha, va) in enumerate(offsets):
            ann = ax.annotate(words, (x, y), xytext=(dx, dy), textcoords="offset points", ha=ha, va=va,
                              fontsize=fontsize)
            box = ann.get_window_extent(renderer)
            inside = (box.x0 >= frame.x0 and box.x1 <= frame.x1 and box.y0 >= frame.y0 and box.y1 <= frame.y1)
            near = box.padded(marker_px)
            covers = ((pts[:, 0] > near.x0) & (pts[:, 0] < near.x1) & (pts[:, 1] > near.y0)
                      & (pts[:, 1] < near.y1)).any() if len(pts) else False
            clash = any(box.overlaps(p) for p in placed)
            if inside and not covers and not clash:
                chosen = (ann, box)
                break
            ann.remove()
            if k == len(offsets) - 1:
                dx0, dy0, ha0, va0 = offsets[0]
                ann = ax.annotate(words, (x, y), xytext=(dx0 * 4, dy0 + 12), textcoords="offset points",
                                  ha=ha0, va=va0, fontsize=fontsize,
                                  arrowprops={"arrowstyle": "-", "lw": 0.6, "color": "0.4"})
                chosen = (ann, ann.get_window_extent(renderer))
        placed.append(chosen[1])
        out.append(chosen[0])
    return out
