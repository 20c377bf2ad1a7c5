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
# # Social Mailbox: written appeals from five settlements
#
# Boxes in five rural settlements are emptied every Friday; the appeals (often anonymous) are registered
# and passed to the organisational-methodological department (ОМО) for analysis and decisions. This
# report shows the appeals per year, settlement and kind with 95% intervals, whether every Friday
# collection took place, the time from collection to decision and, for the internal audience only, the
# workers named in gratitude beside their Mystery Guest scores. Published: 205 appeals in 2018–2021, all
# gratitude or opinions on staff professionalism, no complaints.

# %% [markdown] tags=["lang-ru"]
# # Социальный почтовый ящик: письменные обращения из пяти поселений
#
# Ящики в пяти сельских поселениях вскрываются каждую пятницу; обращения (часто анонимные)
# регистрируются и передаются в организационно-методическое отделение (ОМО) для анализа и решений. Отчёт
# показывает обращения по годам, поселениям и видам с 95% интервалами, все ли выемки по пятницам
# состоялись, срок от выемки до решения и — только во внутреннем отчёте — работников, которых благодарят,
# рядом с их оценками «Тайного гостя». Опубликовано: 205 обращений за 2018–2021 гг., все —
# благодарности или мнения о профессионализме сотрудников, жалоб нет.

# %% tags=["parameters"]
years: list = [2018, 2019, 2020, 2021]  # years of the mailbox register to report (files mailbox_<year>)
raw_dir: str = "../data/raw"  # raw register files (.csv|.xlsx), validated now if processed_dir has none
processed_dir: str = "../data/processed"  # validated tables registers_*_<year>.parquet written by the pipeline (read first)
tables_dir: str = "../reports/interactive/tables"  # folder for the tidy CSV tables of this report
lang: str = "en"  # report language: en | ru
audience: str = "public"  # public (no free text, no names, cells on fewer than 5 suppressed) | internal

# %%
from pathlib import Path

from helpers.report import Report
from helpers.figures import registers as figures
from helpers.studies.registers.study import localise, open_mailbox_study, table_writer

rep = Report(lang=lang, audience=audience)
tables = Path(tables_dir)
tables.mkdir(parents=True, exist_ok=True)


PREFIX = "mailbox"
show, data_section = table_writer(rep, tables, PREFIX, lang)
if not rep.public and (Path(processed_dir) / "workers.parquet").exists():
    from helpers.report import open_report

    rep = open_report(processed_dir, lang, audience)  # internal: workers' names beside their codes
study = open_mailbox_study(raw_dir, years, processed_dir, internal=not rep.public)
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
# ## 2. Appeals per year, kind and settlement

# %% [markdown] tags=["lang-ru"]
# ## 2. Обращения по годам, видам и поселениям

# %%
show(study.per_year, "per_year", "Appeals per year and the settlements they came from", "Обращения по годам и число поселений")
show(study.kinds, "kinds", f"Kinds of appeal {min(study.years)}-{max(study.years)}: share with 95% interval (Wilson), %",
     f"Виды обращений {min(study.years)}-{max(study.years)}: доля с 95% интервалом (Уилсон), %")
complaints = study.kinds.set_index("kind").loc["complaint"]
rep.text({"en": f"Complaints: {int(complaints['n'])} of {int(complaints['total'])} appeals; the data are compatible with a "
                f"share of complaints of up to {rep.number(complaints['ci_high'])}% (upper 95% bound).",
          "ru": f"Жалобы: {int(complaints['n'])} из {int(complaints['total'])} обращений; данные совместимы с долей жалоб "
                f"до {rep.number(complaints['ci_high'])}% (верхняя 95% граница)."}[lang])
rep.figure(figures.appeals_bar(study.kinds_by_year, lang, cb),
           {"en": "Appeals per year by kind.", "ru": "Обращения по годам и видам."}[lang])
