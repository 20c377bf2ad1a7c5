"""Demo data of the registers reproducing the published figures, deterministic by ``seed``.

* **Social Mailbox**, Vyselki КЦСОН 2018–2021 (seed ``ru_vyselki_mystery_guest_mailbox_elibrary.txt``):
  **205 written appeals** from boxes in **5 settlements**, all gratitude or opinions on staff
  professionalism, **no complaints**; boxes emptied every Friday (a few late or missed collections are
  planted so that the calendar has something to show).
* **E-library** 2019–2021: mailings reached **152 recipients** (recipients and computer-class graduates,
  by e-mail or WhatsApp), at least once a quarter for almost everyone (a few planted misses).
* **Support Line** 2020–2021 (seed ``ru_support_line_covid_cases.txt``): contacts in the nine case
  groups, heavier during the COVID-19 restrictions, with repeat callers.
* **Assistant support** (seed ``bg_smolyan_assistant_support_inspection_2024.txt``): **129 users
  served hourly**; a quarter of the coordinator's timesheet and the movement of users and staff. The
  Smolyan figures (April 2024) are placed in the demo centre's year 2021 (``assistant_year``) so that the
  default run over 2018–2021 shows them; real timesheets keep their own year.

The raw files carry what real exports carry (names, phones, e-mails, free text) so that the tests can
check that none of it survives ingestion.

>>> import tempfile
>>> from helpers.studies.registers.ingest import ingest_register
>>> d = Path(tempfile.mkdtemp()); _ = write_registers_demo(d)
>>> sum(len(ingest_register(d, "mailbox", y)["appeals"]) for y in range(2018, 2022))
205
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from helpers.io.demo import DEMO_MARKER

__all__ = ["APPEALS_PER_YEAR", "ASSISTANT_USERS", "ELIBRARY_USERS", "make_registers_demo", "write_registers_demo"]

APPEALS_PER_YEAR = {2018: 47, 2019: 52, 2020: 49, 2021: 57}  # 205 in 2018-2021
SETTLEMENTS = ["Выселки", "Березанская", "Бузиновская", "Новобейсугская", "Газырь"]
ELIBRARY_NEW_USERS = {2019: 64, 2020: 51, 2021: 37}  # 152 recipients reached 2019-2021
ELIBRARY_USERS = sum(ELIBRARY_NEW_USERS.values())
ASSISTANT_USERS, ASSISTANTS = 129, 26
SURNAMES = ["Иванова", "Петрова", "Сидорова", "Кузнецова", "Смирнова", "Попова", "Васильева", "Соколова",
            "Михайлова", "Новикова", "Фёдорова", "Морозова", "Волкова", "Алексеева", "Лебедева", "Семенова"]
NAMES = ["Мария", "Анна", "Валентина", "Галина", "Нина", "Людмила", "Тамара", "Зинаида"]
PATRONYMICS = ["Ивановна", "Петровна", "Николаевна", "Сергеевна", "Алексеевна", "Васильевна"]
WORKER_IDS = ["W01", "W02", "W03", "W04", "W05"]
GRATITUDE = ["Выражаю благодарность социальному работнику {w} за внимание и заботу.",
             "Большое спасибо {w}, всегда приходит вовремя, помогает по хозяйству.",
             "Благодарю социального работника {w} за чуткость и терпение."]
OPINION = ["Сотрудники центра — настоящие профессионалы, всё делают грамотно.",
           "Высокий профессионализм и компетентность работников, спасибо.",
           "Социальный работник знает своё дело, всё объясняет понятно."]


def _person(rng: np.random.Generator) -> str:
    return f"{rng.choice(SURNAMES)} {rng.choice(NAMES)} {rng.choice(PATRONYMICS)}"


def _phone(rng: np.random.Generator) -> str:
    return f"+7 (918) {rng.integers(100, 999)}-{rng.integers(10, 99)}-{rng.integers(10, 99)}"


def _fridays(year: int) -> pd.DatetimeIndex:
    return pd.date_range(f"{year}-01-01", f"{year}-12-31", freq="W-FRI")


def _mailbox(year: int, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Collections (every Friday in 5 settlements, a few late or missed) and the year's appeals."""
    rows = []
    for s, name in enumerate(SETTLEMENTS):
        for f in _fridays(year):
            u = rng.random()
            if u < 0.01:
                continue  # missed
            date = f + pd.Timedelta(days=3) if u < 0.03 else f  # late: the Monday after
            rows.append({"settlement": name, "date": date, "collected_by": _person(rng), "s": s})
    coll = pd.DataFrame(rows)
    n = APPEALS_PER_YEAR[year]
    pick = np.sort(rng.choice(len(coll), size=n, replace=False))
    appeals = []
    for k, i in enumerate(pick):
        c = coll.iloc[i]
        kind = "благодарность" if rng.random() < 0.6 else "мнение о профессионализме сотрудников"
        worker = str(rng.choice(WORKER_IDS)) if kind == "благодарность" and rng.random() < 0.8 else ""
        signed = rng.random() < 0.35
        text = (rng.choice(GRATITUDE).format(w=f"{str(rng.choice(SURNAMES))[:-1]}ой {rng.choice(list('АВГЗЛМНТ'))}. {rng.choice(list('ВИНПС'))}.") if kind == "благодарность"
                else str(rng.choice(OPINION)))
        decided = rng.random() < 0.9
        appeals.append({
            "appeal_id": f"{year}-{k + 1:03d}", "settlement": c["settlement"],
            "collected": c["date"].strftime("%d.%m.%Y"),
            "written": (c["date"] - pd.Timedelta(days=int(rng.integers(0, 6)))).strftime("%d.%m.%Y"),
            "kind": kind, "signed": "подписанное" if signed else "анонимное", "worker_id": worker,
            "department": "ОСО на дому №1" if worker else "",
            "decision": "Объявить благодарность, рассмотреть на совещании" if decided else "",
            "decision_date": ((c["date"] + pd.Timedelta(days=int(rng.integers(2, 25)))).strftime("%d.%m.%Y")
                              if decided else ""),
            "text": text + (f" Тел. {_phone(rng)}" if signed and rng.random() < 0.5 else ""),
            "signature": f"{_person(rng)}" if signed else "",
        })
    counts = pd.DataFrame(appeals).groupby(["settlement", "collected"]).size()
    coll["appeals"] = [int(counts.get((r.settlement, r.date.strftime("%d.%m.%Y")), 0))
                       for r in coll.itertuples()]
    coll["date"] = coll["date"].dt.strftime("%d.%m.%Y")
    return pd.DataFrame(appeals), coll[["settlement", "date", "appeals", "collected_by"]]


