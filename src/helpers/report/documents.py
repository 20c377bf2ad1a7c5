"""Documents of a run: the reports as DOCX (python-docx) and PDF (Chromium's print to PDF), and the НОК
improvement plans as DOCX.

A report's DOCX is built from its **executed notebook**: every output that :class:`helpers.report.Report`
showed carries ``{"mg": {...}}`` metadata saying what it is (heading, paragraph, warning, table with the
cells as shown, figure with its PNG and alt text, methods), so the document repeats the page's words and
numbers without computing or parsing anything again:

* headings in Word's heading styles (the report's title in "Title", its sections in "Heading 1", "Heading
  2"), after the title a contents field Word fills from them (pre-filled with the headings);
* real Word tables, the header row repeated on every page (``w:tblHeader``) and no row split across pages
  (``w:cantSplit``), numbers right-aligned, captioned "Table n." as on the page;
* every figure as a picture with its alt text (``wp:docPr/@descr``) and its caption;
* the document's language (``w:lang`` of the styles, ``dc:language``) is the report's;
* A4 pages whose footer carries the run's provenance and "page n of m".

A report's PDF is its HTML page printed by Chromium through Playwright: A4, tagged (a structure tree for
screen readers; text selectable), an outline from the headings, the provenance and page numbers in the
footer; print rules keep table rows whole and repeat the header row on every page.

An improvement plan (:func:`write_plan_docx`) is the official form of :mod:`helpers.narrative.plans`: one
table with a two-row repeated header, rows grouped by criterion, and the dates and the responsible person
as Word content controls (a date picker, a text field) for the organisation to fill in.
"""

from __future__ import annotations

import base64
import html
import io
import re
import shutil
from pathlib import Path

from helpers.narrative.catalogue import text

__all__ = ["CHROMIUM", "PRINT_CSS", "markdown_blocks", "report_items", "write_pdfs", "write_plan_docx",
           "write_report_docx"]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LANG_TAGS = {"en": "en-GB", "ru": "ru-RU"}
SCREEN_DPI = 110  # the dots per inch of the report's PNG figures (helpers.report.tight_png), when a PNG names none
TEXT_WIDTH_CM = 17.0  # A4 (21 cm) less margins of 2 cm
LANDSCAPE_WIDTH_CM = 25.7  # landscape A4 (29.7 cm) less margins of 2 cm
WIDE = 8  # a table of more columns is set on a landscape page
FONT = "Arial"  # with Cyrillic everywhere (LibreOffice shows it as the metric-compatible Liberation Sans)

# what Chromium applies when it prints a report page (added to the page for the PDF only)
PRINT_CSS = """
@page { size: A4; }
html, body { max-width: none !important; margin: 0 !important; padding: 0 !important; }
div[style*="overflow"] { overflow: visible !important; max-width: none !important; }
table.mg-table { font-size: 8pt; }
table.mg-table td, table.mg-table th { padding: .15em .35em !important; }
thead { display: table-header-group; }
tr, figure, img, .mg-warning { break-inside: avoid; page-break-inside: avoid; }
.jp-OutputArea-child, .jp-Cell-outputWrapper, .jp-OutputArea, .jp-Cell { break-inside: auto !important; }
.jp-OutputArea-output { overflow: visible !important; }
table.mg-table td, table.mg-table th { min-width: 0 !important; }
h1, h2, h3, .mg-caption { break-after: avoid; page-break-after: avoid; }
img { max-width: 100% !important; }
"""


# ---- what a report says, from its executed notebook ------------------------------------------------------
def _other_language(cell, lang: str) -> bool:
    tags = set(cell.get("metadata", {}).get("tags", []))
    return any(t.startswith("lang-") and t != f"lang-{lang}" for t in tags)


