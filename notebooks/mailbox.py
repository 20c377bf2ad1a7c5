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
from helpers.narrative.registers import localise, table_writer
from helpers.studies.registers.study import open_mailbox_study

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
rep.heading("registers.mailbox.title.heading", 1)
rep.paragraph("registers.mailbox.title.intro")

# %%
rep.heading("registers.mailbox.s0.heading", 2)
rep.paragraph("registers.mailbox.s0.intro")
data_section(study)

# %%
rep.heading("registers.mailbox.s1.heading", 2)
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

# %%
rep.heading("registers.mailbox.s2.heading", 2)
rep.paragraph("registers.mailbox.s2.intro")
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

# %%
rep.heading("registers.mailbox.s3.heading", 2)
show(study.decisions, "decisions", "Days from the box opening to the ОМО decision (decided appeals); pending: no decision recorded",
     "Дней от выемки до решения ОМО (по рассмотренным обращениям); без решения — решение не записано")

# %%
rep.heading("registers.mailbox.s4.heading", 2)
rep.paragraph("registers.mailbox.s4.intro")
if rep.public:
    rep.text(rep.say("report.not_shown_public"))
else:
    if study.gratitude_note:
        rep.warning({"en": f"Mystery Guest scores not shown: {study.gratitude_note}.",
                     "ru": "Оценки «Тайного гостя» не показаны: в папке обработанных данных нет интервью "
                           "(interviews.parquet)."}[lang])
    g = study.gratitude.copy()
    g["worker_id"] = g["worker_id"].map(rep.worker)
    show(g, "gratitude_workers", "Workers named in gratitude, with their Mystery Guest composite (0-100) and 95% interval",
         "Работники, названные в благодарностях, и их интегральный индекс «Тайного гостя» (0-100) с 95% интервалом")

# %%
rep.heading("registers.mailbox.s5.heading", 2)
rep.paragraph("registers.mailbox.s5.intro")