def _elibrary(rng: np.random.Generator) -> dict[int, tuple[pd.DataFrame, pd.DataFrame]]:
    """Users registered 2019-2021 (152) and quarterly mailings to every active user (a few missed)."""
    users, k = [], 0
    for year, n in ELIBRARY_NEW_USERS.items():
        for _ in range(n):
            k += 1
            channel = "WhatsApp" if rng.random() < 0.55 else "электронная почта"
            reg = pd.Timestamp(f"{year}-01-01") + pd.Timedelta(days=int(rng.integers(0, 300)))
            left = reg + pd.Timedelta(days=int(rng.integers(200, 700))) if rng.random() < 0.12 else pd.NaT
            users.append({
                "user_id": f"EL{k:03d}", "registered": reg, "left": left,
                "source": "получатель" if rng.random() < 0.7 else "выпускник компьютерного класса",
                "channel": channel, "name": _person(rng),
                "contact": _phone(rng) if channel == "WhatsApp" else f"user{k:03d}@mail.ru"})
    users = pd.DataFrame(users)
    out = {}
    topics = ["деятельность учреждения", "социальное обслуживание", "меры социальной поддержки",
              "безопасность жизнедеятельности", "здоровый образ жизни"]
    for year in ELIBRARY_NEW_USERS:
        active = users[(users["registered"].dt.year <= year)
                       & (users["left"].isna() | (users["left"].dt.year >= year))]
        mail, m = [], 0
        for q in range(4):
            for j in range(2):
                if (year, q, j) == (2020, 1, 1):
                    continue  # spring 2020 (self-isolation): one mailing only, so some users miss the quarter
                m += 1
                date = pd.Timestamp(year, 3 * q + 1, 1) + pd.Timedelta(days=int(rng.integers(5, 85)))
                if j == 1:
                    date = max(date, pd.Timestamp(year, 3 * q + 3, 25))  # second mailing late in the quarter
                reach = active[(active["registered"] <= date) & (active["left"].isna() | (active["left"] >= date))]
                reach = reach[rng.random(len(reach)) > (0.08 if (year, q) == (2020, 1) else 0.03)]
                topic = topics[(q * 2 + j) % len(topics)]
                mail += [{"mailing_id": f"{year}-M{m:02d}", "date": date.strftime("%d.%m.%Y"), "topic": topic,
                          "user_id": u} for u in reach["user_id"]]
        reg = active.assign(registered=active["registered"].dt.strftime("%d.%m.%Y"),
                            left=active["left"].dt.strftime("%d.%m.%Y").fillna(""))
        out[year] = (reg, pd.DataFrame(mail))
    return out


