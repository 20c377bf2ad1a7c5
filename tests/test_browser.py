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
