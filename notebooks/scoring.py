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

# %% tags=["parameters"]
year: int = 2020  # survey year
pooled: bool = False  # pool all years (worker scores adjust for year) instead of one year
processed_dir: str = "../data/processed"  # validated, pseudonymised data written by `python -m helpers validate`
artefact_dir: str = ""  # the run's artefact folder, shared models computed once - empty: kept in memory
tables_dir: str = "../reports/interactive/tables"  # folder for the tidy CSV tables of this report
lang: str = "en"  # report language: en | ru
audience: str = "public"  # public (codes only, cells on fewer than 5 recipients suppressed) | internal (names shown)
truth_path: str = "../data/demo/truth.json"  # planted truth of the demo data (skipped when absent)
min_n: int = 5  # minimum interviews for a worker's score to be judged
simulate_always: bool = True  # also show the simulated-study proof in a single-year report

# %%
# Scoring report: headings and text come from the message catalogue (scoring.report.*) in the report's language.
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import pandas as pd

from helpers.figures import scoring as fig
from helpers.io.demo import planted_truth
from helpers.narrative import scoring as say
from helpers.report import open_report
from helpers.studies.benchmarking import worker_funnel
from helpers.studies.mystery_guest import scoring as sc
from helpers.studies.mystery_guest import simulate as sim
from helpers.studies.mystery_guest.study import open_study

study = open_study(processed_dir, artefact_dir)
cb = study.codebook
years = None if pooled else [year]
interviews = study.interviews(years)
scored = study.scored(years)
models = study.artefact("scoring.workers", sc.worker_tables, years=years, pooled=pooled, min_n=min_n)
workers, domains = models["composite"], models["domains"]
period = say.period_label(None if pooled else year, lang)
stem = "pooled" if pooled else str(year)
out = Path(tables_dir)
out.mkdir(parents=True, exist_ok=True)
rep = open_report(processed_dir, lang, audience, year=None if pooled else year)
rep.suppress_units(scored).safe.to_csv(out / f"scoring_{stem}_interviews.csv", index=False)
rep.suppress(domains).safe.to_csv(out / f"scoring_{stem}_workers.csv", index=False)
rep.heading("scoring.report.title", 1)
rep.paragraph("scoring.report.intro")
if interviews.empty:
    rep.warning(rep.say("scoring.no_interviews", period=period))
rep.text(say.data_sentence(period, interviews, lang))

# %%
rep.heading("scoring.report.organisation.heading")
rep.paragraph("scoring.report.organisation.intro")
org = sc.organisation_means(scored, study.strata(years), cb)
org.safe.to_csv(out / f"scoring_{stem}_organisation.csv", index=False)
rep.table(say.organisation_view(org, lang, cb), rep.say("scoring.captions.organisation", period=period), floats="{:.1f}")
for sentence in say.weighting_sentences(org, lang, cb):
    rep.warning(sentence)
if not org["material"].any():
    rep.text(say.weighting_agree(lang))

# %%
rep.heading("scoring.report.answers.heading")
rep.paragraph("scoring.report.answers.intro")
dist = sc.answer_distribution(interviews, cb)
dist.safe.to_csv(out / f"scoring_{stem}_answers.csv", index=False)
rep.figure(fig.diverging_item_bars(dist, lang, rep.say("scoring.captions.answers_title", period=period), cb),
           rep.say("scoring.captions.answers", period=period))
top = sc.top_box(interviews, cb)
top.safe.to_csv(out / f"scoring_{stem}_top_box.csv", index=False)
rep.table(say.top_box_view(top, lang, cb), rep.say("scoring.captions.top_box", period=period), floats="{:.1f}")
reasons = sc.domain_missing_reasons(interviews, cb)
if len(reasons):
    rep.table(say.missing_reasons_view(reasons, lang, cb), rep.say("scoring.captions.missing", period=period),
              floats="{:.3f}")

# %%
rep.heading("scoring.report.instrument.heading")
rep.paragraph("scoring.report.instrument.intro")
psy = sc.psychometric_table(interviews, cb, by="role")
psy.safe.to_csv(out / f"scoring_{stem}_psychometrics.csv", index=False)
rep.table(say.psychometric_view(psy, lang, cb), rep.say("scoring.captions.psychometrics", period=period),
          floats="{:.2f}")
