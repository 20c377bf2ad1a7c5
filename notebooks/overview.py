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
# # Data overview: who was interviewed, and what did they answer?
#
# This report describes one survey year of the "Mystery Guest" monitoring: how many interviews,
# recipients, social workers and interviewers the validated data hold, side by side with the figures
# published by the social-service centre; how recipients answered each question; how often they said
# "don't know", refused or left an answer blank; and which raw rows were quarantined and why.
# Recipients appear only as pseudonyms; names and phone numbers never leave ingestion.

# %% [markdown] tags=["lang-ru"]
# # Обзор данных: кого опросили и что ответили?
#
# Отчёт описывает один год мониторинга «Тайный гость»: сколько интервью, получателей социальных услуг,
# социальных работников и опрашивающих содержат проверенные данные — рядом с цифрами, опубликованными
# учреждением; как получатели ответили на каждый вопрос; как часто они затруднялись ответить, отказывались
# или оставляли ответ пустым; какие строки исходных файлов помещены в карантин и почему. Получатели
# представлены только псевдонимами; ФИО и телефоны не покидают этап загрузки.

# %% tags=["parameters"]
year: int = 2020  # survey year to describe (2018-2021)
processed_dir: str = "../data/processed"  # validated, pseudonymised data written by `python -m helpers validate`
tables_dir: str = "../reports/interactive/tables"  # folder for the tidy CSV tables of this report
lang: str = "en"  # report language: en | ru
audience: str = "public"  # public (codes only, small cells suppressed) | internal (management)

# %%
from pathlib import Path

from helpers.studies.mystery_guest import overview
from helpers.io.codebook import load_codebook
from helpers.report import open_report

cb = load_codebook()
data = overview.load_processed(processed_dir)
interviews = data["interviews"]
rep = open_report(processed_dir, lang, audience, year=year)
tables = Path(tables_dir)
tables.mkdir(parents=True, exist_ok=True)

# %% [markdown] tags=["lang-en"]
# ## 1. The sample beside the published figures
#
# Each count is computed from the accepted (validated) interviews of the year. "Published" is the
# figure in the centre's report; "—" where the report gives none.

# %% [markdown] tags=["lang-ru"]
# ## 1. Выборка в сравнении с опубликованными цифрами
#
# Каждое число рассчитано по принятым (прошедшим проверку) интервью года. «Опубликовано» — цифра из
# отчёта учреждения; «—», если отчёт её не приводит.

# %%
counts = overview.counts_vs_published(interviews, year)
counts.safe.to_csv(tables / f"overview_{year}_counts.csv", index=False)
rep.table(counts, {"en": f"Sample of {year} compared with the published figures",
                   "ru": f"Выборка {year} г. в сравнении с опубликованными цифрами"}[lang])
mismatch = counts[counts["match"] == "NO"]
if len(mismatch):
    rep.warning(f"{len(mismatch)} count(s) differ from the published figures: "
                + ", ".join(mismatch["measure"]) + ". Check the quarantine below.")

# %% [markdown] tags=["lang-en"]
# ## 2. Coverage of the population served
#
# The sampling fraction is the share of the recipients served in each stratum who were interviewed.
# Unequal fractions (for example 10% of home care and 100% of temporary residence in 2020) mean that
# organisation-level estimates must use design weights (see the scoring report).

# %% [markdown] tags=["lang-ru"]
# ## 2. Охват обслуживаемых получателей
#
# Доля отбора — доля опрошенных среди всех получателей, обслуживаемых в страте. При неравных долях
# (например, 10% отделения на дому и 100% отделения временного проживания в 2020 г.) оценки по
# учреждению в целом требуют весов (см. отчёт об оценках).

# %%
cov = overview.coverage(interviews, data["strata"], year)
cov.safe.to_csv(tables / f"overview_{year}_coverage.csv", index=False)
rep.table(cov, {"en": f"Recipients interviewed per sampling stratum, {year}",
                "ru": f"Опрошенные получатели по стратам отбора, {year} г."}[lang], floats="{:.3f}")

# %% [markdown] tags=["lang-en"]
# ## 3. Social workers assessed
#
# How many interviews and distinct recipients speak about each social worker. Scores of a worker with
# fewer than 5 recipients are too uncertain to compare (see the scoring report); in public reports such
# cells are suppressed and marked "n<5".

