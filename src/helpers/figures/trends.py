"""Figures of the trends and summary reports (matplotlib, house style :mod:`helpers.figures.style`: drawn at
the page's width, text >= 11 px, colour-blind-safe palette with markers and line styles that differ too).

Every title, axis, legend and tick label comes from the message catalogue (``trends.figure.*``) and the
codebook; numbers on the axes follow the locale (decimal comma in Russian) through :func:`locale_axes`.
Nothing here computes a statistic: the tables come from :mod:`helpers.studies.mystery_guest.trends`.
"""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.ticker import FuncFormatter

from helpers.figures.style import BODY_PT as BODY
from helpers.figures.style import MARKERS, SMALL_PT, house, width
from helpers.io.codebook import Codebook, load_codebook
from helpers.narrative import fmt
from helpers.narrative.catalogue import text
from helpers.narrative.trends import direction_label, measure_label

__all__ = ["locale_axes", "plot_covid", "plot_raw_vs_adjusted", "plot_worker_trajectories", "plot_yearly"]

DOMAIN_MEASURES = ["ethics", "competence", "quality", "composite"]


def _w(key: str, lang: str, **values) -> str:
    return text(f"trends.figure.{key}", lang, **values)


def _tick(lang: str):
    def f(x, _pos=None):
        return fmt.number(x, lang, 0 if float(x).is_integer() else 1)
    return FuncFormatter(f)


def locale_axes(ax, lang: str, x: bool = True, y: bool = True) -> None:
    """Numbers on the axes of ``ax`` in the locale's marks (``92,5`` in Russian); years stay plain."""
    if y:
        ax.yaxis.set_major_formatter(_tick(lang))
    if x:
        ax.xaxis.set_major_formatter(_tick(lang))


def _years_axis(ax, years) -> None:
    ax.set_xticks(list(years))
    ax.set_xticklabels([str(int(y)) for y in years])


def _errorbar(ax, x, est, low, high, fmt_: str = "o-", **kw):
    ax.errorbar(x, est, yerr=[np.asarray(est) - np.asarray(low), np.asarray(high) - np.asarray(est)],
                fmt=fmt_, capsize=4, **kw)