warning = say.psychometric_warnings(psy, lang, cb)
if warning:
    rep.warning(warning)

# %%
rep.heading("scoring.report.workers.heading")
rep.paragraph("scoring.report.workers.intro", min_n=min_n)
rep.figure(fig.caterpillar_plot(rep.drawable(workers), lang, rep.say("scoring.captions.caterpillar_title", period=period), rep.worker),
           rep.say("scoring.captions.caterpillar", period=period))
rep.table(rep.suppress(say.worker_view(workers, rep.worker)), rep.say("scoring.captions.workers", period=period, min_n=min_n),
          floats="{:.1f}")
for _, row in workers.drop_duplicates("model").iterrows():
    rep.text(say.model_sentence(row, lang))
for sentence in say.adjusted_note_sentence(workers, lang):  # worker variance at 0, or too few workers: raw means
    rep.warning(sentence)

# %%
rep.heading("scoring.report.domains.heading")
rep.paragraph("scoring.report.domains.intro")
rep.figure(fig.domain_heatmap(rep.drawable(domains), cb, lang=lang, title=rep.say("scoring.captions.heatmap_title", period=period),
                              label=rep.worker),
           rep.say("scoring.captions.heatmap", period=period))

# %%
rep.heading("scoring.report.lists.heading")
rep.paragraph("scoring.report.lists.intro")
lists = sc.recognition_lists(domains)
rep.suppress(lists).safe.to_csv(out / f"scoring_{stem}_recognition.csv", index=False)
n_compared = int(domains.query("measure == 'composite'")["worker_id"].nunique())
if lists.empty:
    rep.text(say.no_listing_sentence(period, say.multiplicity_sentence("holm", 0.05, n_compared, lang), lang))
else:
    rep.table(rep.suppress(say.recognition_view(lists, lang, rep.worker, cb)),
              rep.say("scoring.captions.lists", period=period), floats="{:.1f}")
    for _, row in rep.drawable(lists).iterrows():
        rep.text(say.evidence_sentence(row, lang, rep.worker, cb))

# %%
rep.heading("scoring.report.funnel.heading")
rep.paragraph("scoring.report.funnel.intro")
funnel = worker_funnel(scored)
rep.suppress(funnel).safe.to_csv(out / f"scoring_{stem}_funnel.csv", index=False)
rep.figure(fig.worker_funnel_plot(rep.drawable(funnel), lang, label=rep.worker),
           rep.say("scoring.captions.funnel", period=period, phi=funnel.attrs["phi"]))

# %%
rep.heading("scoring.report.recovery.heading")
rep.paragraph("scoring.report.recovery.intro")
rows = []
planted = planted_truth(processed_dir, truth_path)  # None for real data: the truth only describes the demo files
if planted is not None:
    truth = sim.demo_truth_scores(planted, pooled=pooled)
    rows.append(sim.recovery(workers, truth).assign(data="demo", period=period))
    rep.figure(fig.recovery_plot(workers, truth, lang, rep.say("scoring.figures.recovery.demo", period=period)),
               rep.say("scoring.captions.recovery_demo", period=period))
else:
    rep.text(rep.say("scoring.recovery.none"))
if pooled or simulate_always:  # the simulated study does not depend on the year: computed once per run
    proof = study.artefact("scoring.simulated_proof", sim.simulated_proof, n_workers=60, n_interviewers=30, seed=0)
    rows.append(proof["recovery"].assign(data="simulated", period=""))
    rep.figure(fig.recovery_plot(proof["workers"], proof["truth"], lang, rep.say("scoring.figures.recovery.simulated")),
               rep.say("scoring.captions.recovery_simulated"))
else:
    rep.text(rep.say("scoring.recovery.elsewhere"))
if rows:
    recovery = pd.concat(rows, ignore_index=True)
    recovery.safe.to_csv(out / f"scoring_{stem}_recovery.csv", index=False)
    rep.table(say.recovery_view(recovery, lang), rep.say("scoring.captions.recovery"), floats="{:.3f}")

# %%
rep.methods(["pomp", "cronbach_alpha", "omega", "mixed_model", "worker_flags", "design_weights"])
