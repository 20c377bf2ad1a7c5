"""Checks that a text is written in one language: Latin words in Russian, code names in English.

Used by the catalogue test and by the browser test that reads every rendered report.

>>> latin_words("Каппа Коэна 0,41; AC1 Гвета 0,83 (n = 40, p < 0,001), see table")
['see', 'table']
>>> latin_words("файл nok_respondents_2021.csv, код d272727b7dcf, вопрос q02, показатель i3_3, interviews")
['interviews']
>>> code_names("The mean of eth_appearance is 4.1; percent agreement 0.93")
['eth_appearance']
"""

from __future__ import annotations

import re

__all__ = ["ALLOWED_LATIN", "code_names", "latin_words"]

#: Latin-alphabet words a Russian report may contain: symbols of statistics, units, codes and proper names
#: that Russian texts write in Latin letters.
ALLOWED_LATIN = frozenset([
    # symbols, abbreviations and units of statistics that Russian texts write in Latin letters
    "p", "n", "r", "k", "N", "df", "SE", "SD", "IQR", "CI", "AC1", "AC2", "ICC", "RMSE", "REML", "ML", "BLUP", "BCa",
    "MDD", "OR", "HR", "vs", "e", "COVID", "COVID-19", "SARS-CoV-2",
    # file formats and standards
    "HTML", "CSV", "XLSX", "XLS", "UTF-8", "ID", "PDF", "DOCX", "URL", "SHA-256", "HMAC", "HMAC-SHA256",
    # software (proper names)
    "Python", "pandas", "statsmodels", "R", "Jupyter", "JupyterLab", "papermill", "FunnelPlotR", "SciPy",
    # instruments and services (proper names): the study's own name, the messenger the E-library mails through
    "Mystery", "Guest", "НОК", "WhatsApp",
    # authors of the methods the reports cite (proper names, written as in the original publication)
    "Gwet", "Cohen", "Krippendorff", "Fleiss", "Cronbach", "McDonald", "Holm", "Wilson", "Clopper", "Pearson",
    "Brown", "Cai", "DasGupta", "Agresti", "Rubin", "Efron", "Tibshirani", "Goldstein", "Spiegelhalter", "Jeffreys",
    "Benjamini", "Hochberg", "Bonferroni", "Poisson", "Beta", "Mogstad", "Romano", "Shaikh", "Wilhelm", "Klein",
    "Wright", "Wieczorek",
    # bibliographic abbreviations of cited journals (proper names) and "et al." of a reference list
    "JASA", "JRSS", "Stat", "Sci", "Med", "et", "al", "Rev", "Econ", "Stud", "QSHC",
])

#: codes, not words: a token with a digit (item q02, indicator i3_3, worker W15, a SHA-256 prefix), a file name,
#: an identifier joined by underscores (a file or column name the user must type: mailbox_collections_<год>)
_CODE_LIKE = re.compile(r"[\w<>-]*_[\w<>-]*|[\w-]*\d[\w-]*|[\w.-]+\.(?:csv|xlsx|xls|parquet|json|md|html|ipynb|png|yaml)\b")
_LATIN = re.compile(r"(?<![\w-])[A-Za-z][A-Za-z0-9'’-]*")
#: codes that Russian text writes with a Cyrillic letter, the НОК criteria К1-К5: with a Latin K they look the same
#: but a screen reader reads them in English and a search for "К1" misses them
_CYRILLIC_CODES = re.compile(r"(?<![\w-])K[1-5](?![\w-])")
_CODE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")


def latin_words(text: str, allowed: frozenset[str] | set[str] = ALLOWED_LATIN) -> list[str]:
    """Latin-alphabet words of ``text`` not in ``allowed`` (single letters are symbols and pass), and the НОК
    criteria written with a Latin K.

    >>> latin_words("критерии K3 и К4, работник W15")
    ['K3']
    """
    found = _CYRILLIC_CODES.findall(text)
    for word in _LATIN.findall(_CODE_LIKE.sub(" ", text)):
        word = word.rstrip("-'’")
        if len(word) <= 1 or word in allowed or word.upper() in allowed or re.fullmatch(r"[A-Z]{1,3}\d+[a-z]?", word):
            continue
        found.append(word)
    return found


_FILE = re.compile(r"[\w.-]+\.(?:csv|xlsx|xls|parquet|json|md|html|ipynb|png|yaml)\b")


def code_names(text: str) -> list[str]:
    """``snake_case`` identifiers in visible text (a code where a reviewer's word belongs); file names are
    names the user must find on disk, not codes in place of words, and pass.

    >>> code_names("see nok_2021_improvement_plan.csv for the rows of ci_low")
    ['ci_low']
    """
    return _CODE.findall(_FILE.sub(" ", text))
