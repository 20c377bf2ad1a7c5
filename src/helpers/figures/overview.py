"""Figures of the data-overview report; words from the catalogue (``overview.figures.*``) and the codebook."""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from helpers.figures.scoring import locale_axes
from helpers.figures.style import house, width
from helpers.io.codebook import Codebook, load_codebook
from helpers.narrative.catalogue import text

__all__ = ["plot_answer_distribution"]


def _wrap(words: str, chars: int = 40) -> str:
    return textwrap.shorten(words, width=chars, placeholder="…")


def _shares_asked(distribution: pd.DataFrame) -> dict:
    """``{(item, kind, code): share of those asked}``; blank answers summed per item under code ``None``."""
    d = distribution.assign(code=pd.to_numeric(distribution["code"], errors="coerce").astype(float))
    blank = d["kind"] == "blank"
    coded = d[~blank].groupby(["item", "kind", "code"])["share_asked"].sum()
    blanks = d[blank].groupby("item")["share_asked"].sum()
    return {**{key: float(v) for key, v in coded.items()}, **{(i, "blank", None): float(v) for i, v in blanks.items()}}


@house
def plot_answer_distribution(distribution: pd.DataFrame, year: int, lang: str = "en",
                             codebook: Codebook | None = None) -> plt.Figure:
    """Stacked bars of answer shares per question (``distribution`` from
    :func:`helpers.studies.mystery_guest.scoring.answer_distribution` of one year): unfavourable answers
    left, favourable right, then greys for don't know, refused and blank. Positively keyed, reverse-keyed
    and yes/no questions are drawn in separate panels so that colours always mean the same: red =
    unfavourable, blue = favourable."""
    cb = codebook or load_codebook()
    items = list(dict.fromkeys(distribution["item"]))
    groups = [
        ("positive", [i for i in items if cb.items[i].scale == "agreement5" and not cb.items[i].reverse]),
        ("negative", [i for i in items if cb.items[i].scale == "agreement5" and cb.items[i].reverse]),
        ("yesno", [i for i in items if cb.items[i].scale == "yesno"]),
    ]
    groups = [g for g in groups if g[1]]
    n_interviews = int(distribution["n_asked"].max()) if len(distribution) else 0
    fig, axes = plt.subplots(len(groups), 1, figsize=(width(), 0.34 * sum(max(len(g[1]), 4) for g in groups) + 1.0 * len(groups) + 1),
                             gridspec_kw={"height_ratios": [max(len(g[1]) + 1.5, 5.5) for g in groups]}, squeeze=False)
    greys = {"dont_know": "#9e9e9e", "refused": "#6e6e6e", "blank": "#d0d0d0"}
    shares = _shares_asked(distribution)
    for ax, (panel, group) in zip(axes[:, 0], groups, strict=True):
        scale = cb.scale_of(group[0])
        codes = sorted(scale.codes, reverse=cb.items[group[0]].reverse)
        colours = list(plt.get_cmap("RdBu")(np.linspace(0.1, 0.9, len(codes))))
        cats = [(float(c), "substantive", scale.label(c, lang), col) for c, col in zip(codes, colours, strict=True)]
        cats += [(float(c), e.get("kind", "missing"), scale.label(c, lang), greys.get(e.get("kind"), "#9e9e9e"))
                 for c, e in sorted(scale.missing.items())]
        cats += [(np.nan, "blank", text("overview.figures.blank", lang), greys["blank"])]
        left = np.zeros(len(group))
        for code, kind, label, colour in cats:
            share = np.array([shares.get((i, kind, None if kind == "blank" else code), 0.0) for i in group]) * 100
            ax.barh([_wrap(cb.item_label(i, lang)) for i in group], share, left=left, color=colour, label=label,
                    edgecolor="white", linewidth=0.5)
            left += share
        ax.invert_yaxis()
        ax.set_xlim(0, 100)
        ax.set_title(text(f"overview.figures.panel.{panel}", lang), loc="left")
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
        locale_axes(ax, lang, y=False)
    axes[-1, 0].set_xlabel(text("overview.figures.x", lang, n=n_interviews))
    fig.suptitle(text("overview.figures.title", lang, year=str(year)))
    return fig
