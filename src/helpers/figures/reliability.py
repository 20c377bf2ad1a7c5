"""Figures of the reliability report: forest plot of agreement, Bland-Altman, paired-answer heatmaps,
interviewer funnel plot.

Every title, axis, legend and tick label comes from the message catalogue (``reliability.figure.*``,
``reliability.statistic.*``, ``reliability.role.*``) and :mod:`helpers.narrative.fmt` (decimal comma on
Russian axes); questions are shown by their text, not their codes. House style
(:mod:`helpers.figures.style`): drawn at the page's width, text >= 11 px, colour-blind-safe palette (seaborn
``colorblind``) with markers and line styles that differ too. Nothing here computes an analysis: the tables come from
:mod:`helpers.studies.mystery_guest.reliability`.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.ticker import FuncFormatter
from scipy import stats

from helpers.figures.style import MARKERS, house, place_labels, width
from helpers.narrative import fmt
from helpers.narrative.catalogue import text
from helpers.stats.score_agreement import bland_altman
from helpers.studies.mystery_guest.reliability import (
    ROLES,
    SUMMARY_STATISTICS,
    funnel_band,
    paired_scores,
)

__all__ = ["plot_agreement_forest", "plot_bland_altman", "plot_confusion", "plot_funnel"]


def _axis_numbers(ax, lang: str, digits: int = 1, axes: str = "xy") -> None:
    """Tick labels in the locale's marks (decimal comma in Russian)."""
    f = FuncFormatter(lambda v, _pos: fmt.number(v, lang, digits))
    if "x" in axes:
        ax.xaxis.set_major_formatter(f)
    if "y" in axes:
        ax.yaxis.set_major_formatter(f)


def _question(item: str, codebook, lang: str, width: int = 48) -> str:
    words = codebook.item_label(item, lang) if codebook is not None and item in codebook.items else item
    return textwrap.shorten(words, width, placeholder="…")


def _measure(column: str, codebook, lang: str) -> str:
    if codebook is None:
        from helpers.io.codebook import load_codebook

        codebook = load_codebook()
    return codebook.measure_label(column, lang).lower()


@house
def plot_agreement_forest(tidy: pd.DataFrame, codebook=None, lang: str = "en", label: str = "",
                          statistics: Sequence[str] = SUMMARY_STATISTICS):
    """Forest plot: each question's coefficients with their 95% intervals, one marker per statistic."""
    t = tidy[tidy["statistic"].isin(statistics) & (tidy["level"].eq("item") | tidy["level"].isna())]
    items = list(dict.fromkeys(t["item_or_domain"]))
    pal = sns.color_palette("colorblind", len(statistics))
    height = 0.5 * len(items) + 2.0
    fig, ax = plt.subplots(figsize=(width(), height))
    off = np.linspace(-0.27, 0.27, len(statistics))
    for s, o, col, mk in zip(statistics, off, pal, MARKERS, strict=False):
        g = t[t["statistic"] == s].set_index("item_or_domain").reindex(items)
        y = np.arange(len(items)) + o
        est = g["estimate"].to_numpy(float)
        lo = g["ci_low"].to_numpy(float)
        hi = g["ci_high"].to_numpy(float)
        ax.errorbar(est, y, xerr=[est - lo, hi - est], fmt=mk, ms=5, color=col, capsize=2,
                    lw=1, label=text(f"reliability.statistic.{s}", lang))
    for x, ls in ((0, "-"), (0.667, ":"), (0.8, "--")):
        ax.axvline(x, color="grey", lw=0.8, ls=ls)
    ax.set_yticks(np.arange(len(items)), [textwrap.fill(_question(i, codebook, lang, 84), 42) for i in items])
    ax.invert_yaxis()
    ax.set_xlabel(textwrap.fill(text("reliability.figure.forest_x", lang), 55))
    ax.set_ylabel(text("reliability.figure.forest_y", lang))
    low = np.nanmin(t["ci_low"].to_numpy(float), initial=0) if len(t) else 0
    ax.set_xlim(min(-0.3, low - 0.05), 1.02)
    _axis_numbers(ax, lang, 1, "x")
    ax.set_title(textwrap.fill(text("reliability.figure.forest_title", lang, label=label), 50))
    fig.legend(loc="outside lower center", ncol=2, frameon=False)
    return fig