def report_items(nb, lang: str) -> list[dict]:
    """The report's content in order, from an executed notebook: the ``mg`` metadata of every output (figures
    with their PNG as ``png`` bytes) and the markdown cells of the report's language (as markdown paragraphs).
    Outputs without ``mg`` metadata (a stray value, a library's stream) are left out, as are cells tagged for
    another language (``lang-xx``).

    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(outputs=[nbformat.v4.new_output(
    ...     "display_data", data={"text/html": "<h2>A</h2>"}, metadata={"mg": {"kind": "heading", "level": 2,
    ...     "text": "A"}})]), nbformat.v4.new_markdown_cell("note", metadata={"tags": ["lang-ru"]})])
    >>> report_items(nb, "en")
    [{'kind': 'heading', 'level': 2, 'text': 'A'}]
    """
    items: list[dict] = []
    for cell in nb.cells:
        if _other_language(cell, lang):
            continue
        if cell.cell_type == "markdown" and cell.source.strip():
            items.append({"kind": "paragraph", "text": cell.source, "markdown": True})
            continue
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            mg = dict(out.get("metadata", {}).get("mg") or {})
            if not mg:
                continue
            if mg.get("kind") == "figure":
                png = out.get("data", {}).get("image/png")
                if not png:
                    continue
                mg["png"] = base64.b64decode(png if isinstance(png, str) else "".join(png))
            items.append(mg)
    return items


_INLINE = re.compile(r"\*\*(.+?)\*\*|(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])|(?<!\w)_(?!\s)(.+?)(?<!\s)_(?!\w)"
                     r"|`([^`]+)`|\[([^\]]+)\]\([^)]*\)")


def _runs(words: str) -> list[tuple[str, str]]:
    """Inline markdown as ``(style, text)`` runs: ``b`` bold, ``i`` italic, ``c`` code, ``""`` plain.

    >>> _runs("a **b** *c* `d` [e](http://x) f_g")
    [('', 'a '), ('b', 'b'), ('', ' '), ('i', 'c'), ('', ' '), ('c', 'd'), ('', ' '), ('', 'e'), ('', ' f_g')]
    """
    out: list[tuple[str, str]] = []
    pos = 0
    for m in _INLINE.finditer(words):
        if m.start() > pos:
            out.append(("", words[pos:m.start()]))
        bold, ital, ital2, code, link = m.groups()
        out.append(("b", bold) if bold is not None else ("i", ital if ital is not None else ital2)
                   if (ital or ital2) is not None else ("c", code) if code is not None else ("", link))
        pos = m.end()
    if pos < len(words):
        out.append(("", words[pos:]))
    return out


def markdown_blocks(source: str) -> list[tuple[str, str]]:
    """Markdown text as blocks ``(kind, text)``: ``h1``-``h6`` headings, ``bullet`` and ``number`` list items,
    ``para`` paragraphs (lines of one paragraph joined by a space).

    >>> markdown_blocks("# T\\n\\nSome\\ntext.\\n\\n- one\\n- two\\n1. first")
    [('h1', 'T'), ('para', 'Some text.'), ('bullet', 'one'), ('bullet', 'two'), ('number', 'first')]
    """
    blocks: list[tuple[str, str]] = []
    para: list[str] = []

    def flush() -> None:
        if para:
            blocks.append(("para", " ".join(para)))
            para.clear()

    for line in source.splitlines():
        s = line.strip()
        heading = re.match(r"(#{1,6})\s+(.*)", s)
        item = re.match(r"[-*+]\s+(.*)", s)
        numbered = re.match(r"\d+[.)]\s+(.*)", s)
        if not s:
            flush()
        elif heading:
            flush()
            blocks.append((f"h{len(heading.group(1))}", heading.group(2).strip()))
        elif item or numbered:
            flush()
            blocks.append(("bullet", item.group(1)) if item else ("number", numbered.group(1)))
        elif blocks and blocks[-1][0] in ("bullet", "number") and line[:1].isspace() and not para:
            blocks[-1] = (blocks[-1][0], f"{blocks[-1][1]} {s}")  # a list item's continued line
        else:
            para.append(s)
    flush()
    return blocks


# ---- DOCX pieces -----------------------------------------------------------------------------------------
def _el(tag: str, **attrs):
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    el = OxmlElement(tag)
    for k, v in attrs.items():
        el.set(qn(k), v)
    return el


