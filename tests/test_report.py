"""Report tables in reviewer words: labelled headers, yes/no, Russian throughout, numbers in the locale."""

from __future__ import annotations

import re

import pandas as pd

from helpers.narrative import catalogue
from helpers.narrative.language import code_names, latin_words
from helpers.report import Report


def _headers(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r"<th[^>]*>(.*?)</th>", html, flags=re.S)]


def _cells(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r"<td[^>]*>(.*?)</td>", html, flags=re.S)]


def test_russian_table_has_russian_headers_and_answers():
    df = pd.DataFrame({"item": ["eth_appearance"], "percent_agreement": [0.9], "ci_low": [0.8], "ci_high": [0.95],
                       "testable": [True], "estimate_weighted": [0.88], "n_recipients": [35]})
    html = Report(lang="ru").table_html(df, "Проверка")
    heads = [h for h in _headers(html) if h]
    assert heads == ["вопрос", "процент совпадений", "95% ДИ, от", "95% ДИ, до", "проверяемо", "с весами", "получатели"]
    assert ">да<" in html and "True" not in html
    assert "0,90" in html  # decimal comma


def test_russian_numbers_have_comma_and_thousands_space_but_years_stay_whole():
    df = pd.DataFrame({"year": [2021], "n": [1288], "mean": [1234.5], "home": ["home_care"]})
    cells = _cells(Report(lang="ru").table_html(df, "Проверка", floats="{:.1f}"))
    assert cells == ["2021", "1\xa0288", "1\xa0234,5", "на дому"]
    cells = _cells(Report().table_html(df, "Check", floats="{:.1f}"))
    assert cells == ["2021", "1,288", "1,234.5", "home care"]
    assert Report(lang="ru").number(0.5, "{:.0%}") == "50%"


def test_english_table_has_no_snake_case_headers():
    df = pd.DataFrame({"raw_ci_low": [1.0], "some_new_code": [2.0], "flag": [False], "raw": [1.0], "raw_mean": [2.0]})
    html = Report().table_html(df, "Check")
    heads = [h for h in _headers(html) if h]
    assert not code_names(" ".join(heads)), heads
    assert heads[:2] == ["raw mean, 95% CI from", "some new code"]
    assert heads[3:] == ["raw mean", "raw mean (2)"]  # two codes with one label stay apart


def test_every_header_has_both_languages_and_russian_headers_are_russian():
    en, ru = catalogue.messages("en"), catalogue.messages("ru")
    codes = [k for k in en if k.startswith(("headers.", "values."))]
    assert len(codes) > 100
    assert all(ru.get(k) for k in codes)
    assert {k: latin_words(ru[k]) for k in codes if latin_words(ru[k])} == {}


def test_captions_are_numbered_in_the_report_language():
    rep = Report(lang="ru")
    assert "Таблица 1." in rep.table_html(pd.DataFrame({"n": [1]}), "x")
    assert "Таблица 2." in rep.table_html(pd.DataFrame({"n": [1]}), "x")
    assert "Table 1." in Report().table_html(pd.DataFrame({"n": [1]}), "x")
