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
# # Executive summary: quality of social workers' work 2018–2021 ("Mystery Guest")
#
# One page for reviewers who read nothing else: how recipients rated the social workers' work in each
# survey year (with n and 95% intervals), the three most important findings in plain language, and the
# caveats that limit what the numbers can say. Details and methods are in the "trends" report.

# %% [markdown] tags=["lang-ru"]
# # Краткое резюме: качество работы социальных работников в 2018–2021 гг. («Тайный гость»)
#
# Одна страница для тех, кто не будет читать остальное: как получатели оценивали работу социальных
# работников в каждом году опроса (с n и 95%-ми интервалами), три главных вывода простыми словами и
# оговорки, ограничивающие то, что можно утверждать. Подробности и методы — в отчёте «Динамика».

# %% tags=["parameters"]
years: list = [2018, 2019, 2020, 2021]  # survey years to include
processed_dir: str = "../data/processed"  # validated, pseudonymised data
tables_dir: str = "../reports/interactive/tables"  # where tidy CSV tables are written
lang: str = "en"  # report language: en | ru
audience: str = "public"  # public (codes only, small cells suppressed) | internal (management)
truth_path: str = "../data/demo/truth.json"  # planted truth of the demo data (absent for real data)

# %%
from pathlib import Path

from helpers.studies.mystery_guest import trends
from helpers.io.codebook import load_codebook
from helpers.io.demo import is_demo
from helpers.report import open_report

cb = load_codebook()
interviews, strata, scored = trends.load_years(processed_dir, years, cb)
rep = open_report(processed_dir, lang, audience)
tables = Path(tables_dir)
tables.mkdir(parents=True, exist_ok=True)
ru = lang == "ru"
sample = trends.sample_by_year(interviews, strata)
fit = trends.year_mixed_model(scored, "composite", roster=strata)  # constant instrument: volunteer in person
summary = trends.yearly_summary(scored, strata)
summary_all = trends.yearly_summary(scored, strata, instrument=None)  # all interviews: depends on the mix
comparisons = trends.compare_years(scored, "composite", roster=strata, lang=lang, fit=fit)
comparisons_all = trends.compare_years(scored, "composite", roster=strata, lang=lang, instrument=None)
ceiling = trends.ceiling_by_year(scored)
adjusted, _ = trends.raw_vs_adjusted(scored, fit=fit, lang=lang)
covid = trends.covid_compliance(interviews, strata, cb)
_, changes = trends.worker_trajectories(scored, fit=fit)
if is_demo(processed_dir):
    rep.warning("Демонстрационные данные: цифры иллюстрируют метод, а не реальное учреждение." if ru else
                "Demo data: the figures illustrate the method, not a real organisation.")

# %% [markdown] tags=["lang-en"]
# ## Key numbers
#
# Composite quality index (0–100, mean of the ethics, competence and quality blocks) and the share of
# interviews in which every answer was the best one, per year, with 95% intervals — on a constant instrument
# (what a volunteer interviewing in person would record; social-worker interviewers, who score lower, joined
# only in 2020), and, for reference, over all interviews as conducted, which depends on the interviewer mix.

# %% [markdown] tags=["lang-ru"]
# ## Главные цифры
#
# Интегральный индекс качества (0–100, среднее блоков этики, компетентности и качества услуг) и доля интервью,
# где все ответы лучшие, по годам с 95%-ми интервалами — при постоянном инструменте (что записал бы волонтёр
# при личной беседе; социальные работники, ставящие ниже, опрашивают только с 2020 г.) и, для справки, по всем
# интервью как есть, что зависит от состава опрашивающих.

# %%
numbers = trends.key_numbers(summary, sample, lang, summary_all=summary_all)
numbers.safe.to_csv(tables / "summary_key_numbers.csv", index=False)
rep.table(numbers, "Главные цифры по годам" if ru else "Key numbers per year")
rep.figure(trends.plot_raw_vs_adjusted(adjusted, lang=lang),
           "Интегральный индекс по годам: постоянный инструмент (волонтёр, лично) и все интервью как есть, 95% ДИ" if ru
           else "Composite per year: constant instrument (volunteer in person) and all interviews as conducted, 95% CI")

# %% [markdown] tags=["lang-en"]
# ## The three most important findings

# %% [markdown] tags=["lang-ru"]
# ## Три главных вывода

# %%
findings = trends.key_findings(summary, comparisons, adjusted, fit, covid, changes, lang=lang,
                              comparisons_all=comparisons_all)
for i, f in enumerate(findings, 1):
    rep.text(f"{i}. {f}")

# %% [markdown] tags=["lang-en"]
# ## Caveats

# %% [markdown] tags=["lang-ru"]
# ## Оговорки

# %%
for c in trends.caveats(summary, ceiling, comparisons, sample, lang=lang):
    rep.text("• " + c)
