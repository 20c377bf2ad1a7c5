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
# # Assistant support: the coordinator's timesheet
#
# Social assistants serve users by the hour. The quality inspection of the Smolyan service (2024; 129
# users served hourly) praised the coordinator's own reports of every assistant's hours and time ranges,
# users per assistant, reasons for ending the service, vacant positions and new users. This report builds
# them from the timesheet: hours per assistant and per user, the hour-of-day × weekday heatmap, the
# movement of users and staff, and overlapping or impossible visits flagged as data errors.

# %% [markdown] tags=["lang-ru"]
# # Ассистентская поддержка: табель координатора
#
# Социальные ассистенты обслуживают потребителей почасово. Проверка качества услуги в Смоляне (2024 г.;
# 129 потребителей, обслуживаемых почасово) отметила как добрую практику собственные справки
# координатора: часы и временные диапазоны работы каждого ассистента, число потребителей на ассистента,
# причины прекращения услуги, освободившиеся позиции и новых потребителей. Отчёт строит их по табелю:
# часы по ассистентам и потребителям, тепловую карту «час дня × день недели», движение потребителей и
# персонала, а пересекающиеся или невозможные посещения отмечаются как ошибки данных.

# %% tags=["parameters"]
year: int = 2021  # year of the timesheet (files assistant_visits_<year>, assistant_movements_<year>)
raw_dir: str = "../data/raw"  # raw register files (.csv|.xlsx), validated now if processed_dir has none
processed_dir: str = "../data/processed"  # validated tables registers_*_<year>.parquet written by the pipeline (read first)
tables_dir: str = "../reports/interactive/tables"  # folder for the tidy CSV tables of this report
lang: str = "en"  # report language: en | ru
audience: str = "public"  # public (no free text, no names, cells on fewer than 5 suppressed) | internal

# %%
from pathlib import Path

from helpers.report import Report
from helpers.figures import registers as figures
from helpers.studies.registers.study import WEEKDAYS, localise, open_assistant_study, table_writer

rep = Report(lang=lang, audience=audience)
tables = Path(tables_dir)
tables.mkdir(parents=True, exist_ok=True)


PREFIX = f"assistant_{year}"
show, data_section = table_writer(rep, tables, PREFIX, lang)
study = open_assistant_study(raw_dir, year, processed_dir)
cb = study.codebook

# %% [markdown] tags=["lang-en"]
# ## 1. The data: rows read, accepted and quarantined
#
# Every row is either accepted or quarantined with its file, row, column and reason; nothing is corrected
# silently. Free text, names and contact details are dropped at ingestion and never reach a report.

# %% [markdown] tags=["lang-ru"]
# ## 1. Данные: прочитано, принято, в карантине
#
# Каждая строка либо принята, либо помещена в карантин с указанием файла, строки, столбца и причины;
# ничего не исправляется молча. Свободный текст, имена и контакты удаляются при загрузке и не попадают
# в отчёты.

# %%
data_section(study)
if len(study.data_errors):
    rep.warning({"en": f"{len(study.data_errors)} visits are data errors (overlapping, reversed or impossible) and are "
                       "left out of the hours; the coordinator should correct them in the timesheet.",
                 "ru": f"{len(study.data_errors)} посещений — ошибки данных (пересекаются, перепутаны начало и конец "
                       "или невозможны) и не учтены в часах; координатору следует исправить табель."}[lang])

# %% [markdown] tags=["lang-en"]
# ## 2. Hours and users per assistant

# %% [markdown] tags=["lang-ru"]
# ## 2. Часы и потребители по ассистентам

# %%
rep.text({"en": f"Users served hourly: {study.users_served}; assistants: {len(study.per_assistant)}; "
                f"visits: {len(study.visits)}.",
          "ru": f"Потребителей, обслуженных почасово: {study.users_served}; ассистентов: {len(study.per_assistant)}; "
                f"посещений: {len(study.visits)}."}[lang])
show(study.per_assistant, "per_assistant", "Per assistant: visits, users served, hours, hours per week worked, earliest start, latest end",
     "По ассистентам: посещения, потребители, часы, часов в неделю, самое раннее начало, самое позднее окончание")
study.visits.groupby("user_pid")["hours"].agg(["size", "sum"]).rename(columns={"size": "visits", "sum": "hours"}).safe.to_csv(
    tables / f"{PREFIX}_hours_per_user_pseudonyms.csv")
show(study.per_user, "per_user", "Hours received per user: distribution over users", "Часы на потребителя: распределение по потребителям")
rep.figure(figures.heatmap_plot(study.heatmap, lang),
           {"en": "Hours worked by hour of day and weekday (all assistants).",
            "ru": "Отработанные часы по часам дня и дням недели (все ассистенты)."}[lang])
grid = study.heatmap.rename(columns=dict(enumerate(WEEKDAYS[lang]))).reset_index()
grid = grid[grid.iloc[:, 1:].sum(axis=1) > 0]
grid.safe.to_csv(tables / f"{PREFIX}_heatmap.csv", index=False)

# %% [markdown] tags=["lang-en"]
# ## 3. Movement of users and staff

# %% [markdown] tags=["lang-ru"]
# ## 3. Движение потребителей и персонала

# %%
if len(study.movement):
    show(study.movement, "movement", "New users, terminations, vacant positions and hires per month",
         "Новые потребители, прекращения, освободившиеся позиции и приём ассистентов по месяцам")
    show(study.reasons, "termination_reasons", "Terminations of the service by reason", "Прекращение услуги по причинам")
else:
    rep.text({"en": "No movement file (assistant_movements_<year>) was supplied.",
              "ru": "Файл движения (assistant_movements_<год>) не представлен."}[lang])

# %% [markdown] tags=["lang-en"]
# ## Methods
#
# Shares carry the Wilson score interval (Wilson 1927, JASA 22:209; Brown, Cai & DasGupta 2001, Stat Sci
# 16:101), which stays within 0–100% and is informative when a share is 0 or 100%. Durations are summarised
# by median and quartiles. n is shown beside every estimate; public reports suppress cells resting on
# fewer than 5 people and never show free text.

# %% [markdown] tags=["lang-ru"]
# ## Методы
#
# Для долей — интервал Уилсона (Wilson 1927, JASA 22:209; Brown, Cai, DasGupta 2001, Stat Sci 16:101):
# он не выходит за 0–100% и информативен, когда доля равна 0 или 100%. Длительности описаны медианой и
# квартилями. Рядом с каждой оценкой указано n; публичные отчёты скрывают ячейки, основанные менее чем
# на 5 людях, и никогда не показывают свободный текст.
