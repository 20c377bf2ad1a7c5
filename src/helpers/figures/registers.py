"""Figures of the registers' reports (matplotlib, house style :mod:`helpers.figures.style`; each returns a
Figure the Report embeds)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from helpers.figures.style import PALETTE, SMALL_PT, house, width  # noqa: E402
from helpers.narrative import fmt  # noqa: E402
from helpers.narrative.catalogue import text  # noqa: E402
from helpers.narrative.registers import weekdays  # noqa: E402
from helpers.studies.registers.codebook import RegistersCodebook, load_registers_codebook  # noqa: E402


def _locale_ticks(axis, lang: str, digits: int = 0) -> None:
    """Tick labels in the locale's number marks (decimal comma, no-break-space thousands in Russian)."""
    axis.set_major_formatter(FuncFormatter(lambda v, _pos: fmt.number(v, lang, digits)))


@house
def appeals_bar(kinds_by_year: pd.DataFrame, lang: str = "en", cb: RegistersCodebook | None = None):
    """Appeals per year, stacked by kind (kinds with no appeal in any year are left out of the legend)."""
    cb = cb or load_registers_codebook()
    t = kinds_by_year.pivot(index="year", columns="kind", values="n")
    t = t.loc[:, t.sum() > 0]
    fig, ax = plt.subplots(figsize=(width(0.75), 3.4))
    bottom = np.zeros(len(t))
    hatches = ["", "//", "..", "xx", "\\\\", "oo", "--"]  # a kind told by its hatching too, not by colour alone
    for k, kind in enumerate(t.columns):
        ax.bar(t.index.astype(str), t[kind], bottom=bottom, label=cb.text("mailbox", "kinds", kind, lang),
               color=PALETTE[k % len(PALETTE)], hatch=hatches[k % len(hatches)], edgecolor="white")
        bottom += t[kind].to_numpy()
    ax.set_ylabel(text("registers.figure.appeals", lang))
    _locale_ticks(ax.yaxis, lang)
    ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


@house
def weekly_load_plot(weekly: pd.DataFrame, lang: str = "en", cb: RegistersCodebook | None = None):
    """Contacts per week with the COVID-19 restriction periods shaded."""
    cb = cb or load_registers_codebook()
    fig, ax = plt.subplots(figsize=(width(), 3.2))
    ax.plot(weekly["week"], weekly["contacts"], color=PALETTE[0], lw=1.2, marker="none")
    ax.set_ylabel(text("registers.figure.contacts_per_week", lang))
    _locale_ticks(ax.yaxis, lang)
    top = max(float(weekly["contacts"].max()), 1.0) * 1.15
    ax.set_ylim(0, top)
    first, last = weekly["week"].min(), weekly["week"].max()
    for p in cb.setting("support_line", "covid_periods"):
        start, end = pd.Timestamp(p["start"]), pd.Timestamp(p["end"])
        if end < first or start > last:
            continue
        ax.axvspan(start, end, color="#f4c7c3", alpha=0.6, lw=0)
        ax.text(start, top * 0.98, " " + p[lang], fontsize=SMALL_PT, va="top")
    return fig


@house
def heatmap_plot(grid: pd.DataFrame, lang: str = "en"):
    """Hours worked by hour of day (rows) and weekday (columns)."""
    rows = grid.loc[grid.sum(axis=1) > 0]
    fig, ax = plt.subplots(figsize=(width(0.6), 0.28 * max(len(rows), 4) + 1.2))
    im = ax.imshow(rows.to_numpy(), aspect="auto", cmap="Blues")
    ax.set_xticks(range(7), weekdays(lang))
    ax.set_yticks(range(len(rows)), [f"{h:02d}:00" for h in rows.index])
    fig.colorbar(im, ax=ax, label=text("registers.figure.hours", lang),
                 format=FuncFormatter(lambda v, _pos: fmt.number(v, lang, 0)))
    return fig