def _support_line(year: int, rng: np.random.Generator, callers: list[str]) -> pd.DataFrame:
    days = pd.date_range(f"{year}-01-01", f"{year}-12-31", freq="D")
    covid = [(pd.Timestamp("2020-03-30"), pd.Timestamp("2020-06-30")), (pd.Timestamp("2020-10-26"),
                                                                         pd.Timestamp("2021-02-28"))]
    groups = ["социально-бытовые", "социально-медицинские", "социально-психологические", "социально-педагогические",
              "социально-трудовые", "социально-правовые", "мастер-классы", "онлайн-зарядка", "чаты по интересам"]
    weights = np.array([24, 20, 18, 5, 4, 9, 7, 8, 5], dtype=float)
    rows, k = [], 0
    for d in days:
        lam = 1.2 + (3.5 if any(a <= d <= b for a, b in covid) else 0) - (0.8 if d.weekday() >= 5 else 0)
        for _ in range(rng.poisson(max(lam, 0.2))):
            k += 1
            outcome = "решено" if rng.random() < 0.82 else "перенаправлено"
            days_to = int(rng.geometric(0.45) - 1)
            rows.append({
                "contact_id": f"SL{year}-{k:04d}", "date": d.strftime("%d.%m.%Y"),
                "channel": rng.choice(["телефон", "мессенджер", "видеосвязь"], p=[0.7, 0.22, 0.08]),
                "case_group": rng.choice(groups, p=weights / weights.sum()), "outcome": outcome,
                "resolved_date": (d + pd.Timedelta(days=days_to)).strftime("%d.%m.%Y") if outcome == "решено" else "",
                "caller_id": str(rng.choice(callers[:120])) if rng.random() < 0.4 else str(rng.choice(callers)),
                "age_group": rng.choice(["до 60", "60–74", "75 и старше"], p=[0.2, 0.45, 0.35]),
                "name": _person(rng), "phone": _phone(rng),
                "note": f"Перезвонить {_person(rng)} по номеру {_phone(rng)}" if rng.random() < 0.1 else "",
            })
    return pd.DataFrame(rows)


