"""НОК: the independent assessment of the quality of service conditions (Order 344n of 31.05.2018).

Modules
-------
codebook     questions with skip logic, checklist, indicators and weights (``codebook.yaml``)
ingest       respondent and organisation-checklist files: validation, quarantine
scoring      the official calculation: indicators, criteria K1-K5 and the total per organisation and region
uncertainty  respondent bootstrap: intervals, rank intervals, distinguishable from the region
benchmark    improvement plans, the region view, funnels of survey shares and of dissatisfaction
demo         17 organisations of the Kaluga 2021 kinds with a planted truth
"""
