"""Ingestion: encodings, delimiters, XLSX, file-level errors, row quarantine, pseudonymisation, privacy."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pandas as pd
import pytest

from helpers.__main__ import main
from helpers.io.ingest import (
    DataContractError,
    ingest,
    pseudonymisation_key,
    pseudonymise,
    read_table,
)

COMPARE = None  # columns compared between a copy and its original (all but the file name)


def _copy_year(src, dst, year=2018):
    dst.mkdir()
    for kind in ("workers", "interviewers", "strata"):
        shutil.copy(src / f"{kind}_{year}.csv", dst)
    shutil.copy(src / "DEMO_DATA.txt", dst)
    return read_table(src / f"interviews_{year}.csv")


def _same_rows(a: pd.DataFrame, b: pd.DataFrame) -> None:
    cols = [c for c in a.columns if c != "source_file"]
    pd.testing.assert_frame_equal(a[cols], b[cols])


def test_windows1251_semicolon_copy_ingests_identically(demo_dirs, tmp_path):
    raw = _copy_year(demo_dirs["raw"], tmp_path / "cp")
    text = raw.to_csv(index=False, sep=";")
    (tmp_path / "cp" / "interviews_2018.csv").write_bytes(text.encode("cp1251"))
    original = ingest(demo_dirs["raw"], years=[2018]).interviews
    _same_rows(original, ingest(tmp_path / "cp").interviews)


def test_utf8_bom_and_decimal_commas(demo_dirs, tmp_path):
    raw = _copy_year(demo_dirs["raw"], tmp_path / "bom")
    raw = raw.replace({"5": "5,0"})  # numeric codes typed with a decimal comma
    (tmp_path / "bom" / "interviews_2018.csv").write_text(raw.to_csv(index=False, sep=";"), encoding="utf-8-sig")
    original = ingest(demo_dirs["raw"], years=[2018]).interviews
    _same_rows(original, ingest(tmp_path / "bom").interviews)


def test_xlsx_copy_ingests_identically(demo_dirs, tmp_path):
    raw = _copy_year(demo_dirs["raw"], tmp_path / "x")
    raw.to_excel(tmp_path / "x" / "interviews_2018.xlsx", index=False)
    original = ingest(demo_dirs["raw"], years=[2018]).interviews
    _same_rows(original, ingest(tmp_path / "x").interviews)


def test_missing_required_column_is_one_line_and_nonzero(demo_dirs, tmp_path, capsys):
    raw = _copy_year(demo_dirs["raw"], tmp_path / "m")
    path = tmp_path / "m" / "interviews_2018.csv"
    raw.drop(columns="worker_id").to_csv(path, index=False)
    code = main(["validate", str(tmp_path / "m"), "--dry-run"])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1
    assert "interviews_2018.csv" in err and "'worker_id'" in err and "missing required column" in err


def test_cli_prints_no_traceback(demo_dirs, tmp_path):
    raw = _copy_year(demo_dirs["raw"], tmp_path / "t")
    raw.assign(favourite_colour="blue").to_csv(tmp_path / "t" / "interviews_2018.csv", index=False)
    proc = subprocess.run([sys.executable, "-m", "helpers", "validate", str(tmp_path / "t"), "--dry-run"],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().count("\n") == 0
    assert "unknown column 'favourite_colour'" in proc.stderr and "interviews_2018.csv" in proc.stderr


@pytest.mark.parametrize("content, message", [
    (b"", "empty header"),
    (b"\x98\x98\x98", "cannot decode"),
    ("interview_id,date\nПривет,мир".encode() + b"\xff\n", "wrong encoding guess"),
])
def test_unreadable_files(tmp_path, content, message):
    p = tmp_path / "interviews_2018.csv"
    p.write_bytes(content)
    with pytest.raises(DataContractError, match=message) as err:
        read_table(p)
    assert str(p) in str(err.value) and "\n" not in str(err.value)


def test_missing_roster_is_file_level(demo_dirs, tmp_path):
    raw = _copy_year(demo_dirs["raw"], tmp_path / "r")
    raw.to_csv(tmp_path / "r" / "interviews_2018.csv", index=False)
    (tmp_path / "r" / "workers_2018.csv").unlink()
    with pytest.raises(DataContractError, match="workers_2018.csv: roster file missing"):
        ingest(tmp_path / "r")


def test_quarantine_every_kind_of_bad_row(demo_dirs, tmp_path):
    """Seed a copy of 2020 with one bad row of each kind; every one lands in quarantine with its reason."""
    d = tmp_path / "q"
    raw = _copy_year(demo_dirs["raw"], d, year=2020)
    raw = raw.copy()
    pairs = raw[raw["pair_id"] != ""]
    pair_a = pairs["pair_id"].iloc[0]
    extra = raw[raw["pair_id"] == pair_a].iloc[[0]].assign(interview_id="2020-99001")  # third interview on a pair
    cases = {  # row position -> (column, fragment of the reason)
        3: ("qual_overall", "unknown answer label"),
        4: ("qual_needs", "out-of-range code"),
        5: ("date", "outside survey year"),
        6: ("worker_id", "missing from workers_2020 roster"),
        7: ("interviewer_role", "unknown value"),
        8: ("recipient_id", "missing value"),
        9: ("date", "unparseable date"),
    }
    raw.loc[3, "qual_overall"] = "прекрасно"
    raw.loc[4, "qual_needs"] = "7"
    raw.loc[5, "date"] = "01.01.2019"
    raw.loc[6, "worker_id"] = "W99"
    raw.loc[7, "interviewer_role"] = "стажёр"
    raw.loc[8, "recipient_id"] = ""
    raw.loc[9, "date"] = "32.13.2020"
    # duplicate interview id
    raw.loc[10, "interview_id"] = raw.loc[11, "interview_id"]
    # two interviews of the same role on one pair: give row 12's pair to a same-role row of another pair
    same_role = raw[(raw["interviewer_role"] == raw.loc[12, "interviewer_role"]) & (raw["pair_id"] != raw.loc[12, "pair_id"])]
    other_pair = raw.loc[12, "pair_id"]
    partner = raw[(raw["pair_id"] == other_pair) & (raw.index != 12)].index[0]
    victim = same_role.index[-1]
    victim_pair = raw.loc[victim, "pair_id"]
    raw.loc[partner, "pair_id"] = ""  # leave row 12 alone on its pair,
    raw.loc[victim, "pair_id"] = other_pair  # then join a same-role interview to it
    raw = pd.concat([raw, extra], ignore_index=True)
    raw.to_csv(d / "interviews_2020.csv", index=False)

    res = ingest(d)
    q = res.quarantine
    assert len(raw) == len(res.interviews) + len(q)  # nothing lost
    assert res.log["rows_read"].iloc[0] == len(raw)
    for pos, (column, fragment) in cases.items():
        hit = q[q["row"] == pos + 2]
        assert len(hit) == 1, (pos, column)
        assert column in hit["columns"].iloc[0] and fragment in hit["reason"].iloc[0], hit.to_dict("records")
    assert set(q.loc[q["reason"].str.contains("duplicate interview id"), "row"]) == {12, 13}
    assert q["reason"].str.contains("pair id on more than two interviews").sum() == 3
    assert set(q.loc[q["reason"].str.contains("same interviewer role"), "row"]) == {12 + 2, victim + 2}
    assert victim_pair in set(res.interviews["pair_id"].dropna())  # the victim's old partner stays, alone
    assert {"file", "row", "column", "reason"} <= set(q.columns)
    assert (q["file"] == "interviews_2020.csv").all()


def test_item_not_asked_that_year_is_quarantined(demo_dirs, tmp_path):
    raw = _copy_year(demo_dirs["raw"], tmp_path / "n")
    raw["cov_mask"] = ""
    raw.loc[0, "cov_mask"] = "да"
    raw.to_csv(tmp_path / "n" / "interviews_2018.csv", index=False)
    res = ingest(tmp_path / "n")
    assert len(res.quarantine) == 1 and "not asked in 2018" in res.quarantine["reason"].iloc[0]


def test_pseudonyms_stable_keyed_and_missing_key(monkeypatch, tmp_path):
    ids = pd.Series(["R-1", "R-2", "R-1"])
    a = pseudonymise(ids, b"k1")
    assert a[0] == a[2] and a[0] != a[1] and len(a[0]) == 16
    assert pseudonymise(ids, b"k2")[0] != a[0]
    # HMAC-SHA256 checked against the standard library directly
    import hashlib
    import hmac
    assert a[0] == hmac.new(b"k1", b"R-1", hashlib.sha256).hexdigest()[:16]
    monkeypatch.delenv("MG_PSEUDONYM_KEY", raising=False)
    monkeypatch.setenv("MG_PSEUDONYM_KEY_FILE", str(tmp_path / "absent.key"))
    with pytest.raises(DataContractError, match="no pseudonymisation key"):
        pseudonymisation_key(tmp_path)
    monkeypatch.setenv("MG_PSEUDONYM_KEY", "secret")
    assert pseudonymisation_key(tmp_path) == b"secret"


def test_same_recipient_same_pseudonym_across_years(demo_result):
    df = demo_result.interviews
    per_year = df.groupby("recipient_pid")["year"].nunique()
    assert (per_year > 1).any()  # the demo's recipients recur, and keep their pseudonym


def test_no_personal_data_in_processed(demo_dirs):
    raw = pd.concat([read_table(p) for p in demo_dirs["raw"].glob("interviews_*.csv")])
    secrets = set(raw["recipient_name"]) | set(raw["recipient_phone"]) | set(raw["recipient_id"])
    blob = []
    for p in demo_dirs["processed"].iterdir():
        if p.suffix == ".parquet":
            blob.append(pd.read_parquet(p).astype(str).to_csv())
        else:
            blob.append(p.read_text(encoding="utf-8"))
        blob.append(p.read_bytes().decode("utf-8", "ignore"))
    text = "\n".join(blob)
    leaked = [s for s in secrets if s and s in text]
    assert not leaked, leaked[:5]


def test_processed_schema_contract(demo_result, codebook):
    df = demo_result.interviews
    assert df["interview_id"].is_unique
    assert str(df["qual_overall"].dtype) == "Int64"
    assert set(df["role"]) == {"volunteer", "social_worker"}
    assert list(df.columns[-len(codebook.item_codes):]) == codebook.item_codes
