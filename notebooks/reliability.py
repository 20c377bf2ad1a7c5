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
# # Reliability: do the volunteer and the social worker agree?
#
# In 2020 and 2021 every sampled recipient was interviewed twice about the same social worker: once by
# a "silver age" volunteer and once by a social worker who does not serve them. This report asks how
# far the two interviewers agree, question by question and on the domain and composite scores; whether
# one kind of interviewer is systematically more lenient; which individual interviewers stand out; and
# how much of the variation in scores is due to the interviewer. Because almost every answer is at the
# top of the scale, Cohen's kappa alone would mislead (the kappa paradox): it is shown beside Gwet's AC1
# and Krippendorff's alpha, and explained in words wherever it occurs.

# %% [markdown] tags=["lang-ru"]
# # Надёжность: согласуются ли волонтёр и социальный работник?
#
# В 2020 и 2021 гг. каждого получателя из выборки опрашивали дважды о том же социальном работнике:
# волонтёр «серебряного возраста» и социальный работник, который его не обслуживает. Отчёт показывает,
# насколько согласуются оба опрашивающих по каждому вопросу и по оценкам доменов и интегральному индексу;
# не оценивает ли один тип опрашивающих систематически мягче; какие опрашивающие выделяются; какая доля
# разброса оценок связана с опрашивающим. Из-за «потолка» ответов каппа Коэна сама по себе вводит в
# заблуждение (парадокс каппы), поэтому рядом приводятся AC1 Гвета и альфа Криппендорфа.

# %% tags=["parameters"]
year: int = 2020  # survey year with paired interviews (2020 or 2021)
pooled: bool = False  # pool all years with paired interviews instead of one year
processed_dir: str = "../data/processed"  # validated, pseudonymised data written by `python -m helpers validate`
tables_dir: str = "../reports/interactive/tables"  # folder for the tidy CSV tables of this report
lang: str = "en"  # report language: en | ru
audience: str = "public"  # public (codes only) | internal (management)
n_boot: int = 2000  # bootstrap resamples for every interval
seed: int = 0  # random seed of the bootstrap (results are reproducible)
resample: str = "interviewers"  # intervals: interviewers (clusters, default) | pairs (conditional on these interviewers) | interviewers+workers
weighted: bool = True  # also show design-weighted agreement (roster strata) beside the unweighted

# %%
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
from helpers.studies.mystery_guest import overview
from helpers.studies.mystery_guest import reliability as rel
from helpers.io.codebook import load_codebook
from helpers.report import open_report
from helpers.studies.mystery_guest.scoring import score_interviews

cb = load_codebook()
data = overview.load_processed(processed_dir)
interviews = data["interviews"]
sel = rel.select_interviews(interviews, year, pooled)
label = "pooled " + "+".join(map(str, rel.paired_years(interviews))) if pooled else str(year)
stem = "pooled" if pooled else str(year)
scores = score_interviews(sel, cb)
tidy = rel.compare_interviewers(sel, cb, n_boot=n_boot, seed=seed, scores=scores, resample=resample)
use_weights = weighted and rel.weights_differ(sel, data.get("strata"))
tidy_w = (rel.compare_interviewers(sel, cb, n_boot=n_boot, seed=seed, resample=resample, strata=data["strata"])
          if use_weights else None)
paired = rel.paired_tables(sel, cb)
out = Path(tables_dir)
out.mkdir(parents=True, exist_ok=True)
tidy.safe.to_csv(out / f"reliability_{stem}_agreement.csv", index=False)
if tidy_w is not None:
    tidy_w.safe.to_csv(out / f"reliability_{stem}_agreement_weighted.csv", index=False)
rep = open_report(processed_dir, lang, audience, year=None if pooled else year)
n_pairs = int(sel["pair_id"].dropna().nunique())
if n_pairs == 0:
    rep.warning(f"No paired interviews in {label}: agreement cannot be assessed.")
rep.text(f"Data: {label}, {n_pairs} recipients interviewed by both a volunteer and a social worker.")

