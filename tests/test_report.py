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


def _pixels(png: bytes):
    import io

    import numpy as np
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def test_tight_png_is_what_savefig_tight_makes():
    """The figure drawn once and cut to its bounding box: the size of savefig(bbox_inches="tight") to a pixel
    and the same picture (a placed legend outside the axes falls back to savefig itself, byte for byte)."""
    import io

    import matplotlib.pyplot as plt
    import numpy as np

    from helpers.report import tight_png

    def savefig(fig):
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
        return buf.getvalue()

    fig, axes = plt.subplots(1, 2, figsize=(7, 3))
    for ax in axes:
        ax.errorbar([1, 2, 3], [3.1, 2.4, 2.9], yerr=0.3, fmt="o", label="estimate")
        ax.set_xlabel("year")
        ax.legend()
    fig.suptitle("a title")
    fig.tight_layout()
    a, b = _pixels(savefig(fig)), _pixels(tight_png(fig))
    assert abs(a.shape[0] - b.shape[0]) <= 1 and abs(a.shape[1] - b.shape[1]) <= 1
    # the same picture up to anti-aliasing at a sub-pixel shift: compared in blocks of 4 x 4 pixels
    h, w = (min(a.shape[0], b.shape[0]) // 4) * 4, (min(a.shape[1], b.shape[1]) // 4) * 4

    def blocks(x):
        return x[:h, :w].reshape(h // 4, 4, w // 4, 4, 3).mean(axis=(1, 3))

    assert np.abs(blocks(a) - blocks(b)).mean() < 3  # of 255 (measured 1.9)
    for axis in (0, 1):  # the picture shifted by 4 pixels would fail (measured 6.5 and 6.9)
        assert np.abs(blocks(a) - blocks(np.roll(b, 4, axis=axis))).mean() > 5
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([0, 1], [0, 1], label="a long legend entry")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    assert tight_png(fig) == savefig(fig)
    plt.close(fig)
