"""Reports in a real browser (headless Chromium via Playwright, network blocked) and the leak scan.

Chromium is the Debian package (/usr/bin/chromium), installed by `make test` when missing.
Screenshots land in the run's `screenshots/` folder for people to look at.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from helpers.io.ingest import read_table

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def _pages(run_dir: Path) -> list[Path]:
    return [run_dir / "index.html", *sorted(p for p in run_dir.glob("*.html") if p.name != "index.html")]


def check_pages(run_dir: Path, index: Path) -> dict[str, list[str]]:
    """Open every page offline; return the problems found per page (empty lists when all is well)."""
    from playwright.sync_api import sync_playwright

    problems: dict[str, list[str]] = {}
    shots = run_dir / "screenshots"
    shots.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for page_path in [index, *_pages(run_dir)]:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            found: list[str] = []
            page.on("console", lambda m, f=found: f.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
            page.on("requestfailed", lambda r, f=found: f.append(f"failed request {r.url}"))

            def block(route, f=found):
                if route.request.url.startswith(("file:", "data:")):
                    route.continue_()
                else:
                    f.append(f"network request {route.request.url}")
                    route.abort()

            page.route("**/*", block)
            page.goto(page_path.resolve().as_uri())
            page.wait_for_load_state("load")
            images = page.evaluate("Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.naturalHeight])")
            found += [f"image {k} not decoded" for k, (ok, w, h) in enumerate(images) if not (ok and w > 0 and h > 0)]
            anchors = page.evaluate("Array.from(document.querySelectorAll('nav.mg-toc a')).map(a => a.getAttribute('href'))")
            for href in anchors:
                # the browser tries the fragment as written, then percent-decoded (HTML standard)
                js = "h => !!(document.getElementById(h.slice(1)) || document.getElementById(decodeURIComponent(h.slice(1))))"
                if not page.evaluate(js, href):
                    found.append(f"table-of-contents link {href} resolves to nothing")
            links = page.evaluate("Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href'))")
            for href in links:
                if not href.startswith(("#", "http")) and not (page_path.parent / href).resolve().exists():
                    found.append(f"broken link {href}")
            if page_path.name != "index.html" and page_path.parent == run_dir:
                assert anchors, f"{page_path.name}: no table of contents"
            page.screenshot(path=str(shots / f"{page_path.parent.name}-{page_path.stem}.png"), full_page=True)
            problems[str(page_path.relative_to(run_dir.parent))] = found
            page.close()
        browser.close()
    return problems


@pytest.mark.parametrize("which", ["public_run", "internal_run"])
def test_every_report_renders_offline(which, request):
    rc, out = request.getfixturevalue(which)
    assert rc == 0
    run_dir = (out / "latest").resolve()
    problems = check_pages(run_dir, out / "index.html")
    assert len(problems) >= 3
    bad = {k: v for k, v in problems.items() if v}
    assert not bad, bad
    assert len(list((run_dir / "screenshots").glob("*.png"))) == len(problems)


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

    Parquet files are also searched decoded (their bytes are compressed). Returns {file: needles found}.
    """
    hits = {}
    for p in run_dir.rglob("*"):
        if p.is_file() and p.suffix != ".png":
            text = p.read_bytes().decode("utf-8", "ignore")
            if p.suffix == ".parquet":
                text += pd.read_parquet(p).astype(str).to_csv()
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


# The page's visible text; a passage marked as written in another language (a cited title kept in its original
# language, <span lang="en">) is the author's declared quotation, not the page's language, and is left out.
_VISIBLE_TEXT = """(own) => {
  for (const el of document.body.querySelectorAll('[lang]')) {
    if (el.lang.slice(0, 2) !== own) el.style.display = 'none';
  }
  return document.body.innerText;
}"""


def visible_text(run_dir: Path, lang: str, index: Path | None = None) -> dict[str, str]:
    """``document.body.innerText`` of every page of a run (and of the reports index), as a reader sees it;
    passages marked as another language than ``lang`` are left out."""
    from playwright.sync_api import sync_playwright

    pages = ([index] if index is not None else []) + _pages(run_dir)
    texts: dict[str, str] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for page_path in pages:
            page = browser.new_page()
            page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(("file:", "data:"))
                       else route.abort())
            page.goto(page_path.resolve().as_uri())
            page.wait_for_load_state("load")
            texts[str(page_path.relative_to(run_dir.parent))] = page.evaluate(_VISIBLE_TEXT, lang)
            page.close()
        browser.close()
    return texts


def language_offenders(texts: dict[str, str], lang: str) -> dict[str, list[str]]:
    """Per page, the words that do not belong: Latin words in a Russian page, snake_case codes in an English one
    (each word once, in order of appearance)."""
    from helpers.narrative.language import code_names, latin_words

    check = latin_words if lang == "ru" else code_names
    found = {name: list(dict.fromkeys(check(text))) for name, text in texts.items()}
    return {name: words for name, words in found.items() if words}


RUNS = [("public_run", "en"), ("russian_run", "ru"), ("internal_run", "ru")]

def _scan(request, which: str, lang: str) -> dict[str, list[str]]:
    rc, out = request.getfixturevalue(which)
    assert rc == 0
    texts = visible_text((out / "latest").resolve(), lang, out / "index.html")
    assert len(texts) >= 10 and all(len(t) > 100 for t in texts.values())
    return language_offenders(texts, lang)


@pytest.mark.parametrize("which,lang", RUNS)
def test_every_report_speaks_the_report_language(which, lang, request):
    """Issue 14: every page of a full English, a full Russian and the internal Russian run, as Chromium shows it
    (``innerText``): no English word in Russian outside codes, units and proper names; no code name in English."""
    bad = _scan(request, which, lang)
    assert bad == {}, "\n".join(f"{page}: {' '.join(words)}" for page, words in bad.items())


def test_language_scan_finds_a_planted_word(tmp_path):
    """The scan itself can fail: an English word in a Russian page and a code in an English page are caught;
    a cited title marked lang="en" is not the page's language."""
    run = tmp_path / "run"
    run.mkdir()
    (run / "index.html").write_text("<html lang='ru'><body><p>Доля лучших оценок (top box) "
                                    "<span lang='en'>Public Opinion Quarterly</span></p></body></html>",
                                    encoding="utf-8")
    (run / "a.html").write_text("<html lang='en'><body><p>The mean of eth_appearance</p></body></html>",
                                encoding="utf-8")
    ru, en = visible_text(run, "ru"), visible_text(run, "en")
    assert language_offenders({"index.html": ru["run/index.html"]}, "ru") == {"index.html": ["top", "box"]}
    assert language_offenders({"a.html": en["run/a.html"]}, "en") == {"a.html": ["eth_appearance"]}
