"""Display helpers for notebooks: numbered tables and figures with captions, and a report footer.

Every notebook creates one :class:`Report` and shows its tables and figures through it, so that
captions are numbered ("Table 3.", "Figure 2.") and every figure is embedded as an inline SVG with real text.

Examples
--------
>>> rep = Report(lang="en")
>>> html = rep.table_html(pd.DataFrame({"n": [35]}), "Recipients interviewed")
>>> "Table 1." in html and "Recipients interviewed" in html
True
>>> "получатели" in Report(lang="ru").table_html(pd.DataFrame({2018: [35], "measure": ["recipients"]}), "n")
True
"""

from __future__ import annotations

import base64
import html as _html
import io
import re
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from helpers.io import safe_csv  # noqa: F401  (registers df.safe.to_csv for the notebooks)
from helpers.io.safe_csv import SUPPRESSED, is_count_name, whole_counts  # noqa: F401  (counts print as integers)

CSS = """<style>
.mg-caption{font-weight:600;margin:1.2em 0 .4em 0}
table.mg-table{border-collapse:collapse;font-size:.9em;margin-bottom:1em}
table.mg-table th,table.mg-table td{padding:.25em .6em;border-bottom:1px solid #ddd;text-align:right}
table.mg-table th{text-align:left;vertical-align:bottom}
.mg-warning{background:#fff4e0;border-left:4px solid #e69f00;padding:.5em .8em;margin:.8em 0}
.mg-scroll{overflow-x:auto;max-width:100%}
.mg-scroll:focus{outline:2px solid #1f4e79;outline-offset:2px}
table.mg-table td.mg-wrap{min-width:10em;max-width:24em;white-space:normal;overflow-wrap:anywhere}
</style>"""


def _missing(v: object) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):  # lists and arrays are not missing values
        return False


def _show(obj_html: str, mg: dict | None = None) -> None:
    """Display ``obj_html``; ``mg``: what the output is, for the document builders (:mod:`helpers.report.documents`),
    recorded as the output's metadata ``{"mg": mg}`` (the HTML page shows the HTML and ignores it)."""
    try:
        from IPython.display import HTML, display
    except ImportError:  # pragma: no cover - IPython always present in the environment
        print(obj_html)
        return
    display(HTML(obj_html), metadata={"mg": mg} if mg else None)


def tight_png(fig: plt.Figure, dpi: int = 110, pad_inches: float = 0.1) -> bytes:
    """The PNG that ``fig.savefig(format="png", dpi=dpi, bbox_inches="tight")`` writes, drawn once.

    ``bbox_inches="tight"`` lays the figure out twice (a dry run to find the bounding box, then the drawing);
    here the figure is drawn once at its own size and the bounding box of what was drawn is cut out, with
    ``pad_inches`` of the figure's background around it (about a fifth less time a figure). When something
    lies outside the figure (a legend placed beyond the axes), the drawing would have clipped it, and
    ``savefig`` draws the box found once more (two drawings, as ``bbox_inches="tight"`` makes).

    >>> fig, ax = plt.subplots(figsize=(3, 2)); _ = ax.plot([0, 1], [0, 1])
    >>> png = tight_png(fig); plt.close(fig)
    >>> png[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
    True
    """
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    if fig.dpi != dpi:
        fig.set_dpi(dpi)
    # the figure's own Agg canvas keeps the renderer its layout (tight_layout) measured the texts with
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()
    box = fig.get_tightbbox(canvas.get_renderer())
    width, height = fig.get_size_inches()
    if box.x0 < 0 or box.y0 < 0 or box.x1 > width or box.y1 > height:
        # the layout is done (the draw above ran it): savefig draws once more, into the box, without the dry
        # run it makes for a layout engine or for "tight"
        fig.set_layout_engine(None)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi, bbox_inches=box.padded(pad_inches))
        return buf.getvalue()
    drawn = np.asarray(canvas.buffer_rgba())
    # savefig's pixel size: the padded box's size in pixels, truncated; its corner rounded to a pixel
    x0, y0 = round((box.x0 - pad_inches) * dpi), round((height - box.y1 - pad_inches) * dpi)
    x1, y1 = x0 + int((box.width + 2 * pad_inches) * dpi), y0 + int((box.height + 2 * pad_inches) * dpi)
    background = np.array([round(255 * c) for c in fig.get_facecolor()], dtype=np.uint8)
    out = np.empty((y1 - y0, x1 - x0, 4), dtype=np.uint8)
    out[...] = background
    top, left = max(y0, 0), max(x0, 0)
    bottom, right = min(y1, drawn.shape[0]), min(x1, drawn.shape[1])
    out[top - y0:bottom - y0, left - x0:right - x0] = drawn[top:bottom, left:right]
    if (out[..., 3] == 255).all():  # opaque: RGB, and zlib level 3 (a tenth smaller and faster than level 6)
        out = np.ascontiguousarray(out[..., :3])
    buf = io.BytesIO()
    Image.fromarray(out).save(buf, format="png", compress_level=3)
    return buf.getvalue()


