"""Personal data in free text is replaced before anything is written; quarantine and messages never
quote it; CSV exports are safe from formula injection (issue 13, items 5 and 6)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd
import pytest

from helpers.__main__ import main
from helpers.io.ingest import DataContractError, ingest, read_table, write_processed
from helpers.io.pii import scrub
from helpers.io.safe_csv import neutralise, to_csv_safe
from helpers.studies.mystery_guest.overview import quarantine_reasons

ROOT = Path(__file__).resolve().parents[1]
PHONE, EMAIL, FULL_NAME = "+7 (918) 555-12-34", "petrova.olga@example.ru", "Петрова Ольга Ивановна"
#: the kinds of issue 20, typed into one comment; the leak scan looks for each datum
NEW_KINDS = ("СНИЛС 112-233-445 95, паспорт 4510 123456, ИНН 771234567890, полис 7751 2345 6789 0123, "
             "ул. Садовая, д. 14, кв. 7, 1938 г.р., Ivanova Anna Petrovna")
PLANTED = [PHONE, EMAIL, FULL_NAME, "Петрова", "555-12-34", "Сидоренко В.П.", "89185551234", "Мироновна",
           "112-233-445 95", "4510 123456", "771234567890", "7751 2345 6789 0123", "Садовая", "1938 г.р.", "Ivanova"]


@pytest.mark.parametrize("text, expected", [
    ("Звоните +7 (918) 555-12-34 после обеда", "Звоните [телефон] после обеда"),
    ("тел. 8 918 555 12 34", "тел. [телефон]"),
    ("89185551234", "[телефон]"),
    ("дом. 2-34-56", "дом. [телефон]"),
    ("пишите petrova.olga@example.ru", "пишите [e-mail]"),
    ("Петрова Ольга Ивановна очень внимательна", "[ФИО] очень внимательна"),
    ("Ольга Ивановна приходит вовремя", "[ФИО] приходит вовремя"),
    ("спасибо Сидоренко В.П. и В. П. Сидоренко", "спасибо [ФИО] и [ФИО]"),
    ("Благодарю Ольгу, она молодец", "Благодарю [ФИО], она молодец"),
    ("Валентина Мироновна", "[ФИО]"),
    # not personal data: left as typed
    ("Приходит 12.03.2020 в 10:00, 3 раза в неделю, 1300 получателей", None),
    ("Вера в лучшее, надежда есть", None),
    ("Социальный работник соблюдает меры профилактики", None),
    ("2021-00017", None),
])
def test_scrub_patterns(text, expected):
    assert scrub(text)[0] == (text if expected is None else expected)


def _plant(copy_demo_years, tmp_path) -> tuple[Path, pd.DataFrame]:
    d = copy_demo_years(tmp_path / "raw", 2020)
    raw = read_table(d / "interviews_2020.csv")
    raw.loc[3, "comment"] = f"Звоните {PHONE} или пишите {EMAIL}, спросите {FULL_NAME}"
    raw.loc[4, "comment"] = "Сидоренко В.П. помогла; тел 89185551234"
    raw.loc[5, "qual_overall"] = "Петрова Ольга Ивановна"  # a name typed into an answer cell
    raw.loc[6, "mode"] = "555-12-34"  # a phone pasted into mode
    raw.loc[7, "comment"] = "Валентина Мироновна просила перезвонить"
    raw.loc[8, "comment"] = NEW_KINDS
    raw.to_csv(d / "interviews_2020.csv", index=False)
    return d, raw


def _texts(folder: Path) -> dict[str, str]:
    """Every written file as text; parquet files also decoded to CSV (their bytes are compressed)."""
    out = {}
    for p in folder.rglob("*"):
        if not p.is_file() or p.suffix == ".png":
            continue
        text = p.read_bytes().decode("utf-8", "ignore")
        if p.suffix == ".parquet":
            text += pd.read_parquet(p).astype(str).to_csv()
        out[str(p.relative_to(folder))] = text
    return out


def leaks(folder: Path, needles: list[str]) -> dict[str, list[str]]:
    return {name: hits for name, text in _texts(folder).items() if (hits := [n for n in needles if n in text])}


def test_leak_scan_can_fail(tmp_path):
    pd.DataFrame({"comment": [FULL_NAME]}).to_parquet(tmp_path / "x.parquet")
    assert leaks(tmp_path, PLANTED) == {"x.parquet": [FULL_NAME, "Петрова"]}


def test_planted_personal_data_gone_from_processed_and_counted(copy_demo_years, tmp_path, capsys):
    d, _ = _plant(copy_demo_years, tmp_path)
    out = tmp_path / "processed"
    assert main(["validate", str(d), "--out", str(out)]) == 0
    printed = capsys.readouterr()
    assert not [n for n in PLANTED if n in printed.out + printed.err]
    assert ("personal data replaced in free text: 2 phones, 1 e-mail, 4 names, 1 SNILS number, 1 passport number, "
            "1 INN, 1 OMS policy number, 1 address, 1 birth date") in printed.out
    assert not leaks(out, PLANTED)
    interviews = pd.read_parquet(out / "interviews.parquet")
    comments = set(interviews["comment"])
    assert "Звоните [телефон] или пишите [e-mail], спросите [ФИО]" in comments
    assert "[ФИО] помогла; тел [телефон]" in comments
    log = pd.read_parquet(out / "ingest_log.parquet").iloc[0]
    assert (log["pii_phone"], log["pii_email"], log["pii_name"]) == (2, 1, 4)
    assert all(log[f"pii_{k}"] == 1 for k in ("snils", "passport", "inn", "oms", "address", "birth"))  # the phone in mode: quarantined
    q = pd.read_parquet(out / "quarantine.parquet").set_index("row")
    assert q.loc[7, "reason"].startswith("unknown answer label '[ФИО]'")
    assert q.loc[8, "reason"].startswith("unknown value '[телефон]'")


def test_public_quarantine_table_shows_no_quoted_value(copy_demo_years, tmp_path):
    d, _ = _plant(copy_demo_years, tmp_path)
    q = ingest(d).quarantine
    public = quarantine_reasons(q, 2020)
    unlisted = public["reason"].str.replace(r"\[[^\]]*\]", "", regex=True)  # lists of allowed codes aside
    assert len(public) == 2 and not unlisted.str.contains(r"'[^'…][^']*'", regex=True).any()
    assert "unknown value '…' (expected one of ['in_person', 'phone']) [mode]" in set(public["reason"])
    assert set(quarantine_reasons(q, 2020, public=False)["reason"]) >= {
        "unknown value '[телефон]' (expected one of ['in_person', 'phone']) [mode]"}


def test_error_messages_do_not_quote_personal_data(copy_demo_years, tmp_path, capsys):
    d, raw = _plant(copy_demo_years, tmp_path)
    lines = raw.to_csv(index=False).splitlines()
    lines[4] = lines[4] + ",,"  # a row with extra cells holding a planted comment
    (d / "interviews_2020.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["validate", str(d), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "line 5: wrong number of cells" in err and not [n for n in PLANTED if n in err]
    strata = read_table(d / "strata_2020.csv")
    strata.loc[0, "department"] = f"{FULL_NAME}, тел. {PHONE}"
    strata.to_csv(d / "strata_2020.csv", index=False)
    with pytest.raises(DataContractError) as e:
        ingest(d)
    assert "unknown value '[ФИО], тел. [телефон]'" in str(e.value) and FULL_NAME not in str(e.value)


def test_run_writes_no_planted_personal_data_anywhere(copy_demo_years, tmp_path):
    """The leak scan over data/processed and the reports of a run (internal audience: names are shown)."""
    from helpers.pipeline import run_pipeline

    d, _ = _plant(copy_demo_years, tmp_path)
    reports, processed = tmp_path / "reports", tmp_path / "processed"
    rc = run_pipeline([2020], d, reports, processed_dir=processed, notebooks=["overview"], audience="internal")
    assert rc == 0
    assert (reports / "internal" / "latest" / "overview-2020.html").exists()
    assert not leaks(processed, PLANTED)
    assert not leaks((reports / "internal" / "latest").resolve(), PLANTED)


# ---- safe CSV exports -----------------------------------------------------------------------------
def test_neutralise_formulas_keep_numbers():
    df = pd.DataFrame({"id": ["=HYPERLINK(\"http://x\")", "+7", "-2,5", "@SUM(A1)", "W01", "-cmd", None],
                       "score": [-0.5, 1.0, -3.25, 0.0, 2.0, -1.0, 3.0], "n": [-1, 2, 3, 4, 5, 6, 7]})
    df["=bad header"] = "x"
    buf = io.StringIO()
    neutralise(df).to_csv(buf, index=False)
    back = pd.read_csv(io.StringIO(buf.getvalue()), dtype={"id": str})
    assert back["id"].tolist()[:6] == ["'=HYPERLINK(\"http://x\")", "+7", "-2,5", "'@SUM(A1)", "W01", "'-cmd"]
    assert back["score"].tolist() == [-0.5, 1.0, -3.25, 0.0, 2.0, -1.0, 3.0]
    assert str(back["score"].dtype) == "float64" and str(back["n"].dtype) == "int64"
    assert "'=bad header" in back.columns


def test_every_csv_export_goes_through_the_safe_writer():
    """No bare .to_csv in any module of the package (every sub-package) or notebook; the demo writers
    (``demo.py``) write raw inputs, not exports."""
    package = sorted((ROOT / "src" / "helpers").rglob("*.py"))
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    assert len(package) >= 70 and {"ingest.py", "sample.py", "scoring.py"} <= {p.name for p in package}
    bare = []
    for p in [*package, *notebooks]:
        if p.name in ("safe_csv.py", "demo.py"):
            continue
        for k, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"(?<!\.safe)\.to_csv\(", line):
                bare.append(f"{p.relative_to(ROOT)}:{k}")
    assert not bare, bare


def test_formula_in_an_id_reaches_the_tables_neutralised(copy_demo_years, tmp_path):
    from helpers.pipeline import run_pipeline

    d = copy_demo_years(tmp_path / "raw", 2018)
    for name in ("interviews_2018.csv", "workers_2018.csv"):
        t = read_table(d / name)
        t["worker_id"] = t["worker_id"].replace("W01", "=1+2")
        t.to_csv(d / name, index=False)
    rc = run_pipeline([2018], d, tmp_path / "reports", processed_dir=tmp_path / "p", notebooks=["overview"])
    assert rc == 0
    text = (tmp_path / "reports" / "latest" / "tables" / "overview_2018_workers.csv").read_text(encoding="utf-8")
    assert "'=1+2" in text and "\n=1+2" not in text and ",=1+2" not in text
    out = tmp_path / "dd"
    write_processed(ingest(d), out)
    assert pd.read_csv(out / "data_dictionary.csv").shape[0] > 20
    to_csv_safe(pd.DataFrame({"a": ["=x"]}), out / "t.csv", index=False)
    assert (out / "t.csv").read_text(encoding="utf-8") == "a\n'=x\n"
