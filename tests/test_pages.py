"""Issue 21 items 2-3: every page of an English and a Russian run is accessible (axe-core, WCAG 2.1 A/AA, in
Debian Chromium through Playwright), reflows at 320 CSS px without sideways scrolling, and every tidy table
is tidy (no "x [lo; hi]" text in a CSV cell, counts as integers in CSVs and on the pages).

axe-core is the npm package installed by ``make axe-deps`` into ``.cache/node_modules`` (``make test`` runs it);
without it the accessibility test is skipped with the command to run.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from _chromium import AXE, run_pages, visit

from helpers.io.safe_csv import is_count_name
from helpers.narrative.catalogue import label


def _pages(out: Path) -> list[Path]:
    """The reports index, the run's index and every report page of the run."""
    return run_pages(out)


def audit(pages: list[Path], axe: Path | None = AXE) -> dict[str, dict]:
    """Open each page offline in Chromium (:func:`_chromium.visit`): per page the axe-core WCAG 2.1 A/AA
    violations (``id: n nodes``, when ``axe`` is given) and, at :data:`_chromium.NARROW` CSS px wide, how far the
    page scrolls sideways (``scrollWidth - clientWidth`` of the document, 0 when it reflows)."""
    return {k: {"violations": v.get("violations", []), "overflow": v["overflow"]}
            for k, v in visit(pages, axe=axe).items()}


# ---- tidy tables --------------------------------------------------------------------------------------------
INTERVAL_TEXT = re.compile(r"\d\s*\[\s*[-−]?\d[\d\s.,\u00a0]*;\s*[-−]?\d[\d\s.,\u00a0]*\]")
INTEGER = re.compile(r"^-?\d+$")
SUPPRESSED = ("", "n<5")
# long tables (measure, value): the measures that are counts
COUNT_MEASURES = frozenset({"appeals", "contacts", "users_reached", "users_served"})


def csv_defects(tables: Path) -> dict[str, list[str]]:
    """Per CSV of a run's ``tables/``: cells holding an estimate with its interval as text (``"x [lo; hi]"``)
    and counts written with decimals (a count column, :func:`helpers.io.safe_csv.is_count_name`, or the value
    of a count measure in a long table, holding ``47.0``)."""
    found: dict[str, list[str]] = {}
    for path in sorted(tables.glob("*.csv")):
        d = pd.read_csv(path, dtype=str, keep_default_na=False)
        bad = [f"{c}: {v!r} is an interval as text" for c in d.columns
               for v in d[c][d[c].str.contains(INTERVAL_TEXT)].head(1)]
        bad += [f"{c}: {v!r} is a count with decimals" for c in d.columns if is_count_name(c)
                for v in d[c][~d[c].isin(SUPPRESSED) & ~d[c].str.match(INTEGER)].head(1)]
        if {"measure", "value"} <= set(d.columns):
            counts = d[d["measure"].isin(COUNT_MEASURES) | d["measure"].map(is_count_name)]
            bad += [f"value of {m}: {v!r} is a count with decimals" for m, v in
                    counts.loc[~counts["value"].isin(SUPPRESSED) & ~counts["value"].str.match(INTEGER),
                               ["measure", "value"]].head(1).itertuples(index=False)]
        if bad:
            found[path.name] = bad
    return found


def _count_words(lang: str) -> set[str]:
    """The headers and measure names a reader sees for counts, in ``lang``."""
    from helpers.io.safe_csv import COUNT_NAMES
    from helpers.report import header

    words = {str(header(c, lang)) for c in COUNT_NAMES}
    return words | {str(label("registers.measures", m, lang)) for m in COUNT_MEASURES}


def html_count_defects(pages: list[Path], lang: str) -> dict[str, list[str]]:
    """Per page, the cells of its tables that print a count with a decimal: in a column headed as a count
    (``n``, recipients, …) or in the row of a count measure (appeals, contacts, …), a number such as ``47.0``
    or ``9,839.0``."""
    from bs4 import BeautifulSoup

    # a decimal number in the page's marks: "9,839.0" in English, "9 839,0" in Russian
    decimal = re.compile(r"^-?\d[\d,]*\.\d+$" if lang == "en" else r"^-?\d[\d\s\u00a0\u202f]*,\d+$")
    words = _count_words(lang)
    found: dict[str, list[str]] = {}
    for path in pages:
        soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        bad = []
        for table in soup.select("table.mg-table"):
            heads = [th.get_text(" ", strip=True) for th in table.select("thead th")]
            for tr in table.select("tbody tr"):
                cells = [td.get_text(" ", strip=True) for td in tr.find_all(["td", "th"])]
                row_count = any(c in words for c in cells)
                bad += [f"{h or '?'}: {c}" for h, c in zip(heads, cells, strict=False)
                        if decimal.match(c) and (h in words or row_count)]
        if bad:
            found[path.name] = bad[:5]
    return found


