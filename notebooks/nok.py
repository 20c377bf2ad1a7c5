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
# # НОК: the independent assessment of the quality of service conditions (notebook)
#
# A note for the notebook's reader, left out of every report (tagged for both languages): the report's
# headings, paragraphs and captions come from the message catalogue,
# `src/helpers/narrative/messages/<lang>/nok.yaml`, in the language of the `lang` parameter.

# %% tags=["parameters"]
year: int = 2021  # НОК survey year
raw_dir: str = "../data/raw"  # raw nok_respondents_<year> and nok_organisations_<year> (.csv|.xlsx), read if processed_dir has none
processed_dir: str = "../data/processed"  # validated НОК tables nok_*_<year>.parquet written by the pipeline (read first)
tables_dir: str = "../reports/interactive/tables"  # folder for the tidy CSV tables of this report
lang: str = "en"  # report language: en | ru
audience: str = "public"  # public (estimates on fewer than 5 respondents suppressed) | internal
n_boot: int = 2000  # bootstrap replicates for intervals and rank intervals
seed: int = 2021  # random seed of the bootstrap (results are reproducible)
target: float = 95.0  # target for survey indicators in the improvement plans (0-100)

# %%
from pathlib import Path

from helpers.report import Report
from helpers.figures import nok as figures
from helpers.studies.nok.benchmark import funnel_outliers, plan_priorities
from helpers.narrative.nok import criteria_profile, criteria_tidy, denominator_table, localise, plan_table
from helpers.narrative.privacy import log_in_words
from helpers.studies.nok.study import open_nok_study, suggestion_counts

study = open_nok_study(raw_dir, year, processed_dir, n_boot=n_boot, seed=seed, target=target)
cb = study.codebook
rep = Report(lang=lang, audience=audience)
tables = Path(tables_dir)
tables.mkdir(parents=True, exist_ok=True)


def show(df, name, caption_key, floats=None, csv=None, **values):
    """Save the tidy table as CSV (codes, English column names; ``csv`` instead of ``df`` when the page shows
    it otherwise) and show it in the report's language with the catalogue caption ``caption_key``."""
    (df if csv is None else csv).safe.to_csv(tables / f"nok_{year}_{name}.csv", index=False)
    rep.table(localise(df, lang, cb), rep.say(caption_key, **values), floats=floats)


rep.heading("nok.nok.title.heading", 1)
rep.paragraph("nok.nok.title.intro")

# %%
rep.heading("nok.nok.s0.heading", 2)
rep.paragraph("nok.nok.s0.intro")
show(log_in_words(study.data.log, lang), "ingest", "nok.nok.captions.ingest", csv=study.data.log, year=year)
if len(study.data.quarantine):
    show(study.data.quarantine, "quarantine", "nok.nok.captions.quarantine")
else:
    rep.text(rep.say("report.no_quarantine"))

# %%
rep.heading("nok.nok.s1.heading", 2)
rep.paragraph("nok.nok.s1.intro")
ranking = study.ranking[["rank", "rank_low", "rank_high", "organisation_id", "name", "kind", "respondents",
                         "total_official", "ci_low", "ci_high", "vs_region", "distinguishable_from_region"]]
ranking = rep.suppress(ranking, n_col="respondents", columns=["total_official", "ci_low", "ci_high"])
# the page shows what fits 1280 px (the total and its interval in view): the name without its id, no kind and
# no yes/no twin of the comparison; the CSV keeps every column
view = ranking[["rank", "rank_low", "rank_high", "name", "respondents", "total_official", "ci_low", "ci_high",
                "vs_region"]]
show(view, "ranking", "nok.nok.captions.ranking", csv=ranking, year=year)
fig = figures.ranking_plot(study.ranking, float(study.region["total"].iloc[0]), lang)
rep.figure(fig, rep.say("nok.nok.texts.t1"))
k = int(study.ranking["distinguishable_from_region"].sum())
n_org = len(study.ranking)
rep.text(rep.say("nok.nok.texts.t2", k=k, n_org=n_org))

