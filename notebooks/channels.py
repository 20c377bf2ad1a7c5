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
# # One centre, every channel (notebook)
#
# A note for the notebook's reader, left out of every report (tagged for both languages): the report's
# headings, paragraphs and captions come from the message catalogue,
# `src/helpers/narrative/messages/<lang>/registers.yaml`, in the language of the `lang` parameter.

# %% tags=["parameters"]
years: list = [2018, 2019, 2020, 2021]  # years of the overview
raw_dir: str = "../data/raw"  # raw register files (.csv|.xlsx), validated now if processed_dir has none
processed_dir: str = "../data/processed"  # validated tables registers_*_<year>.parquet written by the pipeline (read first)
tables_dir: str = "../reports/interactive/tables"  # folder for the tidy CSV tables of this report
artefact_dir: str = ""  # artefact folder of the run (the trends results are loaded from it); empty: kept in memory
lang: str = "en"  # report language: en | ru
audience: str = "public"  # public (no free text, no names, cells on fewer than 5 suppressed) | internal

# %%
from helpers.report import open_register_report
from helpers.figures.registers import channels_plot
from helpers.narrative.registers import channel_title
from helpers.studies.registers.study import channels_overview

PREFIX = "channels"
rep, show, data_section = open_register_report(processed_dir, lang, audience, tables_dir, PREFIX)
# the Mystery Guest figures are the trends report's results (loaded from the run's artefacts), as in the summary
overview, absent = channels_overview(raw_dir, years, processed_dir, artefact_dir)
rep.heading("registers.channels.title.heading", 1)
rep.paragraph("registers.channels.title.intro")

# %%
rep.heading("registers.channels.s0.heading", 2)
rep.figure(channels_plot(overview, lang), rep.say("registers.channels.texts.figure"))
show(overview, "overview", "registers.channels.captions.overview", floats="{:.1f}")
if absent:
    names = ", ".join(channel_title(a, lang) for a in absent)
    rep.warning(rep.say("registers.channels.texts.t1", names=names))
# one column per year; pivot keeps each cell as it is (a count stays an integer, an estimate a decimal)
wide = overview.pivot(index=["channel_name", "measure"], columns="year", values="value").reset_index()
wide.columns = [str(c) for c in wide.columns]
show(wide, "overview_wide", "registers.channels.captions.overview_wide")

# %%
rep.heading("registers.channels.s1.heading", 2)
rep.paragraph("registers.channels.s1.intro")

# %%
rep.heading("registers.channels.s2.heading", 2)
rep.paragraph("registers.channels.s2.intro")

