"""Issue 22: every figure legible as the page shows it.

- Every figure of a full English and a full Russian run (every figure function of :mod:`helpers.figures`, drawn
  by the notebooks on the demo data) is checked where it is drawn: :meth:`helpers.report.Report.figure` runs
  :func:`helpers.figures.style.legibility_problems` (texts overlapping, leaving the figure, under 11 px as shown,
  figure wider than the page) and records the result in the output's metadata; the test reads it back.
- The check itself fails on planted faults (an overlap, a text outside, a small text, a figure too wide).
- In Chromium at 1280 px, every SVG text of every page is at least 11 px high (its bounding box, and its font
  as displayed), figures are shown at the size drawn, and the output area is as wide as the figures are drawn.
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from _chromium import visit  # noqa: E402

import helpers.figures  # noqa: E402
from helpers.figures.style import (  # noqa: E402
    CONTENT_WIDTH_PX,
    HOUSE,
    MIN_TEXT_PX,
    house,
    legibility_problems,
    place_labels,
    renderer_of,
    width,
)

RUNS = [("public_run", "en"), ("russian_run", "ru")]


def figure_functions() -> set[str]:
    """Every figure function of the package (``module.function``, as :func:`helpers.figures.style.house` tags it)."""
    names = set()
    for info in pkgutil.iter_modules(helpers.figures.__path__):
        module = importlib.import_module(f"helpers.figures.{info.name}")
        names |= {f.mg_figure for _, f in inspect.getmembers(module, callable) if hasattr(f, "mg_figure")
                  and f.__module__ == module.__name__}
    return names


def shown_figures(run_dir: Path) -> list[dict]:
    """The ``mg`` metadata of every figure output of a run's executed notebooks, with its page and bundle."""
    found = []
    for nb in sorted(run_dir.glob("*.ipynb")):
        for cell in json.loads(nb.read_text(encoding="utf-8"))["cells"]:
            for out in cell.get("outputs", []):
                mg = out.get("metadata", {}).get("mg", {})
                if mg.get("kind") == "figure":
                    found.append({**mg, "page": nb.stem, "mimetypes": sorted(out.get("data", {}))})
    return found


@pytest.fixture(scope="module")
def runs(request):
    """Per language the figures shown by its full run."""
    shown = {}
    for which, lang in RUNS:
        rc, out = request.getfixturevalue(which)
        assert rc == 0
        shown[lang] = shown_figures((out / "latest").resolve())
    return shown


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_every_figure_is_legible_as_shown(runs, lang):
    figures = runs[lang]
    assert len(figures) >= 40
    bad = {f"{f['page']} figure {f['number']} ({f['source']})": f["legibility"] for f in figures if f["legibility"]}
    assert bad == {}, "\n".join(f"{k}: {v}" for k, v in bad.items())
    assert all(f["mimetypes"] == ["image/png", "text/html"] and f["alt"] for f in figures)


def test_every_figure_function_is_drawn_in_both_languages(runs):
    functions = figure_functions()
    assert len(functions) >= 20
    for lang in ("en", "ru"):
        assert functions - {f["source"] for f in runs[lang]} == set(), lang


# ---- the check can fail ------------------------------------------------------------------------------
def _figure(frac: float = 0.5):
    with plt.rc_context(HOUSE):
        fig, ax = plt.subplots(figsize=(width(frac), 2.5))
        ax.set_title("a title")
        ax.set_xlabel("an axis label")
    return fig, ax


