"""Personal data in free text: phone numbers, e-mail addresses and Russian personal names.

Ingestion runs :func:`scrub` over every free-text cell (``comment`` and any other text it keeps) and
over every value it would quote in a quarantine reason, *before* anything is written. Each span found
is replaced by a typed placeholder: ``[телефон]``, ``[e-mail]``, ``[ФИО]``; the number of spans is
counted per file in the ingest log.

Why patterns and not a named-entity model
-----------------------------------------
``natasha`` (the well-kept Russian NER library) was measured on this machine: 0.9 s to import and load
its embeddings, about 100 MB more memory, and about 10 ms per short comment (3 s for 300 comments), that
is hours for the 1M-interview benchmark. Comments here are short and the names in them follow a few
forms, so documented patterns are used instead; they are deliberately greedy (a false positive costs
one word of a comment, a false negative costs a person's privacy):

* **full names** ``Фамилия Имя Отчество`` and ``Имя Отчество``: capitalised Cyrillic words where the
  last one ends with a patronymic ending (-ович/-евич/-ич, -овна/-евна/-ична/-инична);
* **initials** ``Иванова А.П.``, ``Иванова А. П.``, ``А.П. Иванова``, ``Иванова А.``;
* **first names from a list** (:data:`FIRST_NAMES`, common Russian first names and their diminutives,
  without words that are also common nouns such as Вера, Надежда, Любовь, Роза) standing alone or
  next to a capitalised word (the surname), in nominative and the usual case forms;
* **phones** in free text: Russian numbers ``+7 (912) 345-67-89``, ``8 912 345 67 89``, ``89123456789``,
  local numbers written with hyphens ``2-34-56``, ``234-56-78``, and any run of 10 or more digits;
* **phones in id columns** (kind ``"mobile"``, :data:`ID_KINDS`): ids are digit strings by nature, so only
  numbers that cannot be an id are taken - written with ``+7`` or a bracketed area code, or a Russian
  mobile number ``8 9xx``/``7 9xx`` (11 digits, separators allowed); ``2021-00017`` is an id, not a phone;
* **e-mail** addresses ``name@host.tld``.

Examples
--------
>>> scrub("Звоните: +7 (912) 345-67-89, пишите ivanova@mail.ru")
('Звоните: [телефон], пишите [e-mail]', {'phone': 1, 'email': 1, 'name': 0})
>>> scrub("Иванова Мария Петровна очень довольна, Петров А.П. тоже")[0]
'[ФИО] очень довольна, [ФИО] тоже'
>>> scrub("Спасибо Марии за помощь")[0]
'Спасибо [ФИО] за помощь'
>>> scrub("Всё хорошо, приходит 12.03.2020 в 10:00, 5 раз в неделю")[0]
'Всё хорошо, приходит 12.03.2020 в 10:00, 5 раз в неделю'
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

PLACEHOLDERS = {"phone": "[телефон]", "email": "[e-mail]", "name": "[ФИО]"}
#: what an id column is scanned for (``mobile``: the phones an id cannot be; counted as phones)
ID_KINDS = ("email", "name", "mobile")

_FIRST = (  # noqa: SIM905
    "Александр Алексей Анатолий Андрей Антон Аркадий Артём Артем Борис Вадим Валентин Валерий Василий "
    "Виктор Виталий Владимир Владислав Вячеслав Геннадий Георгий Григорий Денис Дмитрий Евгений Егор "
    "Иван Игорь Илья Кирилл Константин Леонид Максим Михаил Никита Николай Олег Павел Пётр Петр Роман "
    "Семён Семен Сергей Станислав Степан Фёдор Федор Юрий Ярослав Саша Миша Коля Петя Вася Дима Серёжа "
    "Александра Алла Анастасия Анна Антонина Валентина Валерия Варвара Галина Дарья Евгения Екатерина "
    "Елена Елизавета Жанна Зинаида Зоя Инна Ирина Клавдия Ксения Лариса Лидия Людмила Маргарита Марина "
    "Мария Нина Оксана Ольга Полина Раиса Светлана Софья София Тамара Татьяна Юлия Анастасия Нелли "
    "Таисия Тамара Фаина Эльвира Аня Галя Катя Лена Люда Маша Наташа Оля Таня Света Зина Клава Валя Наталья "
    "Наталия Евдокия Ефросинья Прасковья Пелагея Агафья Людочка Леночка"
).split()
#: common Russian first names (stems are derived for the case forms Марии, Ивану, Ольгой, ...)
FIRST_NAMES = tuple(dict.fromkeys(_FIRST))


def _name_forms(name: str) -> str:
    """Regex for a first name in its usual case forms (Мария -> Мари[яиюейе]...)."""
    if name.endswith(("ия", "ья")):
        return re.escape(name[:-1]) + r"(?:я|и|ю|ей|е)"
    if name.endswith(("а", "я")):
        return re.escape(name[:-1]) + r"(?:а|я|ы|и|е|у|ю|ой|ей|ою|ею)"
    if name.endswith(("й", "ь")):
        return re.escape(name[:-1]) + r"(?:й|ь|я|ю|ем|ём|е)"
    return re.escape(name) + r"(?:а|у|ом|е|ы)?"


_CAP = r"[А-ЯЁ][а-яё]+(?:-[А-ЯЁ][а-яё]+)?"
_PATRONYMIC = r"[А-ЯЁ][а-яё]+(?:ович|евич|ич|овна|евна|ична|инична)(?:а|у|ем|е|ы|ой|ей)?"
_INIT = r"[А-ЯЁ]\.\s?(?:[А-ЯЁ]\.)?"
_FIRST_RE = "(?:" + "|".join(sorted((_name_forms(n) for n in FIRST_NAMES), key=len, reverse=True)) + ")"

NAME_PATTERN = re.compile(
    "|".join([
        rf"(?:{_CAP}\s+)?{_CAP}\s+{_PATRONYMIC}(?:\s+{_CAP})?",  # (Фамилия) Имя Отчество (Фамилия)
        rf"{_CAP}\s+{_INIT}(?![А-ЯЁа-яё])",                  # Иванова А.П.
        rf"{_INIT}\s?{_CAP}",                                # А.П. Иванова
        rf"{_FIRST_RE}(?:\s+{_CAP})?(?![а-яё])",             # Мария (Иванова)
        rf"{_CAP}(?:ов|ев|ёв|ин|ын|ова|ева|ина|ына|ский|ская|ко|ук|юк)\s+{_FIRST_RE}(?![а-яё])",  # Иванова Мария
    ])
)
PHONE_PATTERN = re.compile(
    r"(?<![\w+])(?:"
    r"(?:\+7|8|7)[\s\-]*\(?\d{3,5}\)?[\s\-]*\d{1,3}[\s\-]*\d{2}[\s\-]*\d{2}"  # +7 (912) 345-67-89, 8 912 ...
    r"|\d{1,3}-\d{2}-\d{2}"                                                    # 2-34-56, 234-56-78
    r"|\d{10,}"                                                                # 89123456789
    r")(?!\w)"
)
EMAIL_PATTERN = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
MOBILE_PATTERN = re.compile(
    r"(?<![\w+])(?:"
    r"\+7[\s\-]*\(?\d{3,5}\)?[\s\-]*\d{1,3}[\s\-]*\d{2}[\s\-]*\d{2}"                # +7 ...
    r"|[78]?[\s\-]*\(\d{3,5}\)[\s\-]*\d{1,3}[\s\-]*\d{2}[\s\-]*\d{2}"              # (912) 345-67-89
    r"|[78][\s\-]*9\d{2}[\s\-]*\d{3}[\s\-]*\d{2}[\s\-]*\d{2}"                      # 8 912 345 67 89
    r")(?!\w)"
)


def scrub(text: str, kinds: tuple[str, ...] = ("phone", "email", "name")) -> tuple[str, dict[str, int]]:
    """Replace phones, e-mails and personal names in ``text`` by placeholders; return (text, counts).

    ``kinds``: any of ``phone``, ``email``, ``name`` and ``mobile`` (the narrower phone scan of id
    columns, :data:`ID_KINDS`); ``counts`` has the keys ``phone``, ``email``, ``name``.

    >>> scrub("2021-00017", ID_KINDS)[0], scrub("89123456789", ID_KINDS)[0], scrub("+7 4842 22-33-44", ID_KINDS)[0]
    ('2021-00017', '[телефон]', '[телефон]')
    """
    counts = {"phone": 0, "email": 0, "name": 0}
    for kind, pattern, counted in (("email", EMAIL_PATTERN, "email"), ("phone", PHONE_PATTERN, "phone"),
                                   ("mobile", MOBILE_PATTERN, "phone"), ("name", NAME_PATTERN, "name")):
        if kind in kinds:
            text, n = pattern.subn(PLACEHOLDERS[counted], text)
            counts[counted] += n
    return text, counts


#: cheap necessary conditions (run vectorised) before the full patterns: a capital Cyrillic letter
#: for a name, ``@`` for an e-mail, six or more digits and separators for a phone
_PREFILTER = {"name": "[А-ЯЁ]", "email": "@", "phone": r"\d[\d\s()-]{4,}\d", "mobile": r"\d[\d\s()-]{4,}\d"}


def scrub_series(values: pd.Series, kinds: tuple[str, ...] = ("phone", "email", "name")
                 ) -> tuple[pd.Series, dict[str, int]]:
    """:func:`scrub` once per distinct value of a text column; counts are per cell (spans found).

    Only the distinct values passing a vectorised pre-filter go through the Python patterns, so a
    column of a million distinct ids costs little.
    """
    codes, uniques = pd.factorize(values.astype("string").fillna(""), use_na_sentinel=False)
    uniq = pd.Series(np.asarray(uniques, dtype=object), dtype="string")
    candidate = uniq.str.contains("|".join(_PREFILTER[k] for k in kinds), regex=True).fillna(False).to_numpy(bool)
    cleaned = np.asarray(uniq.fillna(""), dtype=object)
    per_unique = np.zeros((len(uniq), 3), dtype=np.int64)
    for k in np.flatnonzero(candidate):
        t, c = scrub(str(cleaned[k]), kinds)
        cleaned[k] = t
        per_unique[k] = (c["phone"], c["email"], c["name"])
    totals = per_unique[codes].sum(axis=0) if len(codes) else np.zeros(3, dtype=np.int64)
    out = pd.Series(cleaned[codes] if len(codes) else [], index=values.index, dtype="string")
    return out, {"phone": int(totals[0]), "email": int(totals[1]), "name": int(totals[2])}


def quote(value: object, limit: int = 40) -> str:
    """A cell value fit to quote in a message or quarantine reason: scrubbed and shortened.

    >>> quote("Петров Иван Сергеевич"), quote("x" * 50)
    ("'[ФИО]'", "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…'")
    """
    text = scrub(str(value))[0]
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return f"'{text}'"
