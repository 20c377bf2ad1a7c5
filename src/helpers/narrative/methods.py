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


class _Methods(dict):
    """The entries, read from the catalogue on first use."""

    def _load(self) -> None:
        if not super().__len__():
            self.update(_entries())

    def __getitem__(self, key):
        self._load()
        return super().__getitem__(key)

    def __contains__(self, key):
        self._load()
        return super().__contains__(key)

    def __iter__(self):
        self._load()
        return super().__iter__()

    def __len__(self):
        self._load()
        return super().__len__()

    def items(self):
        self._load()
        return super().items()

    def keys(self):
        self._load()
        return super().keys()


#: every methods entry: ``METHODS[key]["en" | "ru" | "ref"]`` (wording in the catalogue, ``methods.yaml``)
METHODS: dict[str, dict[str, str]] = _Methods()


def methods_html(keys: list[str], lang: str = "en") -> str:
    """The methods appendix as HTML: a heading and one item per statistic (description and reference)."""
    unknown = [k for k in keys if k not in METHODS]
    if unknown:
        raise KeyError(f"no methods entry for {unknown}; add it to helpers.narrative.methods.METHODS")
    from helpers.narrative.catalogue import text

    title = text("methods.title", lang)
    refs = {k: METHODS[k]["ref_ru" if lang == "ru" else "ref"] for k in keys}
    items = "".join(f"<li>{html.escape(METHODS[k][lang])} <i>{html.escape(refs[k])}</i></li>" for k in keys)
    return f'<h2 id="methods">{title}</h2><ol>{items}</ol>'
