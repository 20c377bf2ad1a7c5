"""Figures of the НОК report (matplotlib; colour-blind-safe palette); every word from the catalogue
(``nok.figure.*``), numbers on axes in the locale's marks. Nothing here computes a statistic."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter

from helpers.narrative import fmt
from helpers.narrative.catalogue import text
from helpers.studies.nok.codebook import CRITERIA, NokCodebook, load_nok_codebook

PALETTE = ["#0173B2", "#DE8F05", "#029E73", "#D55E00", "#CC78BC", "#CA9161", "#949494"]
def _w(key: str, lang: str) -> str:
    """A figure word from the catalogue (``nok.figure.<key>``)."""
    return text(f"nok.figure.{key}", lang)


def _locale_ticks(ax, lang: str, axis: str = "x", digits: int = 0) -> None:
    """Tick labels in the locale's number marks (decimal comma in Russian)."""
    formatter = FuncFormatter(lambda v, _pos: fmt.number(v, lang, digits))
    (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(formatter)


def ranking_plot(ranking: pd.DataFrame, region_total: float, lang: str = "en") -> plt.Figure:
    """Totals with 95% intervals, best at the top, n beside every organisation, the regional mean."""
    r = ranking.iloc[::-1].reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(8, 0.32 * len(r) + 1.4))
    y = np.arange(len(r))
    colours = r["vs_region"].map({"above": PALETTE[2], "below": PALETTE[3]}).fillna(PALETTE[6])
    ax.hlines(y, r["ci_low"], r["ci_high"], color=colours, lw=2.5, label=_w("ci", lang))
    ax.plot(r["total"], y, "o", color="black", ms=4)
    mean = fmt.number(region_total, lang, 2)
    ax.axvline(region_total, color=PALETTE[0], ls="--", lw=1, label=f"{_w('region', lang)} {mean}")
    ax.set_yticks(y, [f"{o} (n={n})" for o, n in zip(r["organisation_id"], r["respondents"], strict=True)])
    ax.set_xlabel(_w("total", lang))
    _locale_ticks(ax, lang, "x", 1)
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    return fig


def criteria_heatmap(scores: pd.DataFrame, order: list[str], lang: str = "en",
                     codebook: NokCodebook | None = None) -> plt.Figure:
    """K1…K5 of every organisation (rows in ranking order), values written in the cells."""
    cb = codebook or load_nok_codebook()
    s = scores.set_index("organisation_id").loc[order, list(CRITERIA)]
    fig, ax = plt.subplots(figsize=(8, 0.32 * len(s) + 1.6))
    im = ax.imshow(s.to_numpy(dtype=float), cmap="viridis", vmin=min(80.0, np.nanmin(s.to_numpy(float))), vmax=100,
                   aspect="auto")
    for (i, j), v in np.ndenumerate(s.to_numpy(dtype=float)):
        txt = fmt.number(v, lang, 1)
        ax.text(j, i, txt, ha="center", va="center", fontsize=7, color="white" if v < 95 else "black")
    ax.set_xticks(range(5), [f"{k}\n{_short(cb.criterion_label(k, lang))}" for k in CRITERIA], fontsize=7)
    ax.set_yticks(range(len(s)), s.index)
    ax.set_xlabel(_w("criterion", lang))
    ax.set_ylabel(_w("organisation", lang))
    fig.colorbar(im, ax=ax, fraction=0.03, format=FuncFormatter(lambda v, _pos: fmt.number(v, lang, 0)))
    return fig


def _short(text: str, width: int = 18) -> str:
    words, lines, line = text.split(), [], ""
    for word in words:
        if len(line) + len(word) > width and line:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return "\n".join([*lines, line][:3])


def _funnel_panel(ax, f: pd.DataFrame, scale: float, x: str, lang: str, target: float) -> None:
    w = {k: _w(k, lang) for k in ("lim95", "lim998", "od", "target")}
    f = f.sort_values(x)
    ax.plot(f[x], f["ll95"] * scale, color=PALETTE[0], ls="--", lw=1, label=w["lim95"])
    ax.plot(f[x], f["ul95"] * scale, color=PALETTE[0], ls="--", lw=1)
    ax.plot(f[x], f["ll998"] * scale, color=PALETTE[3], ls="--", lw=1, label=w["lim998"])
    ax.plot(f[x], f["ul998"] * scale, color=PALETTE[3], ls="--", lw=1)
    ax.plot(f[x], f["ll998_od"] * scale, color=PALETTE[3], lw=1.5, label=f"{w['lim998']}, {w['od']}")
    ax.plot(f[x], f["ul998_od"] * scale, color=PALETTE[3], lw=1.5)
    ax.axhline(target * scale, color="grey", lw=0.8, label=w["target"])
    out = f["outside998_od"] != ""
    ax.scatter(f[x], f["value"] * scale, s=14, color=np.where(out, PALETTE[3], "black"), zorder=3)
    for _, r in f[out | (f["outside95_od"] != "")].iterrows():
        ax.annotate(r["organisation_id"], (r[x], r["value"] * scale), fontsize=6, xytext=(3, 2),
                    textcoords="offset points")


def share_funnel_plot(funnels: pd.DataFrame, questions: list[str], lang: str = "en",
                      codebook: NokCodebook | None = None) -> plt.Figure:
    """Funnel plots of satisfaction shares, one panel per question."""
    cb = codebook or load_nok_codebook()
    cols = 2
    rows = int(np.ceil(len(questions) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(10, 3.4 * rows), squeeze=False)
    for ax, q in zip(axes.flat, questions, strict=False):
        f = funnels[funnels["question"] == q].rename(columns={"size": "n"})
        if f.empty:  # no organisation has a respondent in this share's denominator
            ax.text(0.5, 0.5, "—", ha="center", va="center", transform=ax.transAxes)
        else:
            _funnel_panel(ax, f, 100, "n", lang, float(f["target"].iloc[0]))
        ax.set_title(f"{q}: {_short(cb.question_text(q, lang), 60)}", fontsize=8)
        ax.set_xlabel(_w("size", lang), fontsize=8)
        ax.set_ylabel(_w("share", lang), fontsize=8)
        _locale_ticks(ax, lang, "y")
    for ax in list(axes.flat)[len(questions):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig


def ratio_funnel_plot(funnel: pd.DataFrame, lang: str = "en") -> plt.Figure:
    """Observed/expected 'no' answers against the expected count, exact Poisson limits."""
    fig, ax = plt.subplots(figsize=(7, 4))
    _funnel_panel(ax, funnel, 1, "expected", lang, 1.0)
    ax.set_xlabel(_w("expected", lang))
    ax.set_ylabel(_w("ratio", lang))
    _locale_ticks(ax, lang, "x", 0)
    _locale_ticks(ax, lang, "y", 1)
    ax.legend(fontsize=7, loc="upper right")
    return fig


def region_gap_plot(view: pd.DataFrame, lang: str = "en", codebook: NokCodebook | None = None) -> plt.Figure:
    """Gap to 100 of the regional mean per criterion, largest first."""
    cb = codebook or load_nok_codebook()
    fig, ax = plt.subplots(figsize=(7, 3))
    v = view.iloc[::-1]
    ax.barh([f"{k} {cb.criterion_label(k, lang)}" for k in v["criterion"]], v["gap"], color=PALETTE[1])
    ax.set_xlabel(_w("gap", lang))
    _locale_ticks(ax, lang, "x", 1)
    ax.tick_params(axis="y", labelsize=7)
    return fig
