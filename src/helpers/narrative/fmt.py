"""Numbers as a reader of the report's language writes them (CLDR rules through Babel).

Russian: decimal comma, no-break space between thousands (``1 234,5``), ``12,5%``; English: ``1,234.5``.
Every number a reviewer reads — in sentences, tables, axes — goes through this module, so a table and the
sentence below it never disagree on the decimal mark.

>>> number(1234.5, "ru"), number(1234.5, "en"), percent(0.125, "ru", 1), integer(288, "ru")
('1\\xa0234,5', '1,234.5', '12,5%', '288')
>>> interval(-6.1, -1.6, "ru"), interval(-6.1, -1.6, "en")
('от -6,1 до -1,6', '-6.1 to -1.6')
>>> p_value(0.0004, "ru"), p_value(0.0412, "en"), p_value(float("nan"), "ru")
('p < 0,001', 'p = 0.041', '—')
"""

from __future__ import annotations

import math
import re
import string

from babel.numbers import format_decimal, format_percent

__all__ = ["LANGS", "LocaleFormatter", "integer", "interval", "number", "p_value", "percent", "spec"]

LANGS = ("en", "ru")
DASH = "—"  # a value that does not exist (NaN): an em dash, as statistical yearbooks print it


def _locale(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, not {lang!r}")
    return lang


def _absent(x) -> bool:
    try:
        return x is None or (isinstance(x, float) and math.isnan(x)) or bool(x != x)
    except (TypeError, ValueError):
        return False


def number(x: float, lang: str, digits: int = 1) -> str:
    """``x`` with ``digits`` decimals and the locale's marks; NaN is an em dash."""
    if _absent(x):
        return DASH
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return format_decimal(float(x), format=pattern, locale=_locale(lang))


def integer(x: float, lang: str, grouping: bool = True) -> str:
    """A count with the locale's thousands separator (``grouping=False``: none, e.g. for years)."""
    if not grouping and not _absent(x):
        return format_decimal(float(x), format="0", locale=_locale(lang))
    return number(x, lang, 0)


def percent(share: float, lang: str, digits: int = 0) -> str:
    """A share (0-1) as a percentage: ``percent(0.125, 'en', 1) == '12.5%'``."""
    if _absent(share):
        return DASH
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "") + "%"
    return format_percent(float(share), format=pattern, locale=_locale(lang))


def interval(low: float, high: float, lang: str, digits: int = 1) -> str:
    """A confidence interval in words: ``от L до U`` / ``L to U`` (no dash: bounds may be negative)."""
    lo, hi = number(low, lang, digits), number(high, lang, digits)
    return f"от {lo} до {hi}" if lang == "ru" else f"{lo} to {hi}"


def p_value(p: float, lang: str, digits: int = 3) -> str:
    """``p = 0.041``, ``p < 0.001`` (APA style: below 10^-digits it is not printed exactly)."""
    if _absent(p):
        return DASH
    floor = 10.0 ** -digits
    if p < floor:
        return f"p < {number(floor, lang, digits)}"
    return f"p = {number(p, lang, digits)}"


_SPEC = re.compile(r"^(?P<comma>,)?(?:\.(?P<digits>\d+))?(?P<kind>[fd%]?)$")


def spec(value, format_spec: str, lang: str) -> str:
    """Format one value by a Python format spec (``.1f``, ``,d``, ``.0%``, ``d``) in the locale's marks.

    >>> spec(0.5, ".0%", "ru"), spec(1234, ",d", "ru"), spec(2.25, ".2f", "ru"), spec("x", "", "ru")
    ('50%', '1\\xa0234', '2,25', 'x')
    >>> spec(2018, "", "ru"), spec(2018, "d", "en"), spec(2018, ",d", "en")
    ('2018', '2018', '2,018')
    """
    if isinstance(value, bool) or not isinstance(value, int | float) and not hasattr(value, "__float__"):
        return format(value, format_spec)
    if isinstance(value, str):
        return format(value, format_spec)
    m = _SPEC.match(format_spec)
    if m is None:
        return format(value, format_spec)
    kind, digits = m["kind"], m["digits"]
    if kind == "%":
        return percent(value, lang, int(digits or 0))
    if kind == "d" or (kind == "" and digits is None and float(value).is_integer()):
        return integer(value, lang, grouping=bool(m["comma"]))  # as str.format: group only with ","
    return number(value, lang, int(digits) if digits is not None else 2)


class LocaleFormatter(string.Formatter):
    """``str.format`` whose numeric fields follow the locale (used by the message catalogue).

    >>> LocaleFormatter("ru").format("{n:,d} интервью, среднее {m:.1f}", n=1288, m=93.75)
    '1\\xa0288 интервью, среднее 93,8'
    """

    def __init__(self, lang: str):
        super().__init__()
        self.lang = _locale(lang)

    def format_field(self, value, format_spec):
        return spec(value, format_spec, self.lang)
