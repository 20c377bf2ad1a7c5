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

# %% [markdown] tags=["lang-en"]
# # НОК: the independent assessment of the quality of service conditions, with its uncertainty
#
# Every social-service organisation is rated by the independent assessment (НОК, Order of the Ministry of
# Labour No. 344n) on five criteria from a checklist and a survey of recipients; the total is 0–100. This
# report recomputes the official scores from the raw files and adds what the official method lacks:
# an interval beside every survey-based figure, rank intervals instead of a bare ranking, funnel plots
# that separate real differences from chance, an improvement plan for every organisation and a view of
# what holds the region back. n (respondents, or respondents in a share's denominator) is shown beside
# every estimate.

# %% [markdown] tags=["lang-ru"]
# # НОК: независимая оценка качества условий оказания услуг — с неопределённостью
#
# Каждая организация социального обслуживания получает по независимой оценке (НОК, приказ Минтруда
# № 344н) баллы по пяти критериям на основе обследования и опроса получателей услуг; итог — от 0 до 100.
# Отчёт пересчитывает официальные баллы по исходным файлам и добавляет то, чего нет в официальной
# методике: интервал рядом с каждым показателем, основанным на опросе; интервалы мест вместо голого
# рейтинга; воронкообразные диаграммы, отделяющие реальные различия от случайных; план улучшений для
# каждой организации и картину того, что сдерживает область. Рядом с каждой оценкой указано n
# (респонденты или респонденты в знаменателе доли).

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
from helpers.studies.nok.study import (
    criteria_profile,
    denominator_table,
    localise,
    open_nok_study,
    suggestion_counts,
)

study = open_nok_study(raw_dir, year, processed_dir, n_boot=n_boot, seed=seed, target=target, lang=lang)
cb = study.codebook
rep = Report(lang=lang, audience=audience)
tables = Path(tables_dir)
tables.mkdir(parents=True, exist_ok=True)


def show(df, name, caption_en, caption_ru, floats=None):
    """Save the tidy table as CSV (codes, English column names) and show it in the report's language."""
    df.safe.to_csv(tables / f"nok_{year}_{name}.csv", index=False)
    rep.table(localise(df, lang, cb), {"en": caption_en, "ru": caption_ru}[lang], floats=floats)


# %% [markdown] tags=["lang-en"]
# ## 1. The data: rows read, accepted and quarantined
#
# Every row of the two files is either accepted or quarantined with its file, row, column and reason;
# nothing is corrected silently. An answer to a question that its filter question skipped (for example
# satisfaction with the site from a respondent who did not use the site) is quarantined, not dropped.

# %% [markdown] tags=["lang-ru"]
# ## 1. Данные: прочитано, принято, в карантине
#
# Каждая строка двух файлов либо принята, либо помещена в карантин с указанием файла, строки, столбца и
# причины; ничего не исправляется молча. Ответ на вопрос, который фильтр пропускает (например,
# удовлетворённость сайтом от респондента, не пользовавшегося сайтом), помещается в карантин, а не
# удаляется.

# %%
show(study.data.log, "ingest", f"Rows read, accepted and quarantined, {year}", f"Строки: прочитано, принято, в карантине, {year} г.")
if len(study.data.quarantine):
    show(study.data.quarantine, "quarantine", "Quarantined rows with file, row, column and reason",
         "Строки в карантине: файл, строка, столбец, причина")
else:
    rep.text({"en": "No row was quarantined.", "ru": "Ни одна строка не попала в карантин."}[lang])

# %% [markdown] tags=["lang-en"]
# ## 2. The ranking, with intervals
#
# The official total is rounded to two decimals and ranked. Below, each total has its 95% interval
# (respondent bootstrap; the checklist is fixed), the interval of ranks the organisation could hold, and
# whether it is distinguishable from the regional mean (the interval of its difference from the mean
# excludes zero). Organisations whose rank intervals overlap should not be told apart by the ranking.

