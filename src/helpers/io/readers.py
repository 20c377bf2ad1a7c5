"""Reading raw tables as centres export them, every cell as text, with the file's own row numbers.

What is read (see ``data/raw/README.md``):

* **text** (``.csv``, ``.tsv``, ``.txt``): UTF-8 with or without BOM, Windows-1251, UTF-16 with BOM
  ("Unicode text" from Excel, tab-separated); comma, semicolon or tab delimiter (``.tsv``: tab);
  a trailing delimiter on every line (1C exports) gives an unnamed column that must be blank and is
  dropped; title rows above the header are skipped.
* **XLSX** (python-calamine; merged ranges from the sheet XML) and **XLS** (xlrd): the sheet holding the table is found among instruction
  sheets; title rows above the header are skipped; **merged cells in data rows are refused** (a merge
  keeps its value in its first cell only, so the other rows would silently read as blank, or a value
  would be invented by filling; the user unmerges and fills the cells, knowing what they mean).

The header row is the first of the first :data:`HEADER_SEARCH_ROWS` rows in which at least two cells,
and at least half of the non-blank cells, name a known column (see :mod:`helpers.io.columns`).

Row numbers are the file's physical line numbers (text; the header line is 1 when there is no title
row) or the sheet's row numbers (Excel). Blank lines are skipped but still counted, so a quarantined
row can be found in the file at the number reported. Fully blank rows (only delimiters) are skipped
the same way and counted in :attr:`RawTable.blank_rows`.

Every problem is a :class:`~helpers.io.contract.DataContractError` with one line naming the file and the
line, cell range or column; no cell content of the file is quoted (it may be personal data).
"""

from __future__ import annotations

import contextlib
import csv
import html
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

HEADER_SEARCH_ROWS = 30
#: text files larger than this are parsed with pyarrow's thread pool; smaller ones on the calling thread
THREADED_PARSE_BYTES = 32 * 2**20
TEXT_SUFFIXES = (".csv", ".tsv", ".txt")
EXCEL_SUFFIXES = (".xlsx", ".xls")

_MAGIC = {
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"%PDF": "a PDF document",
    b"PK\x03\x04": "a ZIP archive (an XLSX/DOCX/ODS file?)",
    b"\xd0\xcf\x11\xe0": "an OLE2 document (an XLS/DOC file?)",
    b"{\\rtf": "an RTF document",
}


class ReadError(Exception):
    """Raised here; :mod:`helpers.io.ingest` turns it into a DataContractError (same one-line message)."""


@dataclass
class RawTable:
    """A raw table: every cell a string ("" for blank), columns as written, each row's line number."""

    frame: pd.DataFrame
    lines: np.ndarray
    header_line: int
    notes: list[str] = field(default_factory=list)
    blank_rows: int = 0


def _err(path: Path, text: str) -> ReadError:
    return ReadError(f"{path}: {text}")


@contextlib.contextmanager
def system_allocator():
    """While it lasts, the C library's ``malloc`` is pyarrow's default memory pool instead of its bundled mimalloc;
    the pool before is restored after (a buffer keeps the pool that allocated it, so it is freed there).

    Ingestion allocates and frees a few gigabytes of short-lived column buffers. mimalloc hands freed pages
    back to the kernel within milliseconds, so each new buffer faults them in again: on the 1M-interview
    benchmark that was 8.2 s of system time against 2.7 s with ``malloc``, and the CSV parse alone took 7.8 s of
    CPU instead of 4.2 s (``benchmarks/bench_ingest.py``; measured on this 2-core machine). For the many small
    tables of an analysis mimalloc stays the default. Results do not depend on the pool.

    >>> before = pa.default_memory_pool().backend_name
    >>> with system_allocator():
    ...     pa.default_memory_pool().backend_name
    'system'
    >>> pa.default_memory_pool().backend_name == before
    True
    """
    before = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    try:
        yield
    finally:
        pa.set_memory_pool(before)


