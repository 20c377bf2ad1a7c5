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
# # E-library: the mailing register, its quarterly promise and the survey sample
#
# Recipients and computer-class graduates registered in the E-library get information by e-mail or
# WhatsApp "as needed, but at least once a quarter"; a note on the results is written every half-year,
# and the register is the frame for remote surveys of up to 10% of users. Published: mailings reached 152
# recipients in 2019–2021. Contact details are personal data: they are dropped at ingestion, users appear
# only as keyed pseudonyms.

# %% [markdown] tags=["lang-ru"]
# # Электронная библиотека: реестр рассылок, ежеквартальная рассылка и выборка для опроса
#
# Получатели услуг и выпускники компьютерных классов, зарегистрированные в «Электронной библиотеке»,
# получают информацию по электронной почте или в WhatsApp «по мере необходимости, но не реже одного раза
# в квартал»; раз в полугодие оформляется информационная справка, а реестр служит основой выборочных
# дистанционных опросов с охватом до 10% пользователей. Опубликовано: в 2019–2021 гг. рассылка
# проведена для 152 получателей услуг. Контакты — персональные данные: они удаляются при загрузке,
# пользователи видны только как псевдонимы.

# %% tags=["parameters"]
years: list = [2019, 2020, 2021]  # years of the register (files elibrary_users_<year>, elibrary_mailings_<year>)
raw_dir: str = "../data/raw"  # raw register files (.csv|.xlsx), validated now if processed_dir has none
processed_dir: str = "../data/processed"  # validated tables registers_*_<year>.parquet written by the pipeline (read first)
tables_dir: str = "../reports/interactive/tables"  # folder for the tidy CSV tables of this report
lang: str = "en"  # report language: en | ru
audience: str = "public"  # public (no free text, no names, cells on fewer than 5 suppressed) | internal
sample_share: float = 0.10  # share of users drawn for the remote survey (at most 0.10)
sample_seed: int = 2021  # random seed of the survey sample (the same seed gives the same sample)

# %%
from pathlib import Path

from helpers.report import Report
from helpers.figures import registers as figures
from helpers.studies.registers.sample import write_survey_sample
from helpers.studies.registers.study import localise, open_elibrary_study, table_writer

rep = Report(lang=lang, audience=audience)
tables = Path(tables_dir)
tables.mkdir(parents=True, exist_ok=True)


PREFIX = "elibrary"
show, data_section = table_writer(rep, tables, PREFIX, lang)
study = open_elibrary_study(raw_dir, years, processed_dir, lang=lang, sample_share=sample_share, sample_seed=sample_seed)
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
# ## 2. Reach

# %% [markdown] tags=["lang-ru"]
# ## 2. Охват

# %%
show(study.reached_by_year, "reached", "Users reached by at least one mailing, per year and over all years",
     "Пользователи, получившие хотя бы одну рассылку, по годам и за все годы")
show(rep.suppress(study.reach, n_col="users", columns=["share", "ci_low", "ci_high"]), "reach_channel", "Reach per channel: users registered, reached, share %, 95% interval, deliveries",
     "Охват по каналам: зарегистрировано, охвачено, доля %, 95% интервал, отправления")
labels = {c: cb.text("elibrary", "channels", c, lang) for c in cb.codes("elibrary", "channels")}
rep.figure(figures.share_plot(study.reach, "channel", labels, lang, "%"),
           {"en": "Share of registered users reached at least once, per channel, with 95% interval.",
            "ru": "Доля зарегистрированных пользователей, охваченных хотя бы раз, по каналам, с 95% интервалом."}[lang])

# %% [markdown] tags=["lang-en"]
# ## 3. At least once a quarter
#
# A user active throughout a quarter (registered before it began and not left before it ended) should
# get at least one mailing in it.

# %% [markdown] tags=["lang-ru"]
# ## 3. Не реже одного раза в квартал
#
# Пользователь, состоявший в реестре весь квартал (зарегистрирован до его начала и не выбыл до конца),
# должен получить в нём хотя бы одну рассылку.

# %%
show(rep.suppress(study.compliance, n_col="users", columns=["share", "ci_low", "ci_high"]), "compliance", "Users active throughout each quarter and those who got a mailing in it: share %, 95% interval",
     "Пользователи, состоявшие в реестре весь квартал, и получившие в нём рассылку: доля %, 95% интервал")
missed = study.not_reached.groupby(["quarter", "stratum"]).size().rename("not_reached").reset_index()
if len(missed):
    show(missed, "not_reached", "Users without a mailing in a quarter, by stratum (the pseudonyms are in the CSV table)",
         "Пользователи без рассылки в квартале, по стратам (псевдонимы — в CSV-таблице)")
    study.not_reached.safe.to_csv(tables / "elibrary_not_reached_pseudonyms.csv", index=False)
else:
    rep.text({"en": "Every active user got a mailing in every quarter.",
              "ru": "Каждый пользователь получал рассылку в каждом квартале."}[lang])

# %% [markdown] tags=["lang-en"]
# ## 4. Half-year information notes

# %% [markdown] tags=["lang-ru"]
# ## 4. Информационные справки по полугодиям

# %%
for (year, half), note in sorted(study.notes.items()):
    rep.text(note)

# %% [markdown] tags=["lang-en"]
# ## 5. The sample for the next remote survey
#
# A stratified random sample (strata: source × channel, proportional allocation by largest remainders,
# simple random sampling within strata) of at most 10% of the users in the register at the end of the
# latest year, reproducible from its seed. It is exported as a list of pseudonyms with the inclusion
# probability and design weight of each, for the next Mystery Guest or НОК wave.

# %% [markdown] tags=["lang-ru"]
# ## 5. Выборка для следующего дистанционного опроса
#
# Стратифицированная случайная выборка (страты: источник × канал, пропорциональное размещение по
# наибольшим остаткам, простой случайный отбор внутри страт) — не более 10% пользователей реестра на
# конец последнего года, воспроизводимая по зерну. Экспортируется списком псевдонимов с вероятностью
# включения и весом каждого — для следующей волны «Тайного гостя» или НОК.

# %%
s = study.sample
alloc = s.groupby("stratum").agg(stratum_size=("stratum_size", "first"), n=("user_pid", "size"),
                                 inclusion_probability=("inclusion_probability", "first")).reset_index()
show(alloc, "sample_allocation", f"Survey sample (seed {sample_seed}): {len(s)} of {int(s['frame_size'].max())} users, per stratum",
     f"Выборка для опроса (зерно {sample_seed}): {len(s)} из {int(s['frame_size'].max())} пользователей, по стратам",
     floats="{:.3f}")
path = write_survey_sample(s, tables / f"elibrary_survey_sample_seed{sample_seed}.csv", sample_seed)
rep.text({"en": f"The list of pseudonyms is in the table {path.name}.",
          "ru": f"Список псевдонимов — в таблице {path.name}."}[lang])

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
