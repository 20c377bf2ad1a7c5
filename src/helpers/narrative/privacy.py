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

__all__ = ["counts_words", "plural_form"]


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
