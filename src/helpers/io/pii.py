"""Personal data in free text: phones, e-mails, personal names (Cyrillic and Latin), SNILS, passport,
INN and OMS policy numbers, home addresses, dates and years of birth.

Ingestion runs :func:`scrub` over every free-text cell (``comment`` and any other text it keeps) and
over every value it would quote in a quarantine reason, *before* anything is written. Each span found
is replaced by a typed placeholder (:data:`PLACEHOLDERS`: ``[телефон]``, ``[e-mail]``, ``[ФИО]``,
``[СНИЛС]``, ``[паспорт]``, ``[ИНН]``, ``[полис]``, ``[адрес]``, ``[дата рождения]``); the number of spans
of each kind (:data:`COUNTED`) is counted per file in the ingest log (``pii_<kind>``) and said in words by
:func:`helpers.narrative.privacy.counts_words` ("1 phone, 2 addresses"). All of these are
personal data under Federal Law 152-FZ.

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
* **e-mail** addresses ``name@host.tld``;
* **names in Latin letters** (counted as names): ``Ivanova Anna Petrovna``, ``Anna Petrovna`` (a
  transliterated patronymic ending), ``Ivanova A.P.``, ``A. P. Ivanova``, ``Ivanova Anna`` (a surname
  ending -ova/-eva/-ina/-ov/-ev/-in/-sky/-skaya/-ko/-uk);
* **SNILS** ``112-233-445 95`` (the 11 digits in their printed groups) or after the word СНИЛС;
* **passport** ``4510 123456``, ``45 10 № 123456``, after the word паспорт or серия;
* **INN** 10 or 12 digits after the word ИНН; **OMS policy** digits after полис / ОМС, and any
  16 digits written in groups of four (a policy or a bank card);
* **home addresses**: a street word (ул., улица, пр-т, пер., ш., б-р, наб., мкр., пл., ...) with a
  name and a house number (``ул. Садовая, д. 14, кв. 7``, ``улица Ленина 5-12``), ``д. 14, кв. 7``,
  ``кв. 7``; a street named without a house number (``на улице Ленина``) is left as typed;
* **birth**: ``1938 г.р.``, ``1938 года рождения``, ``12.03.1938 г.р.``, ``дата рождения 12.03.1938``,
  ``д.р. 12.03.1938``, ``родилась 12 марта 1938``; dates of visits are left as typed.

Examples
--------
>>> text, counts = scrub("Звоните: +7 (912) 345-67-89, пишите ivanova@mail.ru")
>>> text, {k: n for k, n in counts.items() if n}
('Звоните: [телефон], пишите [e-mail]', {'phone': 1, 'email': 1})
>>> scrub("СНИЛС 112-233-445 95, паспорт 4510 123456, ул. Садовая, д. 14, кв. 7, 1938 г.р.")[0]
'[СНИЛС], [паспорт], [адрес], [дата рождения]'
>>> scrub("Ivanova Anna Petrovna помогла")[0]
'[ФИО] помогла'
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
import pyarrow as pa
import pyarrow.compute as pc

PLACEHOLDERS = {"phone": "[телефон]", "email": "[e-mail]", "name": "[ФИО]", "snils": "[СНИЛС]",
                "passport": "[паспорт]", "inn": "[ИНН]", "oms": "[полис]", "address": "[адрес]",
                "birth": "[дата рождения]"}
#: the kinds counted (keys of :func:`scrub`'s counts, ``pii_<kind>`` columns of the ingest log)
COUNTED = tuple(PLACEHOLDERS)
#: what free text is scanned for (the default of :func:`scrub` and :func:`scrub_series`); ``latin_name`` is
#: counted as ``name``
FREE_TEXT_KINDS = ("phone", "email", "name", "latin_name", "snils", "passport", "inn", "oms", "address", "birth")
#: what an id column is scanned for (``mobile``: the phones an id cannot be; counted as phones)
ID_KINDS = ("email", "name", "latin_name", "mobile")

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


#: first names whose vowel drops in the other cases (Павел -> Павла, Пётр -> Петра)
_FLEETING = {"Павел": "Павл", "Пётр": "Петр"}


def _name_forms(name: str) -> str:
    """Regex for a first name in its usual case forms (Мария -> Мари[яиюейе]..., Илья -> Ильёй, Павел -> Павлом)."""
    if name.endswith(("ия", "ья")):
        return re.escape(name[:-1]) + r"(?:я|и|ю|ей|ёй|е)"
    if name.endswith(("а", "я")):
        return re.escape(name[:-1]) + r"(?:а|я|ы|и|е|у|ю|ой|ей|ою|ею)"
    if name.endswith(("й", "ь")):
        return re.escape(name[:-1]) + r"(?:й|ь|я|ю|ем|ём|е)"
    if name in _FLEETING:
        return "(?:" + re.escape(name) + "|" + re.escape(_FLEETING[name]) + r"(?:а|у|ом|е))"
    return re.escape(name) + r"(?:а|у|ом|е|ы)?"


_CAP = r"[А-ЯЁ][а-яё]+(?:-[А-ЯЁ][а-яё]+)?"
# patronymics in every case: -ович/-евич/-ич (+а/у/ем/е), -овна/-евна/-ична (+а/ы/е/у/ой)
_PATRONYMIC = r"[А-ЯЁ][а-яё]+(?:(?:ович|евич|ич)(?:а|у|ем|е)?|(?:овн|евн|ичн|иничн)(?:а|ы|е|у|ой))(?![а-яё])"
_INIT = r"[А-ЯЁ]\.\s?(?:[А-ЯЁ]\.)?"
_FIRST_RE = "(?:" + "|".join(sorted((_name_forms(n) for n in FIRST_NAMES), key=len, reverse=True)) + ")"
# surnames in -ов/-ев/-ин/-ын, -ский/-ская and -енко, in every case (Петрова, Петровой, Петрову, Петровым)
_SURNAME_END = r"(?:(?:ов|ев|ёв|ин|ын)(?:а|у|ой|ым|ом|ы|ых|е)?|ск(?:ий|ая|ой|ую|ого|ому|им)|енко)"
_SURNAME = rf"[А-ЯЁ][а-яё]{{2,}}{_SURNAME_END}(?![а-яё])"

NAME_PATTERN = re.compile(
    "|".join([
        rf"(?:{_CAP}\s+)?{_CAP}\s+{_PATRONYMIC}(?:\s+{_CAP})?",  # (Фамилия) Имя Отчество (Фамилия)
        rf"{_CAP}\s+{_INIT}(?![А-ЯЁа-яё])",                  # Иванова А.П.
        rf"{_INIT}\s?{_CAP}",                                # А.П. Иванова
        rf"{_FIRST_RE}(?:\s+{_CAP})?(?![а-яё])",             # Мария (Иванова)
        rf"{_CAP}{_SURNAME_END}\s+{_FIRST_RE}(?![а-яё])",    # Иванова Мария, Кузнецовой Марине
        rf"{_CAP}(?:ко|ук|юк)\s+{_FIRST_RE}(?![а-яё])",      # Шевченко Оксана
    ])
)
#: a surname standing alone inside a sentence ("соцработник Морозова", "работой Лебедевой"): taken unless
#: a street or place word comes before it (ул. Кирова, проспекте Ленина, им. Пушкина) or a house number
#: after it (на Советской, 12); at the start of a sentence it is not taken (Магазин, Ленина 12-45)
SURNAME_PATTERN = re.compile(rf"(?<=[а-яёa-z0-9,:;)(»-] ){_SURNAME}(?!,?\s*\d)(?!\s+(?:обл|кра[йя]|р-н|район|ул\.|улиц))")
_PLACE_BEFORE = re.compile(
    r"(?i:(?:ул|улиц[а-я]*|пр|просп[а-я]*|пр-к?т|пл|площад[а-я]*|пер|переул[а-я]*|б-р|бульвар[а-я]*|наб[а-я]*"
    r"|ш|шоссе|мкр|микрорайон[а-я]*|им|имени|г|город[а-я]*|проезд[а-я]*|д|дер|деревн[а-я]*|с|сел[а-я]*|пос"
    r"|пос[её]л[а-я]*|станци[а-я]*|обл|област[а-я]*|район[а-я]*|р-н|в|во|из)\.?)\s$"
)
PHONE_PATTERN = re.compile(
    r"(?:(?<![\w+])|(?=\+7))(?:"  # not inside a word, except +7 glued to a word ("тел+7 …", "W+7 …")
    r"(?:\+7|8|7)[\s.\-]*\(?\d{3}\)?(?:[\s.\-()]*\d){7}"                       # +7 (912) 345-67-89, any grouping
    r"|(?:\+7|8|7)[\s\-]*\(?\d{4,5}\)?[\s\-]*\d{1,3}[\s\-]*\d{2}[\s\-]*\d{2}"  # 8 (4842) 56-78-90
    r"|\d{1,3}-\d{2}-\d{2}"                                                    # 2-34-56, 234-56-78
    r"|\d{10,}"                                                                # 89123456789
    r")(?!\w)"
)
EMAIL_PATTERN = re.compile(r"[\w.+-]+\s?(?:@|\((?:at|собака)\)|\[(?:at|собака)\])\s?[\w-]+(?:\.[\w-]+)+")
MOBILE_PATTERN = re.compile(
    r"(?:\+7[\s\-]*\(?\d{3,5}\)?[\s\-]*\d{1,3}[\s\-]*\d{2}[\s\-]*\d{2}"                 # +7 ..., also W+7 ...
    r"|(?<![\w+])[78]?[\s\-]*\(\d{3,5}\)[\s\-]*\d{1,3}[\s\-]*\d{2}[\s\-]*\d{2}"              # (912) 345-67-89
    r"|(?<![\w+])[78][\s\-]*9\d{2}[\s\-]*\d{3}[\s\-]*\d{2}[\s\-]*\d{2}"              # 8 912 345 67 89
    r")(?!\w)"
)

_LCAP = r"[A-Z][a-z]+(?:-[A-Z][a-z]+)?"
_LSURNAME = r"[A-Z][a-z]+(?:ova|eva|ina|yna|ov|ev|in|yn|sky|skiy|skii|skaya|ko|uk|yuk)"
_LINIT = r"[A-Z]\.\s?(?:[A-Z]\.)?"
LATIN_NAME_PATTERN = re.compile(
    "|".join([
        rf"(?:{_LCAP}\s+)?{_LCAP}\s+[A-Z][a-z]+(?:ovich|evich|ich|ovna|evna|ichna|inichna)\b(?:\s+{_LCAP})?",
        rf"{_LSURNAME}\s+{_LINIT}(?![A-Za-z])",                 # Ivanova A.P.
        rf"{_LINIT}\s?{_LSURNAME}\b",                            # A.P. Ivanova
        rf"{_LSURNAME}\s+{_LCAP}\b",                             # Ivanova Anna
        rf"{_LCAP}\s+{_LSURNAME}\b",                             # Anna Ivanova
        r"\b[A-Z][a-z]+(?:ova|eva|yna|skaya)\b",                 # Ivanova (a female surname alone)
    ])
)
_NUM_KEY = r"[\s:№#.=-]*"
_WORD = r"(?:\s+[а-яё]+)?"  # one word between a keyword and its number ("ИНН сына 7711...")
SNILS_PATTERN = re.compile(
    rf"(?i:снилс[а-я]*){_NUM_KEY}\d{{3}}[\s-]?\d{{3}}[\s-]?\d{{3}}[\s-]?\d{{2}}(?!\d)"
    r"|(?<![\d-])\d{3}-\d{3}-\d{3}[\s-]\d{2}(?![\d-])"
)
INN_PATTERN = re.compile(
    rf"(?i:инн|налогоплательщика){_WORD}{_NUM_KEY}\d(?:[\s-]?\d){{9}}(?:(?:[\s-]?\d){{2}})?(?![\d])"
)
OMS_PATTERN = re.compile(
    rf"(?i:полис[а-я]*)(?:\s+(?i:омс|[а-яё]+)){{0,2}}{_NUM_KEY}(?:(?i:серия)\s*\d+\s*)?(?:(?i:номер)\s*)?"
    rf"\d[\d\s-]{{7,22}}\d(?!\d)"
    rf"|(?i:омс){_NUM_KEY}\d[\d\s-]{{8,22}}\d(?!\d)"
    r"|(?<![\d-])\d{4}[\s-]\d{4}[\s-]\d{4}[\s-]\d{4}(?![\d-])"
)
PASSPORT_PATTERN = re.compile(
    rf"(?i:паспорт[а-я]*|пасп\.?|серия){_WORD}{_NUM_KEY}(?:(?i:серия)\s*)?"
    r"(?:\d{2}\s?\d{2}[\s,-]*(?:(?i:номер|№|n)\s*)?)?\d{6}(?!\d)"
    r"|(?<![\d-])\d{2}\s?\d{2}\s(?:№\s?)?\d{6}(?!\d)"
    r"|(?<![\d-])\d{4}\s?№\s?\d{6}(?!\d)"
)
_MONTHS = r"(?:январ|феврал|март|апрел|ма[йя]|июн|июл|август|сентябр|октябр|ноябр|декабр)[а-я]*"
_YEAR = r"(?:19|20)\d{2}"
BIRTH_PATTERN = re.compile(
    rf"(?<!\d)(?:\d{{1,2}}[./]\d{{1,2}}[./])?{_YEAR}\s*(?:г\.?\s?р\.?(?![а-яё])|(?:года?|г\.)\s+рожд(?:ения|\.))"
    r"|(?i:дата\s+рожд(?:ения|\.)|год\s+рождения|д\.\s?р\.|д/р|др|г\.\s?р\.|дата\s+р\.|родил(?:ся|ась)|рожд[её]н[а]?"
    r"|рожд\.)[\s:-]*(?:"
    rf"\d{{1,2}}[./-]\d{{1,2}}[./-](?:19|20)?\d{{2}}(?!\d)"
    rf"|{_YEAR}-\d{{2}}-\d{{2}}"
    rf"|\d{{1,2}}\s+{_MONTHS}\s+{_YEAR}(?:\s*г(?:ода|\.)?)?"
    rf"|(?:в\s+)?{_YEAR}(?:\s*г(?:оду|\.)?)?)"
)
_STREET = (r"(?<![А-Яа-яЁё])(?i:ул\.|улиц[аеуы]|пр-т|пр-кт|пр\.|просп\.|проспект[а-я]*|пер\.|переул[а-я]+|ш\.|шоссе"
           r"|б-р|бульвар[а-я]*|наб\.|набережн[а-я]+|мкр\.?|микрорайон[а-я]*|пл\.|площад[а-я]+|проезд[а-я]*|тупик"
           r"|аллея|д\.|дер\.|деревн[а-я]+|с\.|сел[оа]|пос\.|пос[её]л[а-я]+)")
_HOUSE = r"\d+(?:[а-яА-Я](?![а-яА-Я]))?(?:[/-]\d+)?"
_FLAT = r"(?:\s*,?\s*(?:кв(?:артира|\.)?)\s*\d+)?"
_BUILDING = r"(?:\s*[,/]?\s*(?:корп(?:ус|\.)?|к\.|стр(?:оение|\.)?)\s*\d+)?"
_STREET_HOUSE = (rf"{_STREET}\s*[А-ЯЁ0-9][А-Яа-яЁё0-9-]*(?:\s+(?:[А-ЯЁ][а-яё-]+|лет|им\.|имени)){{0,3}}"
                 rf"\s*(?i:ул\.|улица)?,?\s*(?:д(?:ом|\.)\s*)?{_HOUSE}{_BUILDING}{_FLAT}")
ADDRESS_PATTERN = re.compile(
    rf"(?i:по\s+адресу|адрес[а-я]*(?:\s+[а-я]+)?)\s*:?\s*(?:(?:г\.\s*[А-ЯЁ][а-яё-]+,?\s*)?{_STREET_HOUSE}"
    rf"|[^\n;()]{{0,60}}?(?<![\d/-]){_HOUSE}(?![\d.:])(?:\s*,?\s*(?:д(?:ом|\.)\s*)?{_HOUSE})?{_BUILDING}{_FLAT})"
    rf"|(?:в\s+)?дом[еау]?\s*№?\s*\d+[а-я]?\s+по\s+{_STREET}\s*[А-ЯЁ][\w-]*{_FLAT}"
    rf"|{_STREET_HOUSE}"
    rf"|(?<![А-Яа-яЁё])(?:д\.|дом)\s*{_HOUSE},?\s*(?:кв\.?|квартира)\s*\d+"
    rf"|(?<![А-Яа-яЁё])(?:кв\.?|квартира)\s*\d+"
    rf"|(?<=на )[А-ЯЁ][а-яё]+(?:ой|ей|ом)\s+{_HOUSE}{_FLAT}"                   # живёт на Московской 45
    rf"|(?<![\w.-])[А-ЯЁ][а-яё]{{2,}},?\s+\d{{1,3}}[а-я]?-\d{{1,4}}(?![\d.-])"  # Ленина 12-45 (house-flat)
)
#: scan order: numbers behind a keyword first (a phone pattern would take their digits), names last
_SCANS = (("email", EMAIL_PATTERN, "email"), ("snils", SNILS_PATTERN, "snils"), ("inn", INN_PATTERN, "inn"),
          ("oms", OMS_PATTERN, "oms"), ("passport", PASSPORT_PATTERN, "passport"), ("birth", BIRTH_PATTERN, "birth"),
          ("address", ADDRESS_PATTERN, "address"), ("phone", PHONE_PATTERN, "phone"),
          ("mobile", MOBILE_PATTERN, "phone"), ("latin_name", LATIN_NAME_PATTERN, "name"),
          ("name", NAME_PATTERN, "name"), ("name", SURNAME_PATTERN, "name"))


def _own_key(text: str) -> tuple[str, str] | None:
    """(street stem, house number) of an address, to recognise the centre's own address however typed.

    >>> _own_key("ул. Советская, д. 12"), _own_key("улица Советская 12, 2 этаж")
    (('советс', '12'), ('советс', '12'))
    """
    street = re.search(r"(?<!\w)(?!(?i:ул|улиц|пр|пер|пл|наб|ш|мкр|дом|кв)[а-я]*\b)([А-ЯЁ][а-яё]{3,})", text)
    house = re.search(r"\d+", text[street.end():]) if street else None
    return (street.group(1)[:6].lower(), house.group(0)) if house else None


def scrub(text: str, kinds: tuple[str, ...] = FREE_TEXT_KINDS, own: tuple[str, ...] = ()) -> tuple[str, dict[str, int]]:
    """Replace personal data in ``text`` by placeholders; return (text, counts).

    ``kinds``: any of :data:`FREE_TEXT_KINDS` and ``mobile`` (the narrower phone scan of id columns,
    :data:`ID_KINDS`); ``counts`` has the keys :data:`COUNTED`. ``own``: the centre's own addresses
    (``privacy.own_addresses`` of the codebook): an address with the same street and house is kept as typed.

    >>> scrub("2021-00017", ID_KINDS)[0], scrub("89123456789", ID_KINDS)[0], scrub("+7 4842 22-33-44", ID_KINDS)[0]
    ('2021-00017', '[телефон]', '[телефон]')
    >>> scrub("Была в центре, ул. Советская, д. 12", own=("ул. Советская, д. 12",))[0]
    'Была в центре, ул. Советская, д. 12'
    """
    counts = dict.fromkeys(COUNTED, 0)
    keep = {_own_key(a) for a in own} - {None}
    for kind, pattern, counted in _SCANS:
        if kind not in kinds:
            continue
        found = 0

        def replace(m: re.Match, kind=kind, counted=counted, pattern=pattern) -> str:
            nonlocal found
            if kind == "address" and keep and _own_key(m.group(0)) in keep:
                return m.group(0)
            if pattern is SURNAME_PATTERN and _PLACE_BEFORE.search(m.string[max(0, m.start() - 20):m.start()]):
                return m.group(0)
            found += 1
            return PLACEHOLDERS[counted]

        text = pattern.sub(replace, text)
        counts[counted] += found
    return text, counts


#: cheap necessary conditions of the full patterns, matched vectorised (RE2, :func:`pyarrow.compute.match_substring_regex`:
#: one pass in C++ over a million distinct ids costs a quarter of a second, Python's ``re`` per value ten
#: times that): a capital Cyrillic letter for a name, two capitalised Latin words or a Latin initial for a
#: Latin name, ``@`` for an e-mail, six or more digits and separators for a phone, ``+7``, a bracketed code
#: or ``8 9xx ...`` for a phone in an id, digits for the numbers, an address or a birth. Written in RE2's
#: Unicode classes (``\p{Nd}`` digits, ``\p{Z}`` spaces such as the no-break space) so that each is implied
#: by Python's ``\d`` and ``\s`` of the full pattern
_D, _S, _S2 = r"\p{Nd}", r"[\s\p{Z}]", r"[\s\p{Z}-]*"
_PREFILTER = {"name": "[А-ЯЁ]", "latin_name": "[A-Z][a-z]", "email": r"@|\((?:at|собака)\)|\[(?:at|собака)\]",
              "phone": rf"{_D}[\p{{Nd}}\s\p{{Z}}().-]{{4,}}{_D}",
              "mobile": rf"\+7|\({_D}{{3,5}}\)|[78]{_S2}9{_D}{{2}}{_S2}{_D}{{3}}{_S2}{_D}{{2}}{_S2}{_D}{{2}}",
              "snils": rf"{_D}{{3}}", "inn": rf"{_D}{{3}}", "oms": rf"{_D}{{3}}", "passport": rf"{_D}{{2}}",
              "address": _D, "birth": rf"{_D}{{2}}"}


def arrow_text(values: pd.Series) -> pa.Array:
    """A text column as one Arrow array: its chunks combined, so that a kernel runs once, not once per chunk (RE2
    compiles its pattern for every chunk: 0.4 s on the 758 blocks of a 1M-row file).

    >>> arrow_text(pd.Series(["a", None], dtype="string")).to_pylist()
    ['a', None]
    """
    arr = pa.array(values.astype("string").array)
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def scrub_series(values: pd.Series, kinds: tuple[str, ...] = FREE_TEXT_KINDS, own: tuple[str, ...] = ()
                 ) -> tuple[pd.Series, dict[str, int]]:
    """:func:`scrub` once per distinct value of a text column; counts are per cell (spans found).

    A vectorised pre-filter (RE2 over the whole column, :data:`_PREFILTER`) picks the cells that may hold
    personal data; only their distinct values go through the Python patterns, so a column of a million
    distinct ids with none is neither factorised nor scanned value by value.

    >>> out, n = scrub_series(pd.Series(["2021-00017", "тел. 8 912 345 67 89", None, "тел. 8 912 345 67 89"]))
    >>> out.tolist(), n["phone"]
    (['2021-00017', 'тел. [телефон]', '', 'тел. [телефон]'], 2)
    """
    text = values.astype("string").fillna("")
    pattern = "|".join(dict.fromkeys(_PREFILTER[k] for k in kinds))
    candidate = pc.match_substring_regex(arrow_text(text), pattern).to_numpy(zero_copy_only=False).astype(bool)
    out, totals = text, np.zeros(len(COUNTED), dtype=np.int64)
    if candidate.any():
        picked = np.flatnonzero(candidate)
        codes, uniques = pd.factorize(text.iloc[picked], use_na_sentinel=False)
        cleaned = np.asarray(uniques, dtype=object).copy()
        per_unique = np.zeros((len(cleaned), len(COUNTED)), dtype=np.int64)
        for k, value in enumerate(cleaned):
            t, c = scrub(str(value), kinds, own)
            cleaned[k] = t
            per_unique[k] = [c[kind] for kind in COUNTED]
        totals = per_unique[codes].sum(axis=0)
        changed = np.flatnonzero(per_unique.any(axis=1))
        if len(changed):  # only the cells whose value changed are written (usually few)
            hit = np.isin(codes, changed)
            values_out = text.to_numpy(dtype=object)
            values_out[picked[hit]] = cleaned[codes[hit]]
            out = pd.Series(values_out, index=values.index, dtype="string")
    return out, {kind: int(n) for kind, n in zip(COUNTED, totals, strict=True)}


def quote(value: object, limit: int = 40) -> str:
    """A cell value fit to quote in a message or quarantine reason: scrubbed and shortened.

    >>> quote("Петров Иван Сергеевич"), quote("x" * 50)
    ("'[ФИО]'", "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…'")
    """
    text = scrub(str(value))[0]
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return f"'{text}'"
