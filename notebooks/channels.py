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
# # One centre, every channel: what each says, year by year
#
# A page to read first. For each year, what every feedback channel and workload record of the centre says:
# the Mystery Guest composite index, the Social Mailbox appeals and their kinds, the E-library reach and its
# quarterly promise, the Support Line load and the assistant-support users. Every figure has its n and, for
# estimates, a 95% interval; the channel reports have the detail.

# %% [markdown] tags=["lang-ru"]
# # Один центр, все каналы: что говорит каждый, год за годом
#
# Страница, которую читают первой. По каждому году — что говорит каждый канал обратной связи и каждый учёт
# центра: интегральный индекс «Тайного гостя», обращения «Социального почтового ящика» и их виды, охват
# «Электронной библиотеки» и соблюдение ежеквартальной рассылки, нагрузка «Линии поддержки» и
# потребители ассистентской поддержки. У каждого числа указано n, у оценок — 95% интервал; подробности —
# в отчётах по каналам.

# %% tags=["parameters"]
years: list = [2018, 2019, 2020, 2021]  # years of the overview
raw_dir: str = "../data/raw"  # raw register files (.csv|.xlsx), validated now if processed_dir has none
processed_dir: str = "../data/processed"  # validated tables registers_*_<year>.parquet written by the pipeline (read first)
tables_dir: str = "../reports/interactive/tables"  # folder for the tidy CSV tables of this report
lang: str = "en"  # report language: en | ru
audience: str = "public"  # public (no free text, no names, cells on fewer than 5 suppressed) | internal

# %%
from pathlib import Path

from helpers.report import Report
from helpers.figures import registers as figures
from helpers.studies.registers.study import channel_title, channels_overview, localise, table_writer

rep = Report(lang=lang, audience=audience)
tables = Path(tables_dir)
tables.mkdir(parents=True, exist_ok=True)


PREFIX = "channels"
show, data_section = table_writer(rep, tables, PREFIX, lang)
overview, absent = channels_overview(raw_dir, years, processed_dir, lang)

# %% [markdown] tags=["lang-en"]
# ## Key figures per year and channel

# %% [markdown] tags=["lang-ru"]
# ## Основные показатели по годам и каналам

# %%
show(overview, "overview", "What each channel says about the centre, per year: value, n and 95% interval (estimates)",
     "Что говорит о центре каждый канал, по годам: значение, n и 95% интервал (для оценок)", floats="{:.1f}")
if absent:
    names = ", ".join(channel_title(a, lang) for a in absent)
    rep.warning({"en": f"No data for: {names}.", "ru": f"Нет данных: {names}."}[lang])
wide = overview.pivot_table(index=["channel_name", "measure"], columns="year", values="value", aggfunc="first")
wide = wide.reset_index()
wide.columns = [str(c) for c in wide.columns]
show(wide, "overview_wide", "The same figures side by side, one column per year", "Те же показатели рядом, по столбцу на год")

# %% [markdown] tags=["lang-en"]
# ## Reading the page
#
# The Mystery Guest index is the mean composite (0–100) of the year's interviews; its interval treats the
# interviews as independent and so understates the uncertainty (the scoring and trends reports account for
# interviewers and recipients). The mailbox shares are shares of the year's appeals; a share of 0 still has
# an upper bound. The E-library share is over user-quarters: each user active throughout a quarter counts
# once per quarter.

# %% [markdown] tags=["lang-ru"]
# ## Как читать страницу
#
# Индекс «Тайного гостя» — среднее интегральное значение (0–100) по интервью года; его интервал считает
# интервью независимыми и потому занижает неопределённость (отчёты об оценках и динамике учитывают
# опрашивающих и получателей). Доли почтового ящика — доли от обращений года; и у нулевой доли есть
# верхняя граница. Доля «Электронной библиотеки» считается по парам «пользователь × квартал»: каждый
# пользователь, состоявший в реестре весь квартал, учитывается один раз за квартал.

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