# ---- header detection ----------------------------------------------------------------------------
def find_header(path: Path, rows: list[tuple[int, list[str]]], score, looked_for: str) -> int:
    """Index in ``rows`` of the header row; ``score(cells)`` counts the cells naming a known column."""
    best = None
    for k, (_, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        filled = [c for c in cells if c.strip()]
        if not filled:
            continue
        s = score(cells)
        if s >= 2 and s * 2 >= len(filled):
            return k
        if best is None or s > best[1]:
            best = (k, s, len(filled))
    if not rows:
        raise _err(path, "empty file (row 1: empty header; expected column names)")
    hint = f"; best candidate: row {rows[best[0]][0]} with {best[1]} of {best[2]} cells recognised" if best else ""
    raise _err(path, f"found no header row in the first {min(len(rows), HEADER_SEARCH_ROWS)} non-blank rows: "
                     f"looked for a row naming {looked_for}{hint}")


# ---- text files ----------------------------------------------------------------------------------
class _NotUtf8(Exception):
    """The unvalidated UTF-8 guess failed while parsing: decode strictly and parse again."""


def _decode(path: Path, data: bytes, validate: bool = True) -> tuple[bytes, str]:
    """UTF-8 bytes of the file's text and the encoding it was read in. Binary files are refused.

    With ``validate=False`` bytes that may be UTF-8 are returned as they are ("UTF-8?"): pyarrow
    validates UTF-8 while parsing, so valid files are not decoded twice (and never held as a str).
    """
    for magic, what in _MAGIC.items():
        if data.startswith(magic):
            raise _err(path, f"this is {what}, not a text table; export the table as CSV, TSV, XLSX or XLS"
                       + (" (or give an Excel workbook its .xlsx/.xls name)" if magic in (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")
                          else ""))
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        enc = "utf-16"
    elif len(data) >= 4 and data[1:2] == b"\x00" and data[3:4] == b"\x00" and data[0:1] != b"\x00":
        enc = "utf-16-le"  # UTF-16 without BOM, little-endian (ASCII characters followed by NUL)
    elif len(data) >= 4 and data[0:1] == b"\x00" and data[2:3] == b"\x00":
        enc = "utf-16-be"
    else:
        enc = ""
    if enc:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError as err:
            line = data[: err.start].replace(b"\x00", b"").count(b"\n") + 1
            raise _err(path, f"line {line}: cannot decode as UTF-16 (a damaged or truncated Unicode-text export)"
                       ) from None
        return text.lstrip("\ufeff").encode("utf-8"), "UTF-16"
    if b"\x00" in data[:65536]:
        raise _err(path, "binary file (NUL bytes), not a text table; export the table as CSV, TSV, XLSX or XLS")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if not validate:
        return data, "UTF-8?"
    try:
        data.decode("utf-8")
        return data, "UTF-8"
    except UnicodeDecodeError as err:
        utf8_line = data[: err.start].count(b"\n") + 1
        mostly_utf8 = any(b >= 0x80 for b in data[: err.start])  # valid UTF-8 letters before the failure
    try:
        text = data.decode("cp1251")
    except UnicodeDecodeError as err:
        if mostly_utf8:
            raise _err(path, f"line {utf8_line}: wrong encoding guess: the file is UTF-8 up to line {utf8_line}, "
                             "which is not (a row saved in another encoding?); re-export the file in one encoding"
                       ) from None
        line = data[: err.start].count(b"\n") + 1
        raise _err(path, f"line {line}: cannot decode: expected UTF-8 (with or without BOM), Windows-1251 "
                         "or UTF-16") from None
    if mostly_utf8 or re.search(r"Р[°µѕёЅ]|С[‚ЊЏ]", text):
        raise _err(path, f"line {utf8_line}: wrong encoding guess: the file is UTF-8 up to line {utf8_line}, "
                         "which is not (a row saved in another encoding?); re-export the file as UTF-8 or "
                         "Windows-1251")
    return text.encode("utf-8"), "Windows-1251"


def _positions(arr: np.ndarray, byte: int, chunk: int = 1 << 22) -> np.ndarray:
    """Positions of ``byte`` in ``arr``, found chunk by chunk (4 MiB: the comparison stays in cache, and no
    file-sized boolean array is made; on a 800 MB file this is 8x faster than ``np.flatnonzero(arr == byte)``).

    >>> _positions(np.frombuffer(b"a\\nbc\\n\\n", dtype=np.uint8), 10, chunk=2).tolist()
    [1, 4, 5]
    """
    parts = [np.flatnonzero(arr[o:o + chunk] == byte) + o for o in range(0, len(arr), chunk)]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.intp)


def _records(data: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Byte start, end and physical line number of each record (a newline inside quotes is no record end).

    >>> [x.tolist() for x in _records(b'a,b\\n"x\\ny",1\\n\\nz,2')]
    [[0, 4, 12, 13], [3, 11, 12, 16], [1, 2, 4, 5]]
    """
    arr = np.frombuffer(data, dtype=np.uint8)
    nl = _positions(arr, 10)
    if b'"' in data:
        quotes = _positions(arr, 34)
        inside = (np.searchsorted(quotes, nl) % 2) == 1  # odd number of quotes before the newline
        ends = nl[~inside]
    else:
        ends = nl
    starts = np.concatenate([[0], ends + 1])
    stops = np.concatenate([ends, [len(data)]])
    lines = np.searchsorted(nl, starts) + 1  # 1-based physical line of the record's start
    return starts, stops, lines


def _sniff(sample_lines: list[str], suffix: str) -> str:
    if suffix == ".tsv":
        return "\t"
    best, best_score = ",", -1.0
    for d in (";", "\t", ","):
        counts = [ln.count(d) for ln in sample_lines if ln.strip()]
        if not counts:
            continue
        score = float(np.median(counts)) + max(counts) / 1000
        if score > best_score:
            best, best_score = d, score
    return best


def read_text(path: Path, score, looked_for: str) -> RawTable:
    """Read a delimited text file (see the module docstring)."""
    raw = path.read_bytes()
    data, encoding = _decode(path, raw, validate=False)
    try:
        return _read_text(path, data, encoding, score, looked_for)
    except _NotUtf8:
        data, encoding = _decode(path, raw, validate=True)
        return _read_text(path, data, encoding, score, looked_for)


def _read_text(path: Path, data: bytes, encoding: str, score, looked_for: str) -> RawTable:
    notes = [f"read as {encoding} text"] if encoding not in ("UTF-8", "UTF-8?") else []
    starts, stops, lines = _records(data)
    blank = np.array([not data[s:e].strip(b"\r") for s, e in zip(starts, stops, strict=True)]) \
        if len(starts) < 200_000 else _blank_fast(data, starts, stops)
    head_idx = np.flatnonzero(~blank)[:HEADER_SEARCH_ROWS]
    if not len(head_idx):
        raise _err(path, "empty file (row 1: empty header; expected column names)")
    try:
        sample = [data[starts[i]:stops[i]].decode("utf-8").rstrip("\r") for i in head_idx]
    except UnicodeDecodeError:
        if encoding == "UTF-8?":
            raise _NotUtf8 from None
        raise
    delimiter = _sniff(sample, path.suffix.lower())
    rows = []
    for i, text in zip(head_idx, sample, strict=True):
        try:
            cells = next(csv.reader([text], delimiter=delimiter), [])
        except csv.Error:
            cells = [text]
        rows.append((int(lines[i]), [c.strip() for c in cells]))
    k = find_header(path, rows, score, looked_for)
    header_line, names = rows[k]
    h = head_idx[k]
    if header_line > 1:
        notes.append(f"header found on line {header_line} (title rows above it skipped)")
    names = [n if n else f"__unnamed_{j + 1}" for j, n in enumerate(names)]
    _check_duplicates(path, names)
    data_rec = np.flatnonzero(~blank)
    data_rec = data_rec[data_rec > h]
    # lines holding only delimiters, spaces or quotes are blank lines too (Excel writes ';;;;' for them)
    filler = (delimiter + ' \t\r"').encode()
    short = data_rec[(stops[data_rec] - starts[data_rec]) <= 4 * len(names) + 8]
    empty = {int(i) for i in short if not data[starts[i]:stops[i]].translate(None, filler)}
    if empty:
        data_rec = np.array([i for i in data_rec if int(i) not in empty], dtype=np.int64)
        body = b"\n".join(data[starts[i]:stops[i]] for i in data_rec)
    else:
        body = pa.py_buffer(data).slice(int(stops[h]) + 1) if stops[h] < len(data) else b""  # no copy
    frame = _parse_body(path, body, names, delimiter, data, starts, stops, lines, data_rec, encoding)
    row_lines = lines[data_rec].astype(np.int64)
    table = _finish(path, frame, row_lines, header_line, notes)
    table.blank_rows += len(empty) + int(blank[h + 1:-1].sum())  # the empty "record" after the last newline is no row
    return table


def _blank_fast(data: bytes, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    length = stops - starts
    blank = length == 0
    cr = (length == 1)
    if cr.any():
        arr = np.frombuffer(data, dtype=np.uint8)
        blank |= cr & (arr[np.minimum(starts, len(arr) - 1)] == 13)
    return blank


def _parse_body(path, body, names, delimiter, data, starts, stops, lines, data_rec, encoding) -> pd.DataFrame:
    if not len(data_rec):
        return pd.DataFrame({n: pd.Series(dtype="string") for n in names})
    try:
        table = pacsv.read_csv(
            pa.BufferReader(body),
            read_options=pacsv.ReadOptions(column_names=names, use_threads=len(body) > THREADED_PARSE_BYTES),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            # large_string: the type pandas' string columns hold, so no column is cast (copied) on conversion
            convert_options=pacsv.ConvertOptions(column_types={n: pa.large_string() for n in names},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as err:
        if encoding == "UTF-8?" and ("utf" in str(err).lower() or isinstance(err, UnicodeDecodeError)):
            raise _NotUtf8 from None
        raise _err(path, _locate_bad_row(data, starts, stops, lines, data_rec, len(names), delimiter)) from None
    if table.num_rows != len(data_rec):
        raise _err(path, _locate_bad_row(data, starts, stops, lines, data_rec, len(names), delimiter))
    frame = table.to_pandas(types_mapper=lambda t: pd.StringDtype() if t in (pa.string(), pa.large_string()) else None)
    return frame.fillna("") if any(c.null_count for c in table.columns) else frame


def _locate_bad_row(data, starts, stops, lines, data_rec, n_cols, delimiter) -> str:
    """The one-line reason a body failed to parse, naming the line (slow path: only after a failure)."""
    for i in data_rec:
        text = data[starts[i]:stops[i]].decode("utf-8", "replace").rstrip("\r")
        if text.count('"') % 2:
            return f"line {lines[i]}: unclosed quote (a cell starting with \" never ends)"
        try:
            cells = next(csv.reader([text], delimiter=delimiter), [])
        except csv.Error:
            return f"line {lines[i]}: cannot split into cells (stray quote)"
        if len(cells) != n_cols:
            last = i == data_rec[-1]
            what = "truncated last row" if last and len(cells) < n_cols else "wrong number of cells"
            return (f"line {lines[i]}: {what}: {len(cells)} cells where the header has {n_cols} "
                    f"(delimiter '{delimiter}')")
    return "cannot parse as delimited text (rows do not line up with the header)"


def _check_duplicates(path: Path, names: list[str]) -> None:
    seen: dict[str, int] = {}
    for j, n in enumerate(names):
        key = n.strip()
        if key in seen:
            raise _err(path, f"duplicated column '{key}' (columns {seen[key] + 1} and {j + 1}); "
                             "keep one, or rename one of them")
        seen[key] = j


def _finish(path: Path, frame: pd.DataFrame, row_lines: np.ndarray, header_line: int,
            notes: list[str]) -> RawTable:
    """Drop unnamed blank columns (trailing delimiters) and fully blank rows; refuse unnamed values."""
    frame = frame.reset_index(drop=True)
    for col in [c for c in frame.columns if c.startswith("__unnamed_")]:
        filled = np.flatnonzero(frame[col].astype(str).str.strip().ne("").to_numpy())
        if len(filled):
            raise _err(path, f"row {row_lines[filled[0]]}: column {col.removeprefix('__unnamed_')} has no header "
                             "but holds a value; give the column a name or delete it")
        frame = frame.drop(columns=col)
        if "trailing delimiter" not in " ".join(notes):
            notes.append("an unnamed empty column (trailing delimiter) dropped")
    filled_rows = _filled_rows(frame)
    blank_rows = int((~filled_rows).sum())
    if blank_rows:
        frame = frame.loc[filled_rows].reset_index(drop=True)
        row_lines = row_lines[filled_rows]
    frame = frame.astype("string")
    return RawTable(frame=frame, lines=row_lines, header_line=header_line, notes=notes, blank_rows=blank_rows)


def _filled_rows(frame: pd.DataFrame) -> np.ndarray:
    """True for each row with a non-blank cell (not only spaces). A column is looked at only in the rows
    still blank in the columns before it, so a table whose first column is filled is scanned once.

    >>> _filled_rows(pd.DataFrame({"a": ["x", " ", "", " "], "b": ["", "y", " ", None]})).tolist()
    [True, True, False, False]
    """
    filled = np.zeros(len(frame), dtype=bool)
    todo = np.arange(len(frame))
    for col in frame.columns:
        if not len(todo):
            break
        cells = frame[col] if len(todo) == len(frame) else frame[col].iloc[todo]
        cells = cells.astype("string").fillna("")
        hit = cells.str.strip().ne("").to_numpy(dtype=bool)
        filled[todo[hit]] = True
        todo = todo[~hit]
    return filled


# ---- Excel ----------------------------------------------------------------------------------------
def _cell(v: object) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    if isinstance(v, bool):
        return str(v)
    if hasattr(v, "strftime"):
        return pd.Timestamp(v).strftime("%Y-%m-%d")
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _xlsx_merges(zf: zipfile.ZipFile) -> dict[str, list[str]]:
    """Merged ranges (``"B4:B5"``) of every sheet of an XLSX, by sheet name, read from the sheet XML's
    ``<mergeCells>`` element, which follows ``<sheetData>``: the cells are streamed past, never parsed.

    The sheet's XML part comes from ``xl/workbook.xml`` (name -> relationship id) and
    ``xl/_rels/workbook.xml.rels`` (id -> part), ECMA-376 Part 1, 18.2.19 and 18.3.1.55.
    """
    book = zf.read("xl/workbook.xml").decode("utf-8")
    rels = zf.read("xl/_rels/workbook.xml.rels").decode("utf-8")
    target = {}
    for rel in re.finditer(r"<(?:\w+:)?Relationship\b[^>]*>", rels):
        attrs = dict(re.findall(r'(\w+)="([^"]*)"', rel.group(0)))
        if "Id" in attrs and "Target" in attrs:
            t = attrs["Target"]
            target[attrs["Id"]] = t.lstrip("/") if t.startswith("/") else "xl/" + t
    out = {}
    for sheet in re.finditer(r"<(?:\w+:)?sheet\b[^>]*>", book):
        name = re.search(r'\bname="([^"]*)"', sheet.group(0))
        rid = re.search(r'\br:id="([^"]*)"', sheet.group(0)) or re.search(r'\b\w+:id="([^"]*)"', sheet.group(0))
        part = target.get(rid.group(1)) if rid else None
        if not name or part is None or part not in zf.namelist():
            continue
        out[html.unescape(name.group(1))] = _merge_refs(zf, part)
    return out


def _merge_refs(zf: zipfile.ZipFile, part: str, chunk: int = 1 << 20) -> list[str]:
    """The ``ref`` of every ``<mergeCell>`` of one sheet part, scanning the decompressed XML in chunks."""
    refs, tail = [], b""
    with zf.open(part) as f:
        while block := f.read(chunk):
            text = tail + block
            refs += re.findall(rb"<(?:\w+:)?mergeCell\s+ref=\"([A-Z]+\d+(?::[A-Z]+\d+)?)\"", text)
            tail = text[-64:]  # a tag cut by the chunk boundary is found whole in the next pass
            refs = list(dict.fromkeys(refs))
    return [r.decode() for r in refs]


def _ref_bounds(ref: str) -> tuple[int, int, int, int]:
    """``"B4:C5"`` -> (min_row, min_col, max_row, max_col), 1-based.

    >>> _ref_bounds("B4:C5"), _ref_bounds("AA10")
    ((4, 2, 5, 3), (10, 27, 10, 27))
    """
    cells = []
    for part in ref.split(":"):
        m = re.fullmatch(r"([A-Z]+)(\d+)", part)
        col = 0
        for ch in m.group(1):
            col = col * 26 + ord(ch) - 64
        cells.append((int(m.group(2)), col))
    (r0, c0), (r1, c1) = cells[0], cells[-1]
    return r0, c0, r1, c1


def _xlsx_sheets(path: Path):
    """(sheet name, rows as (row number, cells), merged ranges as (min_row, min_col, max_row, max_col, coord)).

    One pass over the workbook: the values by ``python-calamine`` (Rust, the whole sheet at once), the merged
    ranges from the sheet XML (:func:`_xlsx_merges`); openpyxl needs the whole workbook in memory to see merges
    (its read-only mode does not report them).
    """
    from python_calamine import CalamineWorkbook

    try:
        with zipfile.ZipFile(path) as zf:
            merges = _xlsx_merges(zf)
        with path.open("rb") as f:  # a file object: the content decides the format, not the file's name
            wb = CalamineWorkbook.from_filelike(f)
            sheets = [(name, wb.get_sheet_by_name(name).to_python(skip_empty_area=False)) for name in wb.sheet_names]
    except Exception as err:  # a broken workbook raises many types (zipfile, calamine)
        raise _err(path, f"cannot read as XLSX ({type(err).__name__})") from None
    for name, values in sheets:
        rows = [(r, [v if type(v) is str else _cell(v) for v in row]) for r, row in enumerate(values, start=1)]
        merged = [(*_ref_bounds(ref), ref) for ref in merges.get(name, [])]
        yield name, rows, merged


def _xls_sheets(path: Path):
    import xlrd

    try:
        book = xlrd.open_workbook(str(path), formatting_info=True)
    except Exception as err:  # xlrd raises XLRDError, struct.error, ... for a broken file
        raise _err(path, f"cannot read as XLS ({type(err).__name__})") from None
    for sh in book.sheets():
        rows = []
        for r in range(sh.nrows):
            cells = []
            for c in range(sh.ncols):
                cell = sh.cell(r, c)
                if cell.ctype == xlrd.XL_CELL_DATE:
                    cells.append(xlrd.xldate_as_datetime(cell.value, book.datemode).strftime("%Y-%m-%d"))
                elif cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                    cells.append("")
                else:
                    cells.append(_cell(cell.value))
            rows.append((r + 1, cells))
        merged = [(r0 + 1, c0 + 1, r1, c1, f"{_col_letter(c0 + 1)}{r0 + 1}:{_col_letter(c1)}{r1}")
                  for r0, r1, c0, c1 in sh.merged_cells]
        yield sh.name, rows, merged


def _col_letter(n: int) -> str:
    s = ""
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def read_excel(path: Path, score, looked_for: str, kind: str | None = None) -> RawTable:
    """Read the sheet holding the table from an XLSX or XLS workbook (see the module docstring)."""
    kind = kind or path.suffix.lower().lstrip(".")
    sheets = list(_xlsx_sheets(path) if kind == "xlsx" else _xls_sheets(path))
    found, skipped, first_error = [], [], None
    for name, rows, merged in sheets:
        nonblank = [(r, cells) for r, cells in rows if any(c for c in cells)]
        try:
            k = find_header(path, nonblank, score, looked_for)
        except ReadError as err:
            skipped.append(name)
            first_error = first_error or (name, str(err).split(": ", 1)[1])
            continue
        found.append((name, nonblank, k, merged))
    if not found:
        if first_error is None:
            raise _err(path, "the workbook has no sheet")
        raise _err(path, f"sheet '{first_error[0]}': {first_error[1]}"
                   + (f" (and no header row in sheets {', '.join(repr(s) for s in skipped[1:])})"
                      if len(skipped) > 1 else ""))
    if len(found) > 1:
        raise _err(path, f"several sheets hold a table ({', '.join(repr(f[0]) for f in found)}); "
                         "keep one table per file")
    name, nonblank, k, merged = found[0]
    notes = []
    if skipped:
        notes.append(f"read sheet '{name}' (skipped {', '.join(repr(s) for s in skipped)}: no header row)")
    header_line, names = nonblank[k]
    if header_line > 1:
        notes.append(f"header found on row {header_line} of sheet '{name}' (title rows above it skipped)")
    while names and not names[-1]:
        names = names[:-1]
    names = [n if n else f"__unnamed_{j + 1}" for j, n in enumerate(names)]
    _check_duplicates(path, names)
    for _r0, c0, r1, c1, coord in merged:
        if r1 > header_line:
            cols = [names[c - 1] for c in range(c0, min(c1, len(names)) + 1) if c - 1 < len(names)]
            raise _err(path, f"sheet '{name}': merged cells {coord} in data rows (column "
                             f"'{cols[0] if cols else _col_letter(c0)}'): only the first cell of a merge holds its "
                             "value, the other rows would read as blank; unmerge the cells and fill in every row")
    body = nonblank[k + 1:]
    width = len(names)
    for r, cells in body:
        extra = [j for j, c in enumerate(cells[width:], start=width + 1) if c]
        if extra:
            raise _err(path, f"sheet '{name}': row {r}: column {_col_letter(extra[0])} has no header but "
                             "holds a value; give the column a name or delete it")
    frame = pd.DataFrame([(cells + [""] * width)[:width] for _, cells in body], columns=names, dtype=object)
    if not len(body):
        frame = pd.DataFrame({n: pd.Series(dtype=object) for n in names})
    lines = np.array([r for r, _ in body], dtype=np.int64)
    return _finish(path, frame.fillna(""), lines, header_line, notes)


def read_raw(path: Path, score, looked_for: str) -> RawTable:
    """Read any supported raw table; ``score`` recognises header cells (see :func:`find_header`)."""
    suffix = path.suffix.lower()
    if suffix in EXCEL_SUFFIXES:
        with path.open("rb") as f:
            magic = f.read(8)
        kind = "xlsx" if magic.startswith(b"PK\x03\x04") else "xls" if magic.startswith(b"\xd0\xcf\x11\xe0") else ""
        if kind == suffix.lstrip("."):
            return read_excel(path, score, looked_for)
        if kind:  # an .xlsx named .xls or the reverse: read as what it is, and say so
            table = read_excel(path, score, looked_for, kind)
            table.notes.insert(0, f"the file is an {kind.upper()} workbook named {suffix}; read as {kind.upper()}")
            return table
        table = read_text(path, score, looked_for)  # web systems export text or HTML named .xls
        table.notes.insert(0, f"the file is text, not an Excel workbook, despite its name {suffix}; read as text")
        return table
    return read_text(path, score, looked_for)
