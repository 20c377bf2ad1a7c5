"""Tests written to kill surviving mutants of ``io/pii.py`` (docs/mutation/pii.md).

``_name_forms`` builds the first-name regex once, at import, before mutmut switches a mutant on: a scrub test
cannot see its mutants. Calling it directly does. The forms below are the Russian declension of each name, by
hand (nominative, genitive, dative, accusative, instrumental, prepositional); the non-forms are endings of the
other classes, which the regex of this class must not take.
"""

from __future__ import annotations

import re

import pytest

from helpers.io.pii import _name_forms, scrub

#: name -> (its case forms, words that are no form of it)
DECLENSION = {
    # -ия: Мари-я, -и, -и, -ю, -ей, -и
    "Мария": ({"Мария", "Марии", "Марию", "Марией"}, {"Мариа", "Мариу", "Мариой", "Мариы", "Марияа", "Мари"}),
    # -ья: Наталь-я, -и, -е, -ю, -ей, -е; Илья: Иль-я, -и, -е, -ю, -ёй (-ей), -е
    "Наталья": ({"Наталья", "Натальи", "Наталье", "Наталью", "Натальей"}, {"Натальа", "Натальу", "Натальой"}),
    "Илья": ({"Илья", "Ильи", "Илье", "Илью", "Ильёй", "Ильей"}, {"Ильа", "Ильу", "Ильой", "Ильяом"}),
    # -а after a velar: Ольг-а, -и, -е, -у, -ой (-ою), -е
    "Ольга": ({"Ольга", "Ольги", "Ольге", "Ольгу", "Ольгой", "Ольгою"}, {"Ольгаом", "Ольгом", "Ольгем", "Ольгь"}),
    # -а after a hushing consonant: Саш-а, -и, -е, -у, -ей (-ею), -е
    "Саша": ({"Саша", "Саши", "Саше", "Сашу", "Сашей", "Сашею"}, {"Сашаом", "Сашом", "Сашем", "Сашь"}),
    # -я: Ан-я, -и, -е, -ю, -ей, -е
    "Аня": ({"Аня", "Ани", "Ане", "Аню", "Аней"}, {"Аняом", "Аном", "Анем", "Ань"}),
    # -й: Серге-й, -я, -ю, -я, -ем, -е
    "Сергей": ({"Сергей", "Сергея", "Сергею", "Сергеем", "Сергее"}, {"Сергейа", "Сергеа", "Сергеу", "Сергеом"}),
    # -ь: Игор-ь, -я, -ю, -я, -ем, -е
    "Игорь": ({"Игорь", "Игоря", "Игорю", "Игорем", "Игоре"}, {"Игорьа", "Игора", "Игору", "Игором"}),
    # a consonant: Иван, -а, -у, -а, -ом, -е
    "Иван": ({"Иван", "Ивана", "Ивану", "Иваном", "Иване"}, {"Ива", "Иванем", "Иванй", "Иваня", "Иванью"}),
    # a fleeting vowel: Павел, Павл-а, -у, -а, -ом, -е; Пётр, Петр-а, -у, -а, -ом, -е
    "Павел": ({"Павел", "Павла", "Павлу", "Павлом", "Павле"}, {"Павл", "Павем", "Павелу"}),
    "Пётр": ({"Пётр", "Петра", "Петру", "Петром", "Петре"}, {"Петр", "Пётра", "Пётрем"}),
    "Петр": ({"Петр", "Петра", "Петру", "Петром", "Петре"}, {"Петрем", "Петря"}),
}


@pytest.mark.parametrize("name", sorted(DECLENSION))
def test_pii_name_forms_take_the_case_forms_of_each_ending_class(name):
    """The regex of ``_name_forms(name)`` matches every case form of the name (by hand, from Russian
    declension) and none of the endings of the other classes: a name put in the wrong class (its ending
    tested in another case, or its stem cut one letter short) or an ending list mangled fails here."""
    forms, others = DECLENSION[name]
    pattern = re.compile(_name_forms(name))
    assert {w for w in forms if not pattern.fullmatch(w)} == set()
    assert {w for w in others if pattern.fullmatch(w)} == set()


@pytest.mark.parametrize("text", ["Приходил Павлом", "Спасибо Петру", "Поговорила с Ильёй"])
def test_pii_fleeting_vowel_and_yo_forms_are_scrubbed(text):
    """Павла, Петру, Ильёй were left in comments: the first-name regex took Павела and Пётру (no such words)
    and no -ёй ending."""
    word = text.split()[-1]
    assert scrub(text, kinds=("name",))[0] == text.replace(word, "[ФИО]")


def test_pii_own_key_of_an_address_without_a_street_or_a_house_is_none():
    """The centre's own address is recognised by (street stem, house number); an address written without a
    street name or without a house number has no key (and does not stop the scan with an error)."""
    from helpers.io.pii import _own_key

    assert _own_key("д. 12, кв. 7") is None
    assert _own_key("ул. Советская") is None
    assert _own_key("улица Советская 12, 2 этаж") == ("советс", "12")
    text = "Живёт: ул. Лесная, д. 3, кв. 5"
    assert scrub(text, own=("ул. Советская", "д. 12"))[0] == "Живёт: [адрес]"


def test_pii_counts_every_span_of_a_kind_in_one_text():
    """Two phones and two names in one comment count 2 each (a count of cells with a phone would be 1)."""
    text, counts = scrub("Звонила Ольга, потом Мария, тел. +7 912 345-67-89 или 8 (4842) 56-78-90")
    assert text == "Звонила [ФИО], потом [ФИО], тел. [телефон] или [телефон]"
    assert (counts["phone"], counts["name"]) == (2, 2)


@pytest.mark.parametrize("text", ["ул Кирова перекрыта", "пл Ленина перекрыта"])
def test_pii_a_surname_after_a_place_word_at_the_start_is_a_street(text):
    """A surname-shaped word right after a place word (ул Кирова, пл Ленина) is a street, also when the place
    word is the first word of the comment (its first letter must be seen)."""
    assert scrub(text, kinds=("name",))[0] == text


def test_pii_scrub_series_keeps_the_centres_own_address():
    """``own`` reaches :func:`scrub` through :func:`scrub_series` (the ingestion's path): the centre's own
    address stays as typed, a home address is scrubbed."""
    import pandas as pd

    from helpers.io.pii import scrub_series

    out, counts = scrub_series(pd.Series(["Была в центре, ул. Советская, д. 12", "Живёт: ул. Лесная, д. 3, кв. 5"]),
                               own=("ул. Советская, д. 12",))
    assert out.tolist() == ["Была в центре, ул. Советская, д. 12", "Живёт: [адрес]"]
    assert counts["address"] == 1


def test_pii_arrow_text_combines_the_chunks_into_one_array():
    """A column read in blocks (an Arrow-backed string column of two chunks) comes back as ONE Arrow array, so a
    kernel (RE2) runs once over it, with its values and missing cells unchanged (pyarrow's own chunked array
    flattened is the reference)."""
    import pandas as pd
    import pyarrow as pa

    from helpers.io.pii import arrow_text

    blocks = pa.chunked_array([["Иван", None], ["тел. 8 912 345 67 89"], ["x"]])
    out = arrow_text(pd.Series(pd.arrays.ArrowStringArray(blocks)))
    assert isinstance(out, pa.Array) and not isinstance(out, pa.ChunkedArray)
    assert out.to_pylist() == blocks.to_pylist() == ["Иван", None, "тел. 8 912 345 67 89", "x"]
    assert out.null_count == 1