_SVG_ID = re.compile(r'\bid="([^"]+)"')


def figure_svg(fig: plt.Figure, prefix: str = "mg-f-", alt: str = "") -> str:
    """``fig`` as an SVG element to write inline in an HTML page: text kept as text (``svg.fonttype: none``),
    no XML prolog or metadata, its ids prefixed with ``prefix`` (several figures share one page) and its
    style sheet confined to itself; ``alt`` labels it for screen readers, which still read its words
    (``role="group"``, not an image). The size is the figure's own (``figure.dpi`` 96: CSS px); a
    ``max-width:100%`` lets a narrow screen shrink it.

    >>> fig, ax = plt.subplots(figsize=(3, 2)); _ = ax.set_title("Ёлка & tree")
    >>> svg = figure_svg(fig, "f1-", "a tree"); plt.close(fig)
    >>> svg.startswith("<svg") and "Ёлка &amp; tree</text>" in svg and 'aria-label="a tree"' in svg
    True
    >>> "<?xml" in svg or 'id="f1-' not in svg
    False
    """
    buf = io.BytesIO()
    with plt.rc_context({"svg.fonttype": "none", "svg.hashsalt": "mystery-guest"}):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    svg = buf.getvalue().decode("utf-8")
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)
    ids = set(_SVG_ID.findall(svg))
    svg = _SVG_ID.sub(lambda m: f'id="{prefix}{m.group(1)}"', svg)
    svg = re.sub(r"(url\(#|href=\"#)([^)\"]+)",
                 lambda m: m.group(1) + (prefix + m.group(2) if m.group(2) in ids else m.group(2)), svg)
    cls = prefix.rstrip("-")
    svg = svg.replace("*{", f".{cls} *{{", 1)  # matplotlib's "*{stroke-linejoin: round}" would style the page
    return svg.replace("<svg ", f'<svg class="mg-svg {cls}" role="group" aria-label="{_html.escape(alt)}" '
                       'style="max-width:100%;height:auto" ', 1)


def header(column: object, lang: str) -> object:
    """A table header in reviewer words (catalogue ``headers.<code>``, then ``values.<code>``); other
    snake_case codes lose their underscores.

    >>> header("percent_agreement", "ru"), header("raw_ci_low", "en"), header("share_at_top", "en")
    ('процент совпадений', 'raw mean, 95% CI from', 'share at top')
    """
    if not isinstance(column, str):
        return column
    from helpers.narrative.catalogue import header_label

    found = header_label(column, lang)
    if found is not None:
        return found
    label = translate(column, lang)
    return label.replace("_", " ") if isinstance(label, str) else label


def translate(word: object, lang: str) -> object:
    """A shared column name or cell value in reviewer words (catalogue ``values.<word>``); anything else unchanged.

    >>> translate("recipients", "ru"), translate("home_care", "en"), translate(3, "ru"), translate("W01", "ru")
    ('получатели', 'home care', 3, 'W01')
    """
    if not isinstance(word, str) or "." in word:
        return word
    from helpers.narrative.catalogue import label

    return label("values", word, lang)


AUDIENCES = ("public", "internal")
MIN_CELL = 5  # public reports suppress any cell resting on fewer recipients than this


