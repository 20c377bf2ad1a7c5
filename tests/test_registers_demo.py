"""The registers' demo reproduces the published figures, deterministically, and the survey sample is
reproducible, stratified as documented and never above 10% of the users."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.studies.registers.demo import make_registers_demo, write_registers_demo
from helpers.studies.registers.ingest import ingest_register
from helpers.studies.registers.sample import MAX_SHARE, allocate, survey_sample, write_survey_sample
from helpers.studies.registers.study import open_elibrary_study


@pytest.fixture(scope="module")
def raw(tmp_path_factory):
    d = tmp_path_factory.mktemp("registers_raw")
    write_registers_demo(d)
    return d


def test_mailbox_205_appeals_in_5_settlements_no_complaint(raw):
    appeals = pd.concat([ingest_register(raw, "mailbox", y)["appeals"] for y in range(2018, 2022)])
    assert len(appeals) == 205
    assert appeals["settlement"].nunique() == 5
    assert set(appeals["kind"]) == {"gratitude", "opinion_staff"}  # all gratitude or opinions on staff
    assert not (appeals["kind"] == "complaint").any()


def test_elibrary_152_users_reached_2019_2021(raw):
    mailings = pd.concat([ingest_register(raw, "elibrary", y)["mailings"] for y in (2019, 2020, 2021)])
    assert mailings["user_pid"].nunique() == 152


def test_elibrary_demo_plants_a_quarter_some_users_missed(raw):
    study = open_elibrary_study(raw, [2019, 2020, 2021])
    c = study.compliance.set_index("quarter")
    assert c.loc["2020 Q2", "not_reached"] > 0  # spring 2020: one mailing only
    assert c.drop(index="2020 Q2")["not_reached"].sum() < c.loc["2020 Q2", "not_reached"] + 5


def test_assistant_129_users_served_and_planted_errors_flagged(raw):
    d = ingest_register(raw, "assistant", 2021)
    assert d["visits"]["user_pid"].nunique() == 129
    reasons = " ".join(d.quarantine["reason"])
    assert "overlaps visit" in reasons and "end is not after start" in reasons


def test_demo_is_deterministic_by_seed():
    a, b, c = make_registers_demo(7), make_registers_demo(7), make_registers_demo(8)
    assert all(a[k].equals(b[k]) for k in a)
    assert not all(a[k].equals(c[k]) for k in a)


def test_demo_raw_files_carry_personal_data_for_the_leak_scan(raw):
    text = (raw / "mailbox_2019.csv").read_text(encoding="utf-8")
    assert "+7 (918)" in text and "signature" in text
    assert "@mail.ru" in (raw / "elibrary_users_2021.csv").read_text(encoding="utf-8")


# ---- the survey sample ---------------------------------------------------------------------------------
def _frame(n, strata=("a/email", "a/whatsapp", "b/email", "b/whatsapp"), seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"user_pid": [f"{i:016x}" for i in rng.permutation(10 ** 6)[:n]],
                         "stratum": rng.choice(list(strata), size=n, p=[0.5, 0.3, 0.15, 0.05]),
                         "registered": pd.Timestamp("2020-01-01"), "left": pd.NaT})


@pytest.mark.parametrize("n", [0, 1, 9, 10, 19, 152, 1001])
def test_sample_never_above_10_percent(n):
    s = survey_sample(_frame(n), seed=3)
    assert len(s) == int(np.floor(MAX_SHARE * n + 1e-9)) and len(s) <= MAX_SHARE * n


def test_sample_share_above_10_percent_is_refused():
    with pytest.raises(ValueError, match="at most 10%"):
        survey_sample(_frame(50), share=0.11)


def test_sample_reproducible_from_seed_and_independent_of_row_order():
    users = _frame(300)
    a = survey_sample(users, seed=11)
    assert a.equals(survey_sample(users.sample(frac=1, random_state=1), seed=11))
    assert not a["user_pid"].equals(survey_sample(users, seed=12)["user_pid"])


def test_sample_is_stratified_proportionally_by_largest_remainders():
    users = _frame(437)
    s = survey_sample(users, seed=5)
    sizes = users.groupby("stratum").size()
    got = s.groupby("stratum").size().reindex(sizes.index, fill_value=0)
    assert got.sum() == 43
    assert (abs(got - 43 * sizes / sizes.sum()) < 1).all()  # within one unit of the proportional quota
    assert got.to_dict() == allocate(sizes, 43).to_dict()
    assert np.allclose(s["inclusion_probability"], s["stratum_sample"] / s["stratum_size"])
    assert np.isclose((s["weight"]).sum(), 437)  # weights add up to the frame


def test_demo_sample_exports_pseudonyms_only(raw, tmp_path):
    study = open_elibrary_study(raw, [2019, 2020, 2021])
    s = study.sample
    assert 0 < len(s) <= 0.1 * s["frame_size"].iloc[0]
    assert s["user_pid"].str.fullmatch(r"[0-9a-f]{16}").all()
    text = write_survey_sample(s, tmp_path / "sample.csv", 2021).read_text(encoding="utf-8")
    assert text.startswith("# E-library survey sample, seed 2021") and "EL0" not in text
