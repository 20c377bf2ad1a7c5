"""Every kind of personal data through the path ingestion really takes (issue 23, item 3).

Each case runs through :func:`scrub`, through :func:`scrub_series` (the distinct-value path with its
vectorised pre-filter, which ingestion uses) and through a real ingestion of a raw file: typed into a
comment and typed into each id column. Nothing of it may reach ``data/processed``.
The people here are invented and use names that appear nowhere in the demo data, so a hit is a leak.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from helpers.io.ingest import ingest, read_table, write_processed
from helpers.io.pii import ID_KINDS, PLACEHOLDERS, scrub, scrub_series

# (case id, kind, text typed in a comment, the personal datum that must vanish)
CASES = [
    ("full_name", "name", "Белоусова Ксения Тимуровна очень внимательна", "Белоусова Ксения Тимуровна"),
    ("full_name_male", "name", "Спасибо, Гаврилов Тимур Русланович помог", "Гаврилов Тимур Русланович"),
    ("name_patronymic", "name", "Ксения Тимуровна приходит вовремя", "Ксения Тимуровна"),
    ("surname_initials", "name", "помогла Белоусова К.Т., спасибо", "Белоусова К.Т."),
    ("initials_surname", "name", "спасибо К. Т. Белоусовой", "Белоусовой"),
    ("surname_first", "name", "Белоусова Ксения всегда поможет", "Белоусова Ксения"),
    ("first_name_declined", "name", "Благодарю Ксению за заботу", "Ксению"),
    ("first_name_diminutive", "name", "Катя приходит по средам", "Катя"),
    ("phone_plus7", "phone", "Звоните +7 (918) 555-12-34 после обеда", "555-12-34"),
    ("phone_glued", "phone", "звоните тел+7(918)555-12-34 после обеда", "555-12-34"),
    ("phone_8_spaces", "phone", "тел. 8 918 555 12 34", "918 555 12 34"),
    ("phone_digits", "phone", "мой номер 89185551234", "89185551234"),
    ("phone_landline", "phone", "городской +7 4842 22-33-44", "22-33-44"),
    ("phone_local", "phone", "дом. 2-34-56, звонить вечером", "2-34-56"),
    ("phone_nbsp", "phone", "тел.\xa08\xa0918\xa0555\xa012\xa034", "555\xa012\xa034"),  # no-break spaces
    ("email", "email", "пишите belousova.k@example.ru", "belousova.k@example.ru"),
    ("email_plus", "email", "или k.t+soc@mail.example.com", "k.t+soc@mail.example.com"),
    # the kinds of issue 20 (all personal data under 152-FZ)
    ("latin_full", "name", "Ivanova Anna Petrovna очень внимательна", "Ivanova Anna Petrovna"),
    ("latin_first_patronymic", "name", "Anna Petrovna приходила во вторник", "Anna Petrovna"),
    ("latin_initials", "name", "спасибо Belousova K.T. за помощь", "Belousova K.T."),
    ("latin_initials_before", "name", "K. T. Belousova приходила", "Belousova"),
    ("latin_surname_first", "name", "Belousova Kseniya всегда поможет", "Belousova Kseniya"),
    ("snils", "snils", "СНИЛС 112-233-445 95 не нашли", "112-233-445 95"),
    ("snils_bare", "snils", "записала номер 112-233-445 95", "112-233-445 95"),
    ("snils_digits", "snils", "снилс: 11223344595", "11223344595"),
    ("passport", "passport", "паспорт 4510 123456 у дочери", "4510 123456"),
    ("passport_series", "passport", "серия 45 10 номер 123456", "123456"),
    ("passport_bare", "passport", "данные 4510 № 123456", "123456"),
    ("inn", "inn", "ИНН 771234567890 указан", "771234567890"),
    ("oms", "oms", "полис ОМС № 7751 2345 6789 0123 просрочен", "7751 2345 6789 0123"),
    ("oms_digits", "oms", "полис 7751234567890123", "7751234567890123"),
    ("address", "address", "живёт ул. Садовая, д. 14, кв. 7, третий этаж", "Садовая, д. 14, кв. 7"),
    ("address_street", "address", "адрес: улица Ленина 5-12", "Ленина 5-12"),
    ("address_house_flat", "address", "дом 3, кв. 45 - звонить в домофон", "кв. 45"),
    ("address_prospekt", "address", "пр-т Мира, д. 3 корп. 2", "Мира, д. 3"),
    ("birth_year", "birth", "1938 г.р., ветеран труда", "1938"),
    ("birth_year_words", "birth", "она 1941 года рождения", "1941"),
    ("birth_date", "birth", "дата рождения 12.03.1938", "12.03.1938"),
    ("birth_dr", "birth", "д.р. 12.03.1938, инвалид 2 группы", "12.03.1938"),
    ("birth_words", "birth", "родилась 12 марта 1938 года", "12 марта 1938"),
]
#: no personal data: typed as is, kept as typed by every path (visits, counts, the centre's departments)
LOOK_ALIKES = [
    "Приходит 12.03.2020 в 10:00, 3 раза в неделю",
    "Всего 1300 получателей, 130 опрошено",
    "На улице Ленина ремонт, трудно пройти",
    "Купила лекарства в аптеке на пл. Победы",
    "Отделение социального обслуживания на дому работает хорошо",
    "Отделение временного проживания, 2 этаж",
    "Заявка 2021-00017 от 05.04.2021",
    "Помощь 2 раза в неделю по 45 минут",
    "В 2020 году стало лучше, обслуживают с 2015 года",
    "Принесла продукты на 1500 рублей, чек 0012",
    "Позвонили 15.04.2021, всё хорошо",
    "Social worker very polite, OK",
]
#: what may be typed into an id column and is recognised there; local numbers (``2-34-56``) are not taken in
#: ids: an id such as ``12-34-56`` cannot be told from one (documented in helpers.io.pii)
ID_CASES = [c for c in CASES if c[1] in ("name", "phone", "email") and c[0] not in ("phone_local",)
            and not (c[0].startswith("latin") and c[0] != "latin_full")]
ID_VALUES = {  # the datum as someone would type it into an id cell
    "first_name_declined": "Ксения", "initials_surname": "К. Т. Белоусова",
    "phone_plus7": "+7 (918) 555-12-34", "phone_8_spaces": "8 918 555 12 34", "phone_landline": "+7 4842 22-33-44",
    "phone_nbsp": "8\xa0918\xa0555\xa012\xa034", "phone_glued": "W+7 918 555 12 34",  # a phone behind a prefix
}
ID_SCRUBBED = {"phone_glued": "W[телефон]"}  # the id after scrubbing, where it is not just the placeholder
COUNTED_KINDS = ("phone", "email", "name", "snils", "passport", "inn", "oms", "address", "birth")
ID_COLUMNS = ["interview_id", "interviewer_id", "worker_id", "stratum", "pair_id", "recipient_id"]
ids = [c[0] for c in CASES]


@pytest.mark.parametrize("case, kind, text, needle", CASES, ids=ids)
def test_scrub_replaces_every_case(case, kind, text, needle):
    cleaned, counts = scrub(text)
    assert needle not in cleaned and PLACEHOLDERS[kind] in cleaned, cleaned
    assert counts[kind] >= 1


@pytest.mark.parametrize("case, kind, text, needle", CASES, ids=ids)
def test_scrub_series_replaces_every_case(case, kind, text, needle):
    """The pre-filtered, once-per-distinct-value path gives what ``scrub`` gives, cell by cell, and counts cells."""
    values = pd.Series([text, "Всё хорошо, претензий нет.", text, "", None, "2021-00017"], index=[5, 3, 9, 1, 0, 7])
    cleaned, counts = scrub_series(values)
    assert cleaned.index.tolist() == values.index.tolist()
    assert cleaned.tolist() == [scrub(t)[0] for t in values.fillna("")]
    assert not cleaned.str.contains(needle, regex=False).any()
    assert counts[kind] == 2 * scrub(text)[1][kind]


@pytest.mark.parametrize("case, kind, text, needle", ID_CASES, ids=[c[0] for c in ID_CASES])
def test_scrub_series_finds_every_case_typed_into_an_id(case, kind, text, needle):
    value = ID_VALUES.get(case, needle)
    values = pd.Series(["2020-00001", value, "W01", "P2020-0001", "home_care", "R-W01-003"])
    cleaned, counts = scrub_series(values, kinds=ID_KINDS)
    scrubbed = ID_SCRUBBED.get(case, PLACEHOLDERS[kind])
    assert cleaned.tolist() == ["2020-00001", scrubbed, "W01", "P2020-0001", "home_care", "R-W01-003"]
    assert counts[kind] == 1


@pytest.mark.parametrize("text", LOOK_ALIKES)
def test_look_alikes_are_kept(text):
    assert scrub(text) == (text, dict.fromkeys(COUNTED_KINDS, 0))
    cleaned, counts = scrub_series(pd.Series([text, text]))
    assert cleaned.tolist() == [text, text] and not any(counts.values())


def test_ids_are_not_taken_for_phones():
    values = pd.Series(["2021-00017", "12-34-56", "1234567", "P2020-0001", "W01", "R-W13-008", "S04"])
    cleaned, counts = scrub_series(values, kinds=ID_KINDS)
    assert cleaned.tolist() == values.tolist() and not any(counts.values())


# ---- a real ingestion -----------------------------------------------------------------------------
def _texts(folder: Path) -> str:
    """Every file written under ``folder`` as text; parquet tables decoded as well (they are compressed)."""
    parts = []
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            parts.append(p.read_bytes().decode("utf-8", "ignore"))
            if p.suffix == ".parquet":
                parts.append(pd.read_parquet(p).astype(str).to_csv())
    return "\n".join(parts)


@pytest.fixture(scope="module")
def planted_comments(copy_demo_years, tmp_path_factory):
    """Every case typed into its own comment of the 2020 file; ingested and written as the pipeline does."""
    root = tmp_path_factory.mktemp("privacy_comments")
    raw_dir = copy_demo_years(root / "raw", 2020)
    raw = read_table(raw_dir / "interviews_2020.csv")
    rows = {case: 20 + k for k, (case, *_) in enumerate(CASES)}
    for case, _, text, _ in CASES:
        raw.loc[rows[case], "comment"] = text
    for k, text in enumerate(LOOK_ALIKES):
        raw.loc[100 + k, "comment"] = text
    raw.to_csv(raw_dir / "interviews_2020.csv", index=False)
    result = ingest(raw_dir)
    write_processed(result, root / "processed")
    return result, root / "processed", raw, rows


def test_comments_scrubbed_by_a_real_ingestion(planted_comments):
    result, processed, raw, rows = planted_comments
    text = _texts(processed)
    assert not [needle for *_, needle in CASES if needle in text]
    by_id = result.interviews.set_index("interview_id")["comment"]
    for case, _, comment, _ in CASES:
        assert by_id[raw.loc[rows[case], "interview_id"]] == scrub(comment)[0], case  # kept, scrubbed
    for k, text in enumerate(LOOK_ALIKES):
        assert by_id[raw.loc[100 + k, "interview_id"]] == text  # kept as typed
    log = pd.read_parquet(processed / "ingest_log.parquet").iloc[0]
    for kind in COUNTED_KINDS:  # every kind counted, in its own column of the log
        assert log[f"pii_{kind}"] == sum(k == kind for _, k, *_ in CASES), kind


@pytest.fixture(scope="module")
def planted_ids(copy_demo_years, tmp_path_factory):
    """Every id case typed into every id column, one row each, of the 2020 file; ingested and written."""
    root = tmp_path_factory.mktemp("privacy_ids")
    raw_dir = copy_demo_years(root / "raw", 2020)
    raw = read_table(raw_dir / "interviews_2020.csv")
    planted = []
    row = 10
    for col in ID_COLUMNS:
        for case, kind, _, needle in ID_CASES:
            value = ID_VALUES.get(case, needle)
            planted.append((row, col, case, kind, value, raw.loc[row, "interview_id"]))
            raw.loc[row, col] = value
            row += 1
    raw.to_csv(raw_dir / "interviews_2020.csv", index=False)
    result = ingest(raw_dir)
    write_processed(result, root / "processed")
    return result, root / "processed", planted


def test_personal_data_typed_into_an_id_never_reaches_processed(planted_ids):
    _, processed, planted = planted_ids
    text = _texts(processed)
    assert len(planted) == len(ID_COLUMNS) * len(ID_CASES)
    assert not sorted({needle for *_, needle, _ in planted if needle in text})  # each typed into every id column


def test_personal_data_in_an_id_quarantines_the_row(planted_ids):
    """What ingestion does with it: the row is quarantined with the reason, its value replaced by the
    placeholder. The recipient id is never kept (it becomes a keyed pseudonym) and is not scanned: its rows
    here fall only to the pair check (the pair's two interviews now name different recipients)."""
    result, _, planted = planted_ids
    q = result.quarantine.set_index("row")
    accepted = set(result.interviews["source_row"])
    for row, col, case, kind, _, interview_id in planted:
        line = row + 2  # header on line 1
        if col == "recipient_id":
            # kept only as a keyed pseudonym (checked below); quarantined when its pair's other interview is kept
            if line not in accepted:
                assert q.loc[line, "reason"].startswith("pair id links interviews of different"), case
            continue
        assert line in q.index and line not in accepted, (col, case)
        assert "personal data (phone, e-mail or name) in an id column" in q.loc[line, "reason"], (col, case)
        if col == "interview_id":
            assert q.loc[line, "interview_id"] == ID_SCRUBBED.get(case, PLACEHOLDERS[kind])
        else:
            assert q.loc[line, "interview_id"] == interview_id
    assert "recipient_id" not in result.interviews and result.interviews["recipient_pid"].str.fullmatch(
        "[0-9a-f]{16}").all()
    pii = pd.DataFrame(result.log)[["pii_phone", "pii_email", "pii_name"]].sum()
    n_ids = len(ID_COLUMNS) - 1  # the recipient id is pseudonymised, not scanned
    assert pii["pii_email"] == n_ids * sum(k == "email" for _, k, *_ in ID_CASES)
    assert pii["pii_phone"] == n_ids * sum(k == "phone" for _, k, *_ in ID_CASES)


def test_command_line_names_every_kind_replaced(planted_comments, tmp_path, capsys):
    """`python -m helpers validate` reports the spans replaced of every kind found, and quotes none."""
    from helpers.__main__ import main

    _, processed, _, _ = planted_comments
    assert main(["validate", str(processed.parent / "raw"), "--out", str(tmp_path / "p")]) == 0
    printed = capsys.readouterr()
    expected = {kind: sum(k == kind for _, k, *_ in CASES) for kind in COUNTED_KINDS}
    assert expected["inn"] == 1  # "1 INN": the count's own plural form
    assert (f"personal data replaced in free text: {expected['phone']} phones, {expected['email']} e-mails, "
            f"{expected['name']} names, {expected['snils']} SNILS numbers, {expected['passport']} passport numbers, "
            f"{expected['inn']} INN, {expected['oms']} OMS policy numbers, {expected['address']} addresses, "
            f"{expected['birth']} birth dates") in printed.out
    assert not [needle for *_, needle in CASES if needle in printed.out + printed.err]