@dataclass
class Report:
    """Numbers and captions the tables and figures of one notebook, and applies the audience's privacy rules.

    ``audience="public"`` (default): social workers and interviewers appear only as stable codes, cells
    resting on fewer than :data:`MIN_CELL` recipients are suppressed and marked, free-text comments are
    left out. ``audience="internal"`` (management): workers' names are shown beside their codes.
    Recipients' names and phones never reach a report in any audience (they are dropped at ingestion).
    """

    lang: str = "en"
    audience: str = "public"
    worker_names: dict[str, str] | None = None
    n_tables: int = 0
    n_figures: int = 0
    float_format: str = "{:.2f}"

    def __post_init__(self) -> None:
        if self.audience not in AUDIENCES:
            raise ValueError(f"audience must be one of {AUDIENCES}, not {self.audience!r}")

    def number(self, value: float, fmt: str | int = "{:.1f}") -> str:
        """A number in the report's language (:mod:`helpers.narrative.fmt`): decimal comma and no-break-space
        thousands in Russian. ``fmt`` is a format such as ``"{:.1f}"``, ``"{:.0%}"``, ``"{:,d}"`` or a number
        of decimals.

        >>> Report(lang="ru").number(93.75, "{:.1f}"), Report().number(93.75, "{:.1f}"), Report(lang="ru").number(1234.5, 2)
        ('93,8', '93.8', '1\xa0234,50')
        >>> Report(lang="ru").number(0.125, "{:.1%}"), Report(lang="ru").number(float("nan"))
        ('12,5%', '—')
        """
        from helpers.narrative import fmt as _fmt

        if isinstance(fmt, int):
            return _fmt.number(value, self.lang, fmt)
        return _fmt.spec(value, _spec(fmt), self.lang)

    def percent(self, share: float, digits: int = 0) -> str:
        """A share (0-1) as a percentage in the report's language (``12,5%``)."""
        from helpers.narrative import fmt as _fmt

        return _fmt.percent(share, self.lang, digits)

    def integer(self, value: float) -> str:
        """A count with the locale's thousands separator (``1 288`` in Russian)."""
        from helpers.narrative import fmt as _fmt

        return _fmt.integer(value, self.lang)

    @property
    def public(self) -> bool:
        return self.audience == "public"

    def worker(self, worker_id: str) -> str:
        """Label of a social worker: the code in public reports, code and name in internal ones.

        >>> Report(audience="internal", worker_names={"W01": "Orlova O."}).worker("W01")
        'W01 Orlova O.'
        >>> Report(worker_names={"W01": "Orlova O."}).worker("W01")
        'W01'
        """
        if self.public or not self.worker_names:
            return str(worker_id)
        name = self.worker_names.get(worker_id)
        return f"{worker_id} {name}" if name else str(worker_id)

    def suppress(self, df: pd.DataFrame, n_col: str = "n_recipients", columns: list[str] | None = None) -> pd.DataFrame:
        """Public audience: blank out ``columns`` of every row resting on fewer than :data:`MIN_CELL` recipients.

        ``n_col`` counts the **recipients** (people) behind a row - ``n_recipients`` in the worker tables,
        ``recipients``, ``respondents`` or ``users`` elsewhere - never interviews: in the paired years a
        recipient is interviewed twice, so a worker seen through 6 interviews of 3 recipients is a cell of 3.
        ``columns`` default: every numeric column but ``n_col`` and ``year``. A missing count is taken as 0
        (suppressed). A public table without ``n_col`` is an error, not a table shown unsuppressed.

        >>> t = pd.DataFrame({"worker_id": ["W1", "W2", "W3"], "n": [6, 9, 10], "n_recipients": [3, 4, 5],
        ...                   "mean": [90.0, 85.0, 80.0]})
        >>> Report().suppress(t)["mean"].tolist()
        ['n<5', 'n<5', 80.0]
        >>> Report(audience="internal").suppress(t)["mean"].tolist()
        [90.0, 85.0, 80.0]
        """
        if not self.public:
            return df
        if n_col not in df:
            raise ValueError(f"cannot suppress small cells: no recipient count {n_col!r} among {list(df.columns)}")
        cols = columns or [c for c in df.columns if c not in (n_col, "year") and pd.api.types.is_numeric_dtype(df[c])]
        small = self.small(df, n_col)
        out = df.copy()
        for c in cols:
            out[c] = out[c].astype(object).where(~small, SUPPRESSED)
        return out

    def suppress_units(self, df: pd.DataFrame, unit_col: str = "worker_id", by: tuple[str, ...] = ("year",),
                       person_col: str = "recipient_pid") -> pd.DataFrame:
        """Public audience: replace the unit's code by ``n<5`` on every row of a unit-level table (one row per
        interview) whose unit, within ``by``, rests on fewer than :data:`MIN_CELL` distinct ``person_col``.

        A per-interview table lists the scores behind every cell: without this, the mean that
        :meth:`suppress` blanks for a worker seen through 3 recipients could be recomputed from the rows that
        carry the worker's code. The rows stay (rows out = rows in); only the code goes.

        >>> t = pd.DataFrame({"worker_id": ["W1"] * 3 + ["W2"] * 5, "year": 2021,
        ...                   "recipient_pid": ["a", "b", "b", "c", "d", "e", "f", "g"], "score": range(8)})
        >>> Report().suppress_units(t)["worker_id"].tolist()
        ['n<5', 'n<5', 'n<5', 'W2', 'W2', 'W2', 'W2', 'W2']
        >>> Report(audience="internal").suppress_units(t)["worker_id"].tolist()[:3]
        ['W1', 'W1', 'W1']
        """
        if not self.public:
            return df
        missing = [c for c in (unit_col, person_col, *by) if c not in df]
        if missing:
            raise ValueError(f"cannot suppress small units: no column {missing} among {list(df.columns)}")
        people = df.groupby([*by, unit_col], dropna=False)[person_col].transform("nunique")
        out = df.copy()
        out[unit_col] = out[unit_col].astype(object).where(people.ge(MIN_CELL), SUPPRESSED)
        return out

    def small(self, df: pd.DataFrame, n_col: str = "n_recipients") -> pd.Series:
        """Rows a public report must not show: fewer than :data:`MIN_CELL` recipients in ``n_col`` (a missing
        count counts as 0); no row for the internal audience.

        >>> t = pd.DataFrame({"n_recipients": [4, 5, None]})
        >>> Report().small(t).tolist(), Report(audience="internal").small(t).tolist()
        ([True, False, True], [False, False, False])
        """
        if not self.public:
            return pd.Series(False, index=df.index)
        if n_col not in df:
            raise ValueError(f"cannot suppress small cells: no recipient count {n_col!r} among {list(df.columns)}")
        return pd.to_numeric(df[n_col], errors="coerce").fillna(0).lt(MIN_CELL)

    def drawable(self, df: pd.DataFrame, n_col: str = "n_recipients") -> pd.DataFrame:
        """The rows a figure may draw: without the small cells of :meth:`small` in a public report.

        >>> t = pd.DataFrame({"worker_id": ["W1", "W2"], "n_recipients": [3, 9]})
        >>> Report().drawable(t)["worker_id"].tolist(), Report(audience="internal").drawable(t)["worker_id"].tolist()
        (['W2'], ['W1', 'W2'])
        """
        return df[~self.small(df, n_col)]

    def table_html(self, df: pd.DataFrame, caption: str, index: bool = False, floats: str | None = None) -> str:
        self.n_tables += 1
        fmt = floats or self.float_format
        if index:
            df = df.reset_index()
        df = df.rename(columns=str)
        yes_no = (self.say("report.answer_yes"), self.say("report.answer_no"))
        # yes / no for every truth value, also in a column where suppression left the mark beside them
        df = df.assign(**{c: _cells(df[c], lambda v: v if _missing(v) or not isinstance(v, bool | np.bool_)
                                    else yes_no[0] if v else yes_no[1])
                          for c in df.columns if pd.api.types.is_bool_dtype(df[c])
                          or {bool, np.bool_} & set(df[c].dropna().map(type).unique())})
        obj = [c for c in df.columns if df[c].dtype == object or pd.api.types.is_string_dtype(df[c])]
        df = df.assign(**{c: _cells(df[c], lambda v: translate(v, self.lang)) for c in obj})
        df = whole_counts(df)
        counts = [pd.api.types.is_integer_dtype(df[c]) and not _year_like(c, df[c]) for c in df.columns]
        # whole numbers among the text of a mixed column (a count beside shares in a long table) are counts too
        mixed = [not is_count and df[c].dtype == object and not _year_name(c)
                 for c, is_count in zip(df.columns, counts, strict=True)]
        labels = [header(c, self.lang) for c in df.columns]
        seen: dict[object, int] = {}
        heads = []
        for lab in labels:  # two codes with one label stay apart: "raw mean", "raw mean (2)"
            seen[lab] = seen.get(lab, 0) + 1
            heads.append(f"{lab} ({seen[lab]})" if seen[lab] > 1 else lab)
        df.columns = heads
        # text columns are those before counts become text (a count is right-aligned like any number)
        text_cols = [c for c, is_count in zip(df.columns, counts, strict=True)
                     if not is_count and not pd.api.types.is_numeric_dtype(df[c]) and not _numbers(df[c])]
        for col, is_count, is_mixed in zip(heads, counts, mixed, strict=True):
            if is_count:
                df[col] = df[col].map(lambda v: v if _missing(v) else self.integer(v))
            elif is_mixed:
                df[col] = _cells(df[col], lambda v: self.integer(v) if isinstance(v, int | np.integer)
                                      and not isinstance(v, bool | np.bool_) else v)
        long_text = [c for c in text_cols if df[c].astype(str).str.len().max() > 30]
        def shown(v: object) -> object:
            return "—" if _missing(v) else self.number(v, fmt) if isinstance(v, float) else v

        # the cells as shown, for the documents (Report.table records them as the output's metadata)
        self._table_record = {"kind": "table", "number": self.n_tables, "caption": caption,
                              "columns": [str(h) for h in heads],
                              "rows": [[str(shown(v)) for v in row] for row in df.itertuples(index=False)]}
        styler = (df.style.hide(axis="index")
                  .format(shown, escape="html")
                  .set_table_attributes('class="mg-table"')
                  .set_properties(subset=text_cols, **{"text-align": "left"})
                  .set_td_classes(pd.DataFrame("", index=df.index, columns=df.columns)
                                  .assign(**{c: "mg-wrap" for c in long_text})))
        # a table wider than the page scrolls inside its own region, which a keyboard can reach and a screen
        # reader names by the table's caption (WCAG 2.1.1, axe "scrollable-region-focusable"; the number stays in
        # the visible caption only, so that a page's text numbers each table once)
        body = (f"<div class='mg-scroll' role='region' tabindex='0' aria-label='{_html.escape(caption, quote=True)}'>"
                f"{styler.to_html()}</div>")
        return (f"{CSS}<div class='mg-caption'>{self.say('report.table')} {self.n_tables}. "
                f"{_html.escape(caption)}</div>{body}")

    def table(self, df: pd.DataFrame, caption: str, index: bool = False, floats: str | None = None) -> None:
        """Show ``df`` as a numbered, captioned HTML table.

        The output's metadata ``{"mg": {"kind": "table", "number", "caption", "columns", "rows"}}`` holds the
        header and the cells as shown (text), from which the documents build real tables.
        """
        page = self.table_html(df, caption, index=index, floats=floats)
        _show(page, self._table_record)

    def figure(self, fig: plt.Figure, caption: str, alt: str | None = None) -> None:
        """Show ``fig`` as an inline SVG with real text and a numbered caption, then close it.

        One display bundle (the contract with the documents builder): ``text/html`` is
        ``<figure>`` + the SVG (:func:`figure_svg`, text kept as text, drawn at the page's content width so
        nothing is scaled) + ``<figcaption>``; ``image/png`` is the same figure drawn at 2x (192 dpi) for
        documents. Output metadata ``{"mg": {"kind": "figure", "number", "caption", "alt", "source",
        "legibility"}}``: ``alt`` (default the caption) is the figure's text alternative, ``source`` the
        figure function that drew it and ``legibility`` what a reader could not read
        (:func:`helpers.figures.style.legibility_problems`; tests/test_figure_legibility.py holds it empty).
        """
        from helpers.figures.style import HOUSE, PX_PER_INCH, legibility_problems, source

        self.n_figures += 1
        alt = alt or caption
        found: dict[str, list[str]] = {}

        def check(event) -> None:  # at the end of the SVG's drawing, with its renderer: no drawing of its own
            found.setdefault("problems", legibility_problems(fig, renderer=event.renderer))

        with plt.rc_context(HOUSE):
            hook = fig.canvas.mpl_connect("draw_event", check)
            try:
                svg = figure_svg(fig, f"mg-f{self.n_figures}-", alt)
            finally:
                fig.canvas.mpl_disconnect(hook)
            fig.set_layout_engine("none")  # the layout the SVG was drawn with, kept for the PNG (not computed again)
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=2 * PX_PER_INCH)
        problems = found.get("problems", ["the figure was not drawn"])
        plt.close(fig)
        html = (f"<figure class='mg-figure' style='margin:1em 0'>{svg}<figcaption class='mg-caption'>{self.say('report.figure')} "
                f"{self.n_figures}. {_html.escape(caption)}</figcaption></figure>")
        meta = {"mg": {"kind": "figure", "number": self.n_figures, "caption": caption, "alt": alt,
                       "source": source(fig), "legibility": problems}}
        bundle = {"text/html": html, "image/png": base64.b64encode(buf.getvalue()).decode("ascii")}
        try:
            from IPython.display import display
        except ImportError:  # pragma: no cover - IPython always present in the environment
            print(html)
            return
        display(bundle, raw=True, metadata=meta)

    def warning(self, text: str) -> None:
        """Show a highlighted warning paragraph (ceiling, low reliability, small n)."""
        _show(f"{CSS}<div class='mg-warning'>{_html.escape(text)}</div>", {"kind": "warning", "text": text})

    def text(self, text: str) -> None:
        """Show a computed sentence as a paragraph."""
        _show(f"<p>{_html.escape(text)}</p>", {"kind": "paragraph", "text": text})

    def say(self, key: str, **values) -> str:
        """The catalogue message ``key`` in the report's language (:func:`helpers.narrative.catalogue.text`)."""
        from helpers.narrative.catalogue import text

        return text(key, self.lang, **values)

    def heading(self, key: str, level: int = 2, **values) -> None:
        """Show a section heading from the catalogue (``level`` 1 is the report's title).

        The heading is HTML with an ``id`` (a slug of its words), so the table of contents links to it.
        """
        words = self.say(key, **values)
        _show(f'<h{level} id="{_slug(words)}">{_html.escape(words)}</h{level}>',
              {"kind": "heading", "level": level, "text": words})

    def paragraph(self, key: str, **values) -> None:
        """Show a catalogue message as Markdown (intro paragraphs, lists, emphasis)."""
        words = self.say(key, **values)
        try:
            from IPython.display import Markdown, display
        except ImportError:  # pragma: no cover - IPython always present in the environment
            print(words)
            return
        display(Markdown(words), metadata={"mg": {"kind": "paragraph", "text": words, "markdown": True}})

    def methods(self, keys: list[str]) -> None:
        """Show the methods appendix: one paragraph and reference per statistic used in the report."""

        from helpers.narrative.methods import methods_html, methods_items

        page = methods_html(keys, self.lang)
        if self.lang != "en":  # a bibliographic reference is cited in its original language, and marked so
            page = re.sub(r"<i>([^<]*\(\d{4}\)[^<]*)</i>", r'<i lang="en">\1</i>', page)
        title, items = methods_items(keys, self.lang)
        _show(page, {"kind": "methods", "title": title, "items": items})


