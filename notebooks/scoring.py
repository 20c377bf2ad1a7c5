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
# # Scoring: an objective score for every social worker
#
# The Mystery Guest method promises to turn the subjective opinions of recipients into an objective
# assessment of each social worker and of the quality of services. This report scores every interview
# (item, domain and composite scores on 0-100), estimates each social worker's score with the
# interviewer's leniency, role and interview mode removed (a linear mixed model, shrunk where the
# evidence is thin), lists the workers whose difference from the organisation's mean is beyond
# chance with the family-wise error controlled across all workers (Holm), checks the instrument (internal consistency, ceiling effect), reports organisation-level
# figures with design weights, and shows on data with a planted truth that the adjustment recovers the
# true quality better than raw means. Every estimate is shown with its n and 95% interval.

# %% [markdown] tags=["lang-ru"]
# # Оценки: объективная оценка каждого социального работника
#
# Метод «Тайный гость» обещает превратить субъективные мнения получателей услуг в объективную оценку
# каждого социального работника и качества услуг. Отчёт оценивает каждое интервью (баллы по вопросам,
# доменам и интегральный индекс по шкале 0-100), рассчитывает оценку каждого социального работника с
# поправкой на строгость опрашивающего, его роль и способ опроса (линейная смешанная модель со
# «сжатием» к среднему при малом числе интервью), выделяет работников, чьё отличие от среднего по
# организации не объясняется случайностью (вероятность хотя бы одной ошибки на всех работников не
# выше 5%, поправка Холма), проверяет инструмент (внутренняя согласованность, эффект потолка),
# приводит показатели по организации с весами выборки и показывает на данных с заложенной истиной, что
# поправка восстанавливает истинное качество лучше сырых средних. Каждая оценка дана с n и 95% интервалом.

# %% tags=["parameters"]
year: int = 2020  # survey year
pooled: bool = False  # pool all years (worker scores adjust for year) instead of one year
processed_dir: str = "../data/processed"  # validated, pseudonymised data written by `python -m helpers validate`
tables_dir: str = "../reports/interactive/tables"  # folder for the tidy CSV tables of this report
lang: str = "en"  # report language: en | ru
audience: str = "public"  # public (codes only, cells with n < 5 suppressed) | internal (names shown)
truth_path: str = "../data/demo/truth.json"  # planted truth of the demo data (skipped when absent)
min_n: int = 5  # minimum interviews for a worker's score to be judged
simulate_always: bool = True  # also show the simulated-study proof in a single-year report


# %%
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import pandas as pd

from helpers.studies.mystery_guest import overview
from helpers.studies.mystery_guest import scoring as sc
from helpers.studies.mystery_guest import simulate as sim
from helpers.io.codebook import load_codebook
from helpers.io.demo import planted_truth
from helpers.report import open_report
from helpers.studies.benchmarking import worker_funnel

cb = load_codebook()
data = overview.load_processed(processed_dir)
interviews = data["interviews"] if pooled else data["interviews"].query("year == @year")
label = "all years pooled" if pooled else str(year)
stem = "pooled" if pooled else str(year)
out = Path(tables_dir)
out.mkdir(parents=True, exist_ok=True)
rep = open_report(processed_dir, lang, audience, year=None if pooled else year)
scored = sc.score_interviews(interviews, cb)
scored.safe.to_csv(out / f"scoring_{stem}_interviews.csv", index=False)
workers = sc.worker_scores(scored, min_n=min_n, pooled=pooled)
domains = sc.worker_domain_scores(scored, cb, min_n=min_n, pooled=pooled)
domains.safe.to_csv(out / f"scoring_{stem}_workers.csv", index=False)
if interviews.empty:
    rep.warning({"en": f"No interviews in {label}.", "ru": f"Нет интервью: {label}."}[lang])
counts = (len(interviews), interviews["recipient_pid"].nunique(), interviews["worker_id"].nunique(),
          interviews["interviewer_id"].nunique())
rep.text({"en": "Data: {}; {} interviews of {} recipients about {} social workers, by {} interviewers.",
          "ru": "Данные: {}; интервью — {}, получателей — {}, социальных работников — {}, опрашивающих — {}."}[lang]
         .format(label if lang == "en" or not pooled else "все годы вместе", *counts))