show(study.kinds_by_year, "kinds_by_year", "Kinds of appeal per year, %, 95% interval", "Виды обращений по годам, %, 95% интервал")
show(study.signed, "signed", "Anonymous and signed appeals per year, %, 95% interval",
     "Анонимные и подписанные обращения по годам, %, 95% интервал")
show(study.settlements, "settlements", "Appeals per settlement and year: share of the year's appeals, %, 95% interval",
     "Обращения по поселениям и годам: доля от обращений года, %, 95% интервал")

# %% [markdown] tags=["lang-en"]
# ## 3. The collection calendar
#
# Every Friday of the year is an expected collection in each settlement. A box opened on the Friday is
# on time, one opened up to three days later is late, otherwise the collection is missed.

# %% [markdown] tags=["lang-ru"]
# ## 3. График выемки
#
# Каждая пятница года — ожидаемая выемка в каждом поселении. Ящик, вскрытый в пятницу, — вовремя; до
# трёх дней позже — с опозданием; иначе выемка пропущена.

# %%
if study.calendar_source == "appeals":
    rep.warning({"en": "No collection log (mailbox_collections_<year>) was supplied: the calendar knows only the "
                       "collections that found an appeal, so empty boxes count as missed.",
                 "ru": "Журнал выемок (mailbox_collections_<год>) не представлен: известны только выемки, при "
                       "которых нашлись обращения, поэтому пустые ящики считаются пропущенными."}[lang])
show(study.calendar_summary, "calendar_summary", "Friday collections per settlement: on time, late, missed; share on time, %, 95% interval",
     "Выемки по пятницам по поселениям: вовремя, с опозданием, пропущены; доля вовремя, %, 95% интервал")
problems = study.calendar[study.calendar["status"].isin(["late", "missed"])]
problems = problems.assign(expected=problems["expected"].dt.strftime("%d.%m.%Y"),
                           collected=problems["collected"].dt.strftime("%d.%m.%Y").fillna(""))
show(problems[["year", "settlement", "expected", "collected", "status"]], "calendar_problems",
     "Late or missed collections", "Выемки с опозданием или пропущенные")

# %% [markdown] tags=["lang-en"]
# ## 4. From collection to decision

# %% [markdown] tags=["lang-ru"]
# ## 4. От выемки до решения

# %%
show(study.decisions, "decisions", "Days from the box opening to the ОМО decision (decided appeals); pending: no decision recorded",
     "Дней от выемки до решения ОМО (по рассмотренным обращениям); без решения — решение не записано")

# %% [markdown] tags=["lang-en"]
# ## 5. Workers named in gratitude and their Mystery Guest scores (internal audience only)
#
# The public report names no one. For management: the social workers named in appeals of gratitude beside
# their pooled rater-adjusted Mystery Guest composite score with its 95% interval.

# %% [markdown] tags=["lang-ru"]
# ## 5. Работники, которых благодарят, и их оценки «Тайного гостя» (только внутренний отчёт)
#
# Публичный отчёт никого не называет. Для руководства: социальные работники, названные в благодарностях,
# рядом с их интегральной оценкой «Тайного гостя» (все годы, с поправкой на опрашивающих) и 95% интервалом.

# %%
if rep.public:
    rep.text({"en": "Left out of the public report.", "ru": "В публичный отчёт не входит."}[lang])
else:
    if study.gratitude_note:
        rep.warning({"en": f"Mystery Guest scores not shown: {study.gratitude_note}.",
                     "ru": "Оценки «Тайного гостя» не показаны: в папке обработанных данных нет интервью "
                           "(interviews.parquet)."}[lang])
    g = study.gratitude.copy()
    g["worker_id"] = g["worker_id"].map(rep.worker)
    show(g, "gratitude_workers", "Workers named in gratitude, with their Mystery Guest composite (0-100) and 95% interval",
         "Работники, названные в благодарностях, и их интегральный индекс «Тайного гостя» (0-100) с 95% интервалом")

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
