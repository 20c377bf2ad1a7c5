"""The registers' data contracts: every kind of fault gets its one-line message or its quarantine reason,
rows read = accepted + quarantined, and quarantine reasons never repeat a name, phone or e-mail."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers.io.ingest import DataContractError
from helpers.io.pii import COUNTED
from helpers.studies.registers.ingest import _scrub, ingest_register, validate_mailbox

KEY = b"test-key"

APPEAL = {"appeal_id": "A1", "settlement": "Выселки", "collected": "05.03.2021", "written": "01.03.2021",
          "kind": "благодарность", "signed": "анонимное", "worker_id": "W01", "department": "",
          "decision": "Поощрить", "decision_date": "12.03.2021", "text": "Спасибо", "signature": ""}
COLLECTION = {"settlement": "S1", "date": "05.03.2021", "appeals": "1", "collected_by": "Петрова Анна Ивановна"}
USER = {"user_id": "EL1", "registered": "10.01.2021", "left": "", "source": "получатель", "channel": "email",
        "name": "Иванова Мария Петровна", "contact": "maria@mail.ru"}
MAILING = {"mailing_id": "M1", "date": "15.02.2021", "topic": "safety", "user_id": "EL1"}
CONTACT = {"contact_id": "K1", "date": "06.04.2021", "channel": "phone", "case_group": "социально-медицинские",
           "outcome": "resolved", "caller_id": "C1", "age_group": "75+", "resolved_date": "07.04.2021",
           "name": "", "phone": "", "note": ""}
VISIT = {"visit_id": "V1", "assistant_id": "A01", "user_id": "U1", "date": "06.04.2021", "start": "08:00",
         "end": "10:00"}
MOVE = {"date": "06.04.2021", "movement": "termination", "user_id": "U1", "assistant_id": "", "reason": "death"}


def _write(folder, stem, rows):
    pd.DataFrame(rows).to_csv(folder / f"{stem}.csv", index=False)


def _files(tmp_path, register, **tables):
    base = {"mailbox": {"mailbox_2021": [APPEAL]},
            "elibrary": {"elibrary_users_2021": [USER], "elibrary_mailings_2021": [MAILING]},
            "support_line": {"support_line_2021": [CONTACT]},
            "assistant": {"assistant_visits_2021": [VISIT], "assistant_movements_2021": [MOVE]}}[register]
    for stem, rows in {**base, **tables}.items():
        _write(tmp_path, stem, rows)
    return ingest_register(tmp_path, register, 2021, key=KEY)


def test_clean_files_are_accepted(tmp_path):
    for register in ("mailbox", "elibrary", "support_line", "assistant"):
        d = _files(tmp_path / register if (tmp_path / register).mkdir() is None else tmp_path, register)
        assert d.quarantine.empty, (register, d.quarantine)
        assert (d.log["rows_read"] == d.log["rows_accepted"]).all()


ROW_FAULTS = [
    # (register, file stem, rows, column, reason fragment)
    ("mailbox", "mailbox_2021", [APPEAL, APPEAL], "appeal_id", "duplicate id 'A1'"),
    ("mailbox", "mailbox_2021", [APPEAL | {"appeal_id": ""}], "appeal_id", "missing value"),
    ("mailbox", "mailbox_2021", [APPEAL | {"settlement": "Москва"}], "settlement", "unknown settlement 'Москва'"),
    ("mailbox", "mailbox_2021", [APPEAL | {"kind": "донос"}], "kind", "unknown kind 'донос'"),
    ("mailbox", "mailbox_2021", [APPEAL | {"signed": "может быть"}], "signed", "unknown signed"),
    ("mailbox", "mailbox_2021", [APPEAL | {"collected": "05.03.2020"}], "collected", "outside the year 2021"),
    ("mailbox", "mailbox_2021", [APPEAL | {"collected": "в пятницу"}], "collected", "is not a date"),
    ("mailbox", "mailbox_2021", [APPEAL | {"written": "06.03.2021"}], "written", "written after the box was opened"),
    ("mailbox", "mailbox_2021", [APPEAL | {"decision_date": "01.03.2021"}], "decision_date",
     "decision_date before the box was opened"),
    ("mailbox", "mailbox_2021", [APPEAL | {"decision_date": ""}], "decision_date", "a decision is recorded without its date"),
    ("mailbox", "mailbox_collections_2021", [COLLECTION, COLLECTION], "date", "opened twice on this date"),
    ("mailbox", "mailbox_collections_2021", [COLLECTION | {"appeals": "много"}], "appeals", "is not a whole number"),
    ("elibrary", "elibrary_users_2021", [USER | {"contact": "+7 918 123-45-67"}], "contact",
     "contact is not an e-mail address although the channel is e-mail"),
    ("elibrary", "elibrary_users_2021", [USER | {"channel": "whatsapp"}], "contact",
     "contact is not a phone number although the channel is WhatsApp"),
    ("elibrary", "elibrary_users_2021", [USER | {"left": "01.01.2021"}], "left", "left before registered"),
    ("elibrary", "elibrary_users_2021", [USER | {"registered": "01.01.2022"}], "registered", "registered after the year"),
    ("elibrary", "elibrary_users_2021", [USER | {"source": "сосед"}], "source", "unknown source"),
    ("elibrary", "elibrary_mailings_2021", [MAILING | {"user_id": "EL9"}], "user_id", "missing from the user register"),
    ("elibrary", "elibrary_mailings_2021", [MAILING | {"date": "05.01.2021"}], "date", "before the user registered"),
    ("elibrary", "elibrary_mailings_2021", [MAILING, MAILING], "user_id", "listed twice in one mailing"),
    ("elibrary", "elibrary_mailings_2021", [MAILING | {"topic": "погода"}], "topic", "unknown topic"),
    ("support_line", "support_line_2021", [CONTACT | {"resolved_date": ""}], "resolved_date",
     "outcome is resolved but resolved_date is blank"),
    ("support_line", "support_line_2021", [CONTACT | {"resolved_date": "01.04.2021"}], "resolved_date",
     "resolved_date before the contact date"),
    ("support_line", "support_line_2021", [CONTACT | {"case_group": "кулинария"}], "case_group", "unknown case_group"),
    ("support_line", "support_line_2021", [CONTACT | {"age_group": "100"}], "age_group", "unknown age_group"),
    ("assistant", "assistant_visits_2021", [VISIT | {"end": "07:30"}], "end", "end is not after start"),
    ("assistant", "assistant_visits_2021", [VISIT | {"start": "06:00", "end": "15:00"}], "end", "impossible visit"),
    ("assistant", "assistant_visits_2021", [VISIT | {"start": "05:00", "end": "06:00"}], "start", "visit outside"),
    ("assistant", "assistant_visits_2021", [VISIT | {"start": "8 утра"}], "start", "is not a time (HH:MM)"),
    ("assistant", "assistant_visits_2021", [VISIT, VISIT | {"visit_id": "V2", "start": "09:00", "end": "11:00"}],
     "start", "overlaps visit"),
    ("assistant", "assistant_movements_2021", [MOVE | {"reason": ""}], "reason", "a termination needs its reason"),
    ("assistant", "assistant_movements_2021", [MOVE | {"movement": "new user", "user_id": "", "reason": ""}],
     "user_id", "needs the user_id"),
    ("assistant", "assistant_movements_2021", [MOVE | {"movement": "vacancy", "user_id": "", "reason": ""}],
     "assistant_id", "needs the assistant_id"),
]


@pytest.mark.parametrize(("register", "stem", "rows", "column", "reason"), ROW_FAULTS,
                         ids=[f"{f[1]}-{f[4][:30]}" for f in ROW_FAULTS])
def test_row_fault_is_quarantined_with_its_reason(tmp_path, register, stem, rows, column, reason):
    d = _files(tmp_path, register, **{stem: rows})
    q = d.quarantine[d.quarantine["file"] == f"{stem}.csv"]
    assert len(q), f"nothing quarantined for {reason!r}"
    hit = q[q["reason"].str.contains(reason, regex=False)]
    assert len(hit), q["reason"].tolist()
    assert column in set(hit["column"]) or column in set(q["column"])
    read = d.log.set_index("file").loc[f"{stem}.csv"]
    assert read["rows_read"] == read["rows_accepted"] + read["rows_quarantined"] == len(rows)


def test_a_name_typed_as_worker_code_is_quarantined_without_repeating_it(tmp_path):
    d = _files(tmp_path, "mailbox", mailbox_2021=[APPEAL | {"worker_id": "Петрова Н. С."}])
    (reason,) = d.quarantine["reason"]
    assert "worker_id must be a worker code" in reason and "Петрова" not in reason


def test_a_phone_in_a_controlled_column_is_masked_in_the_reason(tmp_path):
    d = _files(tmp_path, "mailbox", mailbox_2021=[APPEAL | {"settlement": "+7 918 123-45-67"}])
    (reason,) = d.quarantine["reason"]
    assert "unknown settlement '[телефон]'" in reason and "918" not in reason


FILE_FAULTS = [
    ("missing column", {"mailbox_2021": [{k: v for k, v in APPEAL.items() if k != "kind"}]},
     "mailbox_2021.csv: missing required column 'kind'"),
    ("unknown column", {"mailbox_2021": [APPEAL | {"comment": "x"}]}, "mailbox_2021.csv: unknown column 'comment'"),
]


@pytest.mark.parametrize(("what", "tables", "message"), FILE_FAULTS, ids=[f[0] for f in FILE_FAULTS])
def test_file_fault_is_one_line(tmp_path, what, tables, message):
    with pytest.raises(DataContractError) as err:
        _files(tmp_path, "mailbox", **tables)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_missing_companion_file_is_one_line(tmp_path):
    _write(tmp_path, "elibrary_users_2021", [USER])
    with pytest.raises(DataContractError, match=r"elibrary_mailings_2021\.csv: elibrary_mailings file for 2021 not found"):
        ingest_register(tmp_path, "elibrary", 2021, key=KEY)


def test_second_file_of_a_year_is_refused(tmp_path):
    _write(tmp_path, "mailbox_2021", [APPEAL])
    pd.DataFrame([APPEAL]).to_csv(tmp_path / "mailbox_2021.txt", index=False)
    with pytest.raises(DataContractError, match="a second mailbox file for 2021"):
        ingest_register(tmp_path, "mailbox", 2021, key=KEY)


def test_pipeline_validator_stops_on_a_bad_file_and_writes_processed_tables(tmp_path, monkeypatch):
    monkeypatch.setenv("MG_PSEUDONYM_KEY", "k")
    raw, out = tmp_path / "raw", tmp_path / "processed"
    raw.mkdir()
    _write(raw, "mailbox_2021", [APPEAL])
    logs = validate_mailbox(raw, [2021], out)
    assert logs == [{"file": "mailbox_2021.csv", "rows_read": 1, "rows_accepted": 1, "rows_quarantined": 0,
                     **{f"pii_{k}": 0 for k in COUNTED}}]
    assert (out / "registers_mailbox_appeals_2021.parquet").exists()
    _write(raw, "mailbox_2021", [{k: v for k, v in APPEAL.items() if k != "settlement"}])
    with pytest.raises(DataContractError, match="missing required column 'settlement'"):
        validate_mailbox(raw, [2021], out)


def test_personal_columns_are_dropped_and_ids_pseudonymised(tmp_path):
    d = _files(tmp_path, "elibrary")
    users = d["users"]
    assert not {"name", "contact", "user_id"} & set(users.columns)
    assert users["user_pid"].str.fullmatch(r"[0-9a-f]{16}").all()
    assert d["mailings"]["user_pid"].iloc[0] == users["user_pid"].iloc[0]
    m = _files(tmp_path, "mailbox")["appeals"]
    assert not {"text", "signature", "decision"} & set(m.columns)


def test_scrub_masks_phones_emails_and_names():
    s = _scrub(pd.Series(["Иванова Мария Петровна, 8 (918) 555-12-34, a.b@mail.ru", "всё хорошо"]))
    assert s.tolist() == ["[ФИО], [телефон], [e-mail]", "всё хорошо"]


def test_xlsx_and_windows_1251_files_are_read(tmp_path):
    pd.DataFrame([APPEAL]).to_excel(tmp_path / "mailbox_2021.xlsx", index=False)
    assert len(ingest_register(tmp_path, "mailbox", 2021, key=KEY)["appeals"]) == 1
    other = tmp_path / "cp"
    other.mkdir()
    pd.DataFrame([APPEAL]).to_csv(other / "mailbox_2021.csv", index=False, sep=";", encoding="cp1251")
    a = ingest_register(other, "mailbox", 2021, key=KEY)["appeals"]
    assert a[["settlement", "kind"]].values.tolist() == [["S1", "gratitude"]]


def test_registers_are_declared_studies_planned_from_their_files(tmp_path):
    from helpers.pipeline import plan_study
    from helpers.studies import load_studies, study_years
    from helpers.studies.registers.demo import write_registers_demo

    write_registers_demo(tmp_path)
    studies = {s.name: s for s in load_studies()}
    expected = {"mailbox": ("mailbox", [2018, 2019, 2020, 2021]), "elibrary": ("elibrary", [2019, 2020, 2021]),
                "support_line": ("support_line", [2020, 2021]), "assistant_workload": ("assistant_workload", [2021]),
                "channels": ("channels", [2018, 2019, 2020, 2021])}
    for name, (notebook, years) in expected.items():
        study = studies[name]
        assert study_years(study, tmp_path) == years
        jobs = plan_study(study, {"year": years})
        assert {j.notebook for j in jobs} == {notebook}
        assert name == "channels" or study.validator() is not None


def test_a_bad_later_year_leaves_no_processed_file(tmp_path, monkeypatch):
    monkeypatch.setenv("MG_PSEUDONYM_KEY", "k")
    raw, out = tmp_path / "raw", tmp_path / "processed"
    raw.mkdir()
    _write(raw, "mailbox_2020", [APPEAL | {"collected": "06.03.2020", "written": "", "decision_date": "10.03.2020"}])
    _write(raw, "mailbox_2021", [{k: v for k, v in APPEAL.items() if k != "kind"}])
    with pytest.raises(DataContractError, match="mailbox_2021.csv: missing required column 'kind'"):
        validate_mailbox(raw, [2020, 2021], out)
    assert not out.exists() or not any(out.iterdir())


def test_a_quarantined_user_is_named_by_pseudonym_only(tmp_path):
    d = _files(tmp_path, "elibrary", elibrary_users_2021=[USER | {"source": "сосед"}])
    q = d.quarantine[d.quarantine["file"] == "elibrary_users_2021.csv"]
    assert q["id"].str.fullmatch(r"[0-9a-f]{16}").all() and "EL1" not in q.to_csv()


def _overlaps_loop(out):
    """The visit-by-visit reading of overlapping visits (the first implementation): the vectorised
    ``_overlaps`` must flag the same visits with the same reasons."""
    ok = (out["date"].notna() & (out["end_min"] > out["start_min"]).fillna(False) & (out["assistant_id"] != ""))
    d = out.loc[ok, ["assistant_id", "date", "start_min", "end_min", "visit_id"]].reset_index()
    d = d.sort_values(["assistant_id", "date", "start_min"], kind="stable")
    flagged = {}
    for _, g in d.groupby(["assistant_id", "date"], sort=False):
        run_end, run_row = -1.0, None
        for r in g.itertuples(index=False):
            if run_row is not None and r.start_min < run_end:
                flagged[r.index] = f"overlaps visit '{run_row.visit_id}' of the same assistant"
                flagged.setdefault(run_row.index, f"overlaps visit '{r.visit_id}' of the same assistant")
            if r.end_min > run_end:
                run_end, run_row = r.end_min, r
    return dict(sorted(flagged.items()))


def test_overlapping_visits_equal_the_visit_by_visit_reading():
    import numpy as np
    import pandas as pd

    from helpers.io.quarantine import RowProblems
    from helpers.studies.registers.ingest import _overlaps

    rng = np.random.default_rng(5)
    for _ in range(30):
        n = int(rng.integers(1, 120))
        start = rng.integers(8 * 60, 17 * 60, n).astype(float)
        end = start + rng.choice([-10, 0, 15, 30, 45, 60, 120], n)
        start[rng.random(n) < 0.05] = np.nan
        out = pd.DataFrame({"visit_id": [f"V{i}" for i in range(n)],
                            "assistant_id": rng.choice(["A1", "A2", ""], n),
                            "date": pd.to_datetime("2021-03-01") + pd.to_timedelta(rng.integers(0, 3, n), "D"),
                            "start_min": start, "end_min": end})
        problems = RowProblems()
        _overlaps(out, problems)
        assert {i: why for i, _, why in problems.rows} == _overlaps_loop(out)
