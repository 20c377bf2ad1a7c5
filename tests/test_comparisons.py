"""helpers.stats.comparisons.holm against a second implementation (statsmodels ``multipletests``)."""

from __future__ import annotations

import numpy as np
from statsmodels.stats.multitest import multipletests

from helpers.stats.comparisons import holm


def test_holm_equals_statsmodels_on_random_families_with_ties():
    rng = np.random.default_rng(12)
    for m in (1, 2, 5, 18, 40):
        p = rng.uniform(0, 0.2, m)
        p[: m // 3] = p[0]  # ties
        np.testing.assert_allclose(holm(p), multipletests(p, method="holm")[1], rtol=0, atol=1e-15)


def test_holm_keeps_the_order_of_its_input_and_caps_at_one():
    assert holm([0.5, 0.001, 0.4]).tolist() == [0.8, 0.003, 0.8]
    assert holm([0.9, 0.8]).tolist() == [1.0, 1.0]