# %% [markdown] tags=["lang-en"]
# ## 1. Agreement per question
#
# For each question, the pairs in which both interviewers recorded a substantive answer ("don't know",
# refused and blank are missing). Percent agreement is the share of identical answers; Cohen's kappa
# corrects it for the agreement expected from each interviewer's own answer distribution, Gwet's AC1
# for the agreement expected if answers were given at random, and Krippendorff's ordinal alpha asks
# whether the two answers rank the recipients alike. Every estimate carries a 95% bootstrap
# interval; by default the bootstrap resamples the interviewers as clusters (the pairs of a year share
# a handful of interviewers), and percent agreement never gets a zero-width interval. Where the
# bootstrap cannot give an interval (e.g. every answer the same) the table says "undefined" or shows no
# interval, with the reason in the CSV. The Stuart-Maxwell test asks whether
# the two roles use the answer categories equally often. The full table of all 12 coefficients is
# written to `reliability_<year>_agreement.csv`.

# %% [markdown] tags=["lang-ru"]
# ## 1. Согласие по вопросам
#
# Для каждого вопроса — пары, где оба опрашивающих записали ответ по существу. Процент согласия — доля
# совпавших ответов; каппа Коэна, AC1 Гвета и порядковая альфа Криппендорфа поправляют его на случайное
# совпадение по-разному. У каждой оценки — 95% бутстрэп-интервал; по умолчанию бутстрэп переизвлекает опрашивающих как кластеры (пары одного года делят немногих опрашивающих). Критерий
# Стюарта-Максвелла проверяет, одинаково ли часто обе роли используют категории ответа.

# %%
summary = rel.agreement_summary(tidy, cb, lang)
summary.safe.to_csv(out / f"reliability_{stem}_summary.csv", index=False)
rep.table(summary, {"en": f"Agreement of volunteer and social worker per question, {label} "
                          "(estimate and 95% CI; n = pairs with two substantive answers)",
                    "ru": f"Согласие волонтёра и социального работника по вопросам, {label} "
                          "(оценка и 95% ДИ; n — пары с двумя ответами по существу)"}[lang])
rep.text(rel.interval_note(resample, weighted=False, lang=lang))
for warning in rel.ceiling_warnings(paired, lang):
    rep.warning(warning)
for paragraph in rel.interpretation_paragraphs(tidy, lang):
    rep.text(paragraph)

# %% [markdown] tags=["lang-en"]
# ### Design-weighted agreement
#
# The sample is stratified: in 2020 every temporary-residence recipient was interviewed but only one
# home-care recipient in ten, so the sampled pairs over-represent temporary residence tenfold. The
# table above describes the sampled pairs. Weighting each pair by its recipient's design weight gives
# the agreement over all recipients served; the table below shows both, for percent agreement and
# Gwet's AC1.

# %% [markdown] tags=["lang-ru"]
# ### Согласие с весами дизайна
#
# Выборка стратифицирована: в 2020 г. опрошены все получатели отделения временного проживания, но лишь
# каждый десятый получатель надомного обслуживания, поэтому временное проживание представлено в парах
# в 10 раз чаще. Таблица выше описывает пары выборки; веса дизайна дают согласие по всем обслуживаемым
# получателям. Ниже — обе оценки процента согласия и AC1 Гвета.

# %%
if tidy_w is None:
    rep.text({"en": "The pairs of this selection have equal design weights (or no roster): weighted and unweighted "
                    "agreement coincide.",
              "ru": "У пар этой выборки равные веса дизайна (или нет сведений о стратах): взвешенное и "
                    "невзвешенное согласие совпадают."}[lang])
else:
    both = rel.weighted_vs_unweighted_agreement(tidy_w, tidy)
    both.safe.to_csv(out / f"reliability_{stem}_weighted_vs_unweighted.csv", index=False)
    rep.table(both, {"en": f"Agreement per question, design-weighted and unweighted, {label} (estimate and 95% CI; "
                           "n = pairs; difference = weighted minus unweighted)",
                     "ru": f"Согласие по вопросам с весами дизайна и без них, {label} (оценка и 95% ДИ; n — пары; "
                           "разность — взвешенная минус невзвешенная)"}[lang])
    rep.text(rel.interval_note(resample, weighted=True, lang=lang))

# %% [markdown] tags=["lang-en"]
# The forest plot shows the same coefficients with their intervals. Percent agreement and AC1 sit far
# above kappa and alpha on every question: that gap is the signature of answers piled up at the top of
# the scale.

# %% [markdown] tags=["lang-ru"]
# Лесовидный график показывает те же коэффициенты с интервалами. Процент согласия и AC1 намного выше
# каппы и альфы по всем вопросам — признак скопления ответов у верхней границы шкалы.