def _field_run(paragraph, instruction: str, shown: str = "") -> None:
    """A Word field (``PAGE``, ``NUMPAGES``, ``TOC ...``) in ``paragraph``, showing ``shown`` until updated."""
    from docx.oxml.ns import qn

    paragraph.add_run()._r.append(_el("w:fldChar", **{"w:fldCharType": "begin"}))
    instr = _el("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    paragraph.add_run()._r.append(instr)
    paragraph.add_run()._r.append(_el("w:fldChar", **{"w:fldCharType": "separate"}))
    paragraph.add_run(shown)
    paragraph.add_run()._r.append(_el("w:fldChar", **{"w:fldCharType": "end"}))


def _new_document(lang: str, title: str, provenance: str, landscape: bool = False):
    """An empty A4 document in ``lang``: margins, language of every style, core properties, the footer with
    the provenance and "page n of m"."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = (Mm(297), Mm(210)) if landscape else (Mm(210), Mm(297))
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.left_margin = section.right_margin = Mm(20)
    section.top_margin, section.bottom_margin = Mm(20), Mm(18)
    tag = LANG_TAGS[lang]
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    for old in rpr.findall(qn("w:lang")):
        rpr.remove(old)
    rpr.append(_el("w:lang", **{"w:val": tag, "w:eastAsia": tag, "w:bidi": "ar-SA"}))
    for old in rpr.findall(qn("w:rFonts")):
        rpr.remove(old)
    rpr.insert(0, _el("w:rFonts", **{f"w:{k}": FONT for k in ("ascii", "hAnsi", "eastAsia", "cs")}))
    for style in doc.styles:  # the template's headings and title name theme fonts: the document's font instead
        rfonts = style.element.rPr.find(qn("w:rFonts")) if style.element.rPr is not None else None
        if rfonts is not None:
            style.element.rPr.remove(rfonts)
    doc.styles["Normal"].font.size = Pt(10.5)
    props = doc.core_properties
    props.title, props.language, props.comments = title, tag, provenance
    props.author = props.last_modified_by = "Mystery Guest workbench"
    footer = section.footer.paragraphs[0]
    run = footer.add_run(provenance + " · ")
    run.font.size = Pt(7.5)
    marked = text("documents.page", lang, page="\x00PAGE\x00", pages="\x00NUMPAGES\x00")
    for k, part in enumerate(marked.split("\x00")):
        if k % 2:
            _field_run(footer, part, "1")
        elif part:
            footer.add_run(part)
    for r in footer.runs:
        r.font.size = Pt(7.5)
    return doc


def _repeat_header(row) -> None:
    row._tr.get_or_add_trPr().append(_el("w:tblHeader", **{"w:val": "true"}))


def _set_widths(table, widths: list[int]) -> None:
    """Column widths (EMU) on the table's grid (read by LibreOffice) and on every cell (read by Word), a merged
    cell getting the sum of the columns it spans."""
    from docx.shared import Emu

    table.autofit = False
    for j, width in enumerate(widths):
        table.columns[j].width = Emu(width)
    for tr in table._tbl.tr_lst:
        col = 0
        for tc in tr.tc_lst:
            tc.width = Emu(sum(widths[col:col + tc.grid_span]))
            col += tc.grid_span


def column_weights(columns: list[str], rows: list[list[str]]) -> list[float]:
    """Relative column widths of a table: the longer of its header's longest word and its longest cell (in
    characters, a cell counted with one more for its padding, up to 30: longer text wraps), at least 3.

    >>> column_weights(["year", "organisation name"], [["2021", "Centre for the homeless No. 1 (demo)"]])
    [5, 30]
    """
    return [max(3, max(len(w) for w in (str(head).split() or [""])),
                min(30, max((len(r[j]) for r in rows if j < len(r)), default=0) + 1))
            for j, head in enumerate(columns)]


def _keep_rows_whole(table) -> None:
    for row in table.rows:
        row._tr.get_or_add_trPr().append(_el("w:cantSplit", **{"w:val": "true"}))


_NUMBER = re.compile(r"^[−–+-]?[\d\s\u00a0\u202f.,]*\d[\d\s\u00a0\u202f.,]*%?$|^—$|^n<5$")


def _cell(cell, words: str, size: float, bold: bool = False, right: bool = False) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    p = cell.paragraphs[0]
    run = p.add_run(words)
    run.font.size, run.bold = Pt(size), bold
    if right:
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    p.paragraph_format.space_after = Pt(0)


def _caption(doc, words: str, before: bool):
    p = doc.add_paragraph(words, style="Caption")
    p.paragraph_format.keep_with_next = before
    return p


def _orientation(doc, landscape: bool) -> None:
    """Continue the document on a new page in landscape (a wide table) or back in portrait."""
    from docx.enum.section import WD_ORIENT, WD_SECTION

    section = doc.add_section(WD_SECTION.NEW_PAGE)
    width, height = sorted((section.page_width, section.page_height), reverse=landscape)
    section.page_width, section.page_height = width, height
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT


def _add_table(doc, item: dict, lang: str) -> None:
    """A captioned Word table; one of more than :data:`WIDE` columns on a landscape page of its own."""
    columns, rows = item["columns"], item["rows"]
    wide = len(columns) > WIDE
    if wide:
        _orientation(doc, landscape=True)
    _caption(doc, f"{text('report.table', lang)} {item['number']}. {item['caption']}", before=True)
    size = 9.0 if len(columns) <= 6 else 8.0 if len(columns) <= 9 else 7.0
    table = doc.add_table(rows=1 + len(rows), cols=max(1, len(columns)))
    table.style = "Table Grid"
    numeric = [bool(rows) and all(_NUMBER.match(r[j].strip() or "—") for r in rows) for j in range(len(columns))]
    for j, head in enumerate(columns):
        _cell(table.rows[0].cells[j], head, size, bold=True, right=numeric[j])
    _repeat_header(table.rows[0])
    for i, row in enumerate(rows, 1):
        for j, value in enumerate(row):
            _cell(table.rows[i].cells[j], value, size, right=numeric[j])
    from docx.shared import Cm

    weights = column_weights(columns, rows)
    room = Cm(LANDSCAPE_WIDTH_CM if wide else TEXT_WIDTH_CM)
    _set_widths(table, [int(room * w / sum(weights)) for w in weights])
    _keep_rows_whole(table)
    if wide:
        _orientation(doc, landscape=False)
    else:
        doc.add_paragraph()


def _png_width_inches(png: bytes, dpi: float | None) -> float:
    from PIL import Image

    with Image.open(io.BytesIO(png)) as im:
        found = im.info.get("dpi", (None,))[0]
        return im.width / float(dpi or (found if found and found > 1 else SCREEN_DPI))


def _add_figure(doc, item: dict, lang: str) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Inches

    width = min(Inches(_png_width_inches(item["png"], item.get("dpi"))), Cm(TEXT_WIDTH_CM))
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.keep_with_next = True
    shape = p.add_run().add_picture(io.BytesIO(item["png"]), width=width)
    doc_pr = shape._inline.docPr
    doc_pr.set("descr", item.get("alt") or item["caption"])
    doc_pr.set("title", f"{text('report.figure', lang)} {item['number']}")
    _caption(doc, f"{text('report.figure', lang)} {item['number']}. {item['caption']}", before=False)


def _add_runs(paragraph, words: str) -> None:
    for style, part in _runs(words):
        run = paragraph.add_run(part)
        run.bold = style == "b" or None
        run.italic = style == "i" or None
        if style == "c":
            run.font.name = "Courier New"


def _heading_level(html_level: int) -> int:
    """Word's heading level for an HTML one: the report's title (h1) is "Title", h2 "Heading 1", h3 "Heading 2"."""
    return max(0, html_level - 1)


def _add_contents(doc, headings: list[tuple[int, str]], lang: str) -> None:
    """The contents list: a TOC field over "Heading 1"-"Heading 3", shown pre-filled with the headings until Word
    updates it (the document asks Word to update its fields on opening)."""
    from docx.shared import Pt

    title = doc.add_paragraph()
    run = title.add_run(text("documents.contents", lang))
    run.bold, run.font.size = True, Pt(13)
    entries = [(lvl, words) for lvl, words in headings if 1 <= lvl <= 3] or [(1, text("documents.contents_hint", lang))]
    paragraphs = []
    for lvl, words in entries:
        p = doc.add_paragraph()
        p.paragraph_format.left_indent = Pt(14 * (lvl - 1))
        p.paragraph_format.space_after = Pt(0)
        paragraphs.append((p, words))
    first, last = paragraphs[0][0], paragraphs[-1][0]
    from docx.oxml.ns import qn

    first.add_run()._r.append(_el("w:fldChar", **{"w:fldCharType": "begin", "w:dirty": "true"}))
    instr = _el("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = ' TOC \\o "1-3" \\h \\z \\u '
    first.add_run()._r.append(instr)
    first.add_run()._r.append(_el("w:fldChar", **{"w:fldCharType": "separate"}))
    for p, words in paragraphs:
        p.add_run(words)
    last.add_run()._r.append(_el("w:fldChar", **{"w:fldCharType": "end"}))
    doc.settings.element.append(_el("w:updateFields", **{"w:val": "true"}))
    doc.add_paragraph()


def write_report_docx(items: list[dict], target: Path, lang: str, provenance: str) -> Path:
    """Write a report's :func:`report_items` as a DOCX (see the module docstring); return ``target``."""
    from docx.shared import Pt, RGBColor

    title = next((i["text"] for i in items if i.get("kind") == "heading" and i.get("level") == 1),
                 Path(target).stem)
    doc = _new_document(lang, title, provenance)
    headings = [(_heading_level(i["level"]), i["text"]) for i in items if i.get("kind") == "heading"]
    headings += [(1, i["title"]) for i in items if i.get("kind") == "methods"]
    contents_done = False
    for item in items:
        kind = item.get("kind")
        if kind == "heading":
            doc.add_heading(item["text"], _heading_level(int(item["level"])))
            if int(item["level"]) == 1 and not contents_done:
                _add_contents(doc, headings, lang)
                contents_done = True
        elif kind == "paragraph" and item.get("markdown"):
            for block, words in markdown_blocks(item["text"]):
                if block.startswith("h"):
                    doc.add_heading(words, min(3, _heading_level(int(block[1]))))
                    continue
                style = {"bullet": "List Bullet", "number": "List Number"}.get(block)
                _add_runs(doc.add_paragraph(style=style), words)
        elif kind in ("paragraph", "warning"):
            p = doc.add_paragraph()
            _add_runs(p, item["text"])
            if kind == "warning":
                p.paragraph_format.left_indent = Pt(10)
                for r in p.runs:
                    r.font.color.rgb = RGBColor(0x8A, 0x4B, 0x00)
                    r.bold = True
        elif kind == "table":
            _add_table(doc, item, lang)
        elif kind == "figure":
            _add_figure(doc, item, lang)
        elif kind == "methods":
            doc.add_heading(item["title"], 1)
            for entry in item["items"]:
                p = doc.add_paragraph(style="List Number")
                p.add_run(entry["text"] + " ")
                p.add_run(entry["ref"]).italic = True
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(target))
    return Path(target)