# %% [markdown] tags=["lang-en"]
# ## 1. Organisation-level scores, weighted and unweighted
#
# From 2020 the sample is stratified: 10% of the home-care recipients but every recipient of the
# temporary-residence department. Organisation-level figures therefore weight each interview by the
# inverse of its recipient's inclusion probability (population / sample size in the stratum) and use
# stratified design-based standard errors (recipients as sampling units, finite population
# correction). The unweighted figure is shown beside it; a sentence flags any material difference.

# %% [markdown] tags=["lang-ru"]
# ## 1. Показатели по организации: с весами и без
#
# С 2020 г. выборка стратифицирована: 10% получателей на дому и все получатели отделения временного
# проживания. Поэтому каждое интервью взвешивается обратно вероятности включения получателя
# (численность / объём выборки в страте), стандартные ошибки — по стратифицированному плану (получатель —
# единица отбора, поправка на конечность совокупности). Рядом — невзвешенная оценка; существенное
# расхождение отмечается отдельной фразой.

# %%
org = sc.organisation_means(scored, data["strata"], cb)
org.safe.to_csv(out / f"scoring_{stem}_organisation.csv", index=False)
cols = ["year", "statistic", "measure", "weighted", "weighted_ci_low", "weighted_ci_high", "unweighted",
        "unweighted_ci_low", "unweighted_ci_high", "n", "n_recipients", "difference"]
rep.table(org[cols], {"en": f"Organisation-level means (0-100) and composite top-box share (%), design-weighted and "
                            f"unweighted, {label} (95% CI; n = interviews, n_recipients = sampling units)",
                      "ru": f"Средние по учреждению (0-100) и доля высших оценок (%), с весами и без весов, {label} "
                            "(95% ДИ; n — интервью, n_recipients — единицы отбора)"}[lang], floats="{:.1f}")
for sentence in org.loc[org["material"], "sentence"]:
    rep.warning(sentence)
if not org["material"].any():
    rep.text({"en": "Weighted and unweighted estimates agree within 1 point (and within the weighted interval) for every measure.",
              "ru": "Взвешенные и невзвешенные оценки совпадают в пределах 1 балла (и в пределах интервала) по всем показателям."}[lang])

# %% [markdown] tags=["lang-en"]
# ## 2. How the answers are distributed: the ceiling
#
# Every item's answers as diverging stacked bars: answers worse than the middle of the scale to the
# left, better ones to the right (reverse-keyed items turned so that right is always better). Nearly
# all answers sit at the top: this is the ceiling effect that limits what any score can distinguish.

# %% [markdown] tags=["lang-ru"]
# ## 2. Распределение ответов: эффект потолка
#
# Ответы на каждый вопрос — расходящиеся столбцы: ответы хуже середины шкалы слева, лучше — справа
# (для обратных вопросов шкала развёрнута, справа всегда лучше). Почти все ответы — наилучшие: это
# эффект потолка, ограничивающий различительную способность любой оценки.

# %%
dist = sc.answer_distribution(interviews, cb, lang)
dist.safe.to_csv(out / f"scoring_{stem}_answers.csv", index=False)
rep.figure(sc.diverging_item_bars(dist, {"en": f"Answers to every item, {label}", "ru": f"Ответы на каждый вопрос, {label}"}[lang]),
           {"en": f"Answers to every item, {label} (% of substantive answers; n and share missing beside each bar)",
            "ru": f"Ответы на каждый вопрос, {label} (% ответов по существу; n и доля пропусков у каждой полосы)"}[lang])
top = sc.top_box(interviews, cb)
top.safe.to_csv(out / f"scoring_{stem}_top_box.csv", index=False)
rep.table(top.assign(share=top["share"] * 100, ci_low=top["ci_low"] * 100, ci_high=top["ci_high"] * 100),
          {"en": f"Top-box share (% giving the best answer; domain: every answered item best), {label} "
                 "(Clopper-Pearson 95% CI, unweighted; n = answers)",
           "ru": f"Доля высших оценок (% лучших ответов; домен: все отвеченные вопросы на высшую оценку), {label} "
                 "(95% ДИ Клоппера-Пирсона, без весов; n — ответы)"}[lang], floats="{:.1f}")
