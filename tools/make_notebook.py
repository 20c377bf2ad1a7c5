"""Build a notebook from a compact text spec: cells separated by lines '# %% [markdown]' / '# %%'.

Usage: python tools/make_notebook.py notebooks/overview.py notebooks/overview.ipynb
Words after the marker become cell tags: '# %% parameters' tags the papermill parameters cell,
'# %% [markdown] lang-ru' marks a Russian markdown cell (the HTML renderer keeps one language).
Outputs are never stored.
"""

import sys
from pathlib import Path

import nbformat


def build(spec: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    kind, tags, buf = None, [], []

    def flush():
        text = "\n".join(buf).strip("\n")
        if kind is None or not text:
            return
        if kind == "markdown":
            cell = nbformat.v4.new_markdown_cell(text)
            if tags:
                cell.metadata["tags"] = list(tags)
            nb.cells.append(cell)
        else:
            cell = nbformat.v4.new_code_cell(text)
            if tags:
                cell.metadata["tags"] = list(tags)
            nb.cells.append(cell)

    for line in spec.splitlines():
        if line.startswith("# %%"):
            flush()
            buf = []
            rest = line[4:].strip()
            kind = "markdown" if rest.startswith("[markdown]") else "code"
            words = rest.replace("[markdown]", "").split()
            tags = words  # e.g. "parameters", "lang-en", "lang-ru"
            continue
        if kind == "markdown":
            line = line[2:] if line.startswith("# ") else line.lstrip("#")
        buf.append(line)
    flush()
    for i, c in enumerate(nb.cells):
        c["id"] = f"cell-{i:02d}"
    return nb


if __name__ == "__main__":
    src, dst = sys.argv[1], sys.argv[2]
    nbformat.write(build(Path(src).read_text(encoding="utf-8")), dst)
