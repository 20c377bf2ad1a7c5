"""The repository stands alone: its documents exist, are linked from the README and match the code."""

from __future__ import annotations

import re
from pathlib import Path

from helpers.narrative.methods import METHODS
from helpers.narrative.methods_doc import DOC, methods_markdown

ROOT = Path(__file__).resolve().parents[1]


def test_methods_doc_is_generated_from_the_code():
    assert DOC.read_text(encoding="utf-8") == methods_markdown(), "run `python -m helpers docs`"
    assert all(f"## `{k}`" in methods_markdown() for k in METHODS)


def test_readme_links_resolve_inside_the_repository():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "shared/" not in readme
    links = re.findall(r"\]\(([^)#]+)\)", readme)
    assert {"docs/domain.md", "docs/methods.md", "data/raw/README.md"} <= set(links)
    assert all((ROOT / link).exists() for link in links if "://" not in link), links
