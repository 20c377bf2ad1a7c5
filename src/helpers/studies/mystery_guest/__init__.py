"""The Mystery Guest study: analyses built on ``helpers.stats`` (no sentences, no plots).

Modules
-------
overview              what was collected: counts, coverage, missing answers, published figures
scoring               item, domain and composite scores; rater-adjusted social-worker scores
reliability           agreement between volunteer and social-worker interviewers
trends                year-over-year analysis of every survey year on a constant instrument
simulate              simulated studies with a known truth (recovery checks)
agreement_simulation  coverage of agreement intervals in simulated studies
study                 ``open_study``: a run's shared artefacts, computed once
"""
