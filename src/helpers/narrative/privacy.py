"""Personal data replaced at ingestion, in plain words: "1 phone, 2 addresses" / «1 телефон, 2 адреса».

The kinds are those of :data:`helpers.io.pii.COUNTED`; the words are in the catalogue (``privacy.yaml``).

>>> counts_words({"phone": 1, "address": 2}, "ru"), counts_words({"name": 21, "birth": 5}, "ru")
('1 телефон, 2 адреса', '21 имя, 5 дат рождения')
>>> counts_words({"phone": 1, "email": 2}, "en"), counts_words({}, "en")
('1 phone, 2 e-mails', 'none')
"""

from __future__ import annotations

from helpers.io.pii import COUNTED
from helpers.narrative.catalogue import text

__all__ = ["counts_words", "log_in_words", "plural_form"]


def plural_form(n: int) -> str:
    """The plural form of a count: ``one``, ``few`` or ``many`` (the Russian rule; English uses one / many).

    Russian: n % 10 == 1 and n % 100 != 11 -> one; n % 10 in 2..4 and n % 100 not in 12..14 -> few; else many.

    >>> [plural_form(n) for n in (1, 2, 5, 11, 21, 22, 112, 0)]
    ['one', 'few', 'many', 'many', 'one', 'few', 'many', 'many']
    """
    if n % 10 == 1 and n % 100 != 11:
        return "one"
    return "few" if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14 else "many"


def counts_words(counts: dict[str, int], lang: str) -> str:
    """The kinds found (count > 0), in the order of :data:`~helpers.io.pii.COUNTED`, or the word for none."""
    parts = []
    for kind in COUNTED:
        n = int(counts.get(kind, 0))
        if n:
            form = plural_form(n) if lang == "ru" else ("one" if n == 1 else "many")
            parts.append(text(f"privacy.kinds.{kind}.{form}", lang, n=n))
    return ", ".join(parts) if parts else text("privacy.none", lang)


def log_in_words(log, lang: str):
    """An ingestion log as a page shows it: its ``pii_<kind>`` count columns replaced by one column
    ``personal_data_replaced`` that says them in words (:func:`counts_words`); the CSV keeps the counts.

    >>> import pandas as pd
    >>> log = pd.DataFrame({"file": ["a.csv"], "rows_read": [3], "pii_phone": [1], "pii_address": [2]})
    >>> log_in_words(log, "ru").to_dict("records")
    [{'file': 'a.csv', 'rows_read': 3, 'personal_data_replaced': '1 телефон, 2 адреса'}]
    """
    kinds = [c for c in log.columns if c.startswith("pii_")]
    if not kinds:
        return log
    words = [counts_words({c[4:]: row[c] for c in kinds}, lang) for _, row in log[kinds].iterrows()]
    return log.drop(columns=kinds).assign(personal_data_replaced=words)
