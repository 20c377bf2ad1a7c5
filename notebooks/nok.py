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
from helpers.narrative.nok import criteria_profile, denominator_table, localise, plan_table
from helpers.studies.nok.study import open_nok_study, suggestion_counts

study = open_nok_study(raw_dir, year, processed_dir, n_boot=n_boot, seed=seed, target=target)
cb = study.codebook
rep = Report(lang=lang, audience=audience)
tables = Path(tables_dir)
tables.mkdir(parents=True, exist_ok=True)


def show(df, name, caption_en, caption_ru, floats=None):
    """Save the tidy table as CSV (codes, English column names) and show it in the report's language."""
    df.safe.to_csv(tables / f"nok_{year}_{name}.csv", index=False)
    rep.table(localise(df, lang, cb), {"en": caption_en, "ru": caption_ru}[lang], floats=floats)


rep.heading("nok.nok.title.heading", 1)
rep.paragraph("nok.nok.title.intro")

# %%
rep.heading("nok.nok.s0.heading", 2)
rep.paragraph("nok.nok.s0.intro")
show(study.data.log, "ingest", f"Rows read, accepted and quarantined, {year}", f"Строки: прочитано, принято, в карантине, {year} г.")
if len(study.data.quarantine):
    show(study.data.quarantine, "quarantine", "Quarantined rows with file, row, column and reason",
         "Строки в карантине: файл, строка, столбец, причина")
else:
    rep.text(rep.say("report.no_quarantine"))

# %%
rep.heading("nok.nok.s1.heading", 2)
rep.paragraph("nok.nok.s1.intro")
ranking = study.ranking[["rank", "rank_low", "rank_high", "organisation_id", "name", "kind", "respondents",
                         "total_official", "ci_low", "ci_high", "vs_region", "distinguishable_from_region"]]
ranking = rep.suppress(ranking, n_col="respondents", columns=["total_official", "ci_low", "ci_high"])
show(ranking, "ranking", f"Totals of {year} with 95% intervals, rank intervals and the comparison with the regional mean",
     f"Итоговые баллы {year} г. с 95% интервалами, интервалами мест и сравнением со средним по области")
fig = figures.ranking_plot(study.ranking, float(study.region["total"].iloc[0]), lang)
rep.figure(fig, {"en": "Total score of every organisation (dot) with its 95% interval; n = respondents. Green: above the "
                       "regional mean, red: below, grey: not distinguishable from it.",
                 "ru": "Итоговый балл каждой организации (точка) с 95% интервалом; n — число респондентов. Зелёный — выше "
                       "среднего по области, красный — ниже, серый — не отличается от него."}[lang])
k = int(study.ranking["distinguishable_from_region"].sum())
n_org = len(study.ranking)
rep.text({"en": f"{k} of {n_org} organisations are distinguishable from the regional mean; the others differ from it "
                "by no more than chance allows.",
          "ru": f"{k} из {n_org} организаций отличаются от среднего по области; остальные отличаются от него не больше, "
                "чем допускает случайность."}[lang])

# %%
rep.heading("nok.nok.s2.heading", 2)
rep.paragraph("nok.nok.s2.intro")
show(study.region_ci, "region", f"Regional means of {year} with 95% intervals (n = {int(study.region['respondents'].iloc[0])} respondents, "
     f"{int(study.region['organisations'].iloc[0])} organisations)",
     f"Средние по области, {year} г., с 95% интервалами (n = {int(study.region['respondents'].iloc[0])} респондентов, "
     f"{int(study.region['organisations'].iloc[0])} организаций)")
show(study.region_view, "region_criteria", "Criteria by their gap to 100 in the regional mean",
     "Критерии по недобору до 100 в среднем по области", floats="{:.2f}")
rep.figure(figures.region_gap_plot(study.region_view, lang, cb),
           {"en": "Gap to 100 of the regional mean of each criterion (points); the largest gap holds the region back most.",
            "ru": "Недобор среднего по области до 100 по каждому критерию (баллы); наибольший недобор сильнее всего "
                  "сдерживает область."}[lang])
show(study.indicator_gaps.head(8), "region_indicators", "Indicators that cost the regional total most (points of the total)",
     "Показатели, сильнее всего снижающие итог области (баллы итога)", floats="{:.3f}")

# %%
rep.heading("nok.nok.s3.heading", 2)
rep.paragraph("nok.nok.s3.intro")
rep.figure(figures.criteria_heatmap(study.scores, list(study.ranking["organisation_id"]), lang, cb),
           {"en": "Criteria K1-K5 of every organisation (0-100), organisations in ranking order.",
            "ru": "Критерии К1-К5 каждой организации (0-100), организации в порядке рейтинга."}[lang])
