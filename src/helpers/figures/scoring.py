"""Figures of the scoring report: every title, axis, legend and tick from the catalogue (``scoring.figures.*``).

Nothing here computes a statistic: each function draws a table of
:mod:`helpers.studies.mystery_guest.scoring` (or :mod:`helpers.studies.benchmarking`). Numbers on axes and
in annotations follow the report's language (decimal comma in Russian, :mod:`helpers.narrative.fmt`).
House style (:mod:`helpers.figures.style`): drawn at the page's width, text >= 11 px; palette seaborn
``colorblind`` with markers that differ too; intervals are always drawn.

- :func:`caterpillar_plot` raw and adjusted score of every worker with 95% intervals;
- :func:`worker_funnel_plot` workers' means against their number of interviews, inside funnel limits;
- :func:`domain_heatmap` worker x domain adjusted scores with half the interval width;
- :func:`diverging_item_bars` every item's answers as diverging stacked bars;
- :func:`recovery_plot` raw and adjusted scores against the planted truth.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd

from helpers.figures.style import SMALL_PT, house, place_labels, width
from helpers.io.codebook import Codebook, load_codebook
from helpers.narrative import fmt
from helpers.narrative.catalogue import text
from helpers.narrative.scoring import measure_label

__all__ = ["caterpillar_plot", "diverging_item_bars", "domain_heatmap", "locale_axes",
           "recovery_plot", "short_label", "worker_funnel_plot"]


def _palette(n: int = 10) -> list:
    import seaborn as sns

    return sns.color_palette("colorblind", n)


def _t(key: str, lang: str, **values) -> str:
    return text(f"scoring.figures.{key}", lang, **values)


def locale_axes(ax, lang: str, x: bool = True, y: bool = True) -> None:
    """Tick labels of the numeric axes in the language's number format (decimal comma in Russian)."""
    from matplotlib.ticker import FuncFormatter

    f = FuncFormatter(lambda v, _pos: fmt.number(v, lang, 0 if float(v).is_integer() else 1))
    if x:
        ax.xaxis.set_major_formatter(f)
    if y:
        ax.yaxis.set_major_formatter(f)


def short_label(label: str, width: int = 55) -> str:
    """Shorten a label to ``width`` characters for an axis.

    >>> short_label("abcdef", 4)
    'abc…'
    """
    return label if len(label) <= width else label[: width - 1] + "…"


@house
def caterpillar_plot(worker_table: pd.DataFrame, lang: str = "en", title: str = "", label=str):
    """Raw mean and adjusted score of every worker with 95% intervals, sorted by the adjusted score.

    Hollow markers = raw mean with its t interval; filled = adjusted with its interval; the
    dashed line is the organisation mean at the reference role and mode. ``label`` maps a
    worker_id to the text shown (e.g. :meth:`helpers.report.Report.worker`). Rows with an ``adjusted_note``
    (worker variance at 0, or too few workers) show the raw mean only: their "adjusted" interval is not the
    worker's own (:func:`helpers.narrative.scoring.adjusted_note_sentence` says why).
    """
    import matplotlib.pyplot as plt

    t = worker_table.copy()
    if "adjusted_note" in t:
        hide = t["adjusted_note"].fillna("").astype(str) != ""
        for c in ("adjusted", "ci_low", "ci_high"):
            t[c] = t[c].astype(float).mask(hide)
    t = t.assign(_key=t["adjusted"].fillna(t["raw_mean"])).sort_values("_key").reset_index(drop=True)
    pal = _palette()
    fig, ax = plt.subplots(figsize=(width(), max(3.2, 1.2 + 0.34 * len(t))))  # room for the axis label
    y = np.arange(len(t))
    ax.errorbar(t["raw_mean"], y + 0.15, xerr=[t["raw_mean"] - t["raw_ci_low"], t["raw_ci_high"] - t["raw_mean"]],
                fmt="o", mfc="white", color=pal[7], capsize=2, label=_t("caterpillar.raw", lang))
    ax.errorbar(t["adjusted"], y - 0.15, xerr=[t["adjusted"] - t["ci_low"], t["ci_high"] - t["adjusted"]],
                fmt="D", color=pal[0], capsize=2, label=_t("caterpillar.adjusted", lang))
    if t["org_mean"].nunique() == 1:
        ax.axvline(t["org_mean"].iloc[0], ls="--", color=pal[3], lw=1, label=_t("caterpillar.org_mean", lang))
    ax.set_yticks(y, [f"{label(w)} (n = {n}){' *' if f else ''}" for w, n, f in zip(t["worker_id"], t["n"], t["flag"], strict=True)])
    ax.set_xlabel(_t("caterpillar.x", lang))
    ax.set_ylabel(textwrap.fill(_t("caterpillar.y", lang), 34))
    ax.set_title(title or _t("caterpillar.title", lang))
    locale_axes(ax, lang, y=False)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return fig


