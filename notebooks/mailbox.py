# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown] tags=["lang-en", "lang-ru"]
# # Social Mailbox: written appeals (notebook)
#
# A note for the notebook's reader, left out of every report (tagged for both languages): the report's
# headings, paragraphs and captions come from the message catalogue,
# `src/helpers/narrative/messages/<lang>/registers.yaml`, in the language of the `lang` parameter.

# %% tags=["parameters"]
years: list = [2018, 2019, 2020, 2021]  # years of the mailbox register to report (files mailbox_<year>)
raw_dir: str = "../data/raw"  # raw register files (.csv|.xlsx), validated now if processed_dir has none
processed_dir: str = "../data/processed"  # validated tables registers_*_<year>.parquet written by the pipeline (read first)
tables_dir: str = "../reports/interactive/tables"  # folder for the tidy CSV tables of this report
lang: str = "en"  # report language: en | ru
audience: str = "public"  # public (no free text, no names, cells on fewer than 5 suppressed) | internal

# %%
from helpers.report import open_register_report
from helpers.figures import registers as figures
from helpers.studies.registers.study import open_mailbox_study

PREFIX = "mailbox"
# internal: workers' names beside their codes
rep, show, data_section = open_register_report(processed_dir, lang, audience, tables_dir, PREFIX, worker_names=True)
study = open_mailbox_study(raw_dir, years, processed_dir, internal=not rep.public)
cb = study.codebook
rep.heading("registers.mailbox.title.heading", 1)
rep.paragraph("registers.mailbox.title.intro")

# %%
rep.heading("registers.mailbox.s0.heading", 2)
rep.paragraph("registers.mailbox.s0.intro")
data_section(study)

# %%
rep.heading("registers.mailbox.s1.heading", 2)
show(study.per_year, "per_year", "registers.mailbox.captions.per_year")
show(study.kinds, "kinds", "registers.mailbox.captions.kinds", first_year=min(study.years), last_year=max(study.years))
complaints = study.kinds.set_index("kind").loc["complaint"]
rep.text(rep.say("registers.mailbox.texts.t1", complaints=int(complaints['n']), appeals=int(complaints['total']), upper=float(complaints['ci_high'])))
rep.figure(figures.appeals_bar(study.kinds_by_year, lang, cb),
           rep.say("registers.mailbox.texts.t2"))
show(study.kinds_by_year, "kinds_by_year", "registers.mailbox.captions.kinds_by_year")
show(study.signed, "signed", "registers.mailbox.captions.signed")
show(study.settlements, "settlements", "registers.mailbox.captions.settlements")

# %%
rep.heading("registers.mailbox.s2.heading", 2)
rep.paragraph("registers.mailbox.s2.intro")
if study.calendar_source == "appeals":
    rep.warning(rep.say("registers.mailbox.texts.t3"))
show(study.calendar_summary, "calendar_summary", "registers.mailbox.captions.calendar_summary")
problems = study.calendar[study.calendar["status"].isin(["late", "missed"])]
problems = problems.assign(expected=problems["expected"].dt.strftime("%d.%m.%Y"),
                           collected=problems["collected"].dt.strftime("%d.%m.%Y").fillna(""))
show(problems[["year", "settlement", "expected", "collected", "status"]], "calendar_problems",
     "registers.mailbox.captions.calendar_problems")

# %%
rep.heading("registers.mailbox.s3.heading", 2)
show(study.decisions, "decisions", "registers.mailbox.captions.decisions")

# %%
rep.heading("registers.mailbox.s4.heading", 2)
rep.paragraph("registers.mailbox.s4.intro")
if rep.public:
    rep.text(rep.say("report.not_shown_public"))
else:
    if study.gratitude_note:
        rep.warning(rep.say("registers.mailbox.texts.t4"))
    g = study.gratitude.copy()
    g["worker_id"] = g["worker_id"].map(rep.worker)
    show(g, "gratitude_workers", "registers.mailbox.captions.gratitude_workers")

# %%
rep.heading("registers.mailbox.s5.heading", 2)
rep.paragraph("registers.mailbox.s5.intro")