# ---- the improvement plan --------------------------------------------------------------------------------
def _content_control(cell, hint: str, date: bool, lang: str, size: float) -> None:
    """A Word content control in a table cell showing ``hint`` until filled: a date picker or plain text."""
    from docx.oxml.ns import qn
    from docx.shared import Pt

    p = cell.paragraphs[0]
    sdt = _el("w:sdt")
    pr = _el("w:sdtPr")
    run_pr = _el("w:rPr")
    run_pr.append(_el("w:color", **{"w:val": "808080"}))
    run_pr.append(_el("w:sz", **{"w:val": str(int(size * 2))}))
    pr.append(run_pr)
    pr.append(_el("w:alias", **{"w:val": hint}))
    pr.append(_el("w:showingPlcHdr"))
    if date:
        picker = _el("w:date")
        picker.append(_el("w:dateFormat", **{"w:val": "dd.MM.yyyy"}))
        picker.append(_el("w:lid", **{"w:val": LANG_TAGS[lang]}))
        pr.append(picker)
    else:
        pr.append(_el("w:text"))
    sdt.append(pr)
    content = _el("w:sdtContent")
    run = _el("w:r")
    rpr = _el("w:rPr")
    rpr.append(_el("w:color", **{"w:val": "808080"}))
    rpr.append(_el("w:sz", **{"w:val": str(int(size * 2))}))
    run.append(rpr)
    t = _el("w:t")
    t.set(qn("xml:space"), "preserve")
    t.text = hint
    run.append(t)
    content.append(run)
    sdt.append(content)
    p._p.append(sdt)
    p.paragraph_format.space_after = Pt(0)