# %%
fig = rel.plot_agreement_forest(tidy, title=f"Agreement per question, {label}")
rep.figure(fig, {"en": f"Agreement of volunteer and social worker per question, {label}: estimate and 95% "
                       "bootstrap interval of percent agreement, Cohen's kappa, Gwet's AC1 and Krippendorff's "
                       "ordinal alpha. Vertical lines: 0 (chance), 0.667 and 0.800 (Krippendorff's thresholds "
                       "for tentative and reliable conclusions).",
                 "ru": f"Согласие волонтёра и социального работника по вопросам, {label}: оценка и 95% "
                       "бутстрэп-интервал процента согласия, каппы Коэна, AC1 Гвета и порядковой альфы "
                       "Криппендорфа. Вертикальные линии: 0 (случайность), 0,667 и 0,800 (пороги Криппендорфа "
                       "для предварительных и надёжных выводов)."}[lang])

# %% [markdown] tags=["lang-en"]
# ## 2. The kappa paradox
#
# Where nearly every answer is "strongly agree", two interviewers who answered without listening to
# the recipient would also agree most of the time, so kappa's chance correction removes almost all of
# the observed agreement. The paragraphs below are written for every question where percent agreement
# is at least 60%, kappa is at least 0.30 lower, and one answer holds at least 70% of all answers.

# %% [markdown] tags=["lang-ru"]
# ## 2. Парадокс каппы
#
# Когда почти все ответы — «полностью согласен», два опрашивающих совпадали бы часто и случайно, и
# поправка каппы на случайность снимает почти всё наблюдаемое согласие. Ниже — абзац для каждого вопроса,
# где процент согласия не ниже 60%, каппа ниже него не менее чем на 0,30, а один ответ составляет не
# менее 70% всех ответов.

# %%
paradox = rel.kappa_paradox_report(sel, cb, lang)
if not paradox:
    rep.text({"en": "No question shows the kappa paradox with these criteria.",
              "ru": "Ни один вопрос не показывает парадокс каппы по этим критериям."}[lang])
else:
    rep.warning(next(iter(paradox.values())))  # one worked example in full; the others in one table
    ptable = rel.kappa_paradox_table(sel, cb, lang)
    ptable.safe.to_csv(Path(tables_dir) / f"reliability_{label}_kappa_paradox.csv", index=False)
    rep.table(ptable, {"en": f"Questions showing the kappa paradox, {label}: high agreement, low kappa, answers at "
                             "the ceiling (n = pairs with two substantive answers)",
                       "ru": f"Вопросы с парадоксом каппы, {label}: высокое согласие, низкая каппа, ответы у "
                             "потолка (n — пары с двумя ответами по существу)"}[lang])

# %% [markdown] tags=["lang-en"]
# ## 3. Where the interviewers disagree
#
# The heatmaps show the paired answers of the three questions with the lowest AC1. Counts on the
# diagonal are pairs with the same answer; counts below the diagonal are pairs where the volunteer
# gave the better answer, above it the social worker.

# %% [markdown] tags=["lang-ru"]
# ## 3. Где опрашивающие расходятся
#
# Тепловые карты парных ответов трёх вопросов с наименьшим AC1. На диагонали — совпавшие ответы; ниже
# диагонали — волонтёр ответил лучше, выше — социальный работник.

# %%
worst = rel.least_agreeing(tidy, 3)
if worst:
    fig = rel.plot_confusion(paired, worst, cb, lang)
    rep.figure(fig, {"en": f"Paired answers (rows: volunteer, columns: social worker; codes 1 = strongly "
                           f"disagree ... 5 = strongly agree) of the three questions with the lowest Gwet's AC1, "
                           f"{label}: {', '.join(worst)}.",
                     "ru": f"Парные ответы (строки — волонтёр, столбцы — социальный работник; коды 1 = совершенно "
                           f"не согласен ... 5 = полностью согласен) трёх вопросов с наименьшим AC1 Гвета, "
                           f"{label}: {', '.join(worst)}."}[lang])

# %% [markdown] tags=["lang-en"]
# ## 4. Agreement of domain and composite scores
#
# Scores on 0-100 per domain and the composite. The intraclass correlations measure how well the two
# interviewers' scores rank and match the recipients (Koo & Li 2016 bands: below 0.5 poor, 0.5-0.75
# moderate, 0.75-0.9 good, above 0.9 excellent); ICC(2,1) counts a systematic difference between the
# roles as disagreement, ICC(3,1) does not. The Bland-Altman bias is the mean of volunteer minus social
# worker; the Wilcoxon signed-rank test and the rank-biserial correlation test whether that difference
# is systematic.

