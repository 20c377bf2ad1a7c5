"""Reports in a real browser (headless Chromium via Playwright, network blocked: tests/_chromium.py) and the
leak scan.

Chromium is the Debian package (/usr/bin/chromium), installed by `make test` when missing.
Screenshots land in the run's `screenshots/` folder for people to look at.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from _chromium import visit

from helpers.io.ingest import read_table


def _pages(run_dir: Path) -> list[Path]:
    return [run_dir / "index.html", *sorted(p for p in run_dir.glob("*.html") if p.name != "index.html")]


def browse(run_dir: Path, lang: str, index: Path | None = None, shots: bool = True) -> dict[str, dict]:
    """Open every page of a run (and the reports index) once, offline, in Chromium (:func:`_chromium.visit`):
    per page (``<run>/<page>.html``) the problems found and the visible text (passages marked as another
    language than ``lang`` left out). With ``shots``, a screenshot of each page lands in ``screenshots/``."""
    pages = ([index] if index is not None else []) + _pages(run_dir)
    seen = visit(pages, lang, run_dir, shots_dir=run_dir / "screenshots" if shots else None)
    return {str(Path(k).resolve().relative_to(run_dir.resolve().parent)): v for k, v in seen.items()}


def check_pages(run_dir: Path, index: Path) -> dict[str, list[str]]:
    """Open every page offline; return the problems found per page (empty lists when all is well)."""
    return {name: seen["problems"] for name, seen in browse(run_dir, "en", index).items()}


def visible_text(run_dir: Path, lang: str, index: Path | None = None) -> dict[str, str]:
    """``document.body.innerText`` of every page of a run (and of the reports index), as a reader sees it;
    passages marked as another language than ``lang`` are left out."""
    return {name: seen["text"] for name, seen in browse(run_dir, lang, index, shots=False).items()}


RUNS = [("public_run", "en"), ("russian_run", "ru"), ("internal_run", "ru")]


@pytest.fixture(scope="session")
def browsed(visited):
    """``browsed(which)``: the suite's one browser visit of a full run fixture (tests/conftest.py ``visited``)."""
    return visited


@pytest.mark.parametrize("which", [w for w, _ in RUNS])
def test_every_report_renders_offline(which, browsed):
    run_dir, pages = browsed(which)
    assert len(pages) >= 3
    bad = {k: v["problems"] for k, v in pages.items() if v["problems"]}
    assert not bad, bad
    assert len(list((run_dir / "screenshots").glob("*.png"))) == len(pages)


def _secrets(raw_dir: Path) -> dict[str, set[str]]:
    interviews = pd.concat([read_table(p) for p in raw_dir.glob("interviews_*.csv")])
    workers = pd.concat([read_table(p) for p in raw_dir.glob("workers_*.csv")])
    interviewers = pd.concat([read_table(p) for p in raw_dir.glob("interviewers_*.csv")])
    return {
        "recipient": {s for s in set(interviews["recipient_name"]) | set(interviews["recipient_phone"]) if s},
        "worker": set(workers["worker_name"]),
        "interviewer": set(interviewers["interviewer_name"]),
    }


def leak_scan(run_dir: Path, needles: set[str]) -> dict[str, list[str]]:
    """Every file under the folder (a published run, data/processed) searched for every needle.

    Parquet files, DOCX documents and PDFs are also searched decoded (their bytes are compressed). Returns
    {file: needles found}.
    """
    hits = {}
    for p in run_dir.rglob("*"):
        if p.is_file() and p.suffix != ".png":
            text = p.read_bytes().decode("utf-8", "ignore")
            if p.suffix == ".parquet":
                text += pd.read_parquet(p).astype(str).to_csv()
            elif p.suffix == ".docx":
                import zipfile

                with zipfile.ZipFile(p) as z:
                    text += "".join(z.read(n).decode("utf-8", "ignore") for n in z.namelist() if n.endswith(".xml"))
            elif p.suffix == ".pdf" and shutil.which("pdftotext"):
                import subprocess

                text += subprocess.run(["pdftotext", str(p), "-"], capture_output=True, text=True).stdout
            found = sorted(n for n in needles if n in text)
            if found:
                hits[str(p.relative_to(run_dir))] = found
    return hits


