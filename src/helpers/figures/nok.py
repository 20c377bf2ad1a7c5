"""Figures of the НОК report (matplotlib, house style :mod:`helpers.figures.style`: drawn at the page's width,
text >= 11 px, colour-blind palette with markers and line styles); every word from the catalogue
(``nok.figure.*``), numbers on axes in the locale's marks. Nothing here computes a statistic."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter

from helpers.figures.style import PALETTE, SMALL_PT, house, place_labels, renderer_of, width
from helpers.narrative import fmt
from helpers.narrative.catalogue import label, text
from helpers.studies.nok.codebook import CRITERIA, NokCodebook, load_nok_codebook

GREY = "#949494"


def _w(key: str, lang: str) -> str:
    """A figure word from the catalogue (``nok.figure.<key>``)."""
    return text(f"nok.figure.{key}", lang)


def _locale_ticks(ax, lang: str, axis: str = "x", digits: int = 0) -> None:
    """Tick labels in the locale's number marks (decimal comma in Russian)."""
    formatter = FuncFormatter(lambda v, _pos: fmt.number(v, lang, digits))
    (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(formatter)


@house
def ranking_plot(ranking: pd.DataFrame, region_total: float, lang: str = "en") -> plt.Figure:
    """Totals with 95% intervals, best at the top, n beside every organisation, the regional mean.

    Above the region: green triangle up; below: vermilion triangle down; not distinguishable: grey dot
    (shape and colour both say it)."""
    r = ranking.iloc[::-1].reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(width(), max(2.6, 0.3 * len(r) + 1.5)))  # the legend beside fits
    y = np.arange(len(r))
    kinds = {"above": (PALETTE[2], "^"), "below": (PALETTE[3], "v")}
    verdict = r["vs_region"].where(r["vs_region"].isin(list(kinds)), "same")
    for v, (colour, marker) in {**kinds, "same": (GREY, "o")}.items():
        g = r[verdict == v]
        if g.empty:
            continue
        yy = y[(verdict == v).to_numpy()]
        ax.hlines(yy, g["ci_low"], g["ci_high"], color=colour, lw=2.5)
        ax.plot(g["total"], yy, marker, color=colour, mec="black", mew=0.6, ms=6, ls="none",
                label=text(f"nok.figure.vs_{v}", lang))
    mean = fmt.number(region_total, lang, 2)
    ax.axvline(region_total, color=PALETTE[0], ls="--", lw=1, label=f"{_w('region', lang)} {mean}")
    ax.set_yticks(y, [f"{o} (n={n})" for o, n in zip(r["organisation_id"], r["respondents"], strict=True)])
    ax.set_ylim(-0.7, len(r) - 0.3)
    ax.set_xlabel(_w("total", lang) + "; " + _w("ci", lang))
    _locale_ticks(ax, lang, "x", 1)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.grid(axis="x", alpha=0.3)
    return fig


@house
def criteria_heatmap(scores: pd.DataFrame, order: list[str], lang: str = "en",
                     codebook: NokCodebook | None = None) -> plt.Figure:
    """K1…K5 of every organisation (rows in ranking order), values written in the cells."""
    cb = codebook or load_nok_codebook()
    s = scores.set_index("organisation_id").loc[order, list(CRITERIA)]
    fig, ax = plt.subplots(figsize=(width(), 0.3 * len(s) + 3.0))  # room for the criteria and the colour bar
    values = s.to_numpy(dtype=float)
    low = min(80.0, np.nanmin(values))
    im = ax.imshow(values, cmap="viridis", vmin=low, vmax=100, aspect="auto")
    for (i, j), v in np.ndenumerate(values):
        txt = fmt.number(v, lang, 1)
        ax.text(j, i, txt, ha="center", va="center", fontsize=SMALL_PT,
                color="white" if v < low + 0.6 * (100 - low) else "black")
    ax.set_xticks(range(5), [f"{label('values', k, lang)}\n{_short(cb.criterion_label(k, lang), 15, 4)}" for k in CRITERIA],
                  fontsize=SMALL_PT)
    ax.xaxis.tick_top()
    ax.xaxis.set_label_position("top")
    ax.set_yticks(range(len(s)), s.index)
    ax.set_xlabel(_w("criterion", lang))
    ax.set_ylabel(_w("organisation", lang))
    fig.colorbar(im, ax=ax, location="bottom", shrink=0.5, aspect=30,  # 82.5 is not written as 82
                 format=FuncFormatter(lambda v, _pos: fmt.number(v, lang, 0 if float(v).is_integer() else 1)))
    return fig


