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

# %%

# %% tags=["parameters"]
year: int = 2020  # survey year with paired interviews (2020 or later)
pooled: bool = False  # pool all years with paired interviews instead of one year
processed_dir: str = "../data/processed"  # validated, pseudonymised data written by `python -m helpers validate`
artefact_dir: str = ""  # the run's artefact folder (given by the pipeline); empty: artefacts kept in memory
tables_dir: str = "../reports/interactive/tables"  # folder for the tidy CSV tables of this report (with codes)
lang: str = "en"  # report language: en | ru
audience: str = "public"  # public (codes only) | internal (management)
n_boot: int = 2000  # bootstrap resamples for every interval
seed: int = 0  # random seed of the bootstrap (results are reproducible)
resample: str = "interviewers"  # intervals: interviewers (clusters, default) | pairs (conditional on these interviewers) | interviewers+workers
weighted: bool = True  # also show design-weighted agreement (roster strata) beside the unweighted

# %%
# Reliability: do the volunteer and the social worker who interviewed the same recipient agree?
# Headings and text come from the catalogue (src/helpers/narrative/messages/<lang>/reliability.yaml).
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
from helpers.figures import reliability as fig_rel
from helpers.narrative import reliability as words
from helpers.report import open_report
from helpers.studies.mystery_guest import reliability as rel
from helpers.studies.mystery_guest.study import open_study

study = open_study(processed_dir, artefact_dir)
cb = study.codebook
years = rel.paired_years(study.interviews()) if pooled else [year]
sel = study.interviews(years)
scores = study.scored(years)
strata = study.data.get("strata")
rep = open_report(processed_dir, lang, audience, year=None if pooled else year)
label = rep.say("reliability.notebook.pooled", years="+".join(map(str, years))) if pooled else str(year)
stem = "pooled" if pooled else str(year)
tidy = rel.compare_interviewers(sel, cb, n_boot=n_boot, seed=seed, scores=scores, resample=resample)
use_weights = weighted and rel.weights_differ(sel, strata)
tidy_w = (rel.compare_interviewers(sel, cb, n_boot=n_boot, seed=seed, resample=resample, strata=strata)
          if use_weights else None)
paired = rel.paired_tables(sel, cb)
out = Path(tables_dir)
out.mkdir(parents=True, exist_ok=True)
tidy.safe.to_csv(out / f"reliability_{stem}_agreement.csv", index=False)  # every coefficient, codes and reasons
if tidy_w is not None:
    tidy_w.safe.to_csv(out / f"reliability_{stem}_agreement_weighted.csv", index=False)
n_pairs = int(sel["pair_id"].dropna().nunique())
rep.heading("reliability.notebook.title", 1)
rep.paragraph("reliability.notebook.intro")
if n_pairs == 0:
    rep.warning(rep.say("reliability.notebook.no_pairs", label=label))
rep.text(rep.say("reliability.notebook.data", label=label, n=n_pairs))

# %%
rep.heading("reliability.notebook.s1_heading")
rep.paragraph("reliability.notebook.s1_intro")
rep.table(words.agreement_summary(tidy, cb, lang), rep.say("reliability.notebook.summary_caption", label=label))
rep.text(words.interval_note(resample, weighted=False, lang=lang))
for warning in words.ceiling_warnings(paired, cb, lang):
    rep.warning(warning)
for paragraph in words.interpretation_paragraphs(tidy, cb, lang):
    rep.text(paragraph)

# %%
rep.heading("reliability.notebook.weighted_heading", 3)
rep.paragraph("reliability.notebook.weighted_intro")
if tidy_w is None:
    rep.text(rep.say("reliability.notebook.equal_weights"))
else:
    both = rel.weighted_vs_unweighted_agreement(tidy_w, tidy)
    both.safe.to_csv(out / f"reliability_{stem}_weighted_vs_unweighted.csv", index=False)
    rep.table(words.weighted_table(both, cb, lang), rep.say("reliability.notebook.weighted_caption", label=label))
    rep.text(words.interval_note(resample, weighted=True, lang=lang))

# %%
rep.paragraph("reliability.notebook.forest_intro")
rep.figure(fig_rel.plot_agreement_forest(tidy, cb, lang, label),
           rep.say("reliability.notebook.forest_caption", label=label))

# %%
rep.heading("reliability.notebook.s2_heading")
rep.paragraph("reliability.notebook.s2_intro")
paradox = words.kappa_paradox_report(sel, cb, lang)
if not paradox:
    rep.text(rep.say("reliability.notebook.no_paradox"))
else:
    rep.warning(next(iter(paradox.values())))  # one worked example in full; the others in one table
    rel.kappa_paradoxes(sel, cb).safe.to_csv(out / f"reliability_{stem}_kappa_paradox.csv", index=False)
    rep.table(words.kappa_paradox_table(sel, cb, lang), rep.say("reliability.notebook.paradox_caption", label=label))

# %%
rep.heading("reliability.notebook.s3_heading")
rep.paragraph("reliability.notebook.s3_intro")
worst = rel.least_agreeing(tidy, 3)
if worst:
    rep.figure(fig_rel.plot_confusion(paired, worst, cb, lang),
               rep.say("reliability.notebook.confusion_caption", label=label))

# %%
rep.heading("reliability.notebook.s4_heading")
rep.paragraph("reliability.notebook.s4_intro")
rep.table(words.score_agreement_summary(tidy, cb, lang), rep.say("reliability.notebook.scores_caption", label=label))
for sentence in words.score_sentences(tidy, "composite", cb, lang):
    rep.text(sentence)
rep.figure(fig_rel.plot_bland_altman(scores, "composite", cb, lang, label),
           rep.say("reliability.notebook.ba_caption", label=label))

# %%
rep.heading("reliability.notebook.s5_heading")
rep.paragraph("reliability.notebook.s5_intro")
leniency = rel.interviewer_leniency(scores, "composite", within_role=True)
leniency.safe.to_csv(out / f"reliability_{stem}_interviewers.csv", index=False)
rep.figure(fig_rel.plot_funnel(leniency, "composite", cb, lang, label),
           rep.say("reliability.notebook.funnel_caption", label=label))
rep.table(words.leniency_table(leniency, lang), rep.say("reliability.notebook.leniency_caption", label=label))
effect = rel.intra_interviewer_correlation(scores, "composite")
rep.text(words.interviewer_effect_sentence(effect, "composite", cb, lang))

# %%
rep.methods(["kappa", "gwet", "krippendorff", "stuart_maxwell", "bootstrap", "icc", "bland_altman",
             "wilcoxon"])
