"""Real exports read to the same accepted rows as their clean original (issue 13, item 2).

Each test writes a copy of one demo year as a centre would export it and asserts frame equality of the
accepted interviews with the clean original (every column but ``source_file`` and, where title rows
shift the lines, ``source_row``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from helpers.__main__ import main
from helpers.io.codebook import load_codebook
from helpers.io.ingest import DataContractError, ingest, read_table

XLS = Path(__file__).parent / "data" / "xls"


def _copy_year(src: Path, dst: Path, year: int = 2018) -> pd.DataFrame:
    dst.mkdir()
    for kind in ("workers", "interviewers", "strata"):
        shutil.copy(src / f"{kind}_{year}.csv", dst)
    shutil.copy(src / "DEMO_DATA.txt", dst)
    return read_table(src / f"interviews_{year}.csv")


def _same_rows(a: pd.DataFrame, b: pd.DataFrame, rows: bool = True) -> None:
    cols = [c for c in a.columns if c != "source_file" and (rows or c != "source_row")]
    assert len(a) > 0
    pd.testing.assert_frame_equal(a[cols].reset_index(drop=True), b[cols].reset_index(drop=True))


@pytest.fixture(scope="module")
def original(demo_dirs):
    return ingest(demo_dirs["raw"], years=[2018]).interviews


def test_russian_question_text_headers(demo_dirs, tmp_path, original):
    cb = load_codebook()
    raw = _copy_year(demo_dirs["raw"], tmp_path / "ru")
    heads = {c: f"{k}. {cb.items[c].text['ru']}" for k, c in enumerate(cb.item_codes, start=1)}
    heads.update({"date": "Дата", "comment": "Комментарий"})
    raw.rename(columns=heads).to_csv(tmp_path / "ru" / "interviews_2018.csv", index=False, sep=";")
    res = ingest(tmp_path / "ru")
    _same_rows(original, res.interviews)
    assert any("headers matched by" in n and "text_ru" in n for n in res.notes)


def test_english_text_and_other_case_headers(demo_dirs, tmp_path, original):
    cb = load_codebook()
    raw = _copy_year(demo_dirs["raw"], tmp_path / "en")
    heads = {c: c.upper() for c in raw.columns}
    heads.update({c: f"Вопрос {k} {cb.items[c].text['en'].upper()}" for k, c in enumerate(cb.item_codes[:5], 1)})
    heads["interview_id"] = "Interview ID"
    raw.rename(columns=heads).to_csv(tmp_path / "en" / "interviews_2018.csv", index=False)
    _same_rows(original, ingest(tmp_path / "en").interviews)


def test_xlsx_with_merged_title_row_and_instruction_sheet(demo_dirs, tmp_path, original):
    raw = _copy_year(demo_dirs["raw"], tmp_path / "x")
    path = tmp_path / "x" / "interviews_2018.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as xw:
        pd.DataFrame({"Инструкция": ["Заполняйте по одной строке на интервью", "Коды — в опросном листе"]}
                     ).to_excel(xw, sheet_name="Инструкция", index=False)
        raw.to_excel(xw, sheet_name="Данные", index=False, startrow=2)
    wb = openpyxl.load_workbook(path)
    ws = wb["Данные"]
    ws["A1"] = "Опросный лист «Тайный гость», 2018"
    ws.merge_cells("A1:F1")
    wb.save(path)
    res = ingest(tmp_path / "x")
    _same_rows(original, res.interviews, rows=False)
    assert (res.interviews["source_row"] == original["source_row"] + 2).all()  # the sheet's own row numbers
    assert any("read sheet 'Данные'" in n for n in res.notes)
    assert any("header found on row 3" in n for n in res.notes)


def test_1c_trailing_semicolon_cp1251(demo_dirs, tmp_path, original):
    raw = _copy_year(demo_dirs["raw"], tmp_path / "c")
    text = raw.to_csv(index=False, sep=";", lineterminator=";\r\n")
    (tmp_path / "c" / "interviews_2018.csv").write_bytes(text.encode("cp1251"))
    res = ingest(tmp_path / "c")
    _same_rows(original, res.interviews)
    assert any("trailing delimiter" in n for n in res.notes)


def test_utf16_unicode_text_tab_separated(demo_dirs, tmp_path, original):
    raw = _copy_year(demo_dirs["raw"], tmp_path / "u")
    (tmp_path / "u" / "interviews_2018.txt").write_bytes(raw.to_csv(index=False, sep="\t").encode("utf-16"))
    res = ingest(tmp_path / "u")
    _same_rows(original, res.interviews)
    assert any("UTF-16" in n for n in res.notes)


def test_tsv(demo_dirs, tmp_path, original):
    raw = _copy_year(demo_dirs["raw"], tmp_path / "t")
    raw.to_csv(tmp_path / "t" / "interviews_2018.tsv", index=False, sep="\t")
    _same_rows(original, ingest(tmp_path / "t").interviews)


def test_xls_committed_fixture_reads_like_its_csv(tmp_path):
    """tests/data/xls: the .xls (instructions sheet, merged title row) and the CSV it was written from."""
    for name, ext in (("a", "csv"), ("b", "xls")):
        d = tmp_path / name
        d.mkdir()
        for kind in ("workers", "interviewers", "strata"):
            shutil.copy(XLS / f"{kind}_2018.csv", d)
        (d / "DEMO_DATA.txt").write_text("demo", encoding="utf-8")
        shutil.copy(XLS / f"interviews_2018.{ext}", d)
    a, b = ingest(tmp_path / "a"), ingest(tmp_path / "b")
    assert len(a.interviews) == 12
    _same_rows(a.interviews, b.interviews, rows=False)
    assert (b.interviews["source_row"] == a.interviews["source_row"] + 1).all()


def test_xls_merged_data_cells_refused():
    with pytest.raises(DataContractError) as err:
        from helpers.io.ingest import read_source
        read_source(XLS / "merged_2018.xls", "interviews")
    msg = str(err.value)
    assert "merged_2018.xls" in msg and "merged cells Z4:Z6 in data rows" in msg and "'qual_overall'" in msg
    assert "\n" not in msg


def test_xlsx_merged_data_cells_refused(demo_dirs, tmp_path, capsys):
    raw = _copy_year(demo_dirs["raw"], tmp_path / "m")
    path = tmp_path / "m" / "interviews_2018.xlsx"
    raw.to_excel(path, index=False)
    wb = openpyxl.load_workbook(path)
    col = list(raw.columns).index("department") + 1
    letter = openpyxl.utils.get_column_letter(col)
    wb.active.merge_cells(f"{letter}5:{letter}7")
    wb.save(path)
    assert main(["validate", str(tmp_path / "m"), "--dry-run"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert f"merged cells {letter}5:{letter}7 in data rows (column 'department')" in err and "interviews_2018.xlsx" in err


@pytest.mark.parametrize("name, note", [("interviews_2018 (копия).csv", True), ("INTERVIEWS_2018.CSV", False),
                                        ("interviews_2018.XLSX", False), ("interviews-2018.csv", True)])
def test_near_miss_names_read_with_a_note(demo_dirs, tmp_path, original, name, note):
    """Names differing only in case are the contract's names; other near misses are read with a note."""
    raw = _copy_year(demo_dirs["raw"], tmp_path / "n")
    path = tmp_path / "n" / name
    if name.lower().endswith(".xlsx"):
        raw.to_excel(path, index=False)
    else:
        raw.to_csv(path, index=False)
    res = ingest(tmp_path / "n")
    _same_rows(original, res.interviews)
    assert any(name in n and "read as the interviews file of 2018" in n for n in res.notes) == note, res.notes