# %% [markdown] tags=["lang-ru"]
# ## 2. Рейтинг с интервалами
#
# Официальный итог округляется до двух знаков и ранжируется. Ниже у каждого итога — 95% интервал
# (бутстреп респондентов; результаты обследования фиксированы), интервал мест, которые организация могла
# бы занять, и отличается ли она от среднего по области (интервал разности со средним не содержит
# нуля). Организации с перекрывающимися интервалами мест нельзя различать по рейтингу.

# %%
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

# %% [markdown] tags=["lang-en"]
# ## 3. The region: what holds it back
#
# The regional figure is the mean over organisations. The gap of each criterion to 100 shows where
# the region loses points; the Kaluga council of 2021 named accessibility for disabled people, comfort
# and information openness. The second table breaks the gap down by indicator: what bringing the
# indicator to 100 in every organisation would add to the regional total.

# %% [markdown] tags=["lang-ru"]
# ## 3. Область: что её сдерживает
#
# Показатель области — среднее по организациям. Недобор каждого критерия до 100 показывает, где область
# теряет баллы; Общественный совет Калужской области в 2021 г. назвал доступность для инвалидов,
# комфортность условий и информационную открытость. Вторая таблица раскладывает недобор по показателям:
# сколько добавило бы к итогу области доведение показателя до 100 во всех организациях.

# %%
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

# %% [markdown] tags=["lang-en"]
# ## 4. Criteria profile of every organisation
#
# Each criterion with its 95% interval, organisations in ranking order. Criteria resting on the
# checklist alone have no sampling error; criteria with survey indicators do.

# %% [markdown] tags=["lang-ru"]
# ## 4. Профиль критериев каждой организации
#
# Каждый критерий с 95% интервалом; организации в порядке рейтинга. У критериев, основанных только на
# обследовании, нет ошибки выборки; у критериев с показателями опроса — есть.

# %%
rep.figure(figures.criteria_heatmap(study.scores, list(study.ranking["organisation_id"]), lang, cb),
           {"en": "Criteria K1-K5 of every organisation (0-100), organisations in ranking order.",
            "ru": "Критерии К1-К5 каждой организации (0-100), организации в порядке рейтинга."}[lang])
profile = criteria_profile(study, lang)
if rep.public:
    small = profile["respondents"] < 5
    profile.loc[small, ["K1", "K2", "K3", "K4", "K5", "total"]] = "n<5"
show(profile, "criteria", "Criteria and total with 95% intervals [low; high]", "Критерии и итог с 95% интервалами [от; до]")

# %% [markdown] tags=["lang-en"]
# ## 5. Funnel plots: real differences or chance?
#
# Each point is an organisation's share of "yes" against the number of respondents it rests on. The
# limits around the group value (pooled share) show how far an organisation may lie from it by chance
# alone: 95% (dashed blue) and 99.8% (dashed red); solid red: 99.8% limits widened for over-dispersion
# (organisations differ more than sampling error allows; φ and τ² below). Only points outside the solid
# limits are real outliers. The last funnel counts all "no" answers of an organisation against the
# number expected at the regional rates (exact Poisson limits).

# %% [markdown] tags=["lang-ru"]
# ## 5. Воронкообразные диаграммы: реальные различия или случайность?
#
# Каждая точка — доля ответов «да» в организации в зависимости от числа респондентов, на котором она
# основана. Границы вокруг значения группы (общей доли) показывают, насколько организация может
# отклониться от него случайно: 95% (синий пунктир) и 99,8% (красный пунктир); сплошная красная линия —
# границы 99,8%, расширенные с учётом сверхдисперсии (организации различаются сильнее, чем допускает
# ошибка выборки; φ и τ² ниже). Реальные выбросы — только точки за сплошными линиями. Последняя диаграмма
# сравнивает число ответов «нет» в организации с ожидаемым при областных долях (точные границы Пуассона).

# %%
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

