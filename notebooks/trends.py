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
# # Year-over-year trends 2018–2021: what changed, and what the data can tell
#
# This report answers: did the quality of the social workers' work, as recipients describe it, change
# between the survey years — through COVID-19 and through the switch from volunteer-only interviews
# (2018–2019) to volunteer + social-worker pairs (2020 onwards)? Every yearly figure is shown with its
# number of interviews (n) and a 95% interval. With 35–144 recipients a year and most answers at the top
# of the scale, the report also says, for every pair of years, how large a change would have had to be to
# be detected, so that "no significant change" is never read as "no change".
#
# Years are compared on a **constant instrument**: the yearly means a volunteer interviewing in person would
# have recorded (standardised for interviewer role and mode, with the recipient as the sampling unit).
# Social-worker interviewers, who score about 3 points lower, joined only in 2020, so figures over all
# interviews as conducted depend on the interviewer mix; they are shown second, for reference.

# %% [markdown] tags=["lang-ru"]
# # Динамика 2018–2021: что изменилось и что данные позволяют утверждать
#
# Отчёт отвечает на вопрос: изменилось ли качество работы социальных работников в оценке получателей
# услуг между годами опроса — во время COVID-19 и после перехода от опросов только волонтёрами
# (2018–2019) к парам «волонтёр + социальный работник» (с 2020 г.)? Каждая годовая оценка показана
# с числом интервью (n) и 95%-м интервалом. Поскольку в год опрашивали 35–144 получателей, а большинство
# ответов — максимальные, для каждой пары лет указано, насколько большим должно быть изменение, чтобы
# его можно было обнаружить: «незначимое изменение» не означает «никакого изменения».
#
# Годы сравниваются при **постоянном инструменте**: годовые средние, которые записал бы волонтёр при
# личной беседе (стандартизация по роли опрашивающего и способу опроса; единица выборки — получатель).
# Социальные работники, ставящие в среднем примерно на 3 балла ниже, опрашивают только с 2020 г., поэтому
# оценки по всем интервью как есть зависят от состава опрашивающих; они приводятся вторыми, для справки.

# %% tags=["parameters"]
years: list = [2018, 2019, 2020, 2021]  # survey years to include
processed_dir: str = "../data/processed"  # validated, pseudonymised data
tables_dir: str = "../reports/interactive/tables"  # where tidy CSV tables are written
lang: str = "en"  # report language: en | ru
audience: str = "public"  # public (codes only, small cells suppressed) | internal (management)
truth_path: str = "../data/demo/truth.json"  # planted truth of the demo data (absent for real data)

# %%
import json
import pandas as pd
from pathlib import Path

from helpers.studies.mystery_guest import trends
from helpers.io.codebook import load_codebook
from helpers.io.demo import planted_truth
from helpers.report import open_report

cb = load_codebook()
interviews, strata, scored = trends.load_years(processed_dir, years, cb)
rep = open_report(processed_dir, lang, audience)
tables = Path(tables_dir)
tables.mkdir(parents=True, exist_ok=True)
ru = lang == "ru"

# %% [markdown] tags=["lang-en"]
# ## 1. The samples of the four years
#
# Counts per year from the validated interviews, beside the figures published by the centre, and the
# coverage of the population served (in 2020: 10% of home care, 100% of temporary residence).

# %% [markdown] tags=["lang-ru"]
# ## 1. Выборки по годам
#
# Число интервью, получателей, работников и опрашивающих по проверенным данным рядом с опубликованными
# цифрами и охват обслуживаемых (в 2020 г.: 10% надомного обслуживания, 100% временного проживания).

# %%
sample = trends.sample_by_year(interviews, strata)
sample.safe.to_csv(tables / "trends_sample.csv", index=False)
rep.table(sample.set_index("year").T.reset_index(names="measure").rename(columns=str),
          "Выборка по годам и опубликованные цифры" if ru else "Sample per year beside the published figures")

# %% [markdown] tags=["lang-en"]
# ## 2. Organisation-level trends
#
# Mean domain scores and the composite index (0–100) per year on the constant instrument (volunteer in
# person; mixed model with worker, interviewer and recipient effects, departments at their population
# shares), with the design-weighted mean of all interviews as conducted beside it (depends on the
# interviewer mix); and the share of interviews in which every answer was the best one ("top box").
# Points are estimates, bars 95% intervals, n = interviews.

# %% [markdown] tags=["lang-ru"]
# ## 2. Динамика по организации
#
# Средние баллы по блокам и интегральный индекс (0–100) по годам при постоянном инструменте (волонтёр, лично;
# смешанная модель с эффектами работника, опрашивающего и получателя, подразделения — по долям в населении),
# рядом — взвешенное среднее всех интервью как есть (зависит от состава опрашивающих); доля интервью, в которых
# все ответы лучшие.
# Точки — оценки, отрезки — 95%-е интервалы, n — число интервью.

