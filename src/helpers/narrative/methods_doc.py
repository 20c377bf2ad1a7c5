"""``docs/methods.md``: every statistic of the reports, in English and Russian, with its reference.

Generated from :data:`helpers.narrative.methods.METHODS` (the same text the reports' methods appendices show), so the
document and the reports cannot drift apart; ``python -m helpers docs`` rewrites it and a test checks it.
"""

from __future__ import annotations

from pathlib import Path

from helpers.narrative.methods import METHODS

DOC = Path(__file__).resolve().parents[3] / "docs" / "methods.md"


def methods_markdown() -> str:
    """The methods document as Markdown: one section per statistic, English, Russian and the reference."""
    parts = ["# Methods and references / Методы и источники\n",
             "Generated from `helpers.narrative.methods` by `python -m helpers docs`; every report's methods appendix shows "
             "the entries it used.\n"]
    for key, m in METHODS.items():
        parts.append(f"## `{key}`\n\n{m['en']}\n\n{m['ru']}\n\n*{m['ref']}*\n")
    return "\n".join(parts)


def write_methods_doc(path: Path = DOC) -> Path:
    """Write :func:`methods_markdown` to ``path`` (default ``docs/methods.md``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(methods_markdown(), encoding="utf-8")
    return path
