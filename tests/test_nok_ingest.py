"""НОК files: encodings, XLSX, labels, and one test per kind of fault (message or quarantine reason)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from helpers.io.ingest import DataContractError
from helpers.studies.nok.ingest import ingest_nok, write_nok_processed
from helpers.studies.nok.ingest import read_nok_table as read_table

DATA = Path(__file__).parent / "data" / "nok"
RESP, ORGS = "nok_respondents_2021.csv", "nok_organisations_2021.csv"


@pytest.fixture
def raw(tmp_path) -> Path:
    for name in (RESP, ORGS):
        shutil.copy(DATA / name, tmp_path / name)
    return tmp_path


def _edit(path: Path, row: int, column: str, value: str) -> None:
    """Set one cell (row = line in the file, header = 1) and write back as UTF-8."""
    df = read_table(path)
    df.loc[row - 2, column] = value
    df.to_csv(path, index=False)


def _reasons(raw: Path) -> pd.DataFrame:
    return ingest_nok(raw, 2021).quarantine


def test_valid_files_reconcile_and_code_answers(raw):
    data = ingest_nok(raw, 2021)
    assert data.log["rows_read"].tolist() == [4, 16]
    assert (data.log["rows_read"] == data.log["rows_accepted"] + data.log["rows_quarantined"]).all()
    a01 = data.respondents.set_index("respondent_id").loc["A01"]
    assert a01["q01"] == 1 and a01["sex"] == "female" and a01["age"] == 61
    b01 = data.respondents.set_index("respondent_id").loc["B01"]
    assert b01["q01"] == 0 and pd.isna(b01["q02"])
    assert data.organisations.set_index("organisation_id").loc["B", "kind"] == "rehabilitation_centre"
    written = write_nok_processed(data, raw / "processed")
    assert [p.name for p in written][0] == "nok_respondents_2021.parquet"


def test_windows1251_semicolon_and_xlsx_read_identically(raw, tmp_path):
    reference = ingest_nok(raw, 2021).respondents.drop(columns="source_file")
    text = read_table(raw / RESP).to_csv(index=False, sep=";")
    (raw / RESP).write_bytes(text.encode("cp1251"))
    pd.testing.assert_frame_equal(ingest_nok(raw, 2021).respondents.drop(columns="source_file"), reference)
    xl = tmp_path / "xl"
    xl.mkdir()
    shutil.copy(raw / ORGS, xl / ORGS)
    read_table(raw / RESP).to_excel(xl / "nok_respondents_2021.xlsx", index=False)
    got = ingest_nok(xl, 2021).respondents.drop(columns="source_file")
    pd.testing.assert_frame_equal(got, reference)


# ---- file-level faults: one line naming the file (and the column) ------------------------------
def test_missing_column(raw):
    df = read_table(raw / RESP).drop(columns="q07")
    df.to_csv(raw / RESP, index=False)
    with pytest.raises(DataContractError) as err:
        ingest_nok(raw, 2021)
    assert str(err.value) == f"{raw / RESP}: missing required column 'q07'"


def test_unknown_column(raw):
    df = read_table(raw / ORGS).assign(stars="5")
    df.to_csv(raw / ORGS, index=False)
    with pytest.raises(DataContractError, match=r"nok_organisations_2021.csv: unknown column 'stars'") as err:
        ingest_nok(raw, 2021)
    assert "\n" not in str(err.value)


def test_bad_encoding(raw):
    # 0x98 is undefined in Windows-1251 and invalid as UTF-8
    (raw / RESP).write_bytes((raw / RESP).read_bytes().replace(b"A01", b"A\x9801", 1))
    with pytest.raises(DataContractError) as err:
        ingest_nok(raw, 2021)
    msg = str(err.value)
    assert msg.startswith(f"{raw / RESP}: line ") and "cannot decode" in msg and "Windows-1251" in msg
    assert "\n" not in msg


def test_damaged_utf8_is_refused(raw):
    # a UTF-8 file with one broken byte: read as Windows-1251 its Russian turns into mojibake
    (raw / RESP).write_bytes((raw / RESP).read_bytes().replace(b"A02", b"A\xff02", 1))
    with pytest.raises(DataContractError, match="wrong encoding guess"):
        ingest_nok(raw, 2021)


def test_missing_file(raw):
    (raw / ORGS).unlink()
    with pytest.raises(DataContractError, match="НОК organisations file for 2021 not found"):
        ingest_nok(raw, 2021)


# ---- row-level faults: quarantined with file, row, column and reason ---------------------------
def test_unknown_answer_label(raw):
    _edit(raw / RESP, 3, "q05", "возможно")
    q = _reasons(raw)
    assert q[["file", "row", "id", "column"]].values.tolist() == [[RESP, 3, "A02", "q05"]]
    assert q["reason"].item() == "unknown answer label 'возможно' (expected yes/no, да/нет or 1/0) [q05]"


def test_answer_to_a_skipped_question_is_quarantined_not_fixed(raw):
    _edit(raw / RESP, 12, "q02", "yes")  # B01: q01 = no, yet q02 answered
    data = ingest_nok(raw, 2021)
    q = data.quarantine
    assert q[["row", "id", "column"]].values.tolist() == [[12, "B01", "q02"]]
    assert q["reason"].item() == "answer to q02 although q01 = no: the filter skips q02 [q02]"
    assert "B01" not in set(data.respondents["respondent_id"])
    assert data.log["rows_read"].tolist()[1] == len(data.respondents) + len(q)


def test_blank_answer_the_filter_required(raw):
    _edit(raw / RESP, 2, "q08", "")  # A01: q07 = yes, q08 left blank
    assert _reasons(raw)["reason"].item() == "blank answer to q08 although q07 = yes: the filter asks q08 [q08]"


def test_blank_answer_to_a_question_asked_of_everyone(raw):
    _edit(raw / RESP, 4, "q15", "")
    assert _reasons(raw)["reason"].item() == "blank answer: every respondent is asked q15 [q15]"


def test_unknown_kind_and_its_respondents(raw):
    _edit(raw / ORGS, 4, "kind", "санаторий")  # organisation C
    data = ingest_nok(raw, 2021)
    q = data.quarantine
    org = q[q["file"] == ORGS]
    assert org[["row", "id", "column"]].values.tolist() == [[4, "C", "kind"]]
    assert org["reason"].item().startswith("unknown kind 'санаторий' (expected one of [")
    resp = q[q["file"] == RESP]
    assert resp["id"].tolist() == ["C01", "C02"]
    assert set(resp["reason"]) == {f"organisation 'C' missing from {ORGS} (or quarantined there) [organisation_id]"}


def test_checklist_counts_are_checked(raw):
    _edit(raw / ORGS, 2, "info_stand_present", "19")  # more present than required
    _edit(raw / ORGS, 3, "comfort_conditions", "пять")
    q = _reasons(raw)
    q = q[q["file"] == ORGS].set_index("id")
    assert q.loc["A", "reason"] == "info_stand_present 19 exceeds info_stand_required 18 [info_stand_present]"
    assert q.loc["B", "reason"] == "'пять' is not a whole number [comfort_conditions]"


def test_duplicate_respondent_and_bad_age(raw):
    _edit(raw / RESP, 3, "respondent_id", "A01")
    _edit(raw / RESP, 5, "age", "7")
    q = _reasons(raw).set_index("row")
    assert q.loc[2, "reason"] == q.loc[3, "reason"] == "duplicate respondent id 'A01' [respondent_id]"
    assert q.loc[5, "reason"] == "age '7' is not a whole number from 14 to 120 [age]"


def test_command_line_exit_codes(raw, capsys):
    from helpers.studies.nok.ingest import main

    assert main([str(raw), "--year", "2021"]) == 0
    assert "nok_respondents_2021.csv: 16 rows read = 16 accepted + 0 quarantined" in capsys.readouterr().out
    (raw / ORGS).write_text("organisation_id\nA\n", encoding="utf-8")
    assert main([str(raw), "--year", "2021"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: {raw / ORGS}: missing required column 'name' (and 9 more)"
