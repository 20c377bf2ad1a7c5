"""Documents (``--formats html,pdf,docx``): DOCX and PDF of the summary and НОК reports, and the НОК
improvement plans, reopened with python-docx and poppler (``pdftotext``, ``pdfinfo``; `make test` installs
poppler-utils).

The documents of the suite's English (``public_run``) and Russian (``russian_run``) runs are made once, by
those runs (tests/conftest.py); the other tests here build small documents of their own.
"""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from helpers.narrative.catalogue import text
from helpers.narrative.plans import PLAN_COLUMNS, plan_document
from helpers.report.documents import report_items, write_plan_docx, write_report_docx
from helpers.studies.nok.plans import plan_shortfalls, suggestions_by_indicator

docx = pytest.importorskip("docx")
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
PIC_DOCPR = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}docPr"


def _header_repeated(table) -> bool:
    return table.rows[0]._tr.find(f"{W}trPr/{W}tblHeader") is not None


def _alt_texts(document) -> list[str]:
    return [el.get("descr") for el in document.element.body.iter(PIC_DOCPR)]


def _run(fixture) -> Path:
    rc, out = fixture
    assert rc == 0
    return (out / "latest").resolve()


def _mg(executed: Path, kind: str) -> list[dict]:
    nb = nbformat.read(str(executed), as_version=4)
    return [o.metadata["mg"] for c in nb.cells if c.cell_type == "code" for o in c.outputs
            if o.get("metadata", {}).get("mg", {}).get("kind") == kind]


# ---- small documents built here ------------------------------------------------------------------------
def _png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (220, 110), "white").save(buf, format="png")
    return buf.getvalue()


def test_a_report_docx_has_heading_styles_real_tables_and_alt_texts(tmp_path):
    items = [{"kind": "heading", "level": 1, "text": "Итоги"},
             {"kind": "paragraph", "text": "Вводный **абзац**\n\n- пункт", "markdown": True},
             {"kind": "heading", "level": 2, "text": "Раздел"},
             {"kind": "table", "number": 1, "caption": "Числа", "columns": ["год", "n"],
              "rows": [["2020", "1\u00a0288"], ["2021", "35"]]},
             {"kind": "figure", "number": 1, "caption": "Подпись", "alt": "Что на рисунке", "png": _png()}]
    path = write_report_docx(items, tmp_path / "r.docx", "ru", "Запуск 1")
    d = docx.Document(str(path))
    styles = [(p.style.name, p.text) for p in d.paragraphs if p.style.name in ("Title", "Heading 1")]
    assert styles == [("Title", "Итоги"), ("Heading 1", "Раздел")]
    [table] = d.tables
    assert [c.text for c in table.rows[0].cells] == ["год", "n"] and _header_repeated(table)
    assert [c.text for c in table.rows[2].cells] == ["2021", "35"]
    assert _alt_texts(d) == ["Что на рисунке"]
    assert d.core_properties.language == "ru-RU"
    assert d.styles.element.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}lang").get(f"{W}val") == "ru-RU"
    assert "TOC" in "".join(d.element.body.itertext())  # the contents field Word fills from the headings


def test_report_items_take_the_page_outputs_in_order_and_skip_the_other_language():
    png = base64.b64encode(_png()).decode()
    out = [nbformat.v4.new_output("display_data", data={"text/html": "<p>x</p>"},
                                  metadata={"mg": {"kind": "paragraph", "text": "x"}}),
           nbformat.v4.new_output("display_data", data={"text/html": "<figure/>", "image/png": png},
                                  metadata={"mg": {"kind": "figure", "number": 1, "caption": "c", "alt": "a"}}),
           nbformat.v4.new_output("stream", name="stdout", text="noise")]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("English only", metadata={"tags": ["lang-en"]}),
                                         nbformat.v4.new_code_cell(outputs=out)])
    items = report_items(nb, "ru")
    assert [i["kind"] for i in items] == ["paragraph", "figure"]
    assert items[1]["png"] == _png()


def test_the_report_records_what_it_shows_for_the_documents(monkeypatch):
    """Report.table records the cells as shown (locale numbers, yes/no), Report.figure the PNG bundle."""
    import matplotlib.pyplot as plt

    import helpers.report as report

    shown: list = []
    monkeypatch.setattr("IPython.display.display", lambda *a, **kw: shown.append((a, kw)))
    rep = report.Report(lang="ru")
    rep.table(pd.DataFrame({"n": [1288], "share": [0.5], "ok": [True]}), "Подпись")
    fig, ax = plt.subplots(figsize=(2, 1))
    rep.figure(fig, "Рисунок", alt="Описание")
    table, figure = shown[0][1]["metadata"]["mg"], shown[1][1]["metadata"]["mg"]
    assert table["rows"] == [["1\u00a0288", "0,50", "да"]] and table["number"] == 1
    assert {k: figure[k] for k in ("kind", "number", "caption", "alt")} == {
        "kind": "figure", "number": 1, "caption": "Рисунок", "alt": "Описание"}
    bundle = shown[1][0][0]
    assert set(bundle) == {"text/html", "image/png"} and base64.b64decode(bundle["image/png"])[:4] == b"\x89PNG"


