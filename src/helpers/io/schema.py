"""The contract of ``data/processed/interviews.parquet`` as a pandera schema, and its data dictionary.

Ingestion validates its output against :func:`interview_schema` before writing anything, so a bug in
ingestion cannot produce a processed table that breaks the contract the analysis relies on.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from helpers.io.codebook import Codebook

COLUMNS = {
    "interview_id": ("string", "Interview id as in the raw file; unique"),
    "year": ("int64", "Survey year (from the file name)"),
    "date": ("datetime64[ns]", "Date of the interview"),
    "interviewer_id": ("string", "Interviewer code (names stay in the roster)"),
    "role": ("string", "Interviewer role: volunteer | social_worker"),
    "recipient_pid": ("string", "Recipient pseudonym: HMAC-SHA256(key, recipient id), 16 hex digits"),
    "worker_id": ("string", "Code of the social worker assessed"),
    "department": ("string", "home_care | temporary_residence"),
    "stratum": ("string", "Sampling stratum (see strata.parquet for the population served)"),
    "pair_id": ("string", "Links the volunteer and the social-worker interview of the same recipient; <NA> if unpaired"),
    "mode": ("string", "in_person | phone"),
    "comment": ("string", "Free-text comment of the recipient (never shown in public reports)"),
    "source_file": ("string", "Raw file the row came from"),
    "source_row": ("int64", "Line of the raw text file (blank lines counted) or row of the Excel sheet"),
}


def interview_schema(cb: Codebook) -> pa.DataFrameSchema:
    """Pandera schema of the processed interview table, with answer codes allowed by the codebook."""
    cols = {
        "interview_id": pa.Column("string", unique=True, nullable=False),
        "year": pa.Column("int64", pa.Check.in_range(2000, 2100)),
        "date": pa.Column("datetime64[ns]", nullable=False),
        "interviewer_id": pa.Column("string", pa.Check.str_length(min_value=1)),
        "role": pa.Column("string", pa.Check.isin(list(cb.vocabularies["interviewer_role"]))),
        "recipient_pid": pa.Column("string", pa.Check.str_matches(r"^[0-9a-f]{16}$")),
        "worker_id": pa.Column("string", pa.Check.str_length(min_value=1)),
        "department": pa.Column("string", pa.Check.isin(list(cb.vocabularies["department"]))),
        "stratum": pa.Column("string", pa.Check.str_length(min_value=1)),
        "pair_id": pa.Column("string", nullable=True),
        "mode": pa.Column("string", pa.Check.isin(list(cb.vocabularies["mode"]))),
        "comment": pa.Column("string", nullable=True),
        "source_file": pa.Column("string"),
        "source_row": pa.Column("int64", pa.Check.ge(2)),
    }
    for item in cb.item_codes:
        scale = cb.scale_of(item)
        allowed = sorted([*scale.codes, *scale.missing])
        cols[item] = pa.Column("Int64", pa.Check.isin(allowed), nullable=True)
    return pa.DataFrameSchema(cols, strict=True, ordered=True, coerce=True)


def data_dictionary(cb: Codebook) -> pd.DataFrame:
    """One row per column of ``interviews.parquet``: name, type, description (English and Russian for items)."""
    rows = [{"column": c, "type": t, "description": d, "description_ru": ""} for c, (t, d) in COLUMNS.items()]
    for item, it in cb.items.items():
        scale = cb.scale_of(item)
        codes = ", ".join(f"{c} = {e['en']}" for c, e in {**scale.codes, **scale.missing}.items())
        rows.append({
            "column": item,
            "type": "Int64",
            "description": f"[{it.domain}{', reverse-keyed' if it.reverse else ''}; asked "
                           f"{it.asked_label}] {it.text['en']}. Codes: {codes}; <NA> = blank or not asked",
            "description_ru": it.text["ru"],
        })
    return pd.DataFrame(rows)