@house
def plot_yearly(summary: pd.DataFrame, measures: list[str] | None = None, lang: str = "en") -> plt.Figure:
    """Small multiples: one panel per measure, estimate per year with its 95% CI and n under each point."""
    measures = [m for m in (measures or DOMAIN_MEASURES) if m in set(summary["measure"])]
    pal = sns.color_palette("colorblind")
    ncol = min(2, len(measures))  # two panels a row: fewer panels, not smaller text
    nrow = int(np.ceil(len(measures) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(width(0.5 * ncol), 3.0 * nrow + 0.5), sharey=False,
                             squeeze=False)
    for ax in list(axes.flat)[len(measures):]:
        ax.axis("off")
    for ax, m in zip(axes.flat, measures, strict=False):
        s = summary[summary["measure"] == m].sort_values("year")
        _errorbar(ax, s["year"], s["estimate"], s["ci_low"], s["ci_high"], color=pal[0])
        for _, r in s.iterrows():
            ax.annotate(_w("n", lang, n=int(r["n"])), (r["year"], r["ci_low"]), textcoords="offset points",
                        xytext=(0, -5), ha="center", va="top", fontsize=SMALL_PT)
        ax.set_title(textwrap.fill(measure_label(m, lang), 44), fontsize=9.5)
        ax.margins(x=0.12, y=0.25)
        locale_axes(ax, lang, x=False)
        _years_axis(ax, s["year"])
    ylabel = _w("score", lang) if not measures[0].endswith("_top") else _w("percent", lang)
    for row in axes:
        row[0].set_ylabel(ylabel)
    for ax in axes[-1]:
        ax.set_xlabel(_w("year", lang))
    fig.suptitle(_w("yearly_title", lang))
    return fig


@house
def plot_raw_vs_adjusted(table: pd.DataFrame, lang: str = "en") -> plt.Figure:
    """Constant-instrument (solid, first) and all-interview (dashed) yearly means side by side, 95% CI, n per year."""
    pal = sns.color_palette("colorblind")
    fig, ax = plt.subplots(figsize=(width(), 3.9))
    t = table.sort_values("year")
    _errorbar(ax, t["year"] - 0.08, t["adjusted"], t["adjusted_ci_low"], t["adjusted_ci_high"], color=pal[1],
              label=_w("adjusted", lang))
    _errorbar(ax, t["year"] + 0.08, t["raw"], t["raw_ci_low"], t["raw_ci_high"], color=pal[0],
              label=_w("raw", lang), fmt_="s--")
    locale_axes(ax, lang, x=False)
    ax.set_xticks(t["year"])
    ax.set_xticklabels([f"{int(y)}\n{_w('n', lang, n=int(n))}" for y, n in zip(t["year"], t["n"], strict=True)])
    ax.set_xlabel(_w("year", lang))
    ax.set_ylabel(_w("score", lang))
    ax.set_title(textwrap.fill(_w("raw_vs_adjusted_title", lang), 60))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return fig


@house
def plot_worker_trajectories(per_year: pd.DataFrame, changes: pd.DataFrame | None = None,
                             lang: str = "en", worker=str) -> plt.Figure:
    """Small multiples, one panel per worker: adjusted score per year with 95% CI and n.

    ``changes`` (:func:`~helpers.studies.mystery_guest.trends.worker_trajectories`) colours the flagged
    workers; its ``method``, ``alpha`` and ``n_compared`` state the multiplicity control in the title
    (:func:`helpers.narrative.scoring.multiplicity_sentence`). ``worker`` labels a worker id.
    """
    from helpers.narrative.scoring import multiplicity_sentence

    pal = sns.color_palette("colorblind")
    workers = sorted(per_year["worker_id"].unique())
    ncol = min(4, max(1, len(workers)))
    nrow = int(np.ceil(len(workers) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(width(), 2.3 * nrow + 1.0), sharey=True, squeeze=False)
    lab = {} if changes is None or changes.empty else changes.set_index("worker_id")["direction"].to_dict()
    colour = {"improved": pal[2], "declined": pal[3]}
    shape = {"improved": ("^", "-"), "declined": ("v", "--")}  # a change is told by marker and line, not colour only
    years = sorted(per_year["year"].unique())
    for ax, w in zip(axes.flat, workers, strict=False):
        g = per_year[per_year["worker_id"] == w].sort_values("year")
        flag = lab.get(w, "")
        mk, ls = shape.get(flag, ("o", "-"))
        _errorbar(ax, g["year"], g["estimate"], g["ci_low"].fillna(g["estimate"]), g["ci_high"].fillna(g["estimate"]),
                  fmt_=mk + ls, color=colour.get(flag, pal[0]))
        for _, r in g.iterrows():
            ax.annotate(fmt.integer(r["n"], lang), (r["year"], r["estimate"]), textcoords="offset points",
                        xytext=(5, 1), fontsize=SMALL_PT)
        short = direction_label(flag, lang) if flag in ("improved", "declined") else ""
        ax.set_title(f"{worker(w)} {short}".strip(), fontsize=BODY, color=colour.get(flag, "black"))
        locale_axes(ax, lang, x=False)
        _years_axis(ax, years)  # every panel shows every year, a worker seen in one year too
        ax.set_xlim(years[0] - 0.6, years[-1] + 0.6)
    for ax in list(axes.flat)[len(workers):]:
        ax.axis("off")
    fig.supxlabel(_w("workers_x", lang))
    fig.supylabel(_w("score", lang))
    title = _w("workers_title", lang)
    if changes is not None and not changes.empty and "n_compared" in changes:
        c = changes.iloc[0]
        control = multiplicity_sentence(str(c.get("method", "holm")), float(c.get("alpha", 0.05)),
                                        int(c["n_compared"]), lang)
        title += "\n" + _w("workers_flags", lang, control=control)
    fig.suptitle(title, fontsize=10)
    return fig


@house
def plot_covid(covid: pd.DataFrame, codebook: Codebook | None = None, lang: str = "en") -> plt.Figure:
    """Dot-and-interval plot of the COVID-19 compliance shares: items x departments, one panel per year."""
    cb = codebook or load_codebook()
    pal = sns.color_palette("colorblind")
    years = sorted(covid["year"].unique())
    depts = list(dict.fromkeys(covid["department"]))
    items = list(dict.fromkeys(covid["item"]))
    ncol = min(2, len(years))
    nrow = int(np.ceil(len(years) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(width(0.5 * ncol), 3.8 * nrow + 0.6), sharex=True,
                             squeeze=False)
    for ax in list(axes.flat)[len(years):]:
        ax.axis("off")
    for ax, y in zip(axes.flat, years, strict=False):
        for k, dept in enumerate(depts):
            g = covid[(covid["year"] == y) & (covid["department"] == dept)].set_index("item").reindex(items)
            pos = np.arange(len(items)) + (k - (len(depts) - 1) / 2) * 0.22
            name = _w("organisation", lang) if dept == "all" else cb.vocabulary_label("department", dept, lang)
            ax.errorbar(g["share"], pos, xerr=[g["share"] - g["ci_low"], g["ci_high"] - g["share"]],
                        fmt=MARKERS[k % len(MARKERS)], capsize=3, color=pal[k], label=name)
            for p, (_, r) in zip(pos, g.iterrows(), strict=True):
                if np.isfinite(r["share"]):
                    ax.annotate(_w("n", lang, n=int(r["n"])), (r["ci_high"], p), textcoords="offset points",
                                xytext=(3, 0), va="center", fontsize=SMALL_PT)
        ax.set_yticks(np.arange(len(items)))
        ax.set_yticklabels([text(f"trends.covid_short.{i}", lang) for i in items])
        ax.set_xlim(0, 122)
        ax.set_xticks(range(0, 101, 20))
        locale_axes(ax, lang, y=False)
        ax.set_xlabel(_w("share_yes", lang))
        ax.set_title(str(y))
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=min(2, len(depts)), frameon=False)
    fig.suptitle(_w("covid_title", lang), fontsize=10)
    return fig
