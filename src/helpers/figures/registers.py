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
