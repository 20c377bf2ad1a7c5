"""Writes the .xls fixtures of this folder from ``interviews_2018.csv`` (run once; needs ``xlwt``).

No well-kept library writes the old Excel 97-2003 format (xlwt, the only writer, is unmaintained since
2017), so the workbench only *reads* .xls (xlrd) and the tests use these committed files:

* ``interviews_2018.xls``: an instructions sheet first, then the data sheet with a merged title row
  above the header; cells as typed (text), the same rows as ``interviews_2018.csv``;
* ``merged_2018.xls``: the same data sheet with one answer merged over three data rows.

    python -m venv /tmp/xlwt && /tmp/xlwt/bin/pip install xlwt && /tmp/xlwt/bin/python make_fixtures.py
"""

import csv
from pathlib import Path

import xlwt

HERE = Path(__file__).parent
rows = list(csv.reader((HERE / "interviews_2018.csv").open(encoding="utf-8")))
header, body = rows[0], rows[1:]


def book(merge_data: bool) -> xlwt.Workbook:
    wb = xlwt.Workbook(encoding="utf-8")
    info = wb.add_sheet("Инструкция")
    info.write(0, 0, "Заполняйте по одной строке на интервью.")
    info.write(1, 0, "Коды ответов см. в опросном листе.")
    ws = wb.add_sheet("Данные")
    ws.write_merge(0, 0, 0, 6, "Опросный лист «Тайный гость», 2018")
    for c, h in enumerate(header):
        ws.write(1, c, h)
    col = header.index("qual_overall")
    for r, row in enumerate(body, start=2):
        for c, v in enumerate(row):
            if merge_data and c == col and r in (3, 4, 5):
                continue
            ws.write(r, c, v)
    if merge_data:
        ws.write_merge(3, 5, col, col, body[1][col])
    return wb


book(False).save(str(HERE / "interviews_2018.xls"))
book(True).save(str(HERE / "merged_2018.xls"))