def _assistant(year: int, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One quarter (April-June) of the timesheet: 129 users, 26 assistants, visits on weekdays."""
    users = [f"AP{u:03d}" for u in range(1, ASSISTANT_USERS + 1)]
    owner = {u: f"A{1 + i % ASSISTANTS:02d}" for i, u in enumerate(users)}
    per_week = {u: int(rng.integers(2, 6)) for u in users}
    start_day = {u: (pd.Timestamp(f"{year}-04-01") + pd.Timedelta(days=int(rng.integers(0, 40)))
                     if i >= ASSISTANT_USERS - 9 else pd.Timestamp(f"{year}-04-01")) for i, u in enumerate(users)}
    end_day = {u: (pd.Timestamp(f"{year}-05-15") + pd.Timedelta(days=int(rng.integers(0, 40)))
                   if i < 6 else pd.Timestamp(f"{year}-06-30")) for i, u in enumerate(users)}
    rows, k = [], 0
    for d in pd.date_range(f"{year}-04-01", f"{year}-06-30", freq="B"):
        slots: dict[str, int] = {}
        for u in users:
            if not (start_day[u] <= d <= end_day[u]) or rng.random() > per_week[u] / 5:
                continue
            a = owner[u]
            begin = slots.get(a, int(rng.choice([8 * 60, 8 * 60 + 30, 9 * 60])))
            length = int(rng.choice([60, 90, 120, 180]))
            if begin + length > 19 * 60:
                continue
            k += 1
            rows.append({"visit_id": f"V{k:05d}", "assistant_id": a, "user_id": u, "date": d.strftime("%d.%m.%Y"),
                         "start": f"{begin // 60:02d}:{begin % 60:02d}",
                         "end": f"{(begin + length) // 60:02d}:{(begin + length) % 60:02d}",
                         "assistant_name": f"асистент {a}", "user_name": _person(rng)})
            slots[a] = begin + length + int(rng.choice([30, 45, 60]))
    # three data errors a coordinator's timesheet may hold: two overlapping visits and a reversed one
    first = rows[0]
    rows += [{**first, "visit_id": f"V{k + 1:05d}", "user_id": users[1]},
             {**rows[1], "visit_id": f"V{k + 2:05d}", "start": "14:00", "end": "12:30"}]
    visits = pd.DataFrame(rows)
    reasons = ["смерть", "переезд в стационарное учреждение", "по собственному желанию", "смена места жительства"]
    moves = [{"date": start_day[u].strftime("%d.%m.%Y"), "movement": "новый потребитель", "user_id": u,
              "assistant_id": "", "reason": ""} for u in users[-9:]]
    moves += [{"date": end_day[u].strftime("%d.%m.%Y"), "movement": "прекращение услуги", "user_id": u,
               "assistant_id": "", "reason": reasons[i % len(reasons)]} for i, u in enumerate(users[:6])]
    moves += [{"date": f"15.05.{year}", "movement": "освобождённая позиция", "user_id": "", "assistant_id": "A27",
               "reason": ""},
              {"date": f"03.06.{year}", "movement": "принят ассистент", "user_id": "", "assistant_id": "A27",
               "reason": ""}]
    return visits, pd.DataFrame(moves).sort_values("date", key=lambda s: pd.to_datetime(s, dayfirst=True),
                                                   kind="stable")


def make_registers_demo(seed: int = 2018, assistant_year: int = 2021) -> dict[str, pd.DataFrame]:
    """Every demo raw table as an operator would type it, by file stem (``mailbox_2018``, ...)."""
    rng = np.random.default_rng(seed)
    files: dict[str, pd.DataFrame] = {}
    for year in APPEALS_PER_YEAR:
        files[f"mailbox_{year}"], files[f"mailbox_collections_{year}"] = _mailbox(year, rng)
    for year, (users, mailings) in _elibrary(rng).items():
        files[f"elibrary_users_{year}"] = users.drop(columns=[]).reset_index(drop=True)
        files[f"elibrary_mailings_{year}"] = mailings
    callers = [f"C{i:04d}" for i in range(1, 701)]
    for year in (2020, 2021):
        files[f"support_line_{year}"] = _support_line(year, rng, callers)
    files[f"assistant_visits_{assistant_year}"], files[f"assistant_movements_{assistant_year}"] = _assistant(
        assistant_year, rng)
    return files


def write_registers_demo(raw_dir: str | Path, seed: int = 2018, assistant_year: int = 2021) -> list[Path]:
    """Write every register's demo files (UTF-8 CSV) into ``raw_dir`` and mark it as demo data.

    The demo marker (``DEMO_DATA.txt``) selects the public demo pseudonymisation key; it is written only
    when absent (the Mystery Guest demo writes its own).
    """
    raw = Path(raw_dir)
    raw.mkdir(parents=True, exist_ok=True)
    paths = []
    for stem, df in make_registers_demo(seed, assistant_year).items():
        p = raw / f"{stem}.csv"
        df.to_csv(p, index=False, encoding="utf-8")
        paths.append(p)
    marker = raw / DEMO_MARKER
    if not marker.exists():
        marker.write_text("Demo data written by helpers.studies.registers.demo; not real people.\n", encoding="utf-8")
    return paths


def main(argv: list[str] | None = None) -> int:
    """``python -m helpers.studies.registers.demo RAW_DIR [--seed 2018]``."""
    import argparse

    ap = argparse.ArgumentParser(description="write the registers' demo files into a raw folder")
    ap.add_argument("raw_dir")
    ap.add_argument("--seed", type=int, default=2018)
    a = ap.parse_args(argv)
    for p in write_registers_demo(a.raw_dir, a.seed):
        print(p)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