# %%
rep.heading("nok.nok.s2.heading", 2)
rep.paragraph("nok.nok.s2.intro")
show(study.region_ci, "region", "nok.nok.captions.region", year=year, respondents=int(study.region['respondents'].iloc[0]), organisations=int(study.region['organisations'].iloc[0]))
show(study.region_view, "region_criteria", "nok.nok.captions.region_criteria", floats="{:.2f}")
rep.figure(figures.region_gap_plot(study.region_view, lang, cb),
           rep.say("nok.nok.texts.t3"))
show(study.indicator_gaps.head(8), "region_indicators", "nok.nok.captions.region_indicators", floats="{:.3f}")

# %%
rep.heading("nok.nok.s3.heading", 2)
rep.paragraph("nok.nok.s3.intro")
rep.figure(figures.criteria_heatmap(study.scores, list(study.ranking["organisation_id"]), lang, cb),
           rep.say("nok.nok.texts.t4"))
profile = rep.suppress(criteria_profile(study, lang), n_col="respondents",
                       columns=["K1", "K2", "K3", "K4", "K5", "total"])
tidy = rep.suppress(criteria_tidy(study), n_col="respondents", columns=["estimate", "ci_low", "ci_high"])
show(profile, "criteria", "nok.nok.captions.criteria", csv=tidy)

# %%
rep.heading("nok.nok.s4.heading", 2)
rep.paragraph("nok.nok.s4.intro")
questions = ["q15", "q08", "q06", "q02"]
rep.figure(figures.share_funnel_plot(study.share_funnels, questions, lang, cb),
           rep.say("nok.nok.texts.t5"))
rep.figure(figures.ratio_funnel_plot(study.dissatisfaction, lang),
           rep.say("nok.nok.texts.t6", phi=float(study.dissatisfaction["respondent_phi"].iloc[0])))
disp = study.share_funnels.groupby(["indicator", "question"], as_index=False)[["phi", "tau2_estimated", "homogeneity_p", "tau2", "target"]].first()
show(disp, "overdispersion", "nok.nok.captions.overdispersion", floats="{:.4f}")
cols = ["organisation_id", "value", "outside998", "outside998_od"]
outliers = funnel_outliers(study.share_funnels, levels=("998",))[["indicator", "question", "events", "size", *cols]]
ratio_outliers = funnel_outliers(study.dissatisfaction, levels=("998",))[["observed", "expected", *cols]]
for table, name in ((outliers, "share_outliers"), (ratio_outliers, "dissatisfaction_outliers")):
    if len(table):
        show(table, name, f"nok.nok.captions.{name}", floats="{:.3f}")
    else:
        rep.text(rep.say("report.none", what=rep.say(f"nok.nok.captions.{name}")))

# %%
rep.heading("nok.nok.s5.heading", 2)
rep.paragraph("nok.nok.s5.intro")
plan = plan_table(study.plan, lang, cb)  # the action of each indicator in the report's language
plan.safe.to_csv(tables / f"nok_{year}_improvement_plan.csv", index=False)
top = plan_priorities(plan, top=3)[["organisation_id", "priority", "indicator", "value", "n",
                                          "significant", "missing", "points_in_total", "action"]]
show(top, "improvement_priorities",
     "nok.nok.captions.improvement_priorities", target=target, plan_rows=len(study.plan), year=year)

# %%
rep.heading("nok.nok.s6.heading", 2)
rep.paragraph("nok.nok.s6.intro")
if rep.public:
    rep.text(rep.say("report.not_shown_public"))
else:
    rep.table(localise(suggestion_counts(study.data.respondents), lang, cb),
              rep.say("nok.nok.texts.t8"))

# %%
rep.heading("nok.nok.s7.heading", 2)
rep.paragraph("nok.nok.s7.intro")
show(denominator_table(lang, cb), "denominators", "nok.nok.captions.denominators")
undefined = study.scores.loc[study.scores["reason"] != "", ["organisation_id", "reason"]]
if len(undefined):
    show(undefined, "undefined", "nok.nok.captions.undefined")

# %%
rep.methods(["quarantine", "nok_intervals", "nok_comparisons", "nok_funnels", "nok_plan"])
