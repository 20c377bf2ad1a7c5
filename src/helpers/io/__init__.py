"""Floor 1, beside ``stats``: everything between the centre's files and tidy tables.

Modules
-------
codebook    the Mystery Guest instrument (items with the year they are asked from, domains, scales) read from
            ``codebook.yaml``
contract    types shared by the readers of the data contract (the one-line error, a header's match)
schema      the pandera contract of processed interviews and the data dictionary
readers     raw tables as centres export them (encodings, delimiters, title rows, XLSX/XLS sheets)
columns     headers matched to the contract's columns and the codebook's items; mapping files
ingest      validation, quarantine and pseudonymisation of raw interview tables
pii         phones, e-mails and personal names found in free text and replaced by placeholders
safe_csv    CSV exports safe from formula injection (``df.safe.to_csv``)
provenance  file hashes
demo        deterministic demo data reproducing the published 2018-2021 figures
"""
