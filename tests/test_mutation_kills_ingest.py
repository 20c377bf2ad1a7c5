"""Row-level validation, quarantine and pseudonymisation of :mod:`helpers.io.ingest` on small hand-made tables
(issue 23, item 5: mutation testing of ``ingest``). Every expected value is written from the data contract
(``data/raw/README.md``) and the codebook by hand, not copied from the code's output. Fast: no demo data.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers.io.codebook import load_codebook
from helpers.io.contract import DataContractError
from helpers.io.ingest import (
    ID_COLUMNS,
    IngestResult,
    _map_codes,
    _parse_dates,
    _Problems,
    empty_quarantine,
    ingest,
    pseudonymise,
    require_accepted,
    validate_interviews,
)

CB = load_codebook()
YEAR = 2020
ITEMS = CB.items_for_year(YEAR)
ROSTERS = {
    "workers": pd.DataFrame({"worker_id": ["W1", "W2"], "worker_name": ["a", "b"],
                             "department": ["home_care", "temporary_residence"]}),
    "interviewers": pd.DataFrame({"interviewer_id": ["V1", "S1"], "interviewer_name": ["c", "d"],
                                  "role": ["volunteer", "social_worker"]}),
    "strata": pd.DataFrame({"stratum": ["ST1", "ST2"], "department": ["home_care", "temporary_residence"],
                            "population": [100, 50]}),
}
BASE = {"interview_id": "", "date": "12.03.2020", "interviewer_id": "V1", "interviewer_role": "волонтёр",
        "recipient_id": "R1", "recipient_name": "Иванов Иван Иванович", "recipient_phone": "+7 912 000 00 00",
        "worker_id": "W1", "department": "на дому", "stratum": "ST1", "pair_id": "", "mode": "лично", "comment": ""}


def _answers(**given: str) -> dict[str, str]:
    return {item: given.get(item, "да" if item.startswith("cov_") else "5") for item in ITEMS}


def _row(interview_id: str, **cells: str) -> dict[str, str]:
    items = {k: v for k, v in cells.items() if k in ITEMS}
    return {**BASE, **_answers(**items), "interview_id": interview_id,
            **{k: v for k, v in cells.items() if k not in ITEMS}}


ROWS = [
    _row("a", pair_id="P1"),                                                      # 0 accepted
    _row(" b ", pair_id="P1", interviewer_id="S1", interviewer_role="Социальный  работник", mode="по телефону",
         date="2020-03-13", comment=" звоните 8 912 345 67 89 ", eth_appearance="Полностью согласен ",
         cov_gloves="нет", qual_overall=" 4.0 ", cov_mask=""),                       # 1 accepted
    _row("c", interviewer_role="  ", mode=""),                                    # 2 two columns, one problem
    _row("d", department="столовая"),                                             # 3 unknown vocabulary value
    _row("e", date="31.02.2020"),                                                 # 4 no such date
    _row("f", date="01.01.2019"),                                                 # 5 another year
    _row("g", worker_id="W9"),                                                    # 6 not on the roster
    _row("h", interviewer_id="S1"),                                               # 7 role contradicts roster
    _row("i", eth_lateness="7", qual_overall="прекрасно"),                        # 8 two answer problems
    _row("dup"), _row("dup"),                                                     # 9, 10 duplicate id
    _row("k", department="овп"),                                                  # 11 department contradicts
]
LINES = np.array([2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 20])  # a blank line after line 3, six after line 13


@pytest.fixture  # per test, not per module: mutmut maps a function to the tests that call it, fixture included
def validated():
    raw = pd.DataFrame(ROWS, dtype="string")
    return validate_interviews(raw, Path("interviews_2020.csv"), YEAR, CB, ROSTERS, LINES)


def test_accepted_rows_hold_codes_dates_and_scrubbed_comments(validated):
    ok, _, pii = validated
    assert ok["interview_id"].tolist() == ["a", "b"]  # stripped
    assert ok["role"].tolist() == ["volunteer", "social_worker"]  # case, spaces, ё folded
    assert ok["mode"].tolist() == ["in_person", "phone"] and ok["department"].tolist() == ["home_care"] * 2
    assert ok["date"].tolist() == [pd.Timestamp("2020-03-12"), pd.Timestamp("2020-03-13")]
    assert ok["eth_appearance"].tolist() == [5, 5] and ok["cov_gloves"].tolist() == [1, 0]
    assert ok["qual_overall"].tolist() == [5, 4]  # " 4.0 " is the code 4
    assert ok["cov_mask"].isna().tolist() == [False, True]  # a blank answer is <NA>, not a problem
    assert ok["comment"].tolist() == ["", "звоните [телефон]"]
    assert pii["phone"] == 1 and sum(pii.values()) == 1
    assert ok["source_row"].tolist() == [2, 3] and ok["source_file"].tolist() == ["interviews_2020.csv"] * 2
    assert ok["pair_id"].tolist() == ["P1", "P1"] and ok["year"].tolist() == [2020, 2020]
    assert "recipient_name" not in ok and "recipient_phone" not in ok
    assert "index" not in ok and ok.index.tolist() == [0, 1]


def test_a_table_without_problems_has_an_empty_quarantine_with_the_contract_columns():
    raw = pd.DataFrame([_row("a"), _row("b")], dtype="string").set_axis([10, 20])
    ok, bad, pii = validate_interviews(raw, Path("x.csv"), YEAR, CB, ROSTERS, np.array([4, 9]))
    assert ok["interview_id"].tolist() == ["a", "b"] and ok["source_row"].tolist() == [4, 9]
    assert ok.index.tolist() == [0, 1] and "index" not in ok
    assert len(bad) == 0 and list(bad.columns) == list(empty_quarantine().columns)
    assert pii == dict.fromkeys(pii, 0)


def test_each_bad_row_quarantined_once_with_its_line_columns_and_reasons(validated):
    _, bad, _ = validated
    assert list(bad.columns) == ["file", "row", "interview_id", "year", "column", "columns", "reason"]
    got = bad[["row", "interview_id", "column", "columns", "reason"]].to_numpy().tolist()
    assert got == [
        [5, "c", "interviewer_role", "interviewer_role, mode", "missing value [interviewer_role, mode]"],
        [6, "d", "department", "department",
         "unknown value 'столовая' (expected one of ['home_care', 'temporary_residence']) [department]"],
        [7, "e", "date", "date", "unparseable date '31.02.2020' (expected DD.MM.YYYY or YYYY-MM-DD) [date]"],
        [8, "f", "date", "date", "date 2019-01-01 outside survey year 2020 [date]"],
        [9, "g", "worker_id", "worker_id", "worker 'W9' missing from workers_2020 roster [worker_id]"],
        [10, "h", "interviewer_role", "interviewer_role", "role 'volunteer' contradicts the interviewers_2020 "
         "roster, where interviewer_id 'S1' is 'social_worker' [interviewer_role]"],
        [11, "i", "eth_lateness", "eth_lateness, qual_overall",
         "out-of-range code '7' (expected [1, 2, 3, 4, 5, 8, 9]) [eth_lateness]; "
         "unknown answer label 'прекрасно' [qual_overall]"],
        [12, "dup", "interview_id", "interview_id", "duplicate interview id 'dup' [interview_id]"],
        [13, "dup", "interview_id", "interview_id", "duplicate interview id 'dup' [interview_id]"],
        [20, "k", "department", "department", "department 'temporary_residence' contradicts the strata_2020 "
         "roster, where stratum 'ST1' is 'home_care' [department]"],
    ]
    assert set(bad["file"]) == {"interviews_2020.csv"} and set(bad["year"]) == {2020}


def test_default_lines_are_the_header_on_line_one():
    raw = pd.DataFrame([_row("a"), _row("b", mode="")], dtype="string")
    ok, bad, _ = validate_interviews(raw, Path("x.csv"), YEAR, CB, ROSTERS)
    assert ok["source_row"].tolist() == [2] and bad["row"].tolist() == [3]


def test_personal_data_in_an_id_quarantines_the_row_and_is_never_quoted():
    raw = pd.DataFrame([_row("a"), _row("b", worker_id="ivanov@mail.ru")], dtype="string")
    ok, bad, pii = validate_interviews(raw, Path("x.csv"), YEAR, CB, ROSTERS)
    assert ok["interview_id"].tolist() == ["a"] and bad["interview_id"].tolist() == ["b"]
    assert bad["reason"].iloc[0].startswith("personal data (phone, e-mail or name) in an id column [worker_id]")
    assert "ivanov" not in bad["reason"].iloc[0] and pii["email"] == 1


def test_answer_to_an_item_not_asked_that_year():
    cb = load_codebook()
    raw = pd.DataFrame([_row("a"), _row("b")], dtype="string")
    later = [i for i in cb.item_codes if i not in cb.items_for_year(2018)]
    if not later:
        pytest.skip("every item of the codebook is asked in 2018")
    ok, bad, _ = validate_interviews(raw, Path("x.csv"), 2018, cb, ROSTERS)
    assert len(ok) == 0 and len(bad) == 2  # also every date falls outside 2018
    assert f"answer to an item not asked in 2018 [{', '.join(later)}]" in bad["reason"].iloc[0]


def test_missing_and_unknown_columns_are_file_level():
    raw = pd.DataFrame([_row("a")], dtype="string")
    with pytest.raises(DataContractError, match=r"x.csv: missing required column 'mode'$"):
        validate_interviews(raw.drop(columns="mode"), Path("x.csv"), YEAR, CB, ROSTERS)
    with pytest.raises(DataContractError, match=r"missing required column 'date' \(and 1 more\)$"):
        validate_interviews(raw.drop(columns=["date", "mode"]), Path("x.csv"), YEAR, CB, ROSTERS)
    with pytest.raises(DataContractError, match=r"x.csv: unknown column 'extra'; expected the contract's columns"):
        validate_interviews(raw.assign(extra="1"), Path("x.csv"), YEAR, CB, ROSTERS)
    assert set(ID_COLUMNS) <= set(raw.columns)


# ---- helpers -----------------------------------------------------------------------------------------
def test_map_codes_by_hand():
    lookup = CB.answer_lookup("eth_appearance")
    codes, bad, reasons = _map_codes(pd.Series(["5", " 5,0 ", "ДА, ПОЛНОСТЬЮ", "", "  ", "0", "-1", "2.5", "ну"],
                                               dtype="string"), lookup)
    assert codes.tolist() == [5, 5, 5, pd.NA, pd.NA, pd.NA, pd.NA, pd.NA, pd.NA]
    assert str(codes.dtype) == "Int64"
    assert bad.tolist() == [False] * 5 + [True] * 4
    assert reasons(np.flatnonzero(bad)).tolist() == [
        "out-of-range code '0' (expected [1, 2, 3, 4, 5, 8, 9])", "out-of-range code '-1' (expected [1, 2, 3, 4, 5, 8, 9])",
        "out-of-range code '2.5' (expected [1, 2, 3, 4, 5, 8, 9])", "unknown answer label 'ну'"]


def test_parse_dates_each_format_and_midnight():
    s = pd.Series(["05.06.2020", "2020-06-05", "05/06/2020", "05.06.20", "2020-06-05 00:00", "2020-06-05T00:00:00",
                   " 05.06.2020 ", "2020-06-05 13:00", "", "5 июня"], dtype="string")
    got = _parse_dates(s)
    assert str(got.dtype) == "datetime64[ns]"
    assert got.iloc[:7].tolist() == [pd.Timestamp("2020-06-05")] * 7
    assert got.iloc[7:].isna().all()
    assert _parse_dates(pd.Series([], dtype="string")).tolist() == []


def test_problems_frame_keeps_positions_columns_and_reasons():
    p = _Problems(4)
    p.add([False, True, False, True], "a", "r1")
    p.add([True, False, False, False], "b", np.array(["x", "y", "z", "w"], dtype=object))
    p.add([False, False, True, True], "c", lambda idx: np.array([f"at {i}" for i in idx], dtype=object))
    p.add([False] * 4, "d", "never")
    assert p.frame().to_numpy().tolist() == [[1, "a", "r1"], [3, "a", "r1"], [0, "b", "x"], [2, "c", "at 2"],
                                             [3, "c", "at 3"]]
    assert _Problems(3).frame().shape == (0, 3)
    assert list(empty_quarantine().columns) == ["file", "row", "interview_id", "year", "column", "columns", "reason"]
    assert str(empty_quarantine()["row"].dtype) == "int64"


def test_pseudonym_is_hmac_sha256_first_16_hex_digits():
    ids = pd.Series(["R1", "R2", "R1"], dtype="string")
    want = [hmac.new(b"k", v.encode(), hashlib.sha256).hexdigest()[:16] for v in ids]
    assert pseudonymise(ids, b"k").tolist() == want and want[0] == want[2] != want[1]


# ---- the whole folder ------------------------------------------------------------------------------
def _folder(tmp_path: Path, rows: list[dict[str, str]]) -> Path:
    raw = tmp_path / "raw"
    raw.mkdir()
    pd.DataFrame(rows).to_csv(raw / "interviews_2020.csv", index=False)
    for kind, df in ROSTERS.items():
        df.to_csv(raw / f"{kind}_2020.csv", index=False)
    (raw / "DEMO_DATA.txt").write_text("demo", encoding="utf-8")
    return raw


def test_ingest_log_counts_and_output_columns(tmp_path, monkeypatch):
    monkeypatch.setenv("MG_PSEUDONYM_KEY", "k")
    res = ingest(_folder(tmp_path, ROWS))
    log = res.log.iloc[0]
    assert (log["rows_read"], log["rows_accepted"], log["rows_quarantined"]) == (12, 2, 10)
    assert log["pii_phone"] == 1 and log["file"] == "interviews_2020.csv" and log["year"] == 2020
    assert list(res.interviews.columns[:7]) == ["interview_id", "year", "date", "interviewer_id", "role",
                                                "recipient_pid", "worker_id"]
    assert res.interviews["recipient_pid"].tolist() == [hmac.new(b"k", b"R1", hashlib.sha256).hexdigest()[:16]] * 2
    assert res.interviews["source_row"].tolist() == [2, 3] and res.quarantine["row"].min() == 4
    assert res.demo and set(res.rosters) == {"workers", "interviewers", "strata"}


def test_require_accepted_names_the_year_and_its_most_frequent_reason():
    q = pd.DataFrame({"year": [2022] * 3, "reason": ["missing value [mode]", "unknown value 'x' [mode]",
                                                     "unknown value 'y' [mode]; missing value [date]"]})
    r = IngestResult(interviews=pd.DataFrame({"year": [2021]}), quarantine=q, rosters={},
                     log=pd.DataFrame({"year": [2021, 2022], "rows_read": [5, 3]}))
    require_accepted(r, [2021])  # a year with accepted rows passes
    with pytest.raises(DataContractError, match=r"^2022: none of the 3 interviews was accepted; most frequent "
                                                r"reason \(2 rows\): unknown value '…' \[mode\]$"):
        require_accepted(r, [2021, 2022])
    with pytest.raises(DataContractError, match=r"^2023: requested, but raw holds no interview rows of 2023"):
        require_accepted(r, [2023], "raw")


def test_whole_file_warnings_by_hand():
    from helpers.io.ingest import _warnings

    p = Path("interviews_2020.csv")
    empty = pd.DataFrame({"date": pd.Series([], dtype="string")})
    assert _warnings(p, empty, empty, empty, 2020) == ["interviews_2020.csv: header only, no data rows"]
    raw = pd.DataFrame({"date": pd.Series(["01.02.2019", "03.04.2019", "2021-01-01", "x"], dtype="string")})
    assert _warnings(p, raw, raw.iloc[:0], raw, 2020) == [
        "interviews_2020.csv: 0 of 4 rows accepted (all quarantined)",
        "interviews_2020.csv: every date falls outside 2020 (most in 2019); is this the file of 2019?"]
    assert _warnings(p, raw.assign(date=["01.02.2020"] * 3 + ["01.02.2019"]), raw.iloc[:1], raw.iloc[1:], 2020) == []


def test_warnings_of_a_table_without_dates():
    from helpers.io.ingest import _warnings

    raw = pd.DataFrame({"mode": pd.Series(["лично"], dtype="string")})
    assert _warnings(Path("x.csv"), raw, raw, raw.iloc[:0], 2020) == []


def test_pseudonym_of_an_id_that_is_not_text_is_that_of_its_text():
    want = hmac.new(b"k", b"17", hashlib.sha256).hexdigest()[:16]
    assert pseudonymise(pd.Series([17, "17"], dtype=object), b"k").tolist() == [want, want]


@pytest.mark.parametrize("size", [63, 64, 65])
def test_pseudonym_keys_at_the_block_size(size):
    key = bytes(range(size))
    assert pseudonymise(pd.Series(["R1"]), key).tolist() == [hmac.new(key, b"R1", hashlib.sha256).hexdigest()[:16]]


def test_require_accepted_without_a_log_or_a_folder_name():
    r = IngestResult(interviews=pd.DataFrame({"year": [2021]}), quarantine=empty_quarantine(), rosters={},
                     log=pd.DataFrame())
    with pytest.raises(DataContractError, match=r"^2022: requested, but the raw folder holds no interview rows of "
                                                r"2022 \(expected interviews_2022.csv, .tsv, .txt, .xlsx or .xls\)$"):
        require_accepted(r, [2021, 2022])


def test_a_pair_with_one_unknown_recipient_or_role_is_no_clash():
    from helpers.io.ingest import _check_pairs

    out = pd.DataFrame({"interview_id": ["a", "b", "c", "d"],
                        "pair_id": pd.array(["P1", "P1", "P2", "P2"], dtype="string"),
                        "role": pd.array(["volunteer", "social_worker", None, "volunteer"], dtype="string"),
                        "recipient_id": pd.array(["r1", None, "r2", "r2"], dtype="string")})
    problems = _Problems(len(out))
    _check_pairs(out, problems)
    assert len(problems.frame()) == 0  # nunique of a pair ignores the unknown value: nothing to compare


def test_distinct_mapping_and_dates_keep_the_index_and_an_unknown_value():
    from helpers.io.ingest import _map_distinct_text

    s = pd.Series(["a", None, "a"], dtype="string", index=[10, 20, 30])
    got = _map_distinct_text(s, lambda v: "?" if pd.isna(v) else v.upper())
    assert got.tolist() == ["A", "?", "A"] and got.index.tolist() == [10, 20, 30]
    dates = _parse_dates(pd.Series(["05.06.2020", None, "06.06.2020"], dtype="string", index=[7, 8, 9]))
    assert dates.tolist()[0] == pd.Timestamp("2020-06-05") and pd.isna(dates.iloc[1])
    assert dates.iloc[2] == pd.Timestamp("2020-06-06") and dates.index.tolist() == [7, 8, 9]


def test_optional_comment_absent_items_own_address_and_blank_ids():
    later = [i for i in CB.item_codes if i not in CB.items_for_year(2018)]
    rows = [{**_row("a", date="12.03.2018"), "comment": "ул. Советская, д. 12"},
            _row("", date="12.03.2018"), _row("", date="12.03.2018"), _row("d", date="12.03.2018", worker_id=" ")]
    raw = pd.DataFrame(rows, dtype="string").drop(columns=later)
    ok, bad, _ = validate_interviews(raw, Path("x.csv"), 2018, CB, ROSTERS)
    assert ok["comment"].tolist() == ["ул. Советская, д. 12"]  # the centre's own address is no personal data
    assert all(str(ok[i].dtype) == "Int64" and ok[i].isna().all() for i in later) and later
    assert bad["reason"].tolist() == ["missing value [interview_id]"] * 2 + ["missing value [worker_id]"]
    no_comment = validate_interviews(raw.drop(columns="comment"), Path("x.csv"), 2018, CB, ROSTERS)[0]
    assert no_comment["comment"].tolist() == [""] and isinstance(no_comment["comment"].dtype, pd.StringDtype)


# ---- the Arrow helpers of the ingestion speed (session 8) ----------------------------------------------------
def test_arrow_gives_one_array_for_a_column_read_in_blocks():
    import pyarrow as pa

    from helpers.io.ingest import _arrow

    column = pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([["a", "b"], ["c"]], type=pa.large_string())))
    arr = _arrow(column)  # one array: a regex kernel compiles its pattern once, not once per block
    assert isinstance(arr, pa.Array) and not isinstance(arr, pa.ChunkedArray) and arr.to_pylist() == ["a", "b", "c"]
    assert _arrow(pd.Series([], dtype="string")).to_pylist() == []


def test_roster_values_keep_the_callers_index_and_text_type():
    from helpers.io.ingest import _in_roster, _roster_values

    values = pd.Series(["S2", "S9", "S1"], index=[10, 11, 12], dtype="string")
    got = _roster_values(values, pd.Series(["S1", "S2"]), pd.Series(["volunteer", "social_worker"]))
    assert got.index.tolist() == [10, 11, 12] and got.dtype == "string"
    assert got.tolist() == ["social_worker", pd.NA, "volunteer"]
    assert _in_roster(values, pd.Series(["S1"])).tolist() == [False, False, True]


# ---- the ingestion-speed code of session 8 (re-run of the mutation entry, session 9) ---------------------------
def _hmac16(key: bytes, text: str) -> str:
    """The pseudonym by its definition, from Python's own :mod:`hmac` (RFC 2104), not the module's keyed states."""
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()[:16]


def test_pseudonym_table_strips_ids_drops_blanks_and_hashes_each_once():
    from helpers.io.ingest import pseudonym_table

    ids, pids = pseudonym_table(pd.Series([" R1", "R2 ", "R1", None, "R2"], dtype="string"), b"k")
    assert ids.to_pylist() == ["R1", "R2"]  # distinct after stripping; a missing id gets no pseudonym
    assert pids.to_pylist() == [_hmac16(b"k", "R1"), _hmac16(b"k", "R2")]
    empty_ids, empty_pids = pseudonym_table(pd.Series([None], dtype="string"), b"k")
    assert empty_ids.to_pylist() == [] and empty_pids.to_pylist() == []


def test_pseudonym_tables_of_a_header_only_year_and_a_full_year_combine():
    import pyarrow as pa

    from helpers.io.ingest import pseudonym_table

    # ingest concatenates the tables of every year: an empty one must be text too (Arrow refuses text + null)
    tables = [pseudonym_table(pd.Series([], dtype="string"), b"k"), pseudonym_table(pd.Series(["R1"]), b"k")]
    known = (pa.concat_arrays([t[0] for t in tables]), pa.concat_arrays([t[1] for t in tables]))
    assert pseudonymise(pd.Series(["R1"]), b"k", known=known).tolist() == [_hmac16(b"k", "R1")]


def test_pseudonymise_with_pseudonyms_computed_ahead():
    from helpers.io.ingest import pseudonym_table

    ids = pd.Series(["R1", "R3", "R2", "R3", "R1"], dtype="string", index=[5, 6, 7, 8, 9])
    want = [_hmac16(b"k", v) for v in ids]
    ahead = pseudonym_table(pd.Series(["R1", "R2"], dtype="string"), b"k")  # R3 not computed ahead
    got = pseudonymise(ids, b"k", known=ahead)
    assert got.tolist() == want and got.index.tolist() == [5, 6, 7, 8, 9]  # R3 computed here, index kept
    assert pseudonymise(ids, b"k").tolist() == want  # the same pseudonyms as without the table
    assert pseudonymise(ids, b"k", known=pseudonym_table(ids, b"k")).tolist() == want  # every id found
    nothing_ahead = pseudonym_table(pd.Series([], dtype="string"), b"k")
    assert pseudonymise(ids, b"k", known=nothing_ahead).tolist() == want  # every id computed here


def test_pseudonymise_takes_the_pseudonyms_computed_ahead_as_given():
    import pyarrow as pa

    ids = pd.Series(["R1", "R2"], dtype="string")
    ahead = (pa.array(["R1"]), pa.array(["from-ahead"]))  # a look-up: what was computed ahead is not redone
    assert pseudonymise(ids, b"k", known=ahead).tolist() == ["from-ahead", _hmac16(b"k", "R2")]


def test_answers_mapped_two_columns_at_a_time_land_in_their_own_columns():
    scale, yes_no = ["1", "2", "3", "4", "5", "8", "9"], ["0", "1", "8", "9"]
    rows, want = [], {item: [] for item in ITEMS}
    for shift in (0, 1):  # every item its own code, different from its neighbours'
        cells = {}
        for k, item in enumerate(ITEMS):
            values = yes_no if item.startswith("cov_") else scale
            cells[item] = values[(k + shift) % len(values)]
            want[item].append(int(cells[item]))
        rows.append(_row(f"x{shift}", **cells))
    rows.append(_row("bad", qual_needs="7", cov_mask="может быть"))
    raw = pd.DataFrame(rows, dtype="string")
    ok, bad, _ = validate_interviews(raw, Path("x.csv"), YEAR, CB, ROSTERS)
    assert {item: ok[item].tolist() for item in ITEMS} == want
    serial = {item: _map_codes(raw[item].iloc[:2], CB.answer_lookup(item))[0].tolist() for item in ITEMS}
    assert serial == want  # one column after the other, no pool: the same codes
    assert bad["reason"].tolist() == ["out-of-range code '7' (expected [1, 2, 3, 4, 5, 8, 9]) [qual_needs]; "
                                      "unknown answer label 'может быть' [cov_mask]"]  # the codebook's item order


def test_an_id_of_ten_digits_is_an_id_not_a_phone_number():
    # ids are digit strings by nature: only the id kinds of personal data (e-mail, name, a mobile number) are looked
    # for in them, not the free-text kinds (a 10-digit "phone", SNILS, passport); the comment is scanned for those
    rows = [_row("1234567890", comment="4510 123456"), _row("123-456-789 01", pair_id="4510 123456")]
    ok, bad, pii = validate_interviews(pd.DataFrame(rows, dtype="string"), Path("x.csv"), YEAR, CB, ROSTERS)
    assert ok["interview_id"].tolist() == ["1234567890", "123-456-789 01"] and len(bad) == 0
    assert ok["pair_id"].tolist() == [pd.NA, "4510 123456"]
    assert ok["comment"].tolist() == ["[паспорт]", ""] and pii["passport"] == 1
