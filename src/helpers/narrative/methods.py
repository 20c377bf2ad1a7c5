"""Methods appendix: what each statistic in the reports is, and where it comes from.

Every report ends with :func:`methods_html` for the statistics it used, so that a reviewer can trace
each number to a published method.

>>> "Cronbach" in methods_html(["cronbach_alpha"], "en")
True
"""

from __future__ import annotations

import html


def _entries() -> dict[str, dict[str, str]]:
    """``{key: {"en": text, "ru": text, "ref": reference}}`` from the catalogue (``messages/<lang>/methods.yaml``)."""
    from helpers.narrative.catalogue import messages

    out: dict[str, dict[str, str]] = {}
    for lang in ("en", "ru"):
        for key, value in messages(lang).items():
            parts = key.split(".")
            if parts[:2] == ["methods", "entries"] and len(parts) == 4:
                entry = out.setdefault(parts[2], {})
                if parts[3] == "text":
                    entry[lang] = value
                elif lang == "en":
                    entry["ref"] = value
                else:
                    entry["ref_ru"] = value
    return out


def __getattr__(name: str):
    """``METHODS``: every entry, ``METHODS[key]["en" | "ru" | "ref" | "ref_ru"]``, read from the catalogue on
    first use (PEP 562), so that importing this module reads no file."""
    if name == "METHODS":
        value = globals()["METHODS"] = _entries()
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def methods_items(keys: list[str], lang: str = "en") -> tuple[str, list[dict[str, str]]]:
    """The methods appendix as words: its title and, per statistic, ``{"text": description, "ref": reference}``.

    >>> title, items = methods_items(["cronbach_alpha"], "en")
    >>> title, "Cronbach" in items[0]["text"] + items[0]["ref"]
    ('Methods and references', True)
    """
    methods = globals().get("METHODS") or __getattr__("METHODS")
    unknown = [k for k in keys if k not in methods]
    if unknown:
        raise KeyError(f"no methods entry for {unknown}; add it to helpers.narrative.methods.METHODS")
    from helpers.narrative.catalogue import text

    return text("methods.title", lang), [{"text": methods[k][lang], "ref": methods[k]["ref_ru" if lang == "ru" else "ref"]}
                                         for k in keys]


def methods_html(keys: list[str], lang: str = "en") -> str:
    """The methods appendix as HTML: a heading and one item per statistic (description and reference)."""
    title, entries = methods_items(keys, lang)
    items = "".join(f"<li>{html.escape(e['text'])} <i>{html.escape(e['ref'])}</i></li>" for e in entries)
    return f'<h2 id="methods">{title}</h2><ol>{items}</ol>'