reasons = sc.domain_missing_reasons(interviews, cb)
if len(reasons):
    rep.table(reasons, {"en": f"Why domain scores are missing, {label} (not asked that year / no item answered / "
                              "fewer than half the items answered)",
                        "ru": f"Почему нет оценки домена, {label} (не задавался в этом году / нет ответов / "
                              "отвечено меньше половины вопросов)"}[lang], floats="{:.3f}")

# %% [markdown] tags=["lang-en"]
# ## 3. Is the instrument reliable? Internal consistency and ceiling per domain
#
# Cronbach's alpha (Feldt 95% CI) and McDonald's omega (one-factor model) of each domain, overall and
# per interviewer role, with the lowest corrected item-total correlation and the share of interviews at
# the floor (0) and the ceiling (100). A domain is flagged when alpha is below 0.7 or more than 80% of
# interviews score 100: with answers piled at the top, the items barely vary together, so consistency
# coefficients are low even when every recipient is satisfied.

# %% [markdown] tags=["lang-ru"]
# ## 3. Надёжен ли инструмент? Согласованность и потолок по доменам
#
# Альфа Кронбаха (95% ДИ Фельдта) и омега Макдональда (однофакторная модель) для каждого домена, в
# целом и по роли опрашивающего; наименьшая скорректированная корреляция вопроса с суммой остальных;
# доли интервью на минимуме (0) и максимуме (100). Домен отмечается, если альфа ниже 0,7 или более 80%
# интервью получают 100 баллов: когда ответы собраны у верхней границы, вопросы почти не варьируют
# вместе, и коэффициенты согласованности низки, даже если все довольны.

# %%
psy = sc.psychometric_table(interviews, cb, by="role")
psy.safe.to_csv(out / f"scoring_{stem}_psychometrics.csv", index=False)
rep.table(psy, {"en": f"Psychometric checks per domain and interviewer role, {label} (n = complete interviews for "
                      "alpha/omega; n_scores = interviews with a domain score)",
                "ru": f"Психометрическая проверка по доменам и ролям опрашивающих, {label} (n — полные интервью для "
                      "альфы/омеги; n_scores — интервью с оценкой домена)"}[lang], floats="{:.2f}")
flagged = psy[psy["warning"] != ""]
if len(flagged):
    rep.warning("Check the instrument: " + "; ".join(f"{r.domain} ({r.group}): {r.warning}" for r in flagged.itertuples()))

# %% [markdown] tags=["lang-en"]
# ## 4. Each social worker: raw mean and adjusted score
#
# The raw mean depends on who asked (a lenient or strict interviewer, a volunteer or a colleague), how
# (in person or by phone) and on how few people were asked. The adjusted score comes from a linear
# mixed model with fixed effects for interviewer role and mode (and year when pooled) and crossed
# random intercepts for the social worker, the interviewer and the recipient (the sampling unit: the
# two interviews of a recipient are not independent): it is the expected score of an in-person
# interview by an average volunteer, shrunk towards the mean when a worker has few interviews. Its 95%
# interval comes from the prediction error variance of the worker's effect (variance components treated
# as known). The raw mean's interval is a t interval clustered on the recipient (n_recipients − 1
# degrees of freedom). Workers with fewer than `min_n` interviews are marked with *. The model actually fitted is
# named below the table.

# %% [markdown] tags=["lang-ru"]
# ## 4. Каждый социальный работник: сырое среднее и скорректированная оценка
#
# Сырое среднее зависит от того, кто спрашивал (мягкий или строгий опрашивающий, волонтёр или коллега),
# как (лично или по телефону) и скольких опросили. Скорректированная оценка получена из линейной
# смешанной модели: фиксированные эффекты роли опрашивающего и способа опроса (и года при объединении
# лет), перекрёстные случайные эффекты социального работника, опрашивающего и получателя услуг
# (единица отбора: два интервью одного получателя не независимы). Это ожидаемая оценка
# личного интервью среднего волонтёра, «сжатая» к среднему при малом числе интервью; 95% интервал — из
# дисперсии ошибки прогноза (компоненты дисперсии считаются известными). Интервал сырого среднего — t-интервал с кластерами по
# получателям (n_recipients − 1 степеней свободы). Работники с числом интервью
# меньше `min_n` отмечены *. Подобранная модель названа под таблицей.