@house
def worker_funnel_plot(funnel: pd.DataFrame, lang: str = "en", label=str):
    """Social workers' mean scores against their number of interviews, inside 95% and 99.8% funnel limits.

    ``funnel`` is :func:`helpers.studies.benchmarking.worker_funnel`. Dashed lines: limits without
    over-dispersion; solid: 99.8% limits with the additive over-dispersion τ² (Spiegelhalter 2005). A
    worker outside the solid limits is marked and named; everyone else is "within what chance allows".
    """
    import matplotlib.pyplot as plt

    pal = _palette()
    f = funnel.sort_values("interviews")
    fig, ax = plt.subplots(figsize=(width(), 4.4))
    ax.plot(f["interviews"], f["ll95"], ls="--", lw=1, color=pal[0], label=_t("funnel.limits95", lang))
    ax.plot(f["interviews"], f["ul95"], ls="--", lw=1, color=pal[0])
    ax.plot(f["interviews"], f["ll998_od"], lw=1.5, color=pal[3], label=_t("funnel.limits998", lang))
    ax.plot(f["interviews"], f["ul998_od"], lw=1.5, color=pal[3])
    ax.axhline(funnel.attrs.get("target", f["mean"].mean()), color="grey", lw=0.8, ls="-.",
               label=_t("funnel.target", lang))
    out = (f["outside998_od"] != "").to_numpy()
    xs, ys = f["interviews"].to_numpy(float), f["mean"].to_numpy(float)
    ax.plot(xs[~out], ys[~out], "o", ms=4.5, color="black", ls="none", zorder=3)
    ax.plot(xs[out], ys[out], "D", ms=6, color=pal[3], mec="black", mew=0.5, ls="none", zorder=3)
    ax.set_xlabel(_t("funnel.x", lang))
    ax.set_ylabel(_t("funnel.y", lang))
    ax.set_title(_t("funnel.title", lang))
    locale_axes(ax, lang)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    place_labels(ax, xs[out], ys[out], [label(w) for w in f["worker_id"].to_numpy()[out]])
    return fig


@house
def domain_heatmap(long_table: pd.DataFrame, codebook: Codebook | None = None, value: str = "adjusted",
                   lang: str = "en", title: str = "", label=str):
    """Worker x domain heatmap of ``value`` (default adjusted score), annotated with score and half the interval.
    Cells with an ``adjusted_note`` (worker variance at 0, too few workers) show the raw mean and its interval."""
    import matplotlib.pyplot as plt

    cb = codebook or load_codebook()
    t = long_table.copy()
    if value == "adjusted" and "adjusted_note" in t:
        raw = t["adjusted_note"].fillna("").astype(str) != ""
        for a, b in (("adjusted", "raw_mean"), ("ci_low", "raw_ci_low"), ("ci_high", "raw_ci_high")):
            t[a] = t[a].astype(float).where(~raw, t[b].astype(float))
    t["cell"] = [f"{fmt.number(v, lang, 0)}\n±{fmt.number((h - lo) / 2, lang, 0)}"
                 for v, lo, h in zip(t[value], t["ci_low"], t["ci_high"], strict=True)]
    order = [m for m in [*cb.domains, "composite"] if m in set(t["measure"])]
    piv = t.pivot_table(index="worker_id", columns="measure", values=value, aggfunc="first")[order]
    ann = t.pivot_table(index="worker_id", columns="measure", values="cell", aggfunc="first")[order]
    piv = piv.sort_values("composite" if "composite" in piv else order[0])
    ann = ann.loc[piv.index]
    fig, ax = plt.subplots(figsize=(width(), 1.6 + 0.46 * len(piv)))
    im = ax.imshow(piv.to_numpy(dtype=float), cmap="cividis", aspect="auto")
    mid = np.nanmean(piv.to_numpy(dtype=float))
    for i in range(piv.shape[0]):
        for j in range(piv.shape[1]):
            v = piv.iat[i, j]
            ax.text(j, i, ann.iat[i, j] if pd.notna(v) else "", ha="center", va="center", fontsize=SMALL_PT,
                    color="black" if pd.notna(v) and v > mid else "white")
    ax.set_xticks(range(len(order)), [textwrap.fill(measure_label(m, lang, cb), 13) for m in order],
                  fontsize=SMALL_PT)
    ax.set_yticks(range(len(piv)), [label(w) for w in piv.index])
    ax.set_xlabel(_t("heatmap.x", lang))
    ax.set_ylabel(_t("heatmap.y", lang))
    ax.set_title(title or _t("heatmap.title", lang))
    bar = fig.colorbar(im, ax=ax, label=_t("heatmap.colour", lang), location="bottom", shrink=0.5, aspect=30)
    locale_axes(bar.ax, lang, y=False)
    return fig


