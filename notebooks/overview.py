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
year: int = 2020  # survey year to describe (any year in processed_dir)
processed_dir: str = "../data/processed"  # validated, pseudonymised data written by `python -m helpers validate`
artefact_dir: str = ""  # the run's artefact folder, shared results computed once - empty: kept in memory
tables_dir: str = "../reports/interactive/tables"  # folder for the tidy CSV tables of this report
lang: str = "en"  # report language: en | ru
audience: str = "public"  # public (codes only, small cells suppressed) | internal (management)

# %%
# Data overview: headings and text come from the message catalogue (overview.report.*) in the report's language.
from pathlib import Path

from helpers.figures.overview import plot_answer_distribution
from helpers.narrative import overview as say
from helpers.report import open_report
from helpers.studies.mystery_guest import overview
from helpers.studies.mystery_guest.scoring import answer_distribution
from helpers.studies.mystery_guest.study import open_study

study = open_study(processed_dir, artefact_dir)
cb = study.codebook
interviews = study.interviews()
rep = open_report(processed_dir, lang, audience, year=year)
tables = Path(tables_dir)
tables.mkdir(parents=True, exist_ok=True)
rep.heading("overview.report.title", 1)
rep.paragraph("overview.report.intro")

# %%
rep.heading("overview.report.counts.heading")
rep.paragraph("overview.report.counts.intro")
counts = overview.counts_vs_published(interviews, year)
counts.safe.to_csv(tables / f"overview_{year}_counts.csv", index=False)
rep.table(say.counts_view(counts, lang), rep.say("overview.captions.counts", year=str(year)), floats="{:.0f}")
mismatch = say.mismatch_warning(counts, lang)
if mismatch:
    rep.warning(mismatch)

# %%
rep.heading("overview.report.coverage.heading")
rep.paragraph("overview.report.coverage.intro")
cov = overview.coverage(interviews, study.strata(), year)
cov.safe.to_csv(tables / f"overview_{year}_coverage.csv", index=False)
rep.table(say.coverage_view(cov, lang, cb), rep.say("overview.captions.coverage", year=str(year)), floats="{:.3f}")

# %%
rep.heading("overview.report.workers.heading")
rep.paragraph("overview.report.workers.intro")
per_worker = overview.interviews_per_worker(interviews, year)
per_worker.insert(0, "worker", per_worker.pop("worker_id").map(rep.worker))
per_worker = rep.suppress(per_worker, n_col="recipients", columns=["interviews", "recipients"])
per_worker.safe.to_csv(tables / f"overview_{year}_workers.csv", index=False)
rep.table(say.workers_view(per_worker, lang, cb), rep.say("overview.captions.workers", year=str(year)))

# %%
rep.heading("overview.report.answers.heading")
rep.paragraph("overview.report.answers.intro")
dist = answer_distribution(interviews[interviews["year"] == year], cb)
dist.safe.to_csv(tables / f"overview_{year}_answers.csv", index=False)
rep.figure(plot_answer_distribution(dist, year, lang, cb), rep.say("overview.captions.answers", year=str(year)))

# %%
rep.heading("overview.report.missing.heading")
rep.paragraph("overview.report.missing.intro")
miss = overview.missing_rates(interviews, cb, year)
miss.safe.to_csv(tables / f"overview_{year}_missing.csv", index=False)
rep.table(say.missing_view(miss, lang, cb), rep.say("overview.captions.missing", year=str(year)), floats="{:.3f}")

# %%
rep.heading("overview.report.quarantine.heading")
rep.paragraph("overview.report.quarantine.intro")
qs = overview.quarantine_summary(study.data["quarantine"], study.data["ingest_log"], year)
qs.safe.to_csv(tables / f"overview_{year}_quarantine_summary.csv", index=False)
rep.table(say.quarantine_summary_view(qs, lang), rep.say("overview.captions.quarantine_summary", year=str(year)))
reasons = overview.quarantine_reasons(study.data["quarantine"], year, public=rep.public)
if len(reasons):
    rep.table(say.quarantine_view(reasons, lang, cb), rep.say("overview.captions.quarantine", year=str(year)))
else:
    rep.text(rep.say("overview.no_quarantine", year=str(year)))

# %%
rep.methods(["pseudonymisation", "quarantine"])