# %%
rep.figure(sc.caterpillar_plot(workers, f"Composite score per social worker, {label}", rep.worker),
           {"en": f"Raw mean (hollow) and adjusted score (filled) of each social worker with 95% CIs, {label}; "
                  "dashed line: organisation mean at the reference (in-person volunteer interview)",
            "ru": f"Сырое среднее (пустые точки) и скорректированная оценка (заполненные) каждого социального "
                  f"работника с 95% ДИ, {label}; пунктир — среднее по учреждению для очного интервью волонтёра"}[lang])
cols = ["worker_id", "year", "n", "n_recipients", "raw_mean", "raw_ci_low", "raw_ci_high", "adjusted", "ci_low", "ci_high", "flag"]
wt = workers[cols].assign(worker_id=workers["worker_id"].map(rep.worker))
rep.table(rep.suppress(wt), {"en": f"Composite score per social worker, {label} (0-100; 95% CI; n = interviews, "
                                   f"n_recipients = recipients; flag = fewer than {min_n} interviews)",
                             "ru": f"Интегральная оценка по социальным работникам, {label} (0-100; 95% ДИ; n — интервью, "
                                   f"n_recipients — получатели; flag — меньше {min_n} интервью)"}[lang], floats="{:.1f}")
for m in workers["model"].unique():
    rep.text(f"Model: {m}.")

# %% [markdown] tags=["lang-en"]
# ## 5. Worker × domain
#
# Adjusted scores per domain (each from its own mixed model) show where a worker is strong or weak;
# each cell shows the score and ± half its 95% interval.

# %% [markdown] tags=["lang-ru"]
# ## 5. Работник × домен
#
# Скорректированные оценки по доменам (каждая — из своей смешанной модели) показывают сильные и слабые
# стороны работника; в ячейке — оценка и ± половина 95% интервала.

# %%
rep.figure(sc.domain_heatmap(domains, cb, lang=lang, title=f"Adjusted score by worker and domain, {label}", label=rep.worker),
           {"en": f"Adjusted score of each social worker per domain, {label} (cell: score ± half the 95% CI)",
            "ru": f"Скорректированная оценка каждого социального работника по доменам, {label} "
                  "(ячейка: оценка ± половина 95% ДИ)"}[lang])

# %% [markdown] tags=["lang-en"]
# ## 6. Recognition and concern lists
#
# What the organisation decides with. For each worker the mixed model estimates the worker's effect: the
# difference between the worker's adjusted score and the organisation mean, with its prediction error
# (Henderson 1975). A worker is listed for recognition (above) or concern (below) only when that
# difference is beyond chance **with the family-wise error controlled at 5% across all the workers
# compared** (Holm 1979): if no worker truly differed from the mean, the chance that anyone at all is
# listed would be at most 5% (per measure and year). The adjusted score's own interval is not used for
# this, because it also carries the uncertainty of the organisation mean, which every worker shares.
# Beside each name: interviews and recipients, raw mean and adjusted score with 95% intervals, the
# effect with its standard error and the adjusted p-value. No list is a league table (Goldstein &
# Spiegelhalter 1996): a worker not listed is not distinguishable from the mean with these data.

# %% [markdown] tags=["lang-ru"]
# ## 6. Списки поощрения и внимания
#
# Основание для решений. Для каждого работника смешанная модель оценивает эффект работника — разницу
# между его скорректированной оценкой и средним по организации — и ошибку этого прогноза (Henderson 1975).
# Работник попадает в список поощрения (выше среднего) или внимания (ниже) только если разница не
# объясняется случайностью **при вероятности хотя бы одной ошибки не выше 5% на всех сравниваемых
# работников** (поправка Холма, 1979): если бы никто на самом деле не отличался от среднего, вероятность
# включить в списки хоть кого-нибудь была бы не выше 5% (для каждого показателя и года). Интервал самой
# скорректированной оценки для этого не используется: он включает и неопределённость среднего по
# организации, общую для всех. Рядом с каждым — число интервью и получателей, сырое среднее и
# скорректированная оценка с 95% интервалами, эффект с его стандартной ошибкой и скорректированное
# p-значение. Это не рейтинг (Goldstein & Spiegelhalter 1996): работник вне списков по этим данным не
# отличим от среднего.