# %%
summary = trends.yearly_summary(scored, strata)  # constant instrument: volunteer in person, standardised
summary_all = trends.yearly_summary(scored, strata, instrument=None)  # all interviews: depends on the interviewer mix
both = summary.merge(summary_all[["year", "measure", "estimate", "ci_low", "ci_high"]], on=["year", "measure"],
                     suffixes=("", "_all_interviews"))
both.safe.to_csv(tables / "trends_yearly.csv", index=False)
rep.figure(trends.plot_yearly(summary, ["ethics", "competence", "quality", "composite"], lang=lang),
           "Средние баллы по годам при постоянном инструменте (волонтёр, лично), 95% ДИ, n = интервью" if ru else
           "Mean scores per year on the constant instrument (volunteer in person), 95% CI, n = interviews")
rep.figure(trends.plot_yearly(summary, ["ethics_top", "competence_top", "quality_top", "composite_top"], lang=lang),
           "Доля интервью со всеми лучшими ответами при постоянном инструменте, %, 95% ДИ" if ru else
           "Share of interviews with every answer the best one on the constant instrument (%), 95% CI")
cols = ["year", "measure", "n", "estimate", "ci_low", "ci_high", "estimate_all_interviews"]
rep.table(both.loc[both["measure"].isin(trends.DOMAIN_MEASURES + ["covid"]), cols],
          "Оценки по годам: постоянный инструмент и все интервью как есть (зависит от состава опрашивающих)" if ru
          else "Estimates per year: constant instrument, and all interviews as conducted (depends on the interviewer mix)")

# %% [markdown] tags=["lang-en"]
# ## 3. Ceiling diagnostics
#
# Share of the interviews at the maximum score, per year. Where 80% or more sit at the top, a mean cannot
# move up and the report does not test the change; it says so instead of printing a p-value.

# %% [markdown] tags=["lang-ru"]
# ## 3. Эффект потолка
#
# Доля интервью с максимальным баллом по годам. Если на максимуме 80% и более, среднее не может расти,
# и изменение не проверяется — вместо p-значения отчёт говорит об этом прямо.

# %%
ceiling = trends.ceiling_by_year(scored)
ceiling.safe.to_csv(tables / "trends_ceiling.csv", index=False)
rep.table(ceiling, "Доля интервью на максимуме шкалы" if ru else "Share of interviews at the top of the scale")
blocked = ceiling[~ceiling["testable"]]
if len(blocked):
    rep.warning(("Не проверяется из-за потолка: " if ru else "Not tested because of the ceiling: ")
                + ", ".join(f"{r.measure} {r.year}" for r in blocked.itertuples()))
else:
    rep.text("Ни одна мера не превышает порог потолка 80%; изменения можно проверять, но улучшения у верхней "
             "границы видны плохо." if ru else
             "No measure reaches the 80% ceiling limit, so changes can be tested; improvements near the top of "
             "the scale remain hard to see.")

# %% [markdown] tags=["lang-en"]
# ## 4. Did the composite change? Pairwise comparisons, trend test, detectable differences
#
# Every pair of years on the constant instrument first, then over all interviews as conducted (which
# depends on the interviewer mix): difference in points (later minus earlier) with 95% interval,
# Holm-adjusted p-value, Cliff's delta, and the minimum detectable difference (MDD) at 80% power at the
# Holm-Bonferroni level (5% divided by the number of pairs). "Not significant" never means "no change": the
# report gives the range of changes that cannot be excluded.

# %% [markdown] tags=["lang-ru"]
# ## 4. Изменился ли интегральный индекс? Попарные сравнения, тест тренда, обнаружимые различия
#
# Для каждой пары лет — сначала при постоянном инструменте, затем по всем интервью как есть (зависит от
# состава опрашивающих): разница в баллах (позднее минус раннее) с 95%-м интервалом, p-значение с поправкой
# Холма, дельта Клиффа и минимально обнаружимое различие (МОР) при мощности 80% на уровне Холма–Бонферрони
# (5%, делённые на число пар). «Незначимо» не означает «нет изменений»: отчёт называет диапазон изменений,
# которые нельзя исключить.

# %%
fit = trends.year_mixed_model(scored, "composite", roster=strata)  # constant instrument, recipient effect
comparisons = pd.concat([trends.compare_years(scored, m, roster=strata, lang=lang, fit=fit if m == "composite" else None)
                         for m in trends.DOMAIN_MEASURES], ignore_index=True)
comparisons_all = trends.compare_years(scored, "composite", roster=strata, lang=lang, instrument=None)
pd.concat([comparisons, comparisons_all], ignore_index=True).safe.to_csv(tables / "trends_comparisons.csv", index=False)
cols = ["year_a", "year_b", "recipients_a", "recipients_b", "difference", "ci_low", "ci_high", "p_adjusted",
        "ci_low_adjusted", "ci_high_adjusted", "cliffs_delta", "mdd", "verdict"]
