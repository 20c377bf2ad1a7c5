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
years: list = None  # survey years to include, or None for every year in the validated data
processed_dir: str = "../data/processed"  # validated, pseudonymised data
tables_dir: str = "../reports/interactive/tables"  # where tidy CSV tables are written
lang: str = "en"  # report language: en | ru
audience: str = "public"  # public (codes only, small cells suppressed) | internal (management)
truth_path: str = "../data/demo/truth.json"  # planted truth of the demo data (absent for real data)
artefact_dir: str = ""  # artefact folder of the run (models shared with the summary); empty: kept in memory

# %%
from pathlib import Path

import pandas as pd

from helpers.figures import trends as figures
from helpers.io.demo import planted_truth
from helpers.narrative import trends as words
from helpers.report import open_report
from helpers.studies.mystery_guest import trends
from helpers.studies.mystery_guest.study import open_study

study = open_study(processed_dir, artefact_dir)
years = sorted(years) if years else study.years  # run by hand: every year of the validated data
rep = open_report(processed_dir, lang, audience)
tables = Path(tables_dir)
tables.mkdir(parents=True, exist_ok=True)
t = trends.trends_tables(study, years)  # every model and table, computed once per run (the summary loads them)


def show(df, caption_key, columns=None, n="n_interviews"):
    """A trends table in reviewer words (codes replaced by the catalogue's and codebook's words)."""
    out = words.reviewer_table(df if columns is None else df[columns], lang, worker=rep.worker)
    rep.table(out.rename(columns={"n": n, "reference": "reference_year", "yes": "n_yes"}), rep.say(caption_key))


rep.heading("trends.report.title", 1, first=str(min(years)), last=str(max(years)))
rep.paragraph("trends.report.intro")
changes = words.instrument_changes_sentence(study.codebook, years, lang)  # declared changes of the questionnaire
if changes:
    rep.text(changes)

# %%
rep.heading("trends.report.sample")
rep.paragraph("trends.report.sample_intro")
sample = t["sample"]
sample.safe.to_csv(tables / "trends_sample.csv", index=False)
by_row = sample.set_index("year").T
rep.table(by_row.set_axis(words.label_rows(by_row.index, lang)).reset_index(names="row"),
          rep.say("trends.report.sample_table"))

# %%
rep.heading("trends.report.organisation")
rep.paragraph("trends.report.organisation_intro")
summary, summary_all = t["summary"], t["summary_all"]
both = summary.merge(summary_all[["year", "measure", "estimate", "ci_low", "ci_high"]], on=["year", "measure"],
                     suffixes=("", "_all_interviews"))
both.safe.to_csv(tables / "trends_yearly.csv", index=False)
rep.figure(figures.plot_yearly(summary, ["ethics", "competence", "quality", "composite"], lang=lang),
           rep.say("trends.report.means_figure"))
rep.figure(figures.plot_yearly(summary, ["ethics_top", "competence_top", "quality_top", "composite_top"], lang=lang),
           rep.say("trends.report.top_figure"))
show(both[both["measure"].isin(trends.DOMAIN_MEASURES + ["covid"])], "trends.report.estimates_table",
     ["year", "measure", "n", "estimate", "ci_low", "ci_high", "estimate_all_interviews"])

# %%
rep.heading("trends.report.ceiling")
rep.paragraph("trends.report.ceiling_intro")
ceiling = t["ceiling"]
ceiling.safe.to_csv(tables / "trends_ceiling.csv", index=False)
show(ceiling, "trends.report.ceiling_table")
blocked = ceiling[~ceiling["testable"]]
if len(blocked):
    rep.warning(rep.say("trends.ceiling.blocked", items=", ".join(
        f"{words.measure_label(r.measure, lang)} {r.year}" for r in blocked.itertuples())))
else:
    rep.text(rep.say("trends.ceiling.none"))

# %%
rep.heading("trends.report.comparisons")
rep.paragraph("trends.report.comparisons_intro")
comparisons, comparisons_all = t["comparisons"], t["comparisons_all"]
pd.concat([comparisons, comparisons_all], ignore_index=True).safe.to_csv(tables / "trends_comparisons.csv", index=False)
cols = ["year_a", "year_b", "recipients_a", "recipients_b", "difference", "ci_low", "ci_high", "p_adjusted",
        "ci_low_adjusted", "ci_high_adjusted", "cliffs_delta", "mdd", "verdict"]
comp = comparisons[comparisons["measure"] == "composite"]
show(comp, "trends.report.comparisons_table", cols)
for _, row in comp.iterrows():
    rep.text(words.comparison_sentence(row, lang))
