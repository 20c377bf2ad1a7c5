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
# # Support Line: remote services (notebook)
#
# A note for the notebook's reader, left out of every report (tagged for both languages): the report's
# headings, paragraphs and captions come from the message catalogue,
# `src/helpers/narrative/messages/<lang>/registers.yaml`, in the language of the `lang` parameter.

# %% tags=["parameters"]
years: list = [2020, 2021]  # years of the Support Line register (files support_line_<year>)
raw_dir: str = "../data/raw"  # raw register files (.csv|.xlsx), validated now if processed_dir has none
processed_dir: str = "../data/processed"  # validated tables registers_*_<year>.parquet written by the pipeline (read first)
tables_dir: str = "../reports/interactive/tables"  # folder for the tidy CSV tables of this report
lang: str = "en"  # report language: en | ru
audience: str = "public"  # public (no free text, no names, cells on fewer than 5 suppressed) | internal

# %%
from helpers.report import open_register_report
from helpers.figures import registers as figures
from helpers.studies.registers.study import open_support_line_study

PREFIX = "support_line"
rep, show, data_section = open_register_report(processed_dir, lang, audience, tables_dir, PREFIX)
study = open_support_line_study(raw_dir, years, processed_dir)
cb = study.codebook
rep.heading("registers.support_line.title.heading", 1)
rep.paragraph("registers.support_line.title.intro")

# %%
rep.heading("registers.support_line.s0.heading", 2)
rep.paragraph("registers.support_line.s0.intro")
data_section(study)

# %%
rep.heading("registers.support_line.s1.heading", 2)
rep.figure(figures.weekly_load_plot(study.weekly, lang, cb),
           rep.say("registers.support_line.texts.t1"))
by_period = study.weekly.assign(covid_period=study.weekly["covid_period"].replace("", "-")).groupby("covid_period")["contacts"].agg(["size", "sum", "mean"]).reset_index()
by_period.columns = ["covid_period", "week", "contacts", "mean"]
show(by_period, "load_by_period", "registers.support_line.captions.load_by_period")

# %%
rep.heading("registers.support_line.s2.heading", 2)
show(study.case_mix, "case_mix", "registers.support_line.captions.case_mix")
labels = {g: cb.text("support_line", "case_groups", g, lang) for g in cb.codes("support_line", "case_groups")}
rep.figure(figures.share_plot(study.case_mix, "case_group", labels, lang, "%"),
           rep.say("registers.support_line.texts.t2"))
show(study.channels, "channels", "registers.support_line.captions.channels")
show(study.age_groups, "age_groups", "registers.support_line.captions.age_groups")

# %%
rep.heading("registers.support_line.s3.heading", 2)
show(study.resolution, "resolution", "registers.support_line.captions.resolution")
show(study.repeats, "repeats", "registers.support_line.captions.repeats")

# %%
rep.heading("registers.support_line.s4.heading", 2)
rep.paragraph("registers.support_line.s4.intro")

