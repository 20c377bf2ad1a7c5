"""Agreement of two measurements on a score scale (helpers.stats.score_agreement): ICC against R psych and
pingouin, Bland-Altman against the 1986 paper, Wilcoxon and the rank-biserial r against pingouin, edge cases."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from scipy import stats

from helpers.datasets import REFERENCE_DIR
from helpers.stats import score_agreement as sa


def ref(name: str) -> pd.DataFrame:
    return pd.read_csv(REFERENCE_DIR / name)


def test_shrout_fleiss_icc_f_df_and_ci():
    d = ref("shrout_fleiss_1979.csv").melt("target", var_name="judge", value_name="score")
    r = sa.icc(d, "target", "judge", "score").set_index("Type")
    published = {"ICC1": 0.165742, "ICC2": 0.289764, "ICC3": 0.714841, "ICC1k": 0.442797,
                 "ICC2k": 0.620051, "ICC3k": 0.909316}
    for t, v in published.items():
        assert r.loc[t, "ICC"] == pytest.approx(v, abs=1e-6)
    assert r.loc["ICC1", "F"] == pytest.approx(1.7947, abs=1e-4)
    assert (r.loc["ICC1", "df1"], r.loc["ICC1", "df2"]) == (5, 18)
    for t in ("ICC2", "ICC3"):
        assert r.loc[t, "F"] == pytest.approx(11.0272, abs=1e-4)
        assert (r.loc[t, "df1"], r.loc[t, "df2"]) == (5, 15)
    assert round(r.loc["ICC1", "ci_low"], 3) == -0.133
    assert round(r.loc["ICC1", "ci_high"], 3) == 0.723
    assert round(r.loc["ICC2", "ci_low"], 3) == 0.019
    assert round(r.loc["ICC2", "ci_high"], 3) == 0.761
    assert round(r.loc["ICC2", "df_ci"], 3) == 4.785  # Satterthwaite
    # R psych::ICC prints 0.342; the reference README says 0.343 (exact bound 0.342465)
    assert r.loc["ICC3", "ci_low"] == pytest.approx(0.343, abs=6e-4)
    assert round(r.loc["ICC3", "ci_low"], 3) == 0.342
    assert round(r.loc["ICC3", "ci_high"], 3) == 0.946
    # psych::ICC average-measure bounds: -0.884, 0.071, 0.676 (lower)
    assert round(r.loc["ICC1k", "ci_low"], 3) == -0.884
    assert round(r.loc["ICC2k", "ci_low"], 3) == 0.071
    assert round(r.loc["ICC3k", "ci_low"], 3) == 0.676


def test_icc_cis_agree_with_pingouin_rounding():
    d = ref("shrout_fleiss_1979.csv").melt("target", var_name="judge", value_name="score")
    ours = sa.icc(d, "target", "judge", "score")
    theirs = pg.intraclass_corr(d, "target", "judge", "score")
    ci = np.vstack(theirs["CI95"].to_numpy())
    np.testing.assert_allclose(ours[["ci_low", "ci_high"]].to_numpy(), ci, atol=0.005 + 1e-9)


def test_bland_altman_pefr():
    d = ref("bland_altman_1986_pefr.csv")
    ba = sa.bland_altman(d.wright1, d.mini1, z=2)
    assert ba.bias == pytest.approx(-2.117647, abs=1e-6)
    assert ba.sd == pytest.approx(38.765130, abs=1e-6)
    assert (ba.loa_low, ba.loa_high) == pytest.approx((ba.bias - 2 * ba.sd, ba.bias + 2 * ba.sd))
    # published -79.7 / 75.5 are computed from the rounded mean (-2.1) and SD (38.8)
    assert round(round(ba.bias, 1) - 2 * round(ba.sd, 1), 1) == -79.7
    assert round(round(ba.bias, 1) + 2 * round(ba.sd, 1), 1) == 75.5
    assert abs(ba.loa_low - -79.7) < 0.1 and abs(ba.loa_high - 75.5) < 0.1
    t = stats.t.ppf(0.975, 16)
    assert ba.ci_high - ba.bias == pytest.approx(t * ba.sd / math.sqrt(17))
    assert ba.loa_low_ci_low < ba.loa_low < ba.loa_low_ci_high



def test_wilcoxon_rank_biserial_equals_pingouin():
    rng = np.random.default_rng(3)
    x = rng.integers(60, 100, 80).astype(float)
    y = x - rng.integers(-3, 8, 80)
    r = sa.wilcoxon_signed_rank(x, y, n_boot=300, seed=1)
    p = pg.wilcoxon(x, y)
    assert r.estimate == pytest.approx(float(p["RBC"].iloc[0]), abs=1e-12)
    assert r.p_value == pytest.approx(stats.wilcoxon(x - y).pvalue, rel=1e-12)
    assert r.ci_low < r.estimate < r.ci_high
    assert r.estimate > 0  # x tends to be larger



def test_icc_and_bland_altman_edge_cases():
    d = pd.DataFrame({"t": [1, 1], "r": ["a", "b"], "s": [3.0, 4.0]})
    out = sa.icc(d, "t", "r", "s")
    assert out["ICC"].isna().all() and (out["reason"] != "").all()
    ba = sa.bland_altman([1.0], [2.0])
    assert ba.bias == -1.0 and math.isnan(ba.sd) and ba.reason
    w = sa.wilcoxon_signed_rank([1, 2, 3], [1, 2, 3])
    assert math.isnan(w.estimate) and w.reason
