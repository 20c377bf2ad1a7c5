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
# # Assistant support: workload (notebook)
#
# A note for the notebook's reader, left out of every report (tagged for both languages): the report's
# headings, paragraphs and captions come from the message catalogue,
# `src/helpers/narrative/messages/<lang>/registers.yaml`, in the language of the `lang` parameter.

# %% tags=["parameters"]
year: int = 2021  # year of the timesheet (files assistant_visits_<year>, assistant_movements_<year>)
raw_dir: str = "../data/raw"  # raw register files (.csv|.xlsx), validated now if processed_dir has none
processed_dir: str = "../data/processed"  # validated tables registers_*_<year>.parquet written by the pipeline (read first)
tables_dir: str = "../reports/interactive/tables"  # folder for the tidy CSV tables of this report
lang: str = "en"  # report language: en | ru
audience: str = "public"  # public (no free text, no names, cells on fewer than 5 suppressed) | internal

# %%
from pathlib import Path

from helpers.report import open_register_report
from helpers.figures import registers as figures
from helpers.narrative.registers import weekdays
from helpers.studies.registers.study import open_assistant_study

PREFIX = f"assistant_{year}"
rep, show, data_section = open_register_report(processed_dir, lang, audience, tables_dir, PREFIX)
study = open_assistant_study(raw_dir, year, processed_dir)
cb = study.codebook
rep.heading("registers.assistant_workload.title.heading", 1)
rep.paragraph("registers.assistant_workload.title.intro")

# %%
rep.heading("registers.assistant_workload.s0.heading", 2)
rep.paragraph("registers.assistant_workload.s0.intro")
data_section(study)
if len(study.data_errors):
    rep.warning(rep.say("registers.assistant_workload.texts.t1", errors=len(study.data_errors)))

# %%
rep.heading("registers.assistant_workload.s1.heading", 2)
rep.text(rep.say("registers.assistant_workload.texts.t2", users=study.users_served, assistants=len(study.per_assistant), visits=len(study.visits)))
show(study.per_assistant, "per_assistant", "registers.assistant_workload.captions.per_assistant")
study.visits.groupby("user_pid")["hours"].agg(["size", "sum"]).rename(columns={"size": "visits", "sum": "hours"}).safe.to_csv(
    Path(tables_dir) / f"{PREFIX}_hours_per_user_pseudonyms.csv")
show(study.per_user, "per_user", "registers.assistant_workload.captions.per_user")
rep.figure(figures.heatmap_plot(study.heatmap, lang),
           rep.say("registers.assistant_workload.texts.t3"))
grid = study.heatmap.rename(columns=dict(enumerate(weekdays(lang)))).reset_index()
grid = grid[grid.iloc[:, 1:].sum(axis=1) > 0]
grid.safe.to_csv(Path(tables_dir) / f"{PREFIX}_heatmap.csv", index=False)

# %%
rep.heading("registers.assistant_workload.s2.heading", 2)
if len(study.movement):
    show(study.movement, "movement", "registers.assistant_workload.captions.movement")
    show(study.reasons, "termination_reasons", "registers.assistant_workload.captions.termination_reasons")
else:
    rep.text(rep.say("registers.assistant_workload.texts.t4"))

# %%
rep.heading("registers.assistant_workload.s3.heading", 2)
rep.paragraph("registers.assistant_workload.s3.intro")