# %%
lists = sc.recognition_lists(domains)
lists.safe.to_csv(out / f"scoring_{stem}_recognition.csv", index=False)
n_compared = int(domains.query("measure == 'composite'")["worker_id"].nunique())
control = sc.multiplicity_sentence("holm", 0.05, n_compared, lang)
kind = {"en": {"recognition": "recognition", "concern": "concern"}, "ru": {"recognition": "поощрение", "concern": "внимание"}}
measure_name = {"en": "composite", "ru": "интегральный индекс"}
if lists.empty:
    rep.text({"en": f"No worker differs from the organisation mean beyond chance in {label} ({control}; composite and "
                    "each domain tested separately). Every worker's score with its interval is in section 4.",
              "ru": f"Ни один работник не отличается от среднего по организации сверх случайности, {label} ({control}; "
                    "интегральный индекс и каждый домен проверены отдельно). Оценки всех работников с интервалами — в "
                    "разделе 4."}[lang])
else:
    rep.table(rep.suppress(lists[["list", "measure", "worker_id", "year", "n", "n_recipients", "raw_mean", "raw_ci_low",
                                  "raw_ci_high", "adjusted", "ci_low", "ci_high", "org_mean", "effect", "effect_se",
                                  "p_adjusted", "control"]]
                           .assign(worker_id=lambda t: t["worker_id"].map(rep.worker),
                                   list=lambda t: t["list"].map(kind[lang]),
                                   p_adjusted=lambda t: t["p_adjusted"].map("{:.3f}".format),
                                   control=lambda t: t["control"].map(lambda c: sc.translate_control(c, lang)))),
              {"en": f"Recognition and concern lists, {label}: worker effect (adjusted score minus the organisation mean) "
                     f"with its prediction-error SE and Holm-adjusted p-value ({control}, per measure); n = interviews, "
                     "n_recipients = recipients; raw and adjusted scores with 95% CIs",
               "ru": f"Списки для поощрения и для внимания, {label}: эффект работника (скорректированная оценка минус "
                     f"среднее по учреждению) со стандартной ошибкой прогноза и p-значением с поправкой Холма ({control}, "
                     "для каждого показателя); n — интервью, n_recipients — получатели; сырая и скорректированная "
                     "оценки с 95% ДИ"}[lang], floats="{:.1f}")
    for r in lists.itertuples():
        what = cb.domain_label(r.measure, lang) if r.measure in cb.domains else measure_name[lang]
        rep.text(f"{rep.worker(r.worker_id)} ({what}, {r.list}): {r.evidence}." if lang == "en" else
                 f"{rep.worker(r.worker_id)} ({what}, {kind[lang][r.list]}): "
                 f"n={r.n} интервью, {r.n_recipients} получателей; скорректированная {r.adjusted:.1f} "
                 f"[{r.ci_low:.1f}; {r.ci_high:.1f}]; эффект {r.effect:+.1f} (СО {r.effect_se:.1f}), p с поправкой "
                 f"{r.p_adjusted:.3f}.")

# %% [markdown] tags=["lang-en"]
# ## 6a. Social workers on a funnel plot
#
# The same question without a model: each worker's mean composite against the number of interviews behind
# it, with the limits within which chance alone would keep a worker of average quality (Spiegelhalter 2005;
# over-dispersion by additive random effects, as FunnelPlotR). Interviews are counted as independent here
# (two per recipient from 2020), so the limits are a little narrow; the mixed-model lists above are the ones
# to act on. A worker outside the solid limits is named; everyone inside is within what chance allows.

# %% [markdown] tags=["lang-ru"]
# ## 6a. Социальные работники на воронкообразной диаграмме
#
# Тот же вопрос без модели: средний интегральный индекс каждого работника против числа интервью о нём, с
# границами, в которых работника среднего качества удержал бы один случай (Spiegelhalter 2005; сверхдисперсия —
# аддитивными случайными эффектами, как в FunnelPlotR). Интервью здесь считаются независимыми (с 2020 г. по два
# на получателя), поэтому границы немного узки; действовать следует по спискам смешанной модели выше. Работник
# за сплошными границами назван; все внутри — в пределах случайных колебаний.

