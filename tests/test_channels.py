"""Issue 21 item 4: the channels page's Mystery Guest figures are the trends results (the executive summary's),
loaded from the run's artefacts, and its small-multiples figure draws the numbers of its table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.studies.mystery_guest import trends
from helpers.studies.mystery_guest.study import open_study
from helpers.studies.registers.study import channels_overview

YEARS = [2018, 2019, 2020, 2021]


@pytest.fixture(scope="module")
def overview(demo_dirs, tmp_path_factory):
    """The trends report's summary artefacts computed first (as the run's trends notebook does), then the
    channels overview on the same artefact folder: (overview, the trends summaries, the artefact log)."""
    folder = tmp_path_factory.mktemp("run") / "_artefacts"
    study = open_study(demo_dirs["processed"], folder)
    sums = {inst: trends.artefact(study, "summary", YEARS, instrument=inst) for inst in ("reference", None)}
    table, absent = channels_overview(demo_dirs["raw"], YEARS, demo_dirs["processed"], folder)
    assert absent == []
    return table, sums, open_study(demo_dirs["processed"], folder).store.log()


def test_mystery_guest_figures_are_the_trends_results(overview):
    table, sums, log = overview
    for inst, measure in (("reference", "composite_index"), (None, "composite_index_all")):
        mine = table[table["measure"] == measure].set_index("year")
        theirs = sums[inst][sums[inst]["measure"] == "composite"].set_index("year")
        assert list(mine.index) == YEARS
        for col, other in (("value", "estimate"), ("ci_low", "ci_low"), ("ci_high", "ci_high"), ("n", "n")):
            np.testing.assert_allclose(mine[col].astype(float), theirs.loc[YEARS, other].astype(float))
    # the channels page loaded what the trends report computed: each summary computed once
    summaries = [e for e in log if e["name"] == "trends.summary"]
    assert sorted(e["event"] for e in summaries) == ["computed", "computed", "loaded", "loaded"]


def test_counts_stay_integers(overview):
    table, _, _ = overview
    counts = table[table["measure"].isin(["appeals", "contacts", "users_reached", "users_served"])]
    assert len(counts) and all(isinstance(v, int) for v in counts["value"])


def test_figure_draws_the_numbers_of_the_table(overview):
    """Every dot, interval end and bar of :func:`channels_plot` is a value of the table (same measure)."""
    import matplotlib.pyplot as plt

    from helpers.figures.registers import CHANNEL_PANELS, channels_plot

    table, _, _ = overview
    fig = channels_plot(table, "en")
    drawn = []
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        for line in ax.lines:  # errorbar dots
            drawn += list(line.get_ydata())
        for coll in ax.collections:  # errorbar interval segments
            for seg in coll.get_segments():
                drawn += list(seg[:, 1])
        drawn += [p.get_height() for p in ax.patches]
    plt.close(fig)
    shown = table[table["measure"].isin([m for ms in CHANNEL_PANELS.values() for m in ms])]
    expected = pd.concat([pd.to_numeric(shown["value"]), shown["ci_low"], shown["ci_high"]]).dropna()
    drawn = np.array(drawn, dtype=float)
    assert len(drawn) and all(np.isclose(expected.to_numpy(), d).any() for d in drawn)
    # and every value of a panel's measure is drawn
    assert all(np.isclose(drawn, v).any() for v in pd.to_numeric(shown["value"]))


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_channels_figure_is_legible_as_shown(overview, lang):
    """The house rules of every figure (tests/test_figure_legibility.py): drawn at the page's width, no text
    under 11 px, no overlap, nothing leaving the figure."""
    from helpers.figures.registers import channels_plot
    from helpers.figures.style import legibility_problems

    fig = channels_plot(overview[0], lang)
    assert legibility_problems(fig) == []