@house
def diverging_item_bars(distribution: pd.DataFrame, lang: str = "en", title: str = "", codebook: Codebook | None = None):
    """Diverging stacked bars of every item's answers (from :func:`~helpers.studies.mystery_guest.scoring.answer_distribution`).

    Answers worse than the middle of the scale extend to the left, better ones to the right, the
    middle answer is split across zero; yes/no items: "no" left, "yes" right. The share missing
    (don't know / refused / blank) and n answered are written beside each bar. Items are named by
    their question text.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    cb = codebook or load_codebook()
    pal = _palette()
    colours5 = [pal[3], pal[1], pal[7], pal[9], pal[0]]
    items = list(dict.fromkeys(distribution["item"]))
    fig, ax = plt.subplots(figsize=(width(), 2.2 + 0.42 * len(items)))
    by_item = dict(tuple(distribution.groupby("item", sort=False)))
    rows, lefts, widths, colours_of = [], [], [], []  # every segment, drawn by one barh call
    for y, item in enumerate(reversed(items)):
        d = by_item[item]
        sub = d[d["rank"] > 0].sort_values("rank")
        miss = d.loc[d["rank"] == 0, "n"].sum()
        n_ans = int(sub["n"].sum())
        if n_ans == 0:
            continue
        k = int(sub["n_ranks"].iloc[0])
        colours = colours5 if k == 5 else [pal[3], pal[0]]
        shares = sub["share"].to_numpy() * 100
        half = k // 2  # answers below the middle; an odd scale's middle answer straddles zero
        starts = -(shares[:half].sum() + (shares[half] / 2 if k % 2 else 0)) + np.r_[0.0, np.cumsum(shares[:-1])]
        rows += [y] * k
        lefts += list(starts)
        widths += list(shares[:k])
        colours_of += colours[:k]
        ax.text(101, y, _t("bars.beside", lang, n=n_ans, missing=miss / (n_ans + miss)), va="center",
                fontsize=SMALL_PT)
    ax.barh(rows, widths, left=lefts, color=colours_of, edgecolor="white", height=0.7)
    ax.set_yticks(range(len(items)), [textwrap.fill(short_label(cb.item_label(i, lang), 84), 44)
                                      for i in reversed(items)], fontsize=SMALL_PT)  # two lines, not cut
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlim(-100, 128)
    ax.set_xlabel(_t("bars.x", lang))
    ax.set_title(title or _t("bars.title", lang))
    locale_axes(ax, lang, y=False)
    five = [i for i in items if cb.scale_of(i).max_code - cb.scale_of(i).min_code == 4]
    legend = []
    if five:
        scale = cb.scale_of(five[0])
        subst = sorted(scale.codes)
        legend = [Patch(color=colours5[r], label=f"{r + 1}: {scale.label(c, lang)}") for r, c in enumerate(subst)]
    legend += [Patch(color=pal[3], label=_t("bars.answer_no", lang)), Patch(color=pal[0], label=_t("bars.answer_yes", lang))]
    fig.legend(handles=legend, loc="outside lower center", ncol=3, title=_t("bars.legend", lang), frameon=False)
    return fig


@house
def recovery_plot(worker_table: pd.DataFrame, truth: pd.DataFrame, lang: str = "en", title: str = ""):
    """Raw mean and adjusted score against the planted true score, with intervals and the identity line."""
    import matplotlib.pyplot as plt

    keys = ["worker_id"] + (["year"] if "year" in truth and worker_table["year"].notna().all() else [])
    wt = worker_table.copy()
    if "year" in keys:
        wt["year"] = wt["year"].astype("int64")
    d = wt.merge(truth, on=keys)
    pal = _palette()
    fig, axes = plt.subplots(1, 2, figsize=(width(), 4.4), sharex=True, sharey=True)
    panels = [("raw_mean", "raw_ci_low", "raw_ci_high", _t("recovery.raw", lang), pal[7], "o"),
              ("adjusted", "ci_low", "ci_high", _t("recovery.adjusted", lang), pal[0], "D")]
    for ax, (est, lo, hi, name, c, mk) in zip(axes, panels, strict=True):
        ax.errorbar(d["true_score"], d[est], yerr=[d[est] - d[lo], d[hi] - d[est]], fmt=mk, ms=3, color=c,
                    alpha=0.6, elinewidth=0.6)
        lims = [min(d["true_score"].min(), d["raw_mean"].min(), d["adjusted"].min()) - 3, 100.5]
        ax.plot(lims, lims, ls="--", color="black", lw=0.8)
        ax.set_xlim(lims)
        ax.set_ylim(lims)  # intervals reaching further down are cut at the frame
        r = np.corrcoef(d[est], d["true_score"])[0, 1]
        rmse = np.sqrt(((d[est] - d["true_score"]) ** 2).mean())
        ax.set_title(textwrap.fill(_t("recovery.panel", lang, name=name, r=r, rmse=rmse, n=len(d)), 38),
                     fontsize=9.5)
        ax.set_xlabel(_t("recovery.x", lang))
        locale_axes(ax, lang)
    axes[0].set_ylabel(_t("recovery.y", lang))
    fig.suptitle(title or _t("recovery.title", lang))
    return fig