def _numbers(values: pd.Series) -> bool:
    """An object column of numbers and suppression marks (a public table's estimates): right-aligned as numbers.

    >>> _numbers(pd.Series([98.6, SUPPRESSED, None], dtype=object)), _numbers(pd.Series(["above", 1.0]))
    (True, False)
    """
    v = [x for x in values if not _missing(x) and x != SUPPRESSED]
    return bool(v) and all(isinstance(x, int | float | np.integer | np.floating) and not isinstance(x, bool)
                           for x in v)


def _cells(values: pd.Series, f) -> pd.Series:
    """``f`` of every cell, as an object column: ``Series.map`` infers a dtype, and a count 47 beside a share
    93.5 would come back as ``47.0``.

    >>> _cells(pd.Series([47, 93.5], dtype=object), lambda v: v).tolist()
    [47, 93.5]
    """
    return pd.Series([f(v) for v in values], index=values.index, dtype=object)


def _spec(template: str) -> str:
    """The format spec of a ``"{:.2f}"`` template (``".2f"``); a bare spec is returned as it is.

    >>> _spec("{:.2f}"), _spec("{:,d}"), _spec(".0%")
    ('.2f', ',d', '.0%')
    """
    if template.startswith("{") and template.endswith("}"):
        return template[1:-1].split(":", 1)[1] if ":" in template else ""
    return template