def _plan_words(lang: str) -> dict:
    short = pd.DataFrame({"organisation_id": ["A", "A"], "indicator": ["i3_1", "i5_3"],
                          "source": ["checklist", "survey"], "value": [60.0, 91.0], "missing": [2, 0],
                          "target": [100.0, 95.0]})
    said = pd.DataFrame({"organisation_id": ["A"], "indicator": ["i3_1"], "suggestion": ["Нужен лифт"],
                         "respondents": [3]})
    return plan_document("A", "Центр", short, said, 2021, lang, None)


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_a_plan_has_the_official_columns_and_fields_to_fill(tmp_path, lang):
    path = write_plan_docx(_plan_words(lang), tmp_path / "plan.docx", lang, "run")
    d = docx.Document(str(path))
    [table] = d.tables
    heads = [c.text for c in table.rows[0].cells[:4]] + [c.text for c in table.rows[1].cells[4:]]
    assert heads == [text(f"documents.plan.columns.{c}", lang) for c in PLAN_COLUMNS]
    assert table.rows[0].cells[4].text == text("documents.plan.columns.result", lang)
    assert _header_repeated(table) and table.rows[1]._tr.find(f"{W}trPr/{W}tblHeader") is not None
    body = [[c.text for c in r.cells] for r in table.rows[2:]]
    # criterion bands (K3, K5) and one row per shortfall, the suggestion quoted beside its indicator
    assert len(body) == 4 and body[0][0] == body[0][5] and "3.1" in body[1][0] and "Нужен лифт" in body[1][0]
    assert "5.3" in body[3][0] and "Нужен лифт" not in body[3][0]
    # dates and the responsible person are content controls to fill in, date pickers for the dates
    controls = list(d.element.body.iter(f"{W}sdt"))
    assert len(controls) == 2 * 4 and len(list(d.element.body.iter(f"{W}date"))) == 2 * 2


def test_plan_rows_are_the_indicators_below_target():
    plan = pd.DataFrame({"organisation_id": ["A"] * 4, "indicator": ["i1_1", "i3_1", "i5_3", "i4_1"],
                         "source": ["checklist", "checklist", "survey", "survey"],
                         "value": [100.0, 60.0, 94.9, 95.0], "missing": [0, 2, 0, 0]})
    assert plan_shortfalls(plan, 95.0)["indicator"].tolist() == ["i3_1", "i5_3"]


def test_suggestions_in_plans_are_scrubbed_at_ingestion(demo_dirs, tmp_path):
    """A name and a phone typed into a НОК suggestion never reach the validated table nor a plan."""
    from helpers.studies.nok.ingest import ingest_nok

    raw = tmp_path / "raw"
    raw.mkdir()
    for p in demo_dirs["raw"].glob("nok_*_2021.csv"):
        shutil.copy(p, raw / p.name)
    path = raw / "nok_respondents_2021.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[0, "suggestions"] = "Нужен лифт, звоните Ивановой Марии Петровне +7 912 345-67-89"
    frame.to_csv(path, index=False)
    data = ingest_nok(raw, 2021)
    said = suggestions_by_indicator(data.respondents)
    quoted = " ".join(said["suggestion"])
    assert "[телефон]" in quoted and "345-67-89" not in quoted and "Петровне" not in quoted


# ---- the documents of the suite's runs -----------------------------------------------------------------
@pytest.mark.parametrize("fixture", ["public_run", "russian_run"])
def test_every_report_docx_reopens_with_its_tables_and_alt_texts(fixture, request):
    run = _run(request.getfixturevalue(fixture))
    for stem in ("summary-all", "nok-2021"):
        d = docx.Document(str(run / f"{stem}.docx"))
        tables, figures = _mg(run / f"{stem}.ipynb", "table"), _mg(run / f"{stem}.ipynb", "figure")
        assert len(d.tables) == len(tables) > 0, stem
        assert all(_header_repeated(t) for t in d.tables), stem
        assert [[c.text for c in d.tables[0].rows[0].cells]] == [tables[0]["columns"]]
        assert _alt_texts(d) == [f["alt"] for f in figures] and all(_alt_texts(d)), stem
        headings = [p.text for p in d.paragraphs if p.style.name.startswith("Heading")]
        assert [h["text"] for h in _mg(run / f"{stem}.ipynb", "heading") if h["level"] == 2] == \
            [h for h in headings if h in {m["text"] for m in _mg(run / f"{stem}.ipynb", "heading")}]


