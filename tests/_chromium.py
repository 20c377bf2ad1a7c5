"""One visit of headless Chromium (Debian's, through Playwright, network blocked) to every page of a run, shared by
the browser, accessibility and figure tests: per page it collects what each of them checks, so a page is opened
once per run instead of once per test module (the suite's slowest fixtures were three passes over the same pages).

Per page, in this order (the later steps change the page):

1. ``problems``: console errors, requests that failed or left the machine, undecoded images, table-of-contents
   links to nothing, broken links, a report page without a table of contents;
2. a screenshot of the first screen (``shots``; the whole page with ``MG_FULL_SCREENSHOTS=1``);
3. ``measure`` (``measure=True``): per SVG figure its displayed / drawn width and per text its box height and font
   size as displayed, and the width of each figure's output area (tests/test_figure_legibility.py);
4. ``violations`` (``axe`` given): the axe-core WCAG 2.1 A/AA violations, ``id: n (first node)``;
5. ``overflow``: at :data:`NARROW` CSS px, how far the page scrolls sideways (0 when it reflows, WCAG 1.4.10);
6. ``text``: ``document.body.innerText`` at :data:`VIEWPORT`, passages marked as another language left out.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
AXE = Path(__file__).resolve().parents[1] / ".cache" / "node_modules" / "axe-core" / "axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
VIEWPORT = {"width": 1280, "height": 900}
NARROW = 320  # CSS px (WCAG 1.4.10 reflow)

# The page's visible text; a passage marked as written in another language (a cited title kept in its original
# language, <span lang="en">) is the author's declared quotation, not the page's language, and is left out.
_VISIBLE_TEXT = """(own) => {
  for (const el of document.body.querySelectorAll('[lang]')) {
    if (el.lang.slice(0, 2) !== own) el.style.display = 'none';
  }
  return document.body.innerText;
}"""

# per page: the output area's width where figures are shown, and per SVG its displayed / drawn width and,
# per text, the height of its bounding box (in its own, unrotated frame) and its font size, both as displayed
_MEASURE = """() => {
  const scale = m => Math.sqrt(Math.abs(m.a * m.d - m.b * m.c));
  const out = {areas: [], svgs: []};
  for (const fig of document.querySelectorAll('figure.mg-figure')) {
    const cs = getComputedStyle(fig);
    out.areas.push(fig.getBoundingClientRect().width - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight));
  }
  for (const svg of document.querySelectorAll('svg.mg-svg')) {
    const texts = [];
    for (const t of svg.querySelectorAll('text')) {
      const s = scale(t.getScreenCTM());
      texts.push([t.textContent, t.getBBox().height * s, parseFloat(getComputedStyle(t).fontSize) * s]);
    }
    out.svgs.push({ratio: svg.getBoundingClientRect().width / svg.width.baseVal.value, texts});
  }
  return out;
}"""

_AXE_RUN = "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})"


def _problems(page, page_path: Path, run_dir: Path | None) -> list[str]:
    """What is wrong with an opened page: undecoded images, table-of-contents links to nothing, broken links."""
    found: list[str] = []
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
    if page_path.name != "index.html" and page_path.parent == run_dir and not anchors:
        found.append("no table of contents")
    return found


def visit(pages: list[Path], lang: str = "en", run_dir: Path | None = None, *, shots_dir: Path | None = None,
          axe: Path | None = None, measure: bool = False) -> dict[str, dict]:
    """Open each page once, offline; per page (keyed by ``str(path)``) the records listed in the module's
    docstring. ``run_dir``: the run whose report pages must carry a table of contents; ``shots_dir``: where the
    screenshots go (none when ``None``)."""
    from playwright.sync_api import sync_playwright

    full = os.environ.get("MG_FULL_SCREENSHOTS") == "1"
    if shots_dir is not None:
        shots_dir.mkdir(exist_ok=True)
    script = axe.read_text(encoding="utf-8") if axe is not None else None
    seen: dict[str, dict] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for path in pages:
            page = browser.new_page(viewport=VIEWPORT)
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
            page.goto(path.resolve().as_uri())
            page.wait_for_load_state("load")
            found += _problems(page, path, run_dir)
            record: dict = {"problems": found}
            if shots_dir is not None:
                page.screenshot(path=str(shots_dir / f"{path.parent.name}-{path.stem}.png"), full_page=full)
            if measure:
                record["measure"] = page.evaluate(_MEASURE)
            if script is not None:
                page.add_script_tag(content=script)
                result = page.evaluate(_AXE_RUN, WCAG)
                record["violations"] = [f"{v['id']}: {len(v['nodes'])} ({v['nodes'][0]['target']})"
                                        for v in result["violations"]]
            page.set_viewport_size({"width": NARROW, "height": VIEWPORT["height"]})
            record["overflow"] = page.evaluate(
                "() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
            page.set_viewport_size(VIEWPORT)
            record["text"] = page.evaluate(_VISIBLE_TEXT, lang)  # last: it hides the other language
            seen[str(path)] = record
            page.close()
        browser.close()
    return seen


def run_pages(out: Path) -> list[Path]:
    """The reports index, the run's index and every report page of the run published under ``out``."""
    run = (out / "latest").resolve()
    return [out / "index.html", run / "index.html",
            *sorted(p for p in run.glob("*.html") if p.name != "index.html")]