@house
def plot_bland_altman(scores: pd.DataFrame, column: str = "composite", codebook=None, lang: str = "en",
                      label: str = ""):
    """Bland-Altman plot of volunteer minus social-worker scores against their mean, with the bias,
    the limits of agreement and the 95% interval of each (shaded)."""
    pairs = paired_scores(scores, column)
    v, s = pairs["volunteer"].to_numpy(float), pairs["social_worker"].to_numpy(float)
    ba = bland_altman(v, s)
    score = _measure(column, codebook, lang)
    pal = sns.color_palette("colorblind", 3)
    fig, ax = plt.subplots(figsize=(width(), 4.6))
    ax.scatter((v + s) / 2, v - s, s=14, alpha=0.6, color=pal[0], label=text("reliability.figure.ba_points", lang))
    lines = ((ba.bias, ba.ci_low, ba.ci_high, text("reliability.figure.ba_bias", lang, x=ba.bias), pal[1], "-"),
             (ba.loa_low, ba.loa_low_ci_low, ba.loa_low_ci_high,
              text("reliability.figure.ba_limits", lang, low=ba.loa_low, high=ba.loa_high), pal[2], "--"),
             (ba.loa_high, ba.loa_high_ci_low, ba.loa_high_ci_high, None, pal[2], "--"))
    for est, lo, hi, lab, col, ls in lines:
        if not math.isnan(est):
            ax.axhline(est, color=col, lw=1.2, ls=ls, label=lab)
            ax.axhspan(lo, hi, color=col, alpha=0.15)
    ax.axhline(0, color="grey", lw=0.8, ls=":")
    ax.set_xlabel(text("reliability.figure.ba_x", lang, score=score))
    ax.set_ylabel(text("reliability.figure.ba_y", lang))
    ax.set_title(textwrap.fill(text("reliability.figure.ba_title", lang, score=score, label=label, n=int(ba.n)), 60))
    _axis_numbers(ax, lang, 0)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return fig


@house
def plot_confusion(tables: dict[str, tuple[np.ndarray, list]], items: Sequence[str], codebook=None,
                   lang: str = "en"):
    """Heatmaps of the paired answers (rows volunteer, columns social worker) of ``items``."""
    items = list(items)
    ncol = min(2, len(items))  # two panels a row at most: fewer panels, not smaller text
    nrow = math.ceil(len(items) / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(width(0.5 * ncol), 4.6 * nrow), squeeze=False)
    for ax in list(axes.flat)[len(items):]:
        ax.axis("off")
    for ax, item in zip(axes.flat, items, strict=False):
        t, cats = tables[item]
        labels = [str(c) for c in cats]
        sns.heatmap(t, annot=True, fmt="d", cmap="Blues", cbar=False, ax=ax,
                    xticklabels=labels, yticklabels=labels)
        ax.set_xlabel(text("reliability.figure.confusion_x", lang))
        ax.set_ylabel(text("reliability.figure.confusion_y", lang))
        question = textwrap.fill(_question(item, codebook, lang, 70), 40)
        ax.set_title(text("reliability.figure.confusion_title", lang, question=question, n=int(np.sum(t))),
                     fontsize=9.5)
    fig.suptitle(text("reliability.figure.confusion_suptitle", lang))
    return fig


@house
def plot_funnel(leniency: pd.DataFrame, score: str = "composite", codebook=None, lang: str = "en",
                label: str = ""):
    """Funnel plot: each interviewer's mean deviation with its 95% interval against the number of
    interviews, with 95% and 99.8% control limits around the target (the role's mean)."""
    fig, ax = plt.subplots(figsize=(width(), 4.6))
    pal = dict(zip(ROLES, sns.color_palette("colorblind", 2), strict=True))
    marker = dict(zip(ROLES, ("o", "s"), strict=True))
    ax.set_xlabel(text("reliability.figure.funnel_x", lang))
    ax.set_ylabel(text("reliability.figure.funnel_y", lang))
    if leniency.empty:
        ax.set_title(text("reliability.figure.funnel_no_data", lang, label=label))
        return fig
    nmax = float(leniency["n"].max()) * 1.15
    grid = np.linspace(2, max(nmax, 3), 200)
    same = leniency["target"].nunique() == 1
    for role, g in leniency.groupby("role"):
        tgt = float(g["target"].iloc[0])
        # sigma back from one row's 95% limit: limit = target + 1.96 sigma / sqrt(n)
        r0 = g.iloc[0]
        sigma = (r0["funnel95_high"] - tgt) * math.sqrt(r0["n"]) / stats.norm.ppf(0.975)
        lim = funnel_band(grid, tgt, sigma)
        col = pal.get(role, "grey")
        if role == leniency["role"].iloc[0] or not same:
            for c, ls in (("funnel95", "--"), ("funnel998", ":")):
                ax.plot(grid, lim[f"{c}_low"], color="grey" if same else col, ls=ls, lw=0.9)
                ax.plot(grid, lim[f"{c}_high"], color="grey" if same else col, ls=ls, lw=0.9)
            ax.axhline(tgt, color="grey" if same else col, lw=0.8)
        ax.errorbar(g["n"], g["estimate"], yerr=[g["estimate"] - g["ci_low"], g["ci_high"] - g["estimate"]],
                    fmt=marker.get(role, "o"), color=col, capsize=3, label=text(f"reliability.role.{role}", lang))
    ax.set_title(textwrap.fill(text("reliability.figure.funnel_title", lang, score=_measure(score, codebook, lang),
                                    label=label), 60))
    _axis_numbers(ax, lang, 0, "x")
    _axis_numbers(ax, lang, 1, "y")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    place_labels(ax, leniency["n"].to_numpy(float), leniency["estimate"].to_numpy(float),
                 [str(i) for i in leniency["interviewer_id"]])
    return fig