def write_plan_docx(plan: dict, target: Path, lang: str, provenance: str) -> Path:
    """Write one organisation's improvement plan (:func:`helpers.narrative.plans.plan_document`) as a DOCX in
    the form's columns, landscape A4; return ``target``."""
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    doc = _new_document(lang, f"{plan['title']}: {plan['organisation']}", provenance, landscape=True)
    doc.add_heading(plan["title"], 1).alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_heading(plan["organisation"], 2).alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_paragraph(plan["intro"])
    columns = plan["columns"]
    widths = [Cm(6.6), Cm(6.0), Cm(2.9), Cm(3.8), Cm(3.6), Cm(2.8)]  # 25.7 cm: landscape A4 less margins
    size = 9.0
    table = doc.add_table(rows=2, cols=6)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    top, sub = table.rows
    for j, code in enumerate(("shortfall", "measure", "planned", "responsible")):
        merged = top.cells[j].merge(sub.cells[j])
        _cell(merged, columns[code], size, bold=True)
    result = top.cells[4].merge(top.cells[5])
    _cell(result, plan["result"], size, bold=True)
    _cell(sub.cells[4], columns["taken"], size, bold=True)
    _cell(sub.cells[5], columns["actual"], size, bold=True)
    _repeat_header(top)
    _repeat_header(sub)
    for section in plan["sections"]:
        row = table.add_row()
        band = row.cells[0].merge(row.cells[5])
        _cell(band, section["criterion"], size, bold=True)
        for entry in section["rows"]:
            cells = table.add_row().cells
            _cell(cells[0], entry["shortfall"], size)
            if entry["suggestions"]:
                p = cells[0].add_paragraph()
                run = p.add_run(entry["suggestions"])
                run.font.size, run.italic = Pt(size - 0.5), True
            _cell(cells[1], entry["measure"], size)
            _content_control(cells[2], plan["fields"]["date"], True, lang, size)
            _content_control(cells[3], plan["fields"]["person"], False, lang, size)
            _content_control(cells[4], plan["fields"]["text"], False, lang, size)
            _content_control(cells[5], plan["fields"]["date"], True, lang, size)
    _set_widths(table, widths)
    _keep_rows_whole(table)
    if plan["none"]:
        doc.add_paragraph(plan["none"])
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(target))
    return Path(target)