# %% [markdown] tags=["lang-ru"]
# ## 4. Согласие оценок доменов и интегрального индекса
#
# Оценки 0-100 по доменам и интегральный индекс. Внутриклассовые корреляции (шкала Ку и Ли 2016);
# смещение Бланда-Альтмана — среднее разности «волонтёр минус социальный работник»; критерий Уилкоксона
# и рангово-бисериальная корреляция проверяют, систематична ли разность.

# %%
score_table = rel.score_agreement_summary(tidy)
score_table.safe.to_csv(out / f"reliability_{stem}_scores.csv", index=False)
rep.table(score_table, {"en": f"Agreement of volunteer and social-worker scores, {label} (estimate and 95% CI; "
                              "bias and limits in points, volunteer minus social worker)",
                        "ru": f"Согласие оценок волонтёра и социального работника, {label} (оценка и 95% ДИ; "
                              "смещение и пределы в баллах, волонтёр минус социальный работник)"}[lang])
for sentence in rel.score_sentences(tidy, "composite", lang):
    rep.text(sentence)

# %%
fig = rel.plot_bland_altman(scores, "composite", title=f"Bland-Altman plot of the composite score, {label}")
rep.figure(fig, {"en": f"Composite score, volunteer minus social worker, against the mean of the two, {label}. "
                       "Orange: mean difference (bias); green: 95% limits of agreement; shaded bands: their 95% "
                       "confidence intervals. Points above zero: the volunteer scored higher.",
                 "ru": f"Интегральная оценка: волонтёр минус социальный работник против среднего двух оценок, "
                       f"{label}. Оранжевая линия — среднее различие (смещение); зелёные — 95% пределы согласия; "
                       "полосы — их 95% ДИ. Точки выше нуля: волонтёр оценил выше."}[lang])

# %% [markdown] tags=["lang-en"]
# ## 5. Interviewers: leniency and the interviewer effect
#
# Each interviewer's leniency is the mean difference between their composite score and the score the
# other interviewer gave the same recipient, compared with the other interviewers of the same role
# (the difference between the roles is shown in section 4). The funnel plot draws 95% and 99.8% limits
# around the role's mean: an interviewer outside them scores differently from their colleagues by more
# than chance would explain. The intra-interviewer correlation is the share of score variance that
# lies between interviewers; the design effect says how much it reduces the effective sample size.

# %% [markdown] tags=["lang-ru"]
# ## 5. Опрашивающие: мягкость оценок и эффект опрашивающего
#
# Мягкость опрашивающего — средняя разность между его интегральным индексом и оценкой второго
# опрашивающего того же получателя, в сравнении с коллегами той же роли. Воронкообразный график
# показывает пределы 95% и 99,8%. Внутриклассовая корреляция по опрашивающим — доля дисперсии оценок
# между опрашивающими; эффект дизайна показывает, насколько она уменьшает эффективный объём выборки.

# %%
leniency = rel.interviewer_leniency(scores, "composite", within_role=True)
leniency.safe.to_csv(out / f"reliability_{stem}_interviewers.csv", index=False)
fig = rel.plot_funnel(leniency, title=f"Interviewer leniency, composite, {label}")
rep.figure(fig, {"en": f"Mean difference between each interviewer's composite score and the partner's score for "
                       f"the same recipient (95% CI), against the number of paired interviews, {label}. Curves: "
                       "95% (dashed) and 99.8% (dotted) limits around the mean of the interviewer's role.",
                 "ru": f"Среднее различие между интегральной оценкой каждого опрашивающего и оценкой партнёра по тому "
                       f"же получателю (95% ДИ) в зависимости от числа парных интервью, {label}. Кривые: 95% "
                       "(пунктир) и 99,8% (точки) пределы вокруг среднего роли опрашивающего."}[lang])
shown = leniency[["interviewer_id", "role", "n", "estimate", "ci_low", "ci_high", "target",
                  "outside95", "outside998"]]
rep.table(shown, {"en": f"Interviewer leniency on the composite score, {label} (points; target = role mean)",
                  "ru": f"Мягкость опрашивающих по интегральной оценке, {label} (баллы; target — среднее роли)"}[lang])
effect = rel.intra_interviewer_correlation(scores, "composite")
rep.text(rel.interviewer_effect_sentence(effect, "composite", lang))

# %%
rep.methods(["kappa", "gwet", "krippendorff", "stuart_maxwell", "bootstrap", "icc", "bland_altman",
             "wilcoxon"])
