"""Sentences of the scoring report, worded from result tables (wording in ``messages/<lang>/scoring.yaml``)."""

from __future__ import annotations

from helpers.narrative.catalogue import text

__all__ = ["multiplicity_sentence"]


def multiplicity_sentence(method: str = "holm", alpha: float = 0.05, n: int = 0, lang: str = "en") -> str:
    """What a worker flag controls, in words.

    >>> multiplicity_sentence("holm", 0.05, 15, "en")
    'family-wise error 5% across the 15 workers (Holm)'
    >>> multiplicity_sentence("holm", 0.05, 15, "ru")
    'вероятность хотя бы одной ошибки 5% на 15 работников (поправка Холма)'
    """
    return text(f"scoring.multiplicity.{method}", lang, a=alpha, n=n)
