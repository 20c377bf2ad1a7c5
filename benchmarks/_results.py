"""Write one benchmark's section into benchmarks/RESULTS.md (sections delimited by HTML comments)."""

from __future__ import annotations

import os
import platform
import re
from datetime import datetime
from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def write_section(name: str, title: str, body: str) -> None:
    """Replace (or append) the section ``name`` of RESULTS.md with ``body`` under ``title``."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n\n"
    stamp = datetime.now().strftime("%Y-%m-%d %H:%M")
    block = f"<!-- {name} -->\n## {title}\n\nMeasured {stamp} on {machine()}.\n\n{body.strip()}\n<!-- /{name} -->"
    pattern = re.compile(rf"<!-- {re.escape(name)} -->.*?<!-- /{re.escape(name)} -->", re.S)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip() + "\n\n" + block + "\n"
    RESULTS.write_text(text, encoding="utf-8")


def table(rows: list[dict]) -> str:
    cols = list(rows[0])
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(str(r[c]) for c in cols) + " |" for r in rows]
    return "\n".join(lines)
