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
years: list = None  # survey years to include, or None for every year in the validated data
processed_dir: str = "../data/processed"  # validated, pseudonymised data
tables_dir: str = "../reports/interactive/tables"  # where tidy CSV tables are written
lang: str = "en"  # report language: en | ru
audience: str = "public"  # public (codes only, small cells suppressed) | internal (management)
truth_path: str = "../data/demo/truth.json"  # planted truth of the demo data (absent for real data)
artefact_dir: str = ""  # artefact folder of the run (the trends models are loaded from it); empty: kept in memory

# %%
from pathlib import Path

from helpers.figures import trends as figures
from helpers.io.demo import is_demo
from helpers.narrative import summary as words
from helpers.narrative import trends as trends_words
from helpers.report import open_report
from helpers.studies.mystery_guest import trends
from helpers.studies.mystery_guest.study import open_study

study = open_study(processed_dir, artefact_dir)
years = sorted(years) if years else study.years  # run by hand: every year of the validated data
rep = open_report(processed_dir, lang, audience)
tables = Path(tables_dir)
tables.mkdir(parents=True, exist_ok=True)
t = trends.summary_tables(study, years)  # the trends report's artefacts: loaded, not refitted, when it ran first
rep.heading("summary.report.title", 1, first=str(min(years)), last=str(max(years)))
rep.paragraph("summary.report.intro")
changes = trends_words.instrument_changes_sentence(study.codebook, years, lang)  # declared changes of the questionnaire
if changes:
    rep.text(changes)
if is_demo(processed_dir):
    rep.warning(rep.say("summary.report.demo"))

# %%
rep.heading("summary.report.numbers")
rep.paragraph("summary.report.numbers_intro")
numbers = words.key_numbers(t["summary"], t["sample"], lang, summary_all=t["summary_all"])
# the CSV is tidy (numbers in their own columns); the page shows each estimate with its interval as text
words.key_numbers_tidy(t["summary"], t["sample"], t["summary_all"]).safe.to_csv(tables / "summary_key_numbers.csv",
                                                                               index=False)
rep.table(numbers, rep.say("summary.report.numbers_table"))
rep.figure(figures.plot_raw_vs_adjusted(t["raw_vs_adjusted"], lang=lang), rep.say("summary.report.numbers_figure"))

# %%
rep.heading("summary.report.findings")
findings = words.key_findings(t["summary"], t["comparisons"], t["raw_vs_adjusted"], t["fit"], t["covid"],
                              t["changes"], lang=lang, comparisons_all=t["comparisons_all"], worker=rep.worker,
                              year_comparisons=t["year_comparisons"])
for i, f in enumerate(findings, 1):
    rep.text(f"{i}. {f}")
rep.table(trends_words.side_by_side_table(t["year_comparisons"], lang), rep.say("trends.report.side_by_side_table"))

# %%
rep.heading("summary.report.caveats")
for c in words.caveats(t["summary"], t["ceiling"], t["comparisons"], t["sample"], lang=lang):
    rep.text("• " + c)