def _year_name(column: object) -> bool:
    """A column named as years, ranks or periods (its whole numbers are labels, not counts).

    >>> _year_name("year"), _year_name("год"), _year_name("rank_low"), _year_name("n")
    (True, True, True, False)
    """
    name = str(column).lower()
    return name.startswith(("year", "rank", "год", "ранг", "место")) or name in {"quarter", "half", "квартал"}


def _year_like(column: object, values: pd.Series) -> bool:
    """Years and other labels written as integers are not counts: no thousands separator for them."""
    name = str(column).lower()
    if name.startswith(("year", "rank")) or name in {"quarter", "half"}:
        return True
    v = values.dropna()
    return bool(len(v)) and bool(v.between(1900, 2100).all()) and name in {"год", "годы"}


def _slug(words: str) -> str:
    """An HTML id from a heading's words (letters of any alphabet, digits and hyphens).

    >>> _slug("1. Показатели по организации: с весами и без")
    '1-показатели-по-организации-с-весами-и-без'
    """

    return re.sub(r"[^\w]+", "-", words.lower(), flags=re.U).strip("-")


def roster_names(roster: pd.DataFrame, year: int | None = None) -> dict[str, str]:
    """Worker id -> name from the workers roster of ``year`` (names can change between years).

    Without a year (pooled and multi-year reports) a worker whose name changed is shown with every
    name and its years, never silently with one year's name.

    >>> r = pd.DataFrame({"worker_id": ["W01", "W01", "W02"], "worker_name": ["Orlova O.", "Smirnova O.", "Ivanov I."],
    ...                   "year": [2020, 2021, 2021]})
    >>> roster_names(r, 2020)["W01"], roster_names(r, 2021)["W01"]
    ('Orlova O.', 'Smirnova O.')
    >>> roster_names(r)["W01"], roster_names(r)["W02"]
    ('Orlova O. (2020) / Smirnova O. (2021)', 'Ivanov I.')
    """
    if "year" not in roster:
        return dict(zip(roster["worker_id"], roster["worker_name"], strict=False))
    if year is not None:
        r = roster[roster["year"] == year]
        return dict(zip(r["worker_id"], r["worker_name"], strict=False))
    names = {}
    for wid, g in roster.sort_values("year", kind="stable").groupby("worker_id", sort=False):
        distinct = list(dict.fromkeys(g["worker_name"]))
        if len(distinct) == 1:
            names[wid] = distinct[0]
        else:
            names[wid] = " / ".join(f"{n} ({', '.join(str(y) for y in g.loc[g['worker_name'] == n, 'year'])})"
                                    for n in distinct)
    return names