def test_copy_beside_the_original_is_named_and_left_aside(demo_dirs, tmp_path, capsys):
    raw = _copy_year(demo_dirs["raw"], tmp_path / "k")
    raw.to_csv(tmp_path / "k" / "interviews_2018.csv", index=False)
    raw.head(3).to_csv(tmp_path / "k" / "interviews_2018 (копия).csv", index=False)
    assert main(["validate", str(tmp_path / "k"), "--dry-run"]) == 0
    err = capsys.readouterr().err
    assert "interviews_2018 (копия).csv: not read: interviews_2018.csv is the interviews file of 2018" in err


def test_unsupported_format_and_no_interview_files_name_the_file(demo_dirs, tmp_path, capsys):
    _copy_year(demo_dirs["raw"], tmp_path / "o")
    (tmp_path / "o" / "interviews_2018.ods").write_bytes(b"PK\x03\x04")
    assert main(["validate", str(tmp_path / "o"), "--dry-run"]) == 2
    err = capsys.readouterr().err.strip()
    assert "interviews_2018.ods: unsupported format '.ods'" in err and err.count("\n") == 0
    (tmp_path / "o" / "interviews_2018.ods").rename(tmp_path / "o" / "опрос 2018.xlsx")
    assert main(["validate", str(tmp_path / "o"), "--dry-run"]) == 2
    err = capsys.readouterr().err.strip()
    assert "no interview files" in err and "'опрос 2018.xlsx'" in err