# %% [markdown] tags=["lang-en"]
# ## 6. Improvement plans
#
# For every organisation: the checklist items missing (certain) and the survey indicators below the
# target or below the group (as the Polish benchmarking group did), with the action and the points of
# the total the organisation would gain by bringing the indicator to 100. The table shows the three
# largest shortfalls of each organisation; the full plan is written as a CSV table. "Significant" means the whole
# interval of the indicator is below the group mean; otherwise being below the group may be chance.

# %% [markdown] tags=["lang-ru"]
# ## 6. Планы улучшений
#
# Для каждой организации — недостающие пункты обследования (достоверно) и показатели опроса ниже цели
# или ниже группы (как в польской группе бенчмаркинга), с мероприятием и числом баллов итога, которое
# организация получила бы, доведя показатель до 100. В таблице — три главных недостатка каждой
# организации; полный план записан в CSV-таблицу. «Значимо» — весь интервал показателя ниже среднего
# по группе; иначе отставание от группы может быть случайным.

# %%
study.plan.safe.to_csv(tables / f"nok_{year}_improvement_plan.csv", index=False)
top = plan_priorities(study.plan, top=3)[["organisation_id", "priority", "indicator", "value", "n",
                                          "significant", "missing", "points_in_total", "action"]]
show(top, "improvement_priorities",
     f"The three largest shortfalls of every organisation (target for survey indicators: {target:g}; "
     f"the full plan, {len(study.plan)} rows, is in the table nok_{year}_improvement_plan.csv)",
     f"Три главных недостатка каждой организации (цель для показателей опроса: {target:g}; полный план, "
     f"{len(study.plan)} строк, — в таблице nok_{year}_improvement_plan.csv)")

# %% [markdown] tags=["lang-en"]
# ## 6a. Respondents' suggestions (internal audience only)
#
# What respondents wrote in the free-text question, per organisation, with how many wrote the same.
# Free text can name people, so the public report leaves it out.

# %% [markdown] tags=["lang-ru"]
# ## 6а. Предложения респондентов (только для внутреннего отчёта)
#
# Что респонденты написали в открытом вопросе, по организациям, и сколько написали то же самое.
# Свободный текст может называть людей, поэтому в публичный отчёт он не входит.

# %%
if rep.public:
    rep.text({"en": "Left out of the public report.", "ru": "В публичный отчёт не входит."}[lang])
else:
    rep.table(localise(suggestion_counts(study.data.respondents), lang, cb),
              {"en": "Suggestions per organisation", "ru": "Предложения по организациям"}[lang])

# %% [markdown] tags=["lang-en"]
# ## 7. Methods
#
# **Official calculation** (Order 344n of 31.05.2018; questionnaire of Order 675n): every indicator on
# 0–100; checklist indicators are items present / required (information), 30 points per remote channel
# and 20 points per comfort or accessibility condition (at most 100); survey indicators are
# 100 · S / U, the share of respondents answering "yes" among the respondents in the denominator. The
# table below shows which denominator each indicator uses (the skip logic: only those who used the
# stands, the site or remote contact, or who have a disability, are asked the follow-up question).
# A criterion is the weighted sum of its indicators, the total the mean of the five criteria; values are
# unrounded in the computation and rounded half up to two decimals for display.
#
# **Zero denominator.** A share whose denominator is 0 is undefined, never 0 or 100. An indicator with
# two shares (i1_3) is the mean of the defined ones; a criterion with an undefined indicator is the
# weighted mean of its defined indicators with the weights rescaled to 1; the total is undefined if a
# criterion is. The scores table states each such case.
#
# **Intervals.** Respondents are resampled within each organisation, the checklist held fixed. For shares
# and criteria the Bayesian bootstrap (Rubin 1981) with a Jeffreys prior carried by pseudo-respondents
# (each share's replicates are exactly Beta(S + ½, U − S + ½); Brown, Cai & DasGupta 2001), so that a
# share of 100% still gets an honest interval (near 100 intervals are asymmetric: the data rule out
# values above 100, not values a little below); for the total the classic bootstrap (Efron & Tibshirani
# 1993). Rank intervals are the 2.5% and 97.5% percentiles of the ranks over the replicates (Goldstein &
# Spiegelhalter 1996). Checked on demo data with a planted truth: the 95% intervals covered the truth in
# about 95% of cases.
#
# **Funnel plots.** Proportions on the arcsine-square-root scale, ratios of observed to expected counts
# with exact Poisson limits (Spiegelhalter 2005, Stat Med 24:1185); over-dispersion φ and τ² by additive
# random effects on z-scores winsorised at 10% (Spiegelhalter et al. 2012, JRSS A 175:1; the method of
# the R package FunnelPlotR). Benchmarking against the group as in the Polish benchmarking group of
# 2007–2008.