def _short(text: str, chars: int = 18, lines_max: int = 3) -> str:
    """``text`` wrapped at ``chars`` characters a line, at most ``lines_max`` lines (the rest left out).

    >>> _short("Открытость и доступность информации об организации", 15, 4)
    'Открытость и\\nдоступность\\nинформации об\\nорганизации'
    """
    words, lines, line = text.split(), [], ""
    for word in words:
        if len(line) + len(word) > chars and line:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return "\n".join([*lines, line][:lines_max])


def _no_scale(ax) -> None:
    """A square-root y scale: shares of 'no' near 0 (shares of 'yes' near the 100% ceiling) spread apart."""
    ax.set_yscale("function", functions=(lambda v: np.sqrt(np.clip(v, 0, None)), lambda v: np.square(v)))


def _no_ticks(high: float) -> list[int]:
    """Ticks of the square-root scale up to ``high``, at least 8% of the axis apart.

    >>> _no_ticks(25), _no_ticks(108)
    ([0, 1, 2, 5, 10, 20], [0, 1, 5, 10, 20, 50, 100])
    """
    kept: list[int] = []
    for v in (0, 1, 2, 5, 10, 20, 50, 100):
        if v <= high and (not kept or np.sqrt(v) - np.sqrt(kept[-1]) >= 0.08 * np.sqrt(high)):
            kept.append(v)
    return kept


def _funnel_panel(ax, f: pd.DataFrame, x: str, lang: str, target: float, to_y) -> tuple:
    """One funnel: limits (95% dashed, 99.8% dotted, 99.8% with over-dispersion solid), the group value,
    the organisations (outside the over-dispersed 99.8% limits: vermilion diamonds; outside 95%: orange
    squares; inside: black dots). ``to_y`` maps a value and its limits to the plotted scale. Returns the
    points ``(x, y, organisation)`` and which of them to name (outside a limit), for :func:`place_labels`."""
    w = {k: _w(k, lang) for k in ("lim95", "lim998", "od", "target")}
    f = f.sort_values(x)
    lines = (("95", "--", 1.0, PALETTE[0], w["lim95"]), ("998", ":", 1.3, PALETTE[3], w["lim998"]),
             ("998_od", "-", 1.5, PALETTE[3], f"{w['lim998']}, {w['od']}"))
    for level, ls, lw, colour, name in lines:
        ax.plot(f[x], to_y(f[f"ll{level}"]), color=colour, ls=ls, lw=lw, marker="none", label=name)
        ax.plot(f[x], to_y(f[f"ul{level}"]), color=colour, ls=ls, lw=lw, marker="none")
    ax.axhline(to_y(target), color="grey", lw=0.8, ls="-.", label=w["target"])
    out998 = (f["outside998_od"] != "").to_numpy()
    out95 = (f["outside95_od"] != "").to_numpy() & ~out998
    inside = ~(out998 | out95)
    ys = to_y(f["value"]).to_numpy(float)
    xs = f[x].to_numpy(float)
    # a point at 0 'no' is drawn whole on the frame (not clipped); an empty group stays clipped, else its
    # empty line would count as a mark at the figure's corner in the layout
    for mask, marker, colour, size, key in ((inside, "o", "black", 4, "inside"), (out95, "s", PALETTE[1], 6, "outside95"),
                                            (out998, "D", PALETTE[3], 6, "outside998")):
        ax.plot(xs[mask], ys[mask], marker, color=colour, mec="black", mew=0.5, ms=size, ls="none", zorder=3,
                clip_on=not mask.any(), label=_w(key, lang))
    return xs, ys, f["organisation_id"].to_numpy(), out998 | out95