profile = criteria_profile(study, lang)
if rep.public:
    small = profile["respondents"] < 5
    profile.loc[small, ["K1", "K2", "K3", "K4", "K5", "total"]] = "n<5"
show(profile, "criteria", "Criteria and total with 95% intervals [low; high]", "Критерии и итог с 95% интервалами [от; до]")

# %%
rep.heading("nok.nok.s4.heading", 2)
rep.paragraph("nok.nok.s4.intro")
questions = ["q15", "q08", "q06", "q02"]
rep.figure(figures.share_funnel_plot(study.share_funnels, questions, lang, cb),
           {"en": "Funnel plots of four satisfaction shares (overall, accessibility, comfort, information on stands).",
            "ru": "Воронкообразные диаграммы четырёх долей удовлетворённых (в целом, доступность, комфортность, "
                  "информация на стендах)."}[lang])
rep.figure(figures.ratio_funnel_plot(study.dissatisfaction, lang),
           {"en": "Observed / expected number of 'no' answers to the satisfaction questions; 1 = as in the region.",
            "ru": "Наблюдаемое / ожидаемое число ответов «нет» на вопросы об удовлетворённости; 1 — как по области."}[lang])
disp = study.share_funnels.groupby(["indicator", "question"], as_index=False)[["phi", "tau2", "target"]].first()
show(disp, "overdispersion", "Over-dispersion per satisfaction question: φ (1 = none) and τ² (arcsine scale)",
     "Сверхдисперсия по вопросам: φ (1 — нет) и τ² (шкала арксинуса)", floats="{:.4f}")
cols = ["organisation_id", "value", "outside998", "outside998_od"]
outliers = funnel_outliers(study.share_funnels, levels=("998",))[["indicator", "question", "events", "size", *cols]]
ratio_outliers = funnel_outliers(study.dissatisfaction, levels=("998",))[["observed", "expected", *cols]]
for table, name, en, ru in ((outliers, "share_outliers", "Shares outside the 99.8% limits with over-dispersion",
                             "Доли за границами 99,8% с поправкой на сверхдисперсию"),
                            (ratio_outliers, "dissatisfaction_outliers",
                             "Observed / expected 'no' answers outside the 99.8% limits with over-dispersion",
                             "Отношение наблюдаемых и ожидаемых ответов «нет» за границами 99,8% с поправкой")):
    if len(table):
        show(table, name, en, ru, floats="{:.3f}")
    else:
        rep.text({"en": f"{en}: none.", "ru": f"{ru}: нет."}[lang])

# %%
rep.heading("nok.nok.s5.heading", 2)
rep.paragraph("nok.nok.s5.intro")
plan = plan_table(study.plan, lang, cb)  # the action of each indicator in the report's language
plan.safe.to_csv(tables / f"nok_{year}_improvement_plan.csv", index=False)
top = plan_priorities(plan, top=3)[["organisation_id", "priority", "indicator", "value", "n",
                                          "significant", "missing", "points_in_total", "action"]]
show(top, "improvement_priorities",
     f"The three largest shortfalls of every organisation (target for survey indicators: {target:g}; "
     f"the full plan, {len(study.plan)} rows, is in the table nok_{year}_improvement_plan.csv)",
     f"Три главных недостатка каждой организации (цель для показателей опроса: {target:g}; полный план, "
     f"{len(study.plan)} строк, — в таблице nok_{year}_improvement_plan.csv)")

# %%
rep.heading("nok.nok.s6.heading", 2)
rep.paragraph("nok.nok.s6.intro")
if rep.public:
    rep.text(rep.say("report.not_shown_public"))
else:
    rep.table(localise(suggestion_counts(study.data.respondents), lang, cb),
              {"en": "Suggestions per organisation", "ru": "Предложения по организациям"}[lang])

# %%
rep.heading("nok.nok.s7.heading", 2)
rep.paragraph("nok.nok.s7.intro")
show(denominator_table(lang, cb), "denominators", "Indicators, weights and the denominator of every survey share",
     "Показатели, веса и знаменатель каждой доли опроса")
undefined = study.scores.loc[study.scores["reason"] != "", ["organisation_id", "reason"]]
if len(undefined):
    show(undefined, "undefined", "Undefined shares and how the criterion was computed (zero-denominator rule)",
         "Неопределённые доли и как рассчитан критерий (правило нулевого знаменателя)")
rep.methods(["quarantine"])