# %% [markdown] tags=["lang-ru"]
# ## 7. Методы
#
# **Официальный расчёт** (приказ Минтруда № 344н от 31.05.2018; анкета — приказ № 675н): каждый
# показатель на шкале 0–100; показатели обследования — доля размещённых пунктов информации от
# требуемых, 30 баллов за каждый дистанционный способ связи и 20 баллов за каждое условие комфортности
# или доступности (не более 100); показатели опроса — 100 · S / U, доля ответивших «да» среди
# респондентов знаменателя. В таблице ниже указан знаменатель каждого показателя (логика переходов:
# дополнительный вопрос задаётся только тем, кто пользовался стендами, сайтом или дистанционной связью,
# или имеет инвалидность). Критерий — взвешенная сумма показателей, итог — среднее пяти критериев; в
# расчётах значения не округляются, для показа округляются до двух знаков.
#
# **Нулевой знаменатель.** Доля с нулевым знаменателем не определена — это не 0 и не 100. Показатель из
# двух долей (1.3) — среднее определённых долей; критерий с неопределённым показателем — взвешенное
# среднее определённых показателей с весами, приведёнными к сумме 1; итог не определён, если не
# определён критерий. Каждый такой случай указан в таблице баллов.
#
# **Интервалы.** Респонденты переотбираются внутри каждой организации, результаты обследования
# фиксированы. Для долей и критериев — байесовский бутстреп (Rubin 1981) с априорным распределением
# Джеффриса через псевдореспондентов (реплики каждой доли распределены точно как Beta(S + ½, U − S + ½);
# Brown, Cai, DasGupta 2001), чтобы и доля 100% получала честный интервал (у 100 интервалы несимметричны:
# данные исключают значения выше 100, но не чуть ниже); для итога — классический
# бутстреп (Efron, Tibshirani 1993). Интервалы мест — 2,5% и 97,5% перцентили мест по репликам
# (Goldstein, Spiegelhalter 1996). Проверено на демонстрационных данных с известной истиной: 95%
# интервалы накрывали истину примерно в 95% случаев.
#
# **Воронкообразные диаграммы.** Доли — на шкале арксинуса квадратного корня, отношения наблюдаемого
# числа к ожидаемому — с точными границами Пуассона (Spiegelhalter 2005, Stat Med 24:1185);
# сверхдисперсия φ и τ² — аддитивные случайные эффекты по z-оценкам, винзоризованным на 10%
# (Spiegelhalter et al. 2012, JRSS A 175:1; метод R-пакета FunnelPlotR). Сравнение с группой — как в
# польской группе бенчмаркинга 2007–2008 гг.

# %%
show(denominator_table(cb, lang), "denominators", "Indicators, weights and the denominator of every survey share",
     "Показатели, веса и знаменатель каждой доли опроса")
undefined = study.scores.loc[study.scores["reason"] != "", ["organisation_id", "reason"]]
if len(undefined):
    show(undefined, "undefined", "Undefined shares and how the criterion was computed (zero-denominator rule)",
         "Неопределённые доли и как рассчитан критерий (правило нулевого знаменателя)")
rep.methods(["quarantine"])
