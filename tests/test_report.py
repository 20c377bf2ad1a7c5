"""Report tables in reviewer words: labelled headers, yes/no, Russian throughout."""

from __future__ import annotations

import re

import pandas as pd

from helpers.report import HEADERS, Report


def _headers(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r"<th[^>]*>(.*?)</th>", html, flags=re.S)]


def test_russian_table_has_russian_headers_and_answers():
    df = pd.DataFrame({"item": ["eth_appearance"], "percent_agreement": [0.9], "ci_low": [0.8], "ci_high": [0.95],
                       "testable": [True], "estimate_weighted": [0.88], "n_recipients": [35]})
    html = Report(lang="ru").table_html(df, "Проверка")
    heads = [h for h in _headers(html) if h]
    assert heads == ["вопрос", "процент совпадений", "95% ДИ, от", "95% ДИ, до", "проверяемо", "с весами", "получатели"]
    assert ">да<" in html and "True" not in html
    assert "0,90" in html  # decimal comma


def test_english_table_has_no_snake_case_headers():
    df = pd.DataFrame({"raw_ci_low": [1.0], "some_new_code": [2.0], "flag": [False], "raw": [1.0], "raw_mean": [2.0]})
    heads = [h for h in _headers(Report().table_html(df, "Check")) if h]
    assert not [h for h in heads if "_" in h.split(" (")[0]], heads
    assert heads[:2] == ["raw mean, 95% CI from", "some new code"]
    assert heads[3:] == ["raw mean (raw)", "raw mean (raw_mean)"]  # two codes with one label stay apart


def test_every_header_has_both_languages():
    assert all(len(v) == 2 and all(v) for v in HEADERS.values())