@pytest.mark.parametrize("fixture", ["public_run", "russian_run"])
def test_seventeen_plans_one_per_organisation(fixture, request):
    run = _run(request.getfixturevalue(fixture))
    lang = json.loads((run / "manifest.json").read_text(encoding="utf-8"))["parameters"]["lang"]
    plans = sorted((run / "plans").glob("nok-2021-plan-*.docx"))
    assert len(plans) == 17
    csv = pd.read_csv(run / "tables" / "nok_2021_improvement_plan.csv", dtype={"organisation_id": str})
    expected = plan_shortfalls(csv, 95.0).groupby("organisation_id").size()
    for path in plans:
        oid = path.stem.rsplit("-", 1)[-1]
        [table] = docx.Document(str(path)).tables
        assert table.rows[1].cells[5].text == text("documents.plan.columns.actual", lang)
        rows = [r for r in table.rows[2:] if r.cells[0].text != r.cells[5].text]  # without the criterion bands
        assert len(rows) == expected.get(oid, 0), oid
    index = (run / "index.html").read_text(encoding="utf-8")
    assert all(f"plans/{p.name}" in index for p in plans)
    formats = json.loads((run / "manifest.json").read_text(encoding="utf-8"))["parameters"]["formats"]
    for stem in ("summary-all", "nok-2021"):
        for fmt in ("docx", "pdf"):
            assert (f"href='{stem}.{fmt}'" in index) == (fmt in formats) == (run / f"{stem}.{fmt}").exists()


def _pdf(tool: str, path: Path, *args: str) -> str:
    exe = shutil.which(tool)
    if exe is None:
        pytest.fail(f"{tool} not found: `make pdf-deps` installs poppler-utils")
    return subprocess.run([exe, *args, str(path), "-"] if tool == "pdftotext" else [exe, str(path)],
                          capture_output=True, text=True, check=True).stdout


def test_the_russian_summary_pdf_shows_its_cyrillic_headings_in_a4_with_page_numbers(russian_run):
    run = _run(russian_run)
    pdf = run / "summary-all.pdf"
    words = re.sub(r"\s+", " ", _pdf("pdftotext", pdf))
    headings = [h["text"] for h in _mg(run / "summary-all.ipynb", "heading")]
    assert headings and all(re.sub(r"\s+", " ", h) in words for h in headings), headings
    info = _pdf("pdfinfo", pdf)
    assert re.search(r"Page size:\s+595\.\d* x 841\.\d*|Page size:\s+595\.\d* x 842", info), info
    assert re.search(r"Tagged:\s+yes", info), info
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    assert f"стр. {pages} из {pages}" in words and manifest["run_id"] in words


def _page_texts(pdf: Path) -> list[str]:
    """The text of each page of a PDF (pdftotext's pages are separated by form feeds)."""
    return _pdf("pdftotext", pdf, "-layout").split("\f")


def test_a_printed_page_is_tagged_a4_with_whole_rows_repeated_headers_and_no_column_cut(tmp_path):
    """A Russian page with a long and wide table, printed as a report is: every row on one page, the header
    on every page, the last column inside the page, the footer's provenance and page numbers."""
    from helpers.report.documents import write_pdfs

    lines = "<br>".join(f"строчка{k}" for k in range(12))
    cells = "".join(f"<tr><td>строка{i:03d}</td><td>{lines}<br>третья{i:03d}</td>"
                    + "".join(f"<td>{i}.{j}</td>" for j in range(22)) + f"<td>конец{i:03d}</td></tr>"
                    for i in range(60))
    heads = "".join(f"<th style='white-space:nowrap'>столбец{j}</th>" for j in range(24)) + "<th>последний</th>"
    page = tmp_path / "p.html"
    page.write_text(f"<!DOCTYPE html><html lang='ru'><head><meta charset='utf-8'><title>Т</title></head><body>"
                    f"<h1>Заголовок отчёта</h1><div style='overflow-x:auto'><table class='mg-table'><thead><tr>"
                    f"{heads}</tr></thead><tbody>{cells}</tbody></table></div></body></html>", encoding="utf-8")
    [pdf] = write_pdfs([(page, tmp_path / "p.pdf")], "ru", "Запуск 20990101-000000")
    info = _pdf("pdfinfo", pdf)
    assert re.search(r"Tagged:\s+yes", info) and "(A4)" in info, info
    pages = [p for p in _page_texts(pdf) if p.strip()]
    assert len(pages) > 1 and "Заголовок отчёта" in pages[0]
    for k, words in enumerate(pages, 1):
        assert "столбец0" in words and "последний" in words, f"page {k}: header not repeated or cut"
        assert f"стр. {k} из {len(pages)}" in words and "Запуск 20990101-000000" in words
    for i in range(60):  # a row is whole on one page: its first, its three-line and its last cell together
        assert [k for k, w in enumerate(pages) if f"строка{i:03d}" in w] == \
            [k for k, w in enumerate(pages) if f"третья{i:03d}" in w] == \
            [k for k, w in enumerate(pages) if f"конец{i:03d}" in w], i


def test_the_command_line_takes_a_list_of_formats(capsys):
    from helpers.__main__ import build_parser

    assert build_parser().parse_args(["run"]).formats == ("html",)
    assert build_parser().parse_args(["run", "--formats", "docx,pdf"]).formats == ("html", "pdf", "docx")
    with pytest.raises(SystemExit):
        build_parser().parse_args(["run", "--formats", "html,odt"])
    assert "unknown format 'odt'" in capsys.readouterr().err