comp = comparisons[comparisons["measure"] == "composite"]
rep.table(comp[cols], "Попарные сравнения интегрального индекса: постоянный инструмент (волонтёр, лично)" if ru else
          "Pairwise comparisons of the composite: constant instrument (volunteer in person)")
for s in comp["sentence"]:
    rep.text(s)
rep.table(comparisons_all[cols], "Для справки: все интервью как есть (зависит от состава опрашивающих)" if ru else
          "For reference: all interviews as conducted (depends on the interviewer mix)")
for s in comparisons_all["sentence"]:
    rep.text(s)
trend = pd.DataFrame([trends.trend_test(scored, m, roster=strata, fit=fit if m == "composite" else None)
                      for m in trends.DOMAIN_MEASURES]
                     + [trends.trend_test(scored, "composite", roster=strata, instrument=None)])
trend.safe.to_csv(tables / "trends_trend_test.csv", index=False)
rep.table(trend, "Линейный тренд по годам (баллов в год); последняя строка — все интервью как есть" if ru else
          "Linear trend across years (points per year); last row: all interviews as conducted")
for _, t in trend.iterrows():
    rep.text(trends.trend_sentence(t, lang))

# %% [markdown] tags=["lang-en"]
# ## 5. Mixed model and ordinal regression
#
# The same workers recur across years and every interviewer rates several recipients, so the mixed model
# has year as a factor and crossed random intercepts for workers, interviewers and recipients (a recipient
# interviewed twice, or again in a later year, is one unit), with interviewer role and mode as fixed effects;
# its yearly means are the constant instrument of sections 2 and 4. The ordinal (proportional-odds) regression uses every item answer instead of
# the 0–100 score; its coefficients are log odds ratios relative to the first year.

# %% [markdown] tags=["lang-ru"]
# ## 5. Смешанная модель и порядковая регрессия
#
# Одни и те же работники оцениваются в разные годы, а каждый опрашивающий беседует с несколькими
# получателями, поэтому в смешанной модели год — фактор, работник и опрашивающий — перекрёстные случайные
# эффекты, как и получатель (опрошенный дважды или в разные годы — одна единица), роль и способ опроса —
# фиксированные эффекты; её годовые средние — постоянный инструмент разделов 2 и 4. Порядковая регрессия использует каждый ответ;
# её коэффициенты — логарифмы отношения шансов относительно первого года.

# %%
fit.contrasts.safe.to_csv(tables / "trends_mixed_contrasts.csv", index=False)
rep.table(fit.contrasts, "Смешанная модель: попарные разности лет (поправка Холма)" if ru else
          "Mixed model: pairwise year differences (Holm-adjusted)")
rep.table(fit.fixed, "Смешанная модель: фиксированные эффекты" if ru else "Mixed model: fixed effects")
rep.text(("Дисперсии случайных эффектов: " if ru else "Variance components: ")
         + ", ".join(f"{k} {v:.1f}" for k, v in fit.variance.items()))
ordinal = trends.ordinal_year_model(interviews, cb)
ordinal.safe.to_csv(tables / "trends_ordinal.csv", index=False)
rep.table(ordinal, "Порядковая регрессия ответов на год (логит-шкала)" if ru else
          "Ordinal regression of the item answers on year (logit scale)")

# %% [markdown] tags=["lang-en"]
# ## 6. Composition: raw and adjusted trends side by side
#
# Interviewer roles and modes changed between years (social-worker interviewers from 2020, more phone
# interviews). The constant-instrument means are the mixed model's yearly means standardised to a volunteer
# interviewing in person, net of which workers, interviewers and recipients were sampled; the raw means
# count all interviews as conducted and depend on the interviewer mix.

# %% [markdown] tags=["lang-ru"]
# ## 6. Состав опрашивающих: сырые и скорректированные тренды рядом
#
# Роли опрашивающих и способы опроса менялись (социальные работники с 2020 г., больше телефонных опросов).
# Средние при постоянном инструменте — годовые средние смешанной модели, стандартизованные к личному интервью
# волонтёра, с учётом того, какие работники, опрашивающие и получатели попали в выборку; сырые средние —
# все интервью как есть, они зависят от состава опрашивающих.

# %%
adjusted, sentence = trends.raw_vs_adjusted(scored, fit=fit, lang=lang)
adjusted.safe.to_csv(tables / "trends_raw_vs_adjusted.csv", index=False)
rep.figure(trends.plot_raw_vs_adjusted(adjusted, lang=lang),
           "Интегральный индекс: постоянный инструмент и все интервью как есть, 95% ДИ, n = интервью" if ru else
           "Composite: constant instrument and all interviews as conducted, 95% CI, n = interviews")
