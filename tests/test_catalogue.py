"""The message catalogue: both languages complete, same placeholders, Russian free of English words."""

from __future__ import annotations

import re

import pytest

from helpers.narrative import catalogue, fmt
from helpers.narrative.language import code_names, latin_words


def test_both_languages_hold_the_same_keys():
    en, ru = catalogue.keys("en"), catalogue.keys("ru")
    assert en, "the English catalogue is empty"
    assert sorted(en - ru) == [], "keys missing in Russian"
    assert sorted(ru - en) == [], "keys missing in English"


def test_both_languages_fill_the_same_placeholders():
    en, ru = catalogue.messages("en"), catalogue.messages("ru")
    differ = {k: (catalogue.placeholders(str(en[k])), catalogue.placeholders(str(ru[k])))
              for k in en if k in ru and catalogue.placeholders(str(en[k])) != catalogue.placeholders(str(ru[k]))}
    assert differ == {}


def test_russian_messages_contain_no_english_words():
    bad = {}
    for key, template in catalogue.messages("ru").items():
        if key.startswith("methods.entries.") and key.endswith(".ref") and re.search(r"\((1[89]|20)\d\d\)", template):
            continue  # a bibliographic reference is cited in its original language (marked lang="en" in reports)
        words = latin_words(str(template).replace("{", " {").replace("}", "} "))
        words = [w for w in words if f"{{{w}" not in str(template)]  # placeholder names are not text
        if words:
            bad[key] = words
    assert bad == {}


def test_english_messages_contain_no_code_names():
    bad = {}
    for key, template in catalogue.messages("en").items():
        visible = str(template)
        for field in catalogue.placeholders(visible):
            visible = visible.replace(field, "")
        if code_names(visible):
            bad[key] = code_names(visible)
    assert bad == {}


def test_a_missing_message_is_an_error_not_english():
    with pytest.raises(KeyError, match="no message"):
        catalogue.text("common.no_such_message", "ru")


def test_numbers_follow_the_locale_in_messages():
    assert catalogue.text("common.n_interviews", "ru", n=1288) == "интервью: 1\xa0288"
    assert catalogue.text("common.n_interviews", "en", n=1288) == "1,288 interviews"
    assert fmt.percent(0.125, "ru", 1) == "12,5%"
    with pytest.raises(ValueError):
        fmt.number(1.0, "de")


def test_language_checks_find_what_they_look_for():
    assert latin_words("Доля лучших оценок 93,8% (top box), W15 и AC1") == ["top", "box"]
    assert code_names("Table: mean of eth_appearance and ci_low") == ["eth_appearance", "ci_low"]