@pytest.fixture(scope="session")
def audited(visited):
    """``audited(which)``: the axe-core audit and the 320 px reflow of every page of a full run fixture, from the
    suite's one browser visit (tests/conftest.py ``visited``)."""

    def get(which: str) -> dict[str, dict]:
        if not AXE.exists():
            pytest.skip("axe-core is not installed: run `make axe-deps`")
        _, pages = visited(which)
        assert all("violations" in v for v in pages.values()), "the visit ran without axe-core"
        return pages

    return get


RUNS = ["public_run", "russian_run"]


@pytest.mark.parametrize("which", RUNS)
def test_every_page_passes_axe_wcag21_aa(which, audited):
    """Issue 21 item 2: axe-core finds no violation of the WCAG 2.1 A/AA rules on any page (the run's pages and
    both index pages) of an English and a Russian run."""
    pages = audited(which)
    assert len(pages) >= 12
    bad = {Path(k).name: v["violations"] for k, v in pages.items() if v["violations"]}
    assert bad == {}, bad


@pytest.mark.parametrize("which", RUNS)
def test_no_page_scrolls_sideways_at_320_px(which, audited):
    """WCAG 1.4.10 reflow: at 320 CSS px no page is wider than the window (a wide table scrolls in its region)."""
    pages = audited(which)
    wide = {Path(k).name: v["overflow"] for k, v in pages.items() if v["overflow"] > 0}
    assert wide == {}, wide


def test_audit_finds_a_planted_violation_and_overflow(tmp_path):
    """The audit itself can fail: a scrolling table region no keyboard can reach is an axe violation, and a
    fixed-width block makes the page scroll sideways at 320 px."""
    if not AXE.exists():
        pytest.skip("axe-core is not installed: run `make axe-deps`")
    page = tmp_path / "p.html"
    page.write_text("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>t</title>"
                    "<meta name='viewport' content='width=device-width'></head><body><main>"
                    "<div style='overflow-x:auto;width:200px'><table><tr><td style='white-space:nowrap'>"
                    + "x" * 200 + "</td></tr></table></div><div style='width:400px'>wide</div>"
                    "</main></body></html>", encoding="utf-8")
    seen = audit([page])[str(page)]
    assert any(v.startswith("scrollable-region-focusable") for v in seen["violations"]), seen
    assert seen["overflow"] > 0


def test_every_csv_of_a_run_is_tidy(public_run):
    """Issue 21 item 3: no CSV cell of a full English run holds "x [lo; hi]" text; counts are integers."""
    rc, out = public_run
    assert rc == 0
    tables = (out / "latest" / "tables").resolve()
    assert len(list(tables.glob("*.csv"))) > 50
    assert csv_defects(tables) == {}


@pytest.mark.parametrize("which,lang", [("public_run", "en"), ("russian_run", "ru")])
def test_no_count_prints_with_a_decimal(which, lang, request):
    """Issue 21 item 3: no table of any page prints a count as ``47.0`` (columns headed as counts, rows of
    count measures)."""
    rc, out = request.getfixturevalue(which)
    assert rc == 0
    pages = _pages(out)[2:]
    assert html_count_defects(pages, lang) == {}