# %% [markdown] tags=["lang-ru"]
# ## 3. Оценённые социальные работники
#
# Сколько интервью и разных получателей относятся к каждому социальному работнику. Оценки работника
# с менее чем 5 получателями слишком неопределённы для сравнения (см. отчёт об оценках); в публичных
# отчётах такие ячейки скрыты и помечены «n<5».

# %%
per_worker = overview.interviews_per_worker(interviews, year)
per_worker.insert(0, "worker", per_worker.pop("worker_id").map(rep.worker))
per_worker = rep.suppress(per_worker, n_col="recipients", columns=["interviews", "recipients"])
per_worker.safe.to_csv(tables / f"overview_{year}_workers.csv", index=False)
rep.table(per_worker, {"en": f"Interviews and recipients per social worker, {year}",
                       "ru": f"Интервью и получатели по социальным работникам, {year} г."}[lang])

# %% [markdown] tags=["lang-en"]
# ## 4. How recipients answered
#
# Shares of each answer per question (n = number of interviews of the year). Most answers sit at the
# favourable end of the scale (the "ceiling"). For the two negatively worded questions (lateness,
# conflicts) disagreeing is favourable; they are drawn in their own panel.

# %% [markdown] tags=["lang-ru"]
# ## 4. Как отвечали получатели
#
# Доли ответов на каждый вопрос (n — число интервью за год). Большинство ответов находится у
# благоприятного края шкалы («потолок»). Для двух вопросов с отрицательной формулировкой (опоздания,
# конфликты) благоприятен ответ «не согласен»; они показаны отдельно.

# %%
dist = overview.answer_distribution(interviews, cb, year, lang)
dist.safe.to_csv(tables / f"overview_{year}_answers.csv", index=False)
fig = overview.plot_answer_distribution(interviews, cb, year, lang)
rep.figure(fig, {"en": f"Distribution of answers per question, {year}. Each bar sums to 100% of the year's "
                       "interviews; red = unfavourable, blue = favourable, grey = no substantive answer.",
                 "ru": f"Распределение ответов по вопросам, {year} г. Каждая полоса — 100% интервью года; "
                       "красный — неблагоприятные, синий — благоприятные, серый — нет ответа по существу."}[lang])

# %% [markdown] tags=["lang-en"]
# ## 5. Don't know, refused and blank answers
#
# Non-substantive answers are treated as missing in every score. A question with many of them may be
# hard to answer for recipients (for example whether the worker keeps their affairs confidential).

# %% [markdown] tags=["lang-ru"]
# ## 5. Ответы «затрудняюсь ответить», отказы и пропуски
#
# Ответы не по существу считаются пропусками во всех оценках. Вопрос с большим их числом может быть
# трудным для получателей (например, о соблюдении конфиденциальности).

# %%
miss = overview.missing_rates(interviews, cb, year)
miss.safe.to_csv(tables / f"overview_{year}_missing.csv", index=False)
rep.table(miss, {"en": f"Non-substantive and blank answers per question, {year}",
                 "ru": f"Ответы не по существу и пропуски по вопросам, {year} г."}[lang], floats="{:.3f}")

# %% [markdown] tags=["lang-en"]
# ## 6. Quarantine: rows that did not pass validation
#
# Every row read is either accepted or quarantined with its reason; nothing is dropped or corrected
# silently. Rows read = rows accepted + rows quarantined, for every file.

# %% [markdown] tags=["lang-ru"]
# ## 6. Карантин: строки, не прошедшие проверку
#
# Каждая прочитанная строка либо принята, либо помещена в карантин с указанием причины; ничего не
# удаляется и не исправляется молча. Прочитано = принято + в карантине, для каждого файла.

# %%
qs = overview.quarantine_summary(data["quarantine"], data["ingest_log"], year)
qs.safe.to_csv(tables / f"overview_{year}_quarantine_summary.csv", index=False)
rep.table(qs, {"en": f"Rows read, accepted and quarantined, {year}",
               "ru": f"Строки: прочитано, принято, в карантине, {year} г."}[lang])
reasons = overview.quarantine_reasons(data["quarantine"], year, public=rep.public)
if len(reasons):
    rep.table(reasons, {"en": f"Quarantined rows of {year} with file, row, column and reason",
                        "ru": f"Строки {year} г. в карантине: файл, строка, столбец, причина"}[lang])
else:
    rep.text({"en": f"No row of {year} was quarantined.", "ru": f"В {year} г. ни одна строка не попала в карантин."}[lang])

# %%
rep.methods(["pseudonymisation", "quarantine"])
