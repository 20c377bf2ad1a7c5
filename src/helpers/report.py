"""Display helpers for notebooks: numbered tables and figures with captions, and a report footer.

Every notebook creates one :class:`Report` and shows its tables and figures through it, so that
captions are numbered ("Table 3.", "Figure 2.") and every figure is embedded as a PNG.

Examples
--------
>>> rep = Report(lang="en")
>>> html = rep.table_html(pd.DataFrame({"n": [35]}), "Recipients interviewed")
>>> "Table 1." in html and "Recipients interviewed" in html
True
"""

from __future__ import annotations

import base64
import html as _html
import io
from dataclasses import dataclass

import matplotlib.pyplot as plt
import pandas as pd

WORDS = {
    "en": {"table": "Table", "figure": "Figure", "n": "n"},
    "ru": {"table": "Таблица", "figure": "Рисунок", "n": "n"},
}

CSS = """<style>
.mg-caption{font-weight:600;margin:1.2em 0 .4em 0}
table.mg-table{border-collapse:collapse;font-size:.9em;margin-bottom:1em}
table.mg-table th,table.mg-table td{padding:.25em .6em;border-bottom:1px solid #ddd;text-align:right}
table.mg-table th:first-child,table.mg-table td:first-child{text-align:left}
.mg-warning{background:#fff4e0;border-left:4px solid #e69f00;padding:.5em .8em;margin:.8em 0}
</style>"""


def _show(obj_html: str) -> None:
    try:
        from IPython.display import HTML, display
    except ImportError:  # pragma: no cover - IPython always present in the environment
        print(obj_html)
        return
    display(HTML(obj_html))


@dataclass
class Report:
    """Numbers and captions the tables and figures of one notebook."""

    lang: str = "en"
    n_tables: int = 0
    n_figures: int = 0
    float_format: str = "{:.2f}"

    def __post_init__(self) -> None:
        self.words = WORDS.get(self.lang, WORDS["en"])

    def table_html(self, df: pd.DataFrame, caption: str, index: bool = False, floats: str | None = None) -> str:
        self.n_tables += 1
        fmt = floats or self.float_format
        body = df.to_html(index=index, classes="mg-table", border=0, na_rep="—",
                          float_format=lambda v: fmt.format(v), escape=True)
        return (f"{CSS}<div class='mg-caption'>{self.words['table']} {self.n_tables}. "
                f"{_html.escape(caption)}</div>{body}")

    def table(self, df: pd.DataFrame, caption: str, index: bool = False, floats: str | None = None) -> None:
        """Show ``df`` as a numbered, captioned HTML table."""
        _show(self.table_html(df, caption, index=index, floats=floats))

    def figure(self, fig: plt.Figure, caption: str) -> None:
        """Show ``fig`` as an embedded PNG with a numbered caption, then close it."""
        self.n_figures += 1
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
        plt.close(fig)
        data = base64.b64encode(buf.getvalue()).decode("ascii")
        _show(f"<figure><img src='data:image/png;base64,{data}' alt='{_html.escape(caption)}' "
              f"style='max-width:100%'><figcaption class='mg-caption'>{self.words['figure']} {self.n_figures}. "
              f"{_html.escape(caption)}</figcaption></figure>")

    def warning(self, text: str) -> None:
        """Show a highlighted warning paragraph (ceiling, low reliability, small n)."""
        _show(f"{CSS}<div class='mg-warning'>{_html.escape(text)}</div>")

    def text(self, text: str) -> None:
        """Show a computed sentence as a paragraph."""
        _show(f"<p>{_html.escape(text)}</p>")