def test_unmatched_header_names_closest_items(demo_dirs, tmp_path, capsys):
    raw = _copy_year(demo_dirs["raw"], tmp_path / "h")
    raw.rename(columns={"qual_overall": "В целом качество услуг хорошее!!"}).to_csv(
        tmp_path / "h" / "interviews_2018.csv", index=False)
    assert main(["validate", str(tmp_path / "h"), "--dry-run"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "interviews_2018.csv" in err
    assert "unknown column 'В целом качество услуг хорошее!!'" in err and "closest: qual_overall" in err


def test_map_columns_shows_and_saves_a_mapping_that_ingestion_uses(demo_dirs, tmp_path, capsys, original):
    raw = _copy_year(demo_dirs["raw"], tmp_path / "mc")
    path = tmp_path / "mc" / "interviews_2018.csv"
    raw.rename(columns={"qual_overall": "Итоговая оценка", "date": "Дата"}).to_csv(path, index=False)
    assert main(["map-columns", str(path)]) == 2
    out = capsys.readouterr()
    assert "Дата" in out.out and "-> date" in out.out and "[alias]" in out.out
    assert "Итоговая оценка" in out.out and "-> ?" in out.out and "1 headers match no column" in out.err
    assert main(["map-columns", str(path), "--save"]) == 0
    mapping = tmp_path / "mc" / "interviews_2018.columns.yaml"
    text = mapping.read_text(encoding="utf-8")
    assert "Итоговая оценка: " in text and "Дата: date" in text
    mapping.write_text(text.replace("Итоговая оценка: ", "Итоговая оценка: qual_overall"), encoding="utf-8")
    capsys.readouterr()
    assert main(["map-columns", str(path)]) == 0
    assert "[mapping file]" in capsys.readouterr().out
    res = ingest(tmp_path / "mc")  # the mapping file is not mistaken for a raw file
    _same_rows(original, res.interviews)


def test_two_headers_meaning_one_column_are_refused(demo_dirs, tmp_path, capsys):
    cb = load_codebook()
    raw = _copy_year(demo_dirs["raw"], tmp_path / "a")
    raw[cb.items["qual_overall"].text["en"]] = raw["qual_overall"]
    raw.to_csv(tmp_path / "a" / "interviews_2018.csv", index=False)
    assert main(["validate", str(tmp_path / "a"), "--dry-run"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert f"headers 'qual_overall' and '{cb.items['qual_overall'].text['en']}' both mean column 'qual_overall'" in err


@pytest.mark.parametrize("what", ["xlsx named .xls", "text named .xls"])
def test_workbook_named_for_another_format_is_read_as_what_it_is(demo_dirs, tmp_path, original, what):
    raw = _copy_year(demo_dirs["raw"], tmp_path / "w")
    path = tmp_path / "w" / "interviews_2018.xls"
    if what.startswith("xlsx"):
        raw.to_excel(tmp_path / "w" / "tmp.xlsx", index=False)
        (tmp_path / "w" / "tmp.xlsx").rename(path)
    else:
        raw.to_csv(path, index=False, sep="\t")
    res = ingest(tmp_path / "w")
    _same_rows(original, res.interviews)
    assert any(("XLSX workbook named .xls" if what.startswith("xlsx") else "is text, not an Excel workbook") in n
               for n in res.notes), res.notes


def test_merged_ranges_are_read_from_the_sheet_xml_as_openpyxl_sees_them(tmp_path):
    """The XLSX reader takes merged ranges from the sheet XML (values come from python-calamine): the same ranges
    as openpyxl's, whatever chunk the XML is streamed in (a tag cut by a chunk boundary is still found)."""
    import zipfile

    import openpyxl

    from helpers.io.readers import _merge_refs, _xlsx_merges

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Интервью"
    for r in range(1, 40):
        ws.append([f"v{r}", r, "x"])
    for ref in ("A1:C1", "B5:B9", "C30:C31", "A38:B39"):
        ws.merge_cells(ref)
    wb.create_sheet("пусто")
    path = tmp_path / "m.xlsx"
    wb.save(path)
    expected = sorted(str(r) for r in openpyxl.load_workbook(path)["Интервью"].merged_cells.ranges)
    with zipfile.ZipFile(path) as zf:
        merges = _xlsx_merges(zf)
        assert sorted(merges["Интервью"]) == expected and merges["пусто"] == []
        for chunk in (7, 50, 1 << 20):
            assert sorted(_merge_refs(zf, "xl/worksheets/sheet1.xml", chunk)) == expected
