"""Words of the register reports (Social Mailbox, E-library, Support Line, assistant support, channels).

The registers' own vocabularies (settlements, kinds, channels, topics) are the instrument and keep their
``ru``/``en`` labels in the registers codebook; every other word comes from the message catalogue
(``messages/<lang>/registers.yaml``), numbers through :mod:`helpers.narrative.fmt`.

>>> localise(pd.DataFrame({"kind": ["complaint"], "n": [0]}), "ru").to_dict("list")
{'вид обращения': ['жалоба'], 'n': [0]}
>>> localise(pd.DataFrame({"measure": ["users_reached"], "status": ["on_time"]}), "en").to_dict("list")
{'measure': ['users reached'], 'status': ['on time']}
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from helpers.narrative.catalogue import label, messages, text
from helpers.narrative.reasons import localise_quarantine
from helpers.studies.registers.codebook import RegistersCodebook, load_registers_codebook
from helpers.studies.registers.study import CODE_COLUMNS

__all__ = ["channel_title", "half_year_note", "localise", "table_writer", "weekdays"]


def weekdays(lang: str) -> list[str]:
    """Short weekday names, Monday first."""
    return list(messages(lang)["registers.weekdays"])


def channel_title(name: str, lang: str, cb: RegistersCodebook | None = None) -> str:
    """The reviewer's name of a channel: a register's title from its codebook, Mystery Guest from the catalogue."""
    if name == "mystery_guest":
        return text("registers.mystery_guest", lang)
    return (cb or load_registers_codebook()).title(name, lang)


def localise(df: pd.DataFrame, lang: str = "en", cb: RegistersCodebook | None = None) -> pd.DataFrame:
    """A table in the report's language: coded values as labels, quarantine reasons worded, column names in
    Russian for ``ru`` (the registers codebook's labels; English headers are worded by the report)."""
    cb = cb or load_registers_codebook()
    out = localise_quarantine(df, lang) if {"reason", "file"} <= set(df.columns) else df.copy()
    for col in out.columns:
        if col not in CODE_COLUMNS or pd.api.types.is_numeric_dtype(out[col]):
            continue
        if col == "channel":
            voc = {**cb.vocabulary("elibrary", "channels"), **cb.vocabulary("support_line", "channels")}
            out[col] = out[col].map(lambda v, voc=voc: voc[v][lang] if v in voc else v)
        else:
            reg, name = CODE_COLUMNS[col]
            out[col] = out[col].map(lambda v, r=reg, n=name: cb.text(r, n, v, lang) if isinstance(v, str) else v)
    if "channel_name" in out:
        out["channel_name"] = out["channel_name"].map(lambda v: channel_title(v, lang, cb))
    if "year" in out and not pd.api.types.is_numeric_dtype(out["year"]):
        out["year"] = out["year"].map(lambda v: text("registers.all_years", lang) if v == "all" else v)
    for col, area in (("measure", "registers.measures"), ("status", "registers.status")):
        if col in out:
            out[col] = out[col].map(lambda v, a=area: label(a, v, lang))
    if "stratum" in out:
        out["stratum"] = out["stratum"].map(lambda v: _stratum(v, lang, cb))
    if "covid_period" in out and lang == "ru":
        periods = {p["en"]: p["ru"] for p in cb.setting("support_line", "covid_periods")}
        out["covid_period"] = out["covid_period"].map(lambda v: periods.get(v, v))
    if lang == "ru":
        out = out.rename(columns=lambda c: cb.label(str(c), lang))
    return out


def _stratum(value: object, lang: str, cb: RegistersCodebook) -> object:
    """An E-library stratum ``source/channel`` in words (``recipient/email`` -> ``получатель / эл. почта``)."""
    if not isinstance(value, str) or "/" not in value:
        return value
    source, channel = value.split("/", 1)
    voc = cb.vocabulary("elibrary", "channels")
    words = [cb.text("elibrary", "sources", source, lang), voc[channel][lang] if channel in voc else channel]
    return " / ".join(words)


def half_year_note(figures: dict, lang: str, cb: RegistersCodebook | None = None) -> str:
    """The half-year information note of the E-library from
    :func:`helpers.studies.registers.analyses.half_year_figures`."""
    cb = cb or load_registers_codebook()
    topics = ", ".join(cb.text("elibrary", "topics", t, lang) for t in figures["topics"]) or "—"
    return text("registers.half_year_note", lang, **{k: v for k, v in figures.items() if k != "topics"}, topics=topics)


def table_writer(rep, tables: Path, prefix: str, lang: str):
    """The two presentation steps every register report repeats: ``(show, data_section)``.

    ``show(df, name, caption_key, floats=..., **values)`` saves the tidy table as a CSV-injection-safe CSV
    (codes, English column names) in ``tables`` as ``<prefix>_<name>.csv`` and shows it in the report's
    language with the catalogue caption ``caption_key``; ``data_section(study)`` shows the ingestion log
    and the quarantine (reason and column only).
    """
    from helpers.io import safe_csv  # noqa: F401  (registers df.safe)

    def show(df, name, caption_key, caption_ru=None, floats="{:.1f}", **values):
        # caption_ru given: (English, Russian) captions written in the notebook (being moved to the catalogue)
        caption = (caption_ru if lang == "ru" else caption_key) if caption_ru is not None else text(caption_key, lang, **values)
        df.safe.to_csv(Path(tables) / f"{prefix}_{name}.csv", index=False)
        rep.table(localise(df, lang), caption, floats=floats)

    def data_section(study):
        from helpers.narrative.privacy import log_in_words

        study.log.safe.to_csv(Path(tables) / f"{prefix}_ingest.csv", index=False)  # the counts per kind
        rep.table(localise(log_in_words(study.log, lang), lang), text("registers.captions.ingest", lang), floats="{:.1f}")
        if len(study.quarantine):
            show(study.quarantine, "quarantine", "registers.captions.quarantine")
        else:
            rep.text(text("report.no_quarantine", lang))

    return show, data_section
