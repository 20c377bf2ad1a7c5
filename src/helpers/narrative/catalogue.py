"""The message catalogue: every word a reviewer reads, one YAML file per area and language.

Files: ``messages/<lang>/<area>.yaml`` beside this module (``en`` and ``ru``). A file is a mapping, nested
as deep as convenient; a message's key is ``<area>.<path>`` (``"report.table"``, ``"reliability.paradox.title"``).
Messages are ``str.format`` templates whose numbers follow the locale (:class:`helpers.narrative.fmt.LocaleFormatter`):
``{n:,d}`` is ``1 288`` in Russian and ``1,288`` in English, ``{share:.0%}`` is ``50%``.

Both languages hold the same keys with the same placeholders (a test checks it); a missing key is an error,
never a silent fall-back to English in a Russian report.

>>> text("common.interval_95", "ru", low=-6.1, high=-1.6)
'95% ДИ от -6,1 до -1,6'
>>> text("common.interval_95", "en", low=-6.1, high=-1.6)
'95% CI -6.1 to -1.6'
"""

from __future__ import annotations

import string
from functools import cache
from pathlib import Path

from helpers.io.yamlfile import load_yaml
from helpers.narrative.fmt import LANGS, LocaleFormatter

__all__ = ["MESSAGE_DIR", "has", "header_label", "keys", "label", "messages", "placeholders", "text"]

MESSAGE_DIR = Path(__file__).resolve().parent / "messages"


def _flatten(prefix: str, node, out: dict[str, str]) -> None:
    if isinstance(node, dict):
        for k, v in node.items():
            _flatten(f"{prefix}.{k}" if prefix else str(k), v, out)
    else:
        out[prefix] = node if isinstance(node, str | list) else str(node)


@cache
def messages(lang: str) -> dict[str, str]:
    """Every message of one language, by key (``area.path``)."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, not {lang!r}")
    out: dict[str, str] = {}
    for path in sorted((MESSAGE_DIR / lang).glob("*.yaml")):
        _flatten(path.stem, load_yaml(path.read_text(encoding="utf-8")) or {}, out)
    return out


def keys(lang: str) -> set[str]:
    return set(messages(lang))


def has(key: str, lang: str = "en") -> bool:
    return key in messages(lang)


def text(key: str, lang: str, **values) -> str:
    """The message ``key`` in ``lang`` with ``values`` filled in (numbers in the locale's marks)."""
    try:
        template = messages(lang)[key]
    except KeyError:
        raise KeyError(f"no message {key!r} in the {lang!r} catalogue ({MESSAGE_DIR / lang})") from None
    if isinstance(template, list):
        raise TypeError(f"message {key!r} is a list; use messages({lang!r})[{key!r}]")
    return LocaleFormatter(lang).format(template, **values) if values else template.replace("{{", "{").replace("}}", "}")


def label(area: str, code: object, lang: str) -> object:
    """The reviewer's word for a code in one area (``label('headers', 'ci_low', 'ru')``); unknown codes unchanged."""
    if not isinstance(code, str):
        return code
    return messages(lang).get(f"{area}.{code}", code)


def placeholders(template: str) -> set[str]:
    """Field names of a template (to check that both languages fill the same ones)."""
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


@cache
def _headers(lang: str) -> dict[str, str]:
    """Table headers: ``headers.<code>`` (shared) first, then any area's ``<area>.headers.<code>``."""
    out: dict[str, str] = {}
    shared: dict[str, str] = {}
    for key, value in messages(lang).items():
        parts = key.split(".")
        if len(parts) == 2 and parts[0] == "headers":
            shared[parts[1]] = value
        elif len(parts) == 3 and parts[1] == "headers":
            out.setdefault(parts[2], value)
    return out | shared


def header_label(column: str, lang: str) -> str | None:
    """A table column's header in reviewer words, from the catalogue (``None`` when it has none)."""
    return _headers(lang).get(column)