# ---- PDF -------------------------------------------------------------------------------------------------
def _footer_template(provenance: str, lang: str) -> str:
    page = html.escape(text("documents.page", lang, page="\x00p\x00", pages="\x00n\x00"))
    page = page.replace("\x00p\x00", '<span class="pageNumber"></span>').replace("\x00n\x00",
                                                                               '<span class="totalPages"></span>')
    return ("<div style='font-family:sans-serif;font-size:7px;color:#444;width:100%;margin:0 12mm;"
            f"display:flex;justify-content:space-between'><span>{html.escape(provenance)}</span>"
            f"<span style='white-space:nowrap;margin-left:2em'>{page}</span></div>")


PRINT_WIDTH_PX = round((210 - 24) / 25.4 * 96)  # A4 less the 12 mm side margins, in CSS pixels
# a table wider than the printed page is scaled down to the page's width (at most to half its size), so that no
# column is cut off at the page's edge
_FIT_TABLES = """(avail) => {
  for (const t of document.querySelectorAll('table')) {
    const room = Math.min(avail, (t.parentElement && t.parentElement.clientWidth) || avail);
    if (t.scrollWidth > room) t.style.zoom = Math.max(0.5, room / t.scrollWidth);
  }
}"""


def write_pdfs(pages: list[tuple[Path, Path]], lang: str, provenance: str) -> list[Path]:
    """Print each ``(html page, pdf)`` with Chromium (one browser for all, no network): A4, tagged, an outline
    from the headings, :data:`PRINT_CSS`, the provenance and "page n of m" in every page's footer."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise FileNotFoundError(f"PDF documents are printed by Chromium, not found at {CHROMIUM} "
                                "(install it: make browser-deps)")
    done = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            for page_path, pdf in pages:
                page = browser.new_page(viewport={"width": PRINT_WIDTH_PX, "height": 1000})
                page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(("file:", "data:"))
                           else route.abort())
                page.goto(Path(page_path).resolve().as_uri(), wait_until="load")
                page.add_style_tag(content=PRINT_CSS)
                page.emulate_media(media="print")
                page.evaluate(_FIT_TABLES, PRINT_WIDTH_PX)
                page.pdf(path=str(pdf), format="A4", print_background=True, display_header_footer=True,
                         header_template="<span></span>", footer_template=_footer_template(provenance, lang),
                         margin={"top": "14mm", "bottom": "16mm", "left": "12mm", "right": "12mm"},
                         tagged=True, outline=True)
                page.close()
                done.append(Path(pdf))
        finally:
            browser.close()
    return done
