"""Malformed input: one line naming the file and the row or column, exit 2, no traceback; never lose or
invent data (issue 13, items 3 and 4)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers.__main__ import main
from helpers.io.ingest import DataContractError, ingest, read_table
from helpers.report import open_report
from helpers.studies.mystery_guest.overview import load_processed


def _copy_year(src: Path, dst: Path, year: int = 2018) -> pd.DataFrame:
    dst.mkdir(parents=True)
    for kind in ("workers", "interviewers", "strata"):
        shutil.copy(src / f"{kind}_{year}.csv", dst)
    shutil.copy(src / "DEMO_DATA.txt", dst)
    return read_table(src / f"interviews_{year}.csv")


def _one_line_error(capsys, argv: list[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and err.count("\n") == 0, err
    assert "Traceback" not in err and "\x00" not in err
    return err


def _validate(capsys, folder: Path) -> str:
    return _one_line_error(capsys, ["validate", str(folder), "--dry-run"])


# ---- file-level faults: one line -------------------------------------------------------------------
def test_duplicated_column_is_one_line_without_traceback(demo_dirs, tmp_path):
    raw = _copy_year(demo_dirs["raw"], tmp_path / "d")
    path = tmp_path / "d" / "interviews_2018.csv"
    text = raw.to_csv(index=False)
    lines = text.splitlines()
    lines = [ln + "," + ln.split(",")[6] for ln in lines]  # worker_id, column 8, repeated as column 31
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "helpers", "validate", str(tmp_path / "d"), "--dry-run"],
                          capture_output=True, text=True)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stderr.strip().count("\n") == 0
    assert f"{path}: duplicated column 'recipient_phone' (columns 7 and {len(raw.columns) + 1})" in proc.stderr


def test_png_renamed_csv(demo_dirs, tmp_path, capsys):
    _copy_year(demo_dirs["raw"], tmp_path / "p")
    (tmp_path / "p" / "interviews_2018.csv").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    err = _validate(capsys, tmp_path / "p")
    assert "interviews_2018.csv: this is a PNG image, not a text table" in err


def test_binary_with_nul_bytes(tmp_path, capsys):
    p = tmp_path / "interviews_2018.csv"
    p.write_bytes(b"interview_id,date\n\x01\x00\x02\x00\x00\x00\x07" * 50)
    with pytest.raises(DataContractError, match="binary file .NUL bytes., not a text table"):
        read_table(p)


def test_title_and_instruction_rows_only_say_no_header_row(demo_dirs, tmp_path, capsys):
    _copy_year(demo_dirs["raw"], tmp_path / "t")
    (tmp_path / "t" / "interviews_2018.csv").write_text(
        "Опросный лист «Тайный гость»\nИнструкция: заполните таблицу на листе «Данные»\n\n1;2;3\n", encoding="utf-8")
    err = _validate(capsys, tmp_path / "t")
    assert "found no header row in the first 3 non-blank rows" in err and "interview_id, date" in err
    assert "missing required column" not in err


def test_instruction_sheet_only_workbook(demo_dirs, tmp_path, capsys):
    _copy_year(demo_dirs["raw"], tmp_path / "w")
    pd.DataFrame({"Инструкция": ["Заполните таблицу", "по одной строке на интервью"]}).to_excel(
        tmp_path / "w" / "interviews_2018.xlsx", sheet_name="Инструкция", index=False)
    err = _validate(capsys, tmp_path / "w")
    assert "interviews_2018.xlsx: sheet 'Инструкция': found no header row" in err


def test_cp1251_decoding_error_names_the_line(demo_dirs, tmp_path, capsys):
    raw = _copy_year(demo_dirs["raw"], tmp_path / "c")
    data = raw.to_csv(index=False, sep=";").encode("cp1251").splitlines(keepends=True)
    data[20] = data[20].replace(b";", b"\x98;", 1)  # 0x98 is no character in Windows-1251
    (tmp_path / "c" / "interviews_2018.csv").write_bytes(b"".join(data))
    err = _validate(capsys, tmp_path / "c")
    assert "interviews_2018.csv: line 21: cannot decode" in err and "byte" not in err


def test_one_cp1251_row_in_a_utf8_file_names_its_line(demo_dirs, tmp_path, capsys):
    raw = _copy_year(demo_dirs["raw"], tmp_path / "m")
    lines = raw.to_csv(index=False).splitlines()
    body = [ln.encode("utf-8") for ln in lines]
    body[30] = lines[30].encode("cp1251")  # one row saved in another encoding, line 31
    (tmp_path / "m" / "interviews_2018.csv").write_bytes(b"\n".join(body) + b"\n")
    err = _validate(capsys, tmp_path / "m")
    assert "line 31" in err and "wrong encoding guess" in err


def test_truncated_last_row_names_its_line(demo_dirs, tmp_path, capsys):
    raw = _copy_year(demo_dirs["raw"], tmp_path / "r")
    text = raw.to_csv(index=False)
    (tmp_path / "r" / "interviews_2018.csv").write_text(text[: len(text) - 120], encoding="utf-8")
    err = _validate(capsys, tmp_path / "r")
    assert f"interviews_2018.csv: line {len(raw) + 1}: truncated last row" in err


def test_utf16_truncated_prints_no_nul(demo_dirs, tmp_path, capsys):
    raw = _copy_year(demo_dirs["raw"], tmp_path / "u")
    data = raw.to_csv(index=False, sep="\t").encode("utf-16")
    (tmp_path / "u" / "interviews_2018.txt").write_bytes(data[: len(data) - 301])  # odd: half a character
    err = _validate(capsys, tmp_path / "u")
    assert "interviews_2018.txt: line" in err and "UTF-16" in err


def test_unnamed_column_with_values_is_refused(demo_dirs, tmp_path, capsys):
    raw = _copy_year(demo_dirs["raw"], tmp_path / "n")
    text = raw.to_csv(index=False, sep=";", lineterminator=";\n").splitlines()
    text[9] += "x"
    (tmp_path / "n" / "interviews_2018.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    err = _validate(capsys, tmp_path / "n")
    assert f"row 10: column {len(raw.columns) + 1} has no header but holds a value" in err


def test_unclosed_quote_names_its_line(demo_dirs, tmp_path, capsys):
    raw = _copy_year(demo_dirs["raw"], tmp_path / "q")
    text = raw.to_csv(index=False).splitlines()
    text[-1] = text[-1].replace(",", ',"', 1)
    (tmp_path / "q" / "interviews_2018.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    err = _validate(capsys, tmp_path / "q")
    assert f"line {len(text)}: unclosed quote" in err


def test_error_runs_exit_2_every_time(demo_dirs, tmp_path):
    """The CLI leaves through os._exit after flushing: no native-thread teardown abort (exit 134)."""
    raw = _copy_year(demo_dirs["raw"], tmp_path / "e")
    text = raw.to_csv(index=False)
    (tmp_path / "e" / "interviews_2018.csv").write_text(text[:-200], encoding="utf-8")
    procs = [subprocess.Popen([sys.executable, "-m", "helpers", "validate", str(tmp_path / "e"), "--dry-run"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(6)]
    for p in procs:
        _, err = p.communicate()
        assert p.returncode == 2 and "terminate called" not in err and err.count("\n") == 1


# ---- warnings -------------------------------------------------------------------------------------
def test_header_only_file_warns(demo_dirs, tmp_path, capsys):
    raw = _copy_year(demo_dirs["raw"], tmp_path / "h")
    raw.head(0).to_csv(tmp_path / "h" / "interviews_2018.csv", index=False)
    assert main(["validate", str(tmp_path / "h"), "--out", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert "warning: interviews_2018.csv: header only, no data rows" in err
    log = pd.read_parquet(tmp_path / "out" / "ingest_log.parquet")
    assert log["warnings"].iloc[0] == "interviews_2018.csv: header only, no data rows"


def test_zero_accepted_and_dates_of_another_year_warn(demo_dirs, tmp_path, capsys):
    raw = _copy_year(demo_dirs["raw"], tmp_path / "y")
    raw["date"] = raw["date"].str.replace("2018", "2019")
    raw.to_csv(tmp_path / "y" / "interviews_2018.csv", index=False)
    assert main(["validate", str(tmp_path / "y"), "--dry-run"]) == 0
    err = capsys.readouterr().err
    assert "warning: interviews_2018.csv: 0 of 35 rows accepted (all quarantined)" in err
    assert "warning: interviews_2018.csv: every date falls outside 2018 (most in 2019)" in err


# ---- never lose or invent data --------------------------------------------------------------------
def test_blank_lines_keep_physical_line_numbers(demo_dirs, tmp_path):
    raw = _copy_year(demo_dirs["raw"], tmp_path / "b")
    raw.loc[20, "qual_overall"] = "прекрасно"  # data row 21 -> line 22 without blank lines
    lines = raw.to_csv(index=False).splitlines()
    lines[5:5] = ["", ",,,,", ""]  # blank, only delimiters, blank: three more lines before row 21
    (tmp_path / "b" / "interviews_2018.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    res = ingest(tmp_path / "b")
    assert res.quarantine["row"].tolist() == [25]
    assert len(res.interviews) == 34 and res.log["rows_read"].iloc[0] == 35
    assert any("3 blank rows skipped" in n for n in res.notes)
    assert res.interviews["source_row"].iloc[3] == 5 and res.interviews["source_row"].iloc[4] == 9


def test_role_and_department_contradicting_rosters_are_quarantined(demo_dirs, tmp_path):
    raw = _copy_year(demo_dirs["raw"], tmp_path / "k", year=2020)
    vol = raw.index[raw["interviewer_role"] == "волонтёр"][0]
    home = raw.index[raw["stratum"] == "home_care"][1]
    raw.loc[vol, "interviewer_role"] = "социальный работник"
    raw.loc[home, "department"] = "отделение временного проживания"
    raw.to_csv(tmp_path / "k" / "interviews_2020.csv", index=False)
    q = ingest(tmp_path / "k").quarantine
    role = q[q["row"] == vol + 2]
    assert role["column"].iloc[0] == "interviewer_role"
    assert "role 'social_worker' contradicts the interviewers_2020 roster" in role["reason"].iloc[0]
    dep = q[q["row"] == home + 2]
    assert "department" in dep["columns"].iloc[0]
    assert "department 'temporary_residence' contradicts the strata_2020 roster, where stratum 'home_care' is " \
           "'home_care'" in dep["reason"].iloc[0]


def test_worker_names_come_from_the_interview_year(copy_demo_years, tmp_path):
    d = copy_demo_years(tmp_path / "names", 2020, 2021)
    w21 = read_table(d / "workers_2021.csv")
    w21.loc[w21["worker_id"] == "W01", "worker_name"] = "Новикова-Орлова Ольга Петровна"
    w21.to_csv(d / "workers_2021.csv", index=False)
    out = tmp_path / "processed"
    assert main(["validate", str(d), "--out", str(out)]) == 0
    old = read_table(d / "workers_2020.csv").set_index("worker_id")["worker_name"]["W01"]
    assert open_report(str(out), audience="internal", year=2020).worker("W01") == f"W01 {old}"
    assert open_report(str(out), audience="internal", year=2021).worker("W01") == "W01 Новикова-Орлова Ольга Петровна"
    assert open_report(str(out), audience="internal").worker("W01") == \
        f"W01 {old} (2020) / Новикова-Орлова Ольга Петровна (2021)"


def test_validate_one_file_keeps_the_other_years(demo_dirs, tmp_path, capsys):
    src = demo_dirs["raw"]
    d = tmp_path / "raw"
    shutil.copytree(src, d)
    out = tmp_path / "processed"
    assert main(["validate", str(d), "--out", str(out)]) == 0
    before = load_processed(out)
    raw19 = read_table(d / "interviews_2019.csv")
    raw19.loc[0, "qual_overall"] = "прекрасно"
    raw19.to_csv(d / "interviews_2019.csv", index=False)
    capsys.readouterr()
    assert main(["validate", str(d / "interviews_2019.csv"), "--out", str(out)]) == 0
    assert "years 2019 updated; 2018, 2020, 2021 kept from the previous ingestion" in capsys.readouterr().out
    after = load_processed(out)
    assert sorted(after["interviews"]["year"].unique()) == [2018, 2019, 2020, 2021]
    for y in (2018, 2020, 2021):
        a = before["interviews"][before["interviews"]["year"] == y].reset_index(drop=True)
        b = after["interviews"][after["interviews"]["year"] == y].reset_index(drop=True)
        pd.testing.assert_frame_equal(a, b)
    assert len(after["interviews"].query("year == 2019")) == len(before["interviews"].query("year == 2019")) - 1
    assert after["quarantine"].query("year == 2019")["row"].tolist() == [2]
    assert sorted(after["ingest_log"]["year"]) == [2018, 2019, 2020, 2021]
    assert np.array_equal(np.sort(after["workers"]["year"].unique()), [2018, 2019, 2020, 2021])
