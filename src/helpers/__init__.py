"""Mystery Guest workbench: objective scores, interviewer reliability and trends for social services.

Modules
-------
codebook     the instrument (items, domains, scales) read from ``codebook.yaml``
demo         deterministic demo data reproducing the published 2018-2021 figures
ingest       validation, quarantine and pseudonymisation of raw interview tables
readers      raw tables as centres export them (encodings, delimiters, title rows, XLSX/XLS sheets)
columns      headers matched to the contract's columns and the codebook's items; mapping files
pii          phones, e-mails and personal names found in free text and replaced by placeholders
safe_csv     CSV exports safe from formula injection (``df.safe.to_csv``)
scoring      item, domain and composite scores; rater-adjusted social-worker scores
reliability  agreement between volunteer and social-worker interviewers
trends       year-over-year analysis 2018-2021
pipeline     papermill runs that render every report to HTML
"""

__version__ = "0.1.0"
