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
# # E-library: reach and the quarterly promise (notebook)
#
# A note for the notebook's reader, left out of every report (tagged for both languages): the report's
# headings, paragraphs and captions come from the message catalogue,
# `src/helpers/narrative/messages/<lang>/registers.yaml`, in the language of the `lang` parameter.

# %% tags=["parameters"]
years: list = [2019, 2020, 2021]  # years of the register (files elibrary_users_<year>, elibrary_mailings_<year>)
raw_dir: str = "../data/raw"  # raw register files (.csv|.xlsx), validated now if processed_dir has none
processed_dir: str = "../data/processed"  # validated tables registers_*_<year>.parquet written by the pipeline (read first)
tables_dir: str = "../reports/interactive/tables"  # folder for the tidy CSV tables of this report
lang: str = "en"  # report language: en | ru
audience: str = "public"  # public (no free text, no names, cells on fewer than 5 suppressed) | internal
sample_share: float = 0.10  # share of users drawn for the remote survey (at most 0.10)
sample_seed: int = 2021  # random seed of the survey sample (the same seed gives the same sample)

# %%
from pathlib import Path

from helpers.report import open_register_report
from helpers.figures import registers as figures
from helpers.studies.registers.sample import write_survey_sample
from helpers.narrative.registers import half_year_note
from helpers.studies.registers.study import open_elibrary_study

PREFIX = "elibrary"
rep, show, data_section = open_register_report(processed_dir, lang, audience, tables_dir, PREFIX)
study = open_elibrary_study(raw_dir, years, processed_dir, sample_share=sample_share, sample_seed=sample_seed)
cb = study.codebook
rep.heading("registers.elibrary.title.heading", 1)
rep.paragraph("registers.elibrary.title.intro")

# %%
rep.heading("registers.elibrary.s0.heading", 2)
rep.paragraph("registers.elibrary.s0.intro")
data_section(study)

# %%
rep.heading("registers.elibrary.s1.heading", 2)
show(study.reached_by_year, "reached", "registers.elibrary.captions.reached")
show(rep.suppress(study.reach, n_col="users", columns=["share", "ci_low", "ci_high"]), "reach_channel", "registers.elibrary.captions.reach_channel")
labels = {c: cb.text("elibrary", "channels", c, lang) for c in cb.codes("elibrary", "channels")}
rep.figure(figures.share_plot(study.reach, "channel", labels, lang, "%"),
           rep.say("registers.elibrary.texts.t1"))

# %%
rep.heading("registers.elibrary.s2.heading", 2)
rep.paragraph("registers.elibrary.s2.intro")
show(rep.suppress(study.compliance, n_col="users", columns=["share", "ci_low", "ci_high"]), "compliance", "registers.elibrary.captions.compliance")
missed = study.not_reached.groupby(["quarter", "stratum"]).size().rename("not_reached").reset_index()
if len(missed):
    show(missed, "not_reached", "registers.elibrary.captions.not_reached")
    study.not_reached.safe.to_csv(Path(tables_dir) / "elibrary_not_reached_pseudonyms.csv", index=False)
else:
    rep.text(rep.say("registers.elibrary.texts.t2"))

# %%
rep.heading("registers.elibrary.s3.heading", 2)
for (year, half), figures_of_half in sorted(study.notes.items()):
    rep.text(half_year_note(figures_of_half, lang))

# %%
rep.heading("registers.elibrary.s4.heading", 2)
rep.paragraph("registers.elibrary.s4.intro")
s = study.sample
alloc = s.groupby("stratum").agg(stratum_size=("stratum_size", "first"), n=("user_pid", "size"),
                                 inclusion_probability=("inclusion_probability", "first")).reset_index()
show(alloc, "sample_allocation", "registers.elibrary.captions.sample_allocation", sample_seed=sample_seed, sample_size=len(s), frame_size=int(s['frame_size'].max()),
     floats="{:.3f}")
path = write_survey_sample(s, Path(tables_dir) / f"elibrary_survey_sample_seed{sample_seed}.csv", sample_seed)
rep.text(rep.say("registers.elibrary.texts.t3", file=path.name))

# %%
rep.heading("registers.elibrary.s5.heading", 2)
rep.paragraph("registers.elibrary.s5.intro")