def test_leak_scan_public(public_run, demo_dirs):
    _, out = public_run
    s = _secrets(demo_dirs["raw"])
    assert len(s["recipient"]) > 100 and s["worker"] and s["interviewer"]
    assert not leak_scan((out / "latest").resolve(), s["recipient"] | s["worker"] | s["interviewer"])
    processed = Path(json.loads((out / "latest" / "manifest.json").read_text(encoding="utf-8"))["parameters"]
                     ["processed_dir"])
    assert (processed / "interviews.parquet").exists()
    assert not leak_scan(processed, s["recipient"])  # data/processed: no recipient name or phone either


def test_leak_scan_internal(internal_run, demo_dirs):
    _, out = internal_run
    s = _secrets(demo_dirs["raw"])
    run_dir = (out / "latest").resolve()
    assert not leak_scan(run_dir, s["recipient"])
    assert leak_scan(run_dir, s["worker"]), "internal reports name the social workers"


def test_leak_scan_finds_a_planted_leak(tmp_path):
    """The scanner itself can fail: a page with a planted phone number is caught, in parquet too."""
    (tmp_path / "page.html").write_text("<p>+7 (912) 345-67-89</p>", encoding="utf-8")
    assert leak_scan(tmp_path, {"+7 (912) 345-67-89"}) == {"page.html": ["+7 (912) 345-67-89"]}
    pd.DataFrame({"comment": ["Петрова Ольга Ивановна"] * 50}).to_parquet(tmp_path / "t.parquet")
    assert leak_scan(tmp_path, {"Петрова Ольга Ивановна"}) == {"t.parquet": ["Петрова Ольга Ивановна"]}


def language_offenders(texts: dict[str, str], lang: str) -> dict[str, list[str]]:
    """Per page, the words that do not belong: Latin words in a Russian page, snake_case codes in an English one
    (each word once, in order of appearance)."""
    from helpers.narrative.language import code_names, latin_words

    check = latin_words if lang == "ru" else code_names
    found = {name: list(dict.fromkeys(check(text))) for name, text in texts.items()}
    return {name: words for name, words in found.items() if words}


def _scan(browsed, which: str, lang: str) -> dict[str, list[str]]:
    _, pages = browsed(which)
    texts = {name: seen["text"] for name, seen in pages.items()}
    assert len(texts) >= 10 and all(len(t) > 100 for t in texts.values())
    return language_offenders(texts, lang)


@pytest.mark.parametrize("which,lang", RUNS)
def test_every_report_speaks_the_report_language(which, lang, browsed):
    """Issue 14: every page of a full English, a full Russian and the internal Russian run, as Chromium shows it
    (``innerText``): no English word in Russian outside codes, units and proper names; no code name in English."""
    bad = _scan(browsed, which, lang)
    assert bad == {}, "\n".join(f"{page}: {' '.join(words)}" for page, words in bad.items())


def test_language_scan_finds_a_planted_word(tmp_path):
    """The scan itself can fail: an English word in a Russian page and a code in an English page are caught;
    a cited title marked lang="en" is not the page's language."""
    run = tmp_path / "run"
    run.mkdir()
    (run / "index.html").write_text("<html lang='ru'><body><p>Доля лучших оценок (top box) по К1 и K2 "
                                    "<span lang='en'>Public Opinion Quarterly</span></p></body></html>",
                                    encoding="utf-8")
    (run / "a.html").write_text("<html lang='en'><body><p>The mean of eth_appearance</p></body></html>",
                                encoding="utf-8")
    ru, en = visible_text(run, "ru"), visible_text(run, "en")
    # a НОК criterion with a Latin K (K2) is caught, the Cyrillic К1 is not
    assert language_offenders({"index.html": ru["run/index.html"]}, "ru") == {"index.html": ["K2", "top", "box"]}
    assert language_offenders({"a.html": en["run/a.html"]}, "en") == {"a.html": ["eth_appearance"]}
