"""The registers' notebooks execute on demo data (papermill), in the public and the internal audience, and
no free text, name, phone, e-mail or raw id of the raw files reaches a processed file, a table or an
executed public notebook (leak scan)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import papermill as pm
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
REGISTER_NOTEBOOKS = ["mailbox", "elibrary", "support_line", "assistant_workload", "channels"]
PERSONAL = ["text", "signature", "decision", "collected_by", "name", "contact", "phone", "note", "assistant_name",
            "user_name"]
RAW_IDS = {"elibrary_users": "user_id", "support_line": "caller_id", "assistant_visits": "user_id"}


@pytest.fixture(scope="module")
def demo(demo_dirs, tmp_path_factory):
    """The suite's demo data (raw files, and processed tables with the registers validated), and a folder for
    the tables of notebooks run here."""
    root = tmp_path_factory.mktemp("registers_nb")
    (root / "raw").symlink_to(demo_dirs["raw"], target_is_directory=True)
    (root / "processed").symlink_to(demo_dirs["processed"], target_is_directory=True)
    return root


def _run(demo, notebook, audience="public", lang="en") -> Path:
    out = demo / f"{notebook}-{audience}-{lang}.ipynb"
    params = {"raw_dir": str(demo / "raw"), "processed_dir": str(demo / "processed"),
              "tables_dir": str(demo / f"tables-{audience}"), "lang": lang, "audience": audience}
    if notebook == "assistant_workload":
        params["year"] = 2021
    pm.execute_notebook(str(NOTEBOOKS / f"{notebook}.ipynb"), str(out), parameters=params, progress_bar=False,
                        log_output=False, cwd=str(NOTEBOOKS), kernel_name="python3")
    return out


def needles(raw: Path) -> set[str]:
    """Every personal or free-text value of the registers' raw files, and the raw ids that become pseudonyms."""
    found: set[str] = set()
    for p in raw.glob("*.csv"):
        if not p.name.startswith(("mailbox", "elibrary", "support_line", "assistant")):
            continue
        df = pd.read_csv(p, dtype=str, keep_default_na=False)
        for col in PERSONAL:
            if col in df:
                found |= {v for v in df[col] if len(v) >= 5}
        for stem, col in RAW_IDS.items():
            if p.name.startswith(stem):
                found |= set(df[col])
    return found


def leak_scan(texts: dict[str, str], secret: set[str]) -> dict[str, list[str]]:
    return {name: hits for name, text in texts.items() if (hits := sorted(s for s in secret if s in text))}


@pytest.fixture(scope="module")
def public(public_run):
    """The register notebooks as the full public run executed them (English, public audience)."""
    rc, out = public_run
    assert rc == 0
    latest = (out / "latest").resolve()
    return {nb: next(latest.glob(f"{nb}-*.ipynb")) for nb in REGISTER_NOTEBOOKS}


REGISTER_TABLES = ("mailbox_", "elibrary_", "support_line_", "assistant_", "channels_")


def test_every_register_notebook_executes_in_public(public):
    for nb, path in public.items():
        text = path.read_text(encoding="utf-8")
        assert '"output_type": "error"' not in text, nb


def test_no_personal_data_in_processed_files_tables_or_public_notebooks(demo, public):
    secret = needles(demo / "raw")
    tables = next(iter(public.values())).parent / "tables"
    assert len(secret) > 500  # names, phones, e-mails, texts and raw ids of the demo
    texts = {p.name: pd.read_parquet(p).to_csv() for p in (demo / "processed").glob("registers_*.parquet")}
    texts |= {p.name: p.read_text(encoding="utf-8") for p in tables.glob("*.csv") if p.name.startswith(REGISTER_TABLES)}
    texts |= {p.name: p.read_text(encoding="utf-8") for p in public.values()}
    assert len(texts) > 60
    assert leak_scan(texts, secret) == {}


def test_leak_scan_can_fail(demo):
    secret = needles(demo / "raw")
    phone = next(s for s in secret if s.startswith("+7"))
    assert leak_scan({"page": f"<td>{phone}</td>"}, secret) == {"page": [phone]}


def test_public_mailbox_names_no_worker_internal_shows_mystery_guest_scores(demo, public):
    pub = public["mailbox"].read_text(encoding="utf-8")
    assert "Left out of the public report" in pub
    internal = _run(demo, "mailbox", "internal", "ru").read_text(encoding="utf-8")
    assert "Работники, названные в благодарностях" in internal
    numbers = re.findall(r"Таблица (\d+)\.", internal)  # one Report numbers every table once
    assert numbers and numbers == [str(k) for k in range(1, len(numbers) + 1)]
    # the internal audience sees the workers' names beside their codes, in the tables too
    names = set(pd.read_parquet(demo / "processed" / "workers.parquet")["worker_name"])
    assert any(name in internal for name in names)
    table = pd.read_csv(demo / "tables-internal" / "mailbox_gratitude_workers.csv")
    assert table["composite"].notna().any() and table["gratitude_appeals"].sum() > 0