def open_report(processed_dir: str, lang: str = "en", audience: str = "public", year: int | None = None) -> Report:
    """A :class:`Report` for a notebook; for the internal audience it loads workers' names from the roster.

    ``year``: the report's survey year, whose roster gives the names (``None`` for pooled and multi-year
    reports: a worker renamed between years shows every name with its years).
    """
    from pathlib import Path

    names = None
    if audience == "internal":
        roster = pd.read_parquet(Path(processed_dir) / "workers.parquet")
        names = roster_names(roster, year)
    return Report(lang=lang, audience=audience, worker_names=names)


def open_register_report(processed_dir: str, lang: str, audience: str, tables_dir: str, prefix: str,
                         worker_names: bool = False):
    """A register notebook's setup: ``(rep, show, data_section)``.

    ``rep`` is the notebook's one :class:`Report` (with ``worker_names`` and the internal audience, the workers'
    names from the Mystery Guest roster when it is there); ``show`` and ``data_section`` are its table writer
    (:func:`helpers.narrative.registers.table_writer`), saving tidy CSVs as ``<prefix>_<name>.csv`` in
    ``tables_dir`` (created when missing).
    """
    from pathlib import Path

    from helpers.narrative.registers import table_writer

    rep = Report(lang=lang, audience=audience)
    if worker_names and not rep.public and (Path(processed_dir) / "workers.parquet").exists():
        rep = open_report(processed_dir, lang, audience)
    tables = Path(tables_dir)
    tables.mkdir(parents=True, exist_ok=True)
    return (rep, *table_writer(rep, tables, prefix, lang))