show(comparisons_all, "trends.report.comparisons_all_table", cols)
for _, row in comparisons_all.iterrows():
    rep.text(words.comparison_sentence(row, lang))
both_ways = t["year_comparisons"]  # the equal-gap check, the volunteer-only comparison and the headline
rep.heading("trends.report.role_gap")
rep.paragraph("trends.report.role_gap_intro")
rep.table(words.role_gap_table(both_ways.check, lang), rep.say("trends.report.role_gap_table"))
rep.text(words.role_gap_sentence(both_ways.check, lang))
rep.table(words.side_by_side_table(both_ways, lang), rep.say("trends.report.side_by_side_table"))
both_ways.volunteers.safe.to_csv(tables / "trends_comparisons_volunteers.csv", index=False)
trend = t["trend"]
trend.safe.to_csv(tables / "trends_trend_test.csv", index=False)
show(trend, "trends.report.trend_table", ["measure", "instrument", "years", "n", "slope", "ci_low", "ci_high", "p"])
for _, row in trend.iterrows():
    rep.text(words.trend_sentence(row, lang))

# %%
rep.heading("trends.report.models")
rep.paragraph("trends.report.models_intro")
fit = t["fit"]
fit.contrasts.safe.to_csv(tables / "trends_mixed_contrasts.csv", index=False)
show(fit.contrasts, "trends.report.contrasts_table")
show(fit.fixed, "trends.report.fixed_table")
rep.text(words.variance_sentence(fit.variance, lang))
ordinal = t["ordinal"]
ordinal.safe.to_csv(tables / "trends_ordinal.csv", index=False)
show(ordinal, "trends.report.ordinal_table")

# %%
rep.heading("trends.report.composition")
rep.paragraph("trends.report.composition_intro")
adjusted = t["raw_vs_adjusted"]
adjusted.safe.to_csv(tables / "trends_raw_vs_adjusted.csv", index=False)
rep.figure(figures.plot_raw_vs_adjusted(adjusted, lang=lang), rep.say("trends.report.composition_figure"))
rep.text(words.explain_adjustment(adjusted, fit, lang))
show(adjusted, "trends.report.composition_table")

# %%
rep.heading("trends.report.workers")
rep.paragraph("trends.report.workers_intro")
per_year, changes = t["per_year"], t["changes"]
per_year_out = rep.suppress(per_year.assign(worker_id=per_year["worker_id"].map(rep.worker)))
changes_out = changes.assign(worker_id=changes["worker_id"].map(rep.worker))
per_year_out.safe.to_csv(tables / "trends_workers_per_year.csv", index=False)
changes_out.safe.to_csv(tables / "trends_workers_change.csv", index=False)
rep.figure(figures.plot_worker_trajectories(rep.drawable(per_year), changes, lang=lang,
                                            worker=rep.worker),
           rep.say("trends.report.workers_figure"))
show(changes.rename(columns={"ci_low": "slope_ci_low", "ci_high": "slope_ci_high"}), "trends.report.workers_table",
     ["worker_id", "years", "n", "slope", "slope_ci_low", "slope_ci_high", "p_adjusted", "n_compared", "direction"])
if len(changes) and (changes["direction"] == "not_assessed").all():  # no worker in 3+ years: no verdicts
    rep.text(rep.say("trends.report.workers_not_assessed"))

# %%
rep.heading("trends.report.covid")
rep.paragraph("trends.report.covid_intro")
covid = t["covid"]
covid.safe.to_csv(tables / "trends_covid.csv", index=False)
if covid.empty:
    rep.text(rep.say("trends.covid_none"))
else:
    rep.figure(figures.plot_covid(covid, study.codebook, lang=lang), rep.say("trends.report.covid_figure"))
    show(covid, "trends.report.covid_table",
         ["year", "department", "item", "n", "yes", "share", "ci_low", "ci_high", "wilson_low", "wilson_high"],
         n="n_answers")

# %%
rep.heading("trends.report.truth")
rep.paragraph("trends.report.truth_intro")
planted = planted_truth(processed_dir, truth_path)  # None unless these are the unchanged demo files
if planted is not None:
    check = trends.truth_check(ordinal, planted)
    check.safe.to_csv(tables / "trends_truth_check.csv", index=False)
    show(check, "trends.report.truth_table")
    rep.text(words.truth_sentence(check, lang))
else:
    rep.text(rep.say("trends.no_truth"))

# %%
rep.methods(["constant_instrument", "design_weights", "mixed_model", "trends", "wilson"])