def test_check_passes_a_clean_figure_and_finds_each_planted_fault():
    fig, ax = _figure()
    assert legibility_problems(fig) == []
    ax.text(0.1, 0.5, "first words")
    ax.text(0.12, 0.5, "second words")  # planted overlap
    assert legibility_problems(fig) == ["texts overlap: 'first words' and 'second words'"]
    plt.close(fig)

    fig, ax = _figure()
    fig.text(0.97, 0.5, "far away")  # planted: starts at the right edge, leaves the figure
    assert legibility_problems(fig) == ["text 'far away' leaves the figure"]
    plt.close(fig)

    fig, ax = _figure()
    ax.text(0.1, 0.5, "tiny", fontsize=8)  # 8 pt = 10.7 px: under 11 px
    assert legibility_problems(fig) == ["text 'tiny' is 10.7 px high as shown (under 11 px)"]
    plt.close(fig)

    with plt.rc_context(HOUSE):
        fig, ax = plt.subplots(figsize=(width(1.5), 2.5))  # planted: wider than the page, the browser shrinks it
        ax.set_title("a title")
    problems = legibility_problems(fig)
    assert problems[0].startswith(f"figure drawn {1.5 * CONTENT_WIDTH_PX:.0f} px wide")
    assert any("(under 11 px)" in p for p in problems)  # 9 pt shown at 2/3: 8 px
    plt.close(fig)


def test_check_reads_only_what_is_drawn():
    """Tick labels of an axis turned off and annotations of points outside the axes are not shown: not checked."""
    with plt.rc_context(HOUSE):
        fig, axes = plt.subplots(1, 2, figsize=(width(), 2.5))
        axes[1].axis("off")
        axes[0].set_xlim(0, 1)
        axes[0].annotate("outside the view", (5, 5), xytext=(0, 0), textcoords="offset points")
    assert legibility_problems(fig) == []
    plt.close(fig)


def test_labels_cover_no_point_and_no_label():
    rng = np.random.default_rng(3)
    xs, ys = rng.uniform(0, 10, 60), rng.uniform(0, 10, 60)
    xs[:6], ys[:6] = [5, 5.1, 5.2, 5.0, 5.1, 5.2], [5, 5.05, 5.1, 4.9, 4.95, 5.0]  # a crowd to be named
    with plt.rc_context(HOUSE):
        fig, ax = plt.subplots(figsize=(width(), 4))
        ax.plot(xs, ys, "o", ms=4, ls="none")
        ax.set_xlim(-0.5, 10.5)
        ax.set_ylim(-0.5, 10.5)
        labels = place_labels(ax, xs[:6], ys[:6], [f"ORG{k:02d}" for k in range(6)], avoid_x=xs, avoid_y=ys)
    renderer = renderer_of(fig)
    boxes = [a.get_window_extent(renderer) for a in labels]
    points = ax.transData.transform(np.column_stack([xs, ys]))
    free = [b for b, a in zip(boxes, labels, strict=True) if a.arrow_patch is None]
    assert len(free) >= 4
    for b in free:  # a label placed freely covers no point (the marker's radius around it kept clear)
        assert not ((points[:, 0] > b.x0 - 2) & (points[:, 0] < b.x1 + 2) & (points[:, 1] > b.y0 - 2)
                    & (points[:, 1] < b.y1 + 2)).any()
    assert legibility_problems(fig) == []  # and no two labels overlap
    plt.close(fig)


def test_house_tags_the_figure_and_draws_in_the_house_style():
    @house
    def drawn():
        fig, ax = plt.subplots(figsize=(width(0.5), 2))
        ax.set_title("t")
        return fig

    fig = drawn()
    assert fig.mg_source == "test_figure_legibility.drawn" and drawn.mg_figure == fig.mg_source
    assert fig.get_layout_engine() is not None and fig.axes[0].title.get_fontsize() == HOUSE["axes.titlesize"]
    plt.close(fig)