def test_tidy_scans_find_planted_defects(tmp_path):
    """The scans themselves can fail: an interval as text, a float count column and a float count measure in a
    CSV, and a count ``47.0`` in a page's table, are each found."""
    tables = tmp_path / "tables"
    tables.mkdir()
    pd.DataFrame({"year": [2021], "composite": ["93.1 [90.2; 96.0]"]}).to_csv(tables / "a.csv", index=False)
    pd.DataFrame({"n": [40.0, 41.0], "mean": [1.5, 2.0]}).to_csv(tables / "b.csv", index=False)
    pd.DataFrame({"measure": ["appeals", "gratitude_share"], "value": ["47.0", "93.5"]}).to_csv(tables / "c.csv",
                                                                                              index=False)
    pd.DataFrame({"n": [40, 41], "ci_low": [1.5, 2.0]}).to_csv(tables / "ok.csv", index=False)
    assert set(csv_defects(tables)) == {"a.csv", "b.csv", "c.csv"}
    page = tmp_path / "p.html"
    page.write_text("<table class='mg-table'><thead><tr><th>measure</th><th>2021</th></tr></thead><tbody>"
                    "<tr><td>appeals</td><td>47.0</td></tr><tr><td>gratitude (%)</td><td>93.5</td></tr>"
                    "</tbody></table>", encoding="utf-8")
    assert html_count_defects([page], "en") == {"p.html": ["2021: 47.0"]}


def _page(body: str, lang: str = "en") -> str:
    return (f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'><title>t</title>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'></head><body><main>{body}"
            "</main></body></html>")


def test_a_wide_table_scrolls_in_a_named_focusable_region(tmp_path):
    """``Report.table_html`` of a table wider than the window: the page does not scroll sideways at 320 px,
    the table's region is focusable and named after the table (no axe violation), and its counts are integers
    (a float count column with a missing value, a count beside shares in a long table)."""
    import numpy as np

    from helpers.report import Report

    if not AXE.exists():
        pytest.skip("axe-core is not installed: run `make axe-deps`")
    wide = pd.DataFrame({f"column_{k}": [1234.5678 * k, np.nan] for k in range(12)}
                        | {"n": [40.0, np.nan], "value": pd.Series([47, 93.5], dtype=object)})
    html = Report(lang="en").table_html(wide, "A wide table")
    assert "aria-label='A wide table'" in html and "tabindex='0'" in html and html.count("Table 1.") == 1
    (tmp_path / "t.html").write_text(_page(html), encoding="utf-8")
    seen = audit([tmp_path / "t.html"])[str(tmp_path / "t.html")]
    assert seen == {"violations": [], "overflow": 0}
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", html)
    assert "40" in cells and "47" in cells and "93.50" in cells
    assert not {"40.0", "40.00", "47.0", "47.00"} & set(cells)


def test_a_run_page_reflows_at_320_px(tmp_path):
    """The run's index page (``pipeline.publish``) with long report titles and a long code version: no axe
    violation, and no sideways scrolling at 320 px (its table scrolls inside a named, focusable region)."""
    from helpers.pipeline.publish import _index_html

    if not AXE.exists():
        pytest.skip("axe-core is not installed: run `make axe-deps`")
    jobs = [{"stem": f"scoring-{y}", "title": f"Scoring of the Mystery Guest interviews of {y}, with every "
             "coefficient and its interval", "notebook": "scoring", "label": str(y), "status": "ok",
             "seconds": 12.5} for y in (2018, 2019)]
    manifest = {"run_id": "20261207-051546", "status": "complete", "started": "2026-12-07T05:15:46",
                "finished": "2026-12-07T05:17:44", "git_commit": "5c82506-dirty-with-a-long-suffix",
                "parameters": {"lang": "en", "years": [2018, 2019, 2020, 2021], "audience": "public"},
                "ingest": {"rows_read": 1200, "rows_accepted": 1190, "rows_quarantined": 10},
                "notebooks": jobs, "changes": {}}
    page = tmp_path / "index.html"
    html = _index_html(manifest)
    assert '<div class="mg-scroll" role="region" tabindex="0" aria-label="Reports of this run"><table>' in html
    page.write_text(html, encoding="utf-8")
    assert audit([page])[str(page)] == {"violations": [], "overflow": 0}


def test_the_csv_writer_keeps_counts_whole(tmp_path):
    """Every notebook's CSV goes through ``df.safe.to_csv``: a count column that a missing value made float is
    written ``40``, not ``40.0``, and a count beside a share in a long table stays ``47``."""
    import numpy as np

    from helpers.io.safe_csv import to_csv_safe

    to_csv_safe(pd.DataFrame({"n": [40.0, np.nan], "mean": [1.0, 2.5],
                              "value": pd.Series([47, 93.5], dtype=object)}), tmp_path / "t.csv", index=False)
    assert (tmp_path / "t.csv").read_text(encoding="utf-8") == "n,mean,value\n40,1.0,47\n,2.5,93.5\n"
    assert csv_defects(tmp_path) == {}