def _name_outside(ax, points, renderer=None) -> None:
    """Name the organisations outside the limits beside their points, covering no point (:func:`place_labels`)."""
    xs, ys, names, named = points
    place_labels(ax, xs[named], ys[named], names[named], avoid_x=xs, avoid_y=ys, renderer=renderer)


def _share_limits(f: pd.DataFrame) -> tuple[float, float]:
    """The y range (share answering 'no', %) that holds every organisation and every limit."""
    cols = ["value", "ll95", "ul95", "ll998", "ul998", "ll998_od", "ul998_od"]
    no = 100 - 100 * f[cols].to_numpy(float)
    top = float(np.nanmax(no)) if np.isfinite(no).any() else 10.0
    return 0.0, max(top * 1.08, 1.0)


@house
def share_funnel_plot(funnels: pd.DataFrame, questions: list[str], lang: str = "en",
                      codebook: NokCodebook | None = None) -> plt.Figure:
    """Funnel plots of satisfaction shares, one panel per question, two panels a row at the page's width.

    Plotted is the share answering **no** (100 - share of yes) on a square-root scale: the organisations
    crowd against 100% yes, and the scale spreads those small shares of 'no' apart while still showing the
    limits of small organisations. Organisations outside the limits are named beside their point."""
    cb = codebook or load_nok_codebook()
    cols = 2
    rows = int(np.ceil(len(questions) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(width(), 3.3 * rows + 0.9), squeeze=False)
    drawn = []
    for ax, q in zip(axes.flat, questions, strict=False):
        f = funnels[funnels["question"] == q].rename(columns={"size": "n"})
        # wrapped to the panel: a title wider than its axes would squeeze the panel (constrained layout)
        ax.set_title(_short(f"{q}: {cb.question_text(q, lang)}", 36, 4), fontsize=9.5, loc="left")
        ax.set_xlabel(_w("size", lang))
        ax.set_ylabel(_w("share_no", lang))
        if f.empty:  # no organisation has a respondent in this share's denominator
            ax.text(0.5, 0.5, "—", ha="center", va="center", transform=ax.transAxes)
            continue
        _no_scale(ax)
        low, high = _share_limits(f)
        ax.set_ylim(low, high)
        ax.set_yticks(_no_ticks(high))
        drawn.append((ax, _funnel_panel(ax, f, "n", lang, float(f["target"].iloc[0]), lambda v: 100 - 100 * v)))
        _locale_ticks(ax, lang, "y", 0)
    for ax in list(axes.flat)[len(questions):]:
        ax.axis("off")
    handles, names = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncol=2, frameon=False)
    renderer = renderer_of(fig)  # one layout for all panels, then their labels
    for ax, points in drawn:
        _name_outside(ax, points, renderer)
    return fig


@house
def ratio_funnel_plot(funnel: pd.DataFrame, lang: str = "en") -> plt.Figure:
    """Observed/expected 'no' answers against the expected count, exact Poisson limits."""
    fig, ax = plt.subplots(figsize=(width(), 5.4))
    ax.set_xlabel(_w("expected", lang))
    ax.set_ylabel(_w("ratio", lang))
    _locale_ticks(ax, lang, "x", 0)
    _locale_ticks(ax, lang, "y", 1)
    points = _funnel_panel(ax, funnel, "expected", lang, 1.0, lambda v: v)
    fig.legend(loc="outside lower center", ncol=2, frameon=False)  # the plot keeps the page's width
    _name_outside(ax, points)
    return fig


@house
def region_gap_plot(view: pd.DataFrame, lang: str = "en", codebook: NokCodebook | None = None) -> plt.Figure:
    """Gap to 100 of the regional mean per criterion, largest first."""
    cb = codebook or load_nok_codebook()
    fig, ax = plt.subplots(figsize=(width(), 0.45 * len(view) + 1.0))
    v = view.iloc[::-1]
    ax.barh([f"{label('values', k, lang)} {_short(cb.criterion_label(k, lang), 60)}" for k in v["criterion"]], v["gap"],
            color=PALETTE[1])
    ax.set_xlabel(_w("gap", lang))
    _locale_ticks(ax, lang, "x", 1)
    return fig