# %%
funnel = worker_funnel(scored)
funnel.safe.to_csv(out / f"scoring_{stem}_funnel.csv", index=False)
rep.figure(sc.worker_funnel_plot(funnel, lang, label=rep.worker),
           {"en": f"Mean composite of each social worker against the number of interviews, {label}; 95% and 99.8% "
                  f"limits (over-dispersion phi = {funnel.attrs['phi']:.2f})",
            "ru": f"Средний интегральный индекс каждого работника против числа интервью, {label}; границы 95% и 99,8% "
                  f"(сверхдисперсия phi = {funnel.attrs['phi']:.2f})"}[lang])

# %% [markdown] tags=["lang-en"]
# ## 7. Does the adjustment help? Recovery of a planted truth
#
# The demo data were generated with a known quality for every worker and a known leniency for every
# interviewer. The true score is the expected composite of an in-person interview by an average
# volunteer; we compare raw means and adjusted scores with it (correlation and RMSE in points). The
# same comparison on a larger simulated study (60 workers, 30 interviewers, each worker met by only
# three interviewers) shows what happens when interviewer leniency is unevenly spread across workers.

# %% [markdown] tags=["lang-ru"]
# ## 7. Помогает ли поправка? Восстановление заложенной истины
#
# Демонстрационные данные созданы с известным качеством каждого работника и известной мягкостью каждого
# опрашивающего. Истинная оценка — ожидаемый интегральный индекс личного интервью среднего волонтёра;
# сравниваем с ней сырые средние и скорректированные оценки (корреляция и RMSE в баллах). То же
# сравнение на большем смоделированном исследовании (60 работников, 30 опрашивающих, каждого работника
# видят лишь трое) показывает, что происходит, когда мягкость опрашивающих распределена неравномерно.

# %%
rows = []
planted = planted_truth(processed_dir, truth_path)  # None for real data: the truth only describes the demo files
if planted is not None:
    truth = sim.demo_truth_scores(planted, pooled=pooled)
    rows.append(sim.recovery(workers, truth).assign(data=f"demo data, {label}"))
    rep.figure(sc.recovery_plot(workers, truth, f"Demo data, {label}: estimates vs planted truth"),
               f"Raw mean and adjusted composite of each demo worker against the planted true score, {label} (95% CIs)")
else:
    rep.text({"en": "These are not the demo data (or the demo files were changed): there is no planted truth to "
                    "compare with, so this check is skipped.",
              "ru": "Это не демонстрационные данные (или демонстрационные файлы изменены): заложенной истины нет, "
                    "сверка с ней пропущена."}[lang])
if pooled or simulate_always:  # the simulated study does not depend on the year: shown once, in the pooled report
    study = sim.simulate_study(n_workers=60, n_interviewers=30, seed=0)
    sim_workers = sc.worker_scores(sc.score_interviews(study.interviews, cb))
    rows.append(sim.recovery(sim_workers, study.truth).assign(data="simulated study (60 workers, 30 interviewers)"))
    rep.figure(sc.recovery_plot(sim_workers, study.truth, "Simulated study: estimates vs planted truth"),
               "Raw mean and adjusted composite against the planted true score in the simulated study (95% CIs)")
else:
    rep.text({"en": "The simulated study with many workers and interviewers is in the pooled scoring report.",
              "ru": "Имитационное исследование с большим числом работников и опрашивающих — в сводном отчёте об оценках."}[lang])
recovery = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
if rows:
    recovery.safe.to_csv(out / f"scoring_{stem}_recovery.csv", index=False)
    rep.table(recovery[["data", "estimate", "n_workers", "r_true_score", "rmse", "bias"]],
              {"en": "Recovery of the planted truth: correlation with the true score and RMSE / bias in points (0-100)",
               "ru": "Восстановление заложенной истины: корреляция с истинной оценкой, RMSE и смещение в баллах (0-100)"}[lang],
              floats="{:.3f}")

# %%
rep.methods(["pomp", "cronbach_alpha", "omega", "mixed_model", "worker_flags", "design_weights"])