@house
def share_plot(table: pd.DataFrame, label_col: str, labels: dict, lang: str = "en", xlabel: str = "%"):
    """Shares (%) with their 95% intervals as dots and bars, one row per category."""
    t = table.iloc[::-1]
    fig, ax = plt.subplots(figsize=(width(0.75), 0.35 * len(t) + 1.1))
    y = np.arange(len(t))
    ax.errorbar(t["share"], y, xerr=[t["share"] - t["ci_low"], t["ci_high"] - t["share"]], fmt="o",
                color=PALETTE[0], capsize=2)
    ax.set_yticks(y, [labels.get(v, v) for v in t[label_col]])
    ax.set_xlabel(xlabel)
    ax.set_xlim(0, 100)
    _locale_ticks(ax.xaxis, lang)
    return fig


# what each channel's panel of :func:`channels_plot` draws (the table of the channels page holds every measure)
CHANNEL_PANELS = {"mystery_guest": ["composite_index", "composite_index_all"],
                  "mailbox": ["gratitude_share", "complaint_share"],
                  "elibrary": ["quarters_with_mailing_share"],
                  "support_line": ["contacts"],
                  "assistant": ["users_served"]}
_SERIES = ["#1f4e79", "#d55e00"]
_MARKERS = ["o", "s"]  # meaning not by colour alone


@house
def channels_plot(overview: pd.DataFrame, lang: str = "en"):
    """Small multiples of the channels page: one panel per channel, its headline measures per year - an estimate
    as a dot with its 95% interval, a count as a bar with its value written on it. Draws the rows of
    ``overview`` (:func:`helpers.studies.registers.study.channels_overview`) as they are: the same numbers as
    the page's table. Channels without a row are left out."""
    from helpers.narrative.catalogue import label
    from helpers.narrative.registers import channel_title

    panels = [(ch, [m for m in ms if ((overview["channel_name"] == ch) & (overview["measure"] == m)).any()])
              for ch, ms in CHANNEL_PANELS.items()]
    panels = [(ch, ms) for ch, ms in panels if ms]
    ncols = 2 if len(panels) > 1 else 1
    nrows = max(1, -(-len(panels) // ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(width(), 3.2 * nrows), squeeze=False)
    years = sorted(int(y) for y in overview["year"].unique())
    for ax, (channel, measures) in zip(axes.flat, panels, strict=False):
        title = channel_title(channel, lang)
        if len(measures) == 1:  # one measure: named in the title, no legend
            title += "\n" + label("registers.measures", measures[0], lang)
        ax.set_title(title, loc="left")
        slot = 0.8 / len(measures)
        for k, m in enumerate(measures):
            d = overview[(overview["channel_name"] == channel) & (overview["measure"] == m)]
            x = np.array([years.index(int(y)) for y in d["year"]]) + (k - (len(measures) - 1) / 2) * slot
            v = pd.to_numeric(d["value"], errors="coerce").to_numpy(dtype=float)
            name = label("registers.measures", m, lang)
            if d["ci_low"].notna().any():
                lo, hi = d["ci_low"].to_numpy(dtype=float), d["ci_high"].to_numpy(dtype=float)
                ax.errorbar(x, v, yerr=[v - lo, hi - v], fmt=_MARKERS[k], color=_SERIES[k], capsize=3, label=name)
            else:
                ax.bar(x, v, width=0.6 * slot / 0.8 if len(measures) > 1 else 0.6, color=_SERIES[k], label=name)
                for xi, vi in zip(x, v, strict=True):
                    ax.annotate(fmt.integer(vi, lang), (xi, vi), ha="center", va="bottom",
                                xytext=(0, 2), textcoords="offset points")
                ax.set_ylim(0, max(float(np.nanmax(v)), 1.0) * 1.18)
        ax.set_xticks(range(len(years)), [str(y) for y in years])
        ax.set_xlim(-0.6, len(years) - 0.4)  # every panel spans every year, with or without data
        _locale_ticks(ax.yaxis, lang)
        ax.spines[["top", "right"]].set_visible(False)
        if len(measures) > 1:  # below the axis, where it hides no interval
            ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(0, -0.12))
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    return fig
