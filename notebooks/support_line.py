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
# # Support Line: remote services during COVID-19
#
# When offices closed, the regional Support Line kept in touch with older people, people with disabilities
# and large families by phone, messenger and video, with ready algorithms grouped into case groups
# (social-domestic, -medical, -psychological, -pedagogical, -labour, -legal; online exercise, master
# classes, interest chats). This report shows the weekly load with the COVID-19 periods marked, the mix of
# case groups, how quickly contacts were resolved and how many people called again.

# %% [markdown] tags=["lang-ru"]
# # Линия поддержки: дистанционные услуги в период COVID-19
#
# Когда учреждения закрылись, региональная «Линия поддержки» оставалась на связи с пожилыми людьми,
# людьми с инвалидностью и многодетными семьями по телефону, в мессенджерах и по видеосвязи, с банком
# готовых алгоритмов, сгруппированных в «кейсы» (социально-бытовые, -медицинские, -психологические,
# -педагогические, -трудовые, -правовые; онлайн-зарядка, мастер-классы, чаты по интересам). Отчёт
# показывает недельную нагрузку с отмеченными периодами COVID-19, структуру обращений по кейсам, сроки
# решения и повторные обращения.

# %% tags=["parameters"]
years: list = [2020, 2021]  # years of the Support Line register (files support_line_<year>)
raw_dir: str = "../data/raw"  # raw register files (.csv|.xlsx), validated now if processed_dir has none
processed_dir: str = "../data/processed"  # validated tables registers_*_<year>.parquet written by the pipeline (read first)
tables_dir: str = "../reports/interactive/tables"  # folder for the tidy CSV tables of this report
lang: str = "en"  # report language: en | ru
audience: str = "public"  # public (no free text, no names, cells on fewer than 5 suppressed) | internal

# %%
from pathlib import Path

from helpers.report import Report
from helpers.figures import registers as figures
from helpers.studies.registers.study import localise, open_support_line_study, table_writer

rep = Report(lang=lang, audience=audience)
tables = Path(tables_dir)
tables.mkdir(parents=True, exist_ok=True)


PREFIX = "support_line"
show, data_section = table_writer(rep, tables, PREFIX, lang)
study = open_support_line_study(raw_dir, years, processed_dir)
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

# %% [markdown] tags=["lang-en"]
# ## 2. Weekly load

# %% [markdown] tags=["lang-ru"]
# ## 2. Недельная нагрузка

# %%
rep.figure(figures.weekly_load_plot(study.weekly, lang, cb),
           {"en": "Contacts per week; shaded: COVID-19 restriction periods.",
            "ru": "Обращения в неделю; заливка — периоды ограничений COVID-19."}[lang])
by_period = study.weekly.assign(covid_period=study.weekly["covid_period"].replace("", "-")).groupby("covid_period")["contacts"].agg(["size", "sum", "mean"]).reset_index()
by_period.columns = ["covid_period", "week", "contacts", "mean"]
show(by_period, "load_by_period", "Weeks, contacts and mean contacts per week in and outside the COVID-19 periods",
     "Недели, обращения и среднее число обращений в неделю в периоды COVID-19 и вне их")

# %% [markdown] tags=["lang-en"]
# ## 3. Case groups and channels

# %% [markdown] tags=["lang-ru"]
# ## 3. Кейсы и каналы

# %%
show(study.case_mix, "case_mix", "Contacts per case group: share %, 95% interval", "Обращения по группам кейсов: доля %, 95% интервал")
labels = {g: cb.text("support_line", "case_groups", g, lang) for g in cb.codes("support_line", "case_groups")}
rep.figure(figures.share_plot(study.case_mix, "case_group", labels, lang, "%"),
           {"en": "Share of contacts per case group with 95% interval.",
            "ru": "Доля обращений по группам кейсов с 95% интервалом."}[lang])
show(study.channels, "channels", "Contacts per channel and year: share %, 95% interval", "Обращения по каналам и годам: доля %, 95% интервал")
show(study.age_groups, "age_groups", "Contacts per age group of the caller and year: share %, 95% interval",
     "Обращения по возрастным группам и годам: доля %, 95% интервал")

# %% [markdown] tags=["lang-en"]
# ## 4. Resolution and repeat contacts

# %% [markdown] tags=["lang-ru"]
# ## 4. Решение и повторные обращения

# %%
show(study.resolution, "resolution", "Per case group: share referred elsewhere (%, 95% interval) and days to resolution of the resolved contacts",
     "По группам кейсов: доля перенаправленных (%, 95% интервал) и дней до решения по решённым обращениям")
show(study.repeats, "repeats", "Callers (pseudonyms) and repeat callers: share %, 95% interval; contacts per caller",
     "Обратившиеся (псевдонимы) и обращавшиеся повторно: доля %, 95% интервал; обращений на человека")

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