def test_report_figure_is_one_bundle_of_inline_svg_with_text_and_a_2x_png(monkeypatch):
    import base64
    import io

    import IPython.display
    from PIL import Image

    from helpers.report import Report

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, raw=False, metadata=None: shown.append((obj, metadata)))
    rep = Report(lang="ru")
    for caption in ("Первая", "Вторая"):
        fig, ax = _figure()
        ax.set_ylabel("Доля «да», %")
        rep.figure(fig, caption, alt="описание" if caption == "Вторая" else None)
    (first, meta1), (second, meta2) = shown
    assert meta1 == {"mg": {"kind": "figure", "number": 1, "caption": "Первая", "alt": "Первая", "source": "",
                            "legibility": []}}
    assert meta2["mg"]["alt"] == "описание" and meta2["mg"]["number"] == 2
    svg = first["text/html"]
    assert svg.startswith("<figure") and "<svg" in svg and ">Доля «да», %</text>" in svg and "Рисунок 1." in svg
    assert "<?xml" not in svg and "<metadata" not in svg and "\n*{" not in svg
    ids = re.findall(r'\bid="([^"]+)"', svg + second["text/html"])
    assert len(ids) == len(set(ids)) > 20  # two figures on one page share no id
    refs = set(re.findall(r'(?:url\(#|href="#)([^)"]+)', svg + second["text/html"]))
    assert refs and refs <= set(ids)  # every reference points to its own figure's definitions
    png = Image.open(io.BytesIO(base64.b64decode(first["image/png"])))
    assert png.size[0] == round(2 * width(0.5) * 96)  # drawn at 2x for documents


# ---- in the browser ------------------------------------------------------------------------------------
def measure_pages(run_dir: Path) -> dict[str, dict]:
    """Every page of a run in Chromium at 1280 x 900, offline (:func:`_chromium.visit`): per page its figures'
    output areas and, per SVG, its displayed / drawn width and its texts' box heights and font sizes."""
    pages = sorted(run_dir.glob("*.html"))
    return {Path(k).name: v["measure"] for k, v in visit(pages, measure=True).items()}


def small_texts(measured: dict[str, dict], min_px: float = MIN_TEXT_PX) -> list[str]:
    """Texts under ``min_px`` as displayed (box or font), figures shown at another size than drawn, output
    areas of another width than the figures are drawn for."""
    bad = []
    for page, m in measured.items():
        bad += [f"{page}: output area {w:.0f} px, figures drawn for {CONTENT_WIDTH_PX}" for w in m["areas"]
                if abs(w - CONTENT_WIDTH_PX) > 1]
        for k, svg in enumerate(m["svgs"], 1):
            if abs(svg["ratio"] - 1) > 0.01:
                bad.append(f"{page} figure {k}: shown at {svg['ratio']:.2f} of its drawn size")
            bad += [f"{page} figure {k}: {words!r} {box:.1f} px high, font {font:.1f} px" for words, box, font
                    in svg["texts"] if box < min_px or font < min_px - 0.05]
    return bad


@pytest.mark.parametrize("which,lang", RUNS)
def test_every_svg_text_is_at_least_11_px_in_chromium(which, lang, visited):
    """Every SVG text of every page of the run as Chromium shows it at 1280 px (the suite's one browser visit,
    tests/conftest.py ``visited``)."""
    _, pages = visited(which)
    measured = {Path(k).name: v["measure"] for k, v in pages.items()}
    n_svgs = sum(len(m["svgs"]) for m in measured.values())
    n_texts = sum(len(s["texts"]) for m in measured.values() for s in m["svgs"])
    assert n_svgs >= 40 and n_texts > 2000, (n_svgs, n_texts)
    assert small_texts(measured) == []


def test_browser_measure_finds_a_small_text_and_a_shrunk_figure(tmp_path):
    """The browser check can fail: a 9 px text, a figure drawn wider than it is shown."""
    big = round(width(1.25) * 72)
    (tmp_path / "page.html").write_text(
        f"<html><body><figure class='mg-figure' style='margin:0;width:{CONTENT_WIDTH_PX}px'>"
        f"<svg class='mg-svg' width='{big}pt' height='100pt' viewBox='0 0 {big} 100' style='max-width:100%'>"
        "<text x='10' y='50' style='font:9px DejaVu Sans'>readable</text>"
        "<text x='10' y='80' style='font:6.75px DejaVu Sans'>too small</text></svg></figure></body></html>",
        encoding="utf-8")
    bad = small_texts(measure_pages(tmp_path))
    assert bad[0] == "page.html figure 1: shown at 0.80 of its drawn size"
    assert [b.split(": ")[1].split(" ")[0] for b in bad[1:]] == ["'readable'", "'too"]  # 12 px shown at 0.8: 9.6