rep.text(sentence)
rep.table(adjusted, "Сырые и скорректированные средние по годам" if ru else "Raw and adjusted means per year")

# %% [markdown] tags=["lang-en"]
# ## 7. Workers assessed in several years
#
# Adjusted composite of each worker per year (role, mode and interviewer leniency removed), with 95%
# intervals; the slope is the worker's change per year relative to the organisation. A worker is called
# improved or declined only when the interval of the slope excludes zero. With 15 workers, about one may
# be flagged by chance at the 5% level.

# %% [markdown] tags=["lang-ru"]
# ## 7. Работники, оценённые в нескольких годах
#
# Скорректированный индекс каждого работника по годам (без влияния роли, способа опроса и мягкости
# опрашивающего) с 95%-ми интервалами; наклон — изменение за год относительно организации в целом.
# «Улучшил» или «ухудшил» — только если интервал наклона не включает ноль. При 15 работниках примерно
# один может быть отмечен случайно.

# %%
per_year, changes = trends.worker_trajectories(scored, fit=fit)
per_year_out = rep.suppress(per_year.assign(worker_id=per_year["worker_id"].map(rep.worker)))
changes_out = changes.assign(worker_id=changes["worker_id"].map(rep.worker))
per_year_out.safe.to_csv(tables / "trends_workers_per_year.csv", index=False)
changes_out.safe.to_csv(tables / "trends_workers_change.csv", index=False)
rep.figure(trends.plot_worker_trajectories(per_year[per_year["n"] >= (5 if rep.public else 1)], changes, lang=lang),
           "Скорректированный индекс работников по годам, 95% ДИ" if ru else
           "Adjusted composite of each worker per year, 95% CI")
rep.table(changes_out, "Изменение за год относительно организации" if ru else
          "Change per year relative to the organisation")

# %% [markdown] tags=["lang-en"]
# ## 8. COVID-19 safety, 2020–2021
#
# Share of interviews in which the recipient said the worker used gloves, a medical mask, and followed
# infection-prevention measures, by department, with design-based (Korn–Graubard) 95% intervals that count
# the two interviews of a recipient as one unit; Wilson intervals (treating answers as independent) beside them.

# %% [markdown] tags=["lang-ru"]
# ## 8. Безопасность COVID-19, 2020–2021
#
# Доля интервью, в которых получатель подтвердил использование перчаток, медицинской маски и соблюдение
# мер профилактики, по подразделениям, с 95%-ми интервалами по плану выборки (Корн–Граубард; два интервью
# одного получателя — одна единица), рядом — интервалы Уилсона.

# %%
covid = trends.covid_compliance(interviews, strata, cb)
covid.safe.to_csv(tables / "trends_covid.csv", index=False)
if covid.empty:
    rep.text("Блок COVID-19 не задавался в выбранные годы." if ru else "The COVID-19 module was not asked in the selected years.")
else:
    rep.figure(trends.plot_covid(covid, cb, lang=lang),
               "Соблюдение мер COVID-19 по подразделениям, %, 95% ДИ" if ru else
               "COVID-19 safety compliance by department (%), 95% CI")
    rep.table(covid, "Соблюдение мер COVID-19" if ru else "COVID-19 safety compliance")

# %% [markdown] tags=["lang-en"]
# ## 9. Check against the planted truth (demo data only)
#
# The demo data were generated with known year effects on a latent scale. For every pair of years the
# ordinal model's estimate is compared with the planted difference: recovered with the right sign where the
# difference exceeds the minimum detectable difference, reported as undetectable where it does not.

# %% [markdown] tags=["lang-ru"]
# ## 9. Сверка с заложенной истиной (только демо-данные)
#
# Демо-данные созданы с известными эффектами лет на латентной шкале. Для каждой пары лет оценка
# порядковой модели сравнивается с заложенной разницей: там, где разница больше МОР, она должна быть
# найдена с правильным знаком; где меньше — отчёт называет её необнаружимой.

# %%
planted = planted_truth(processed_dir, truth_path)  # None unless these are the unchanged demo files
if planted is not None:
    check = trends.truth_check(ordinal, planted)
    check.safe.to_csv(tables / "trends_truth_check.csv", index=False)
    rep.table(check, "Заложенные и оценённые эффекты лет (логит-шкала)" if ru else
              "Planted and estimated year effects (logit scale)")
    rep.text(trends.truth_sentence(check, lang))
else:
    rep.text("Это не демонстрационные данные (или они изменены): заложенной истины нет, сверка пропущена." if ru else
             "These are not the demo data (or the demo files were changed): no planted truth, the check is skipped.")

# %%
rep.methods(["constant_instrument", "design_weights", "mixed_model", "trends", "wilson"])
