"""Deterministic demo data that reproduces the published 2018-2021 Mystery Guest figures.

The published figures (``docs/domain.md``, source: Vyselki KCSON report):

====  =======  ==========  ==============================================
year  workers  recipients  interviewers
====  =======  ==========  ==============================================
2018  4        35          4 volunteers
2019  5        42          4 volunteers
2020  (n. g.)  144         130 home care (10 % of 1,300) + 14 temporary
                           residence (100 % of 14); volunteer + social-
                           worker pairs
2021  (n. g.)  (n. g.)     (n. g.)
====  =======  ==========  ==============================================

Assumptions where nothing is published (stated in ``data/raw/README.md`` too):

* 2020: 15 social workers assessed (13 home care with 10 recipients each, 2 temporary residence
  with 7 each); 5 volunteers and 4 social-worker interviewers; every recipient interviewed twice
  (one volunteer, one social worker) -> 144 pairs, 288 interviews.
* 2021: the 2020 design repeated: 1,280 served at home (10 % = 128) and 15 in temporary residence
  (100 %), 143 recipients, paired; plus 3 deliberately faulty rows that exercise the quarantine.
  One **small cell**: worker W13 is assessed through only 3 recipients (6 interviews; six colleagues
  have one recipient more), so a public report must suppress W13's 2021 cells (fewer than 5 recipients)
  and an internal one shows them.
* 2018-2019: only the home-care department, one volunteer interview per recipient.

The generating model (the planted truth, written to ``data/demo/truth.json``): for an interview of
recipient *r* about worker *w* by interviewer *j* in year *y*, the latent satisfaction of item *k* is

    eta = base + quality[w, y] + year_effect[y] + leniency[j] + role_shift[role] + mode_shift[mode]
          + u_r + e_i + e_ik,

with ``u_r`` shared by the two interviews of a pair **and kept across years**: a recipient sampled again
in a later year (the same worker's stable pool, the same ``recipient_id``) brings the same ``u_r``
(:func:`recipient_effect`, a deterministic draw from the seed and the id). Year comparisons that treat
the samples of two years as independent, or a pair's two interviews as two recipients, are therefore
wrong on these data in the way they would be wrong on real data. Answers follow a cumulative-logit model with
thresholds that put most answers at the top of the scale (the ceiling seen in the real reports).
Reverse-keyed items are answered on the mirrored scale.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.io.codebook import Codebook, load_codebook
from helpers.io.provenance import file_sha256

DEMO_KEY = "mystery-guest-demo-key-not-secret"
DEMO_MARKER = "DEMO_DATA.txt"
YEARS = (2018, 2019, 2020, 2021)
SMALL_CELL = ("W13", 2021)  # the worker and year resting on fewer than 5 recipients (public reports suppress)
SMALL_CELL_RECIPIENTS = 3

# ---- planted truth (latent logit scale) --------------------------------------------------------
BASE = 2.0
YEAR_EFFECT = {2018: 0.0, 2019: 0.25, 2020: -0.45, 2021: 0.1}
ROLE_SHIFT = {"volunteer": 0.0, "social_worker": -0.5}  # colleagues are stricter
MODE_SHIFT = {"in_person": 0.0, "phone": 0.15}
THRESHOLDS = np.array([-3.6, -2.6, -1.4, 0.0])  # P(code >= 2..5) = logistic(eta - threshold)
SD_RECIPIENT, SD_INTERVIEW, SD_ITEM = 0.6, 0.3, 0.7
SD_WORKER, SD_INTERVIEWER = 0.55, 0.3
RATE_DONT_KNOW, RATE_REFUSED, RATE_BLANK = 0.03, 0.005, 0.015


@dataclass(frozen=True)
class YearDesign:
    """Who is interviewed in one year: recipients per worker, department and interviewer pools."""

    year: int
    home_workers: int
    home_per_worker: tuple[int, ...]
    temp_workers: int
    temp_per_worker: tuple[int, ...]
    volunteers: int
    sw_interviewers: int
    paired: bool
    home_population: int
    temp_population: int
    phone_share: float

    @property
    def recipients(self) -> int:
        return sum(self.home_per_worker) + sum(self.temp_per_worker)


def published_designs(scale: int | None = None) -> dict[int, YearDesign]:
    """The four yearly designs; ``scale`` (recipients per year) enlarges them for benchmarks."""
    designs = {
        2018: YearDesign(2018, 4, (9, 9, 9, 8), 0, (), 4, 0, False, 1300, 0, 0.3),
        2019: YearDesign(2019, 5, (9, 9, 8, 8, 8), 0, (), 4, 0, False, 1300, 0, 0.3),
        2020: YearDesign(2020, 13, (10,) * 13, 2, (7, 7), 5, 4, True, 1300, 14, 0.7),
        2021: YearDesign(2021, 13, (11,) * 6 + (10,) * 5 + (9, SMALL_CELL_RECIPIENTS), 2, (8, 7), 5, 4, True,
                         1280, 15, 0.5),
    }
    if scale is None:
        return designs
    scaled = {}
    for y, d in designs.items():
        n_workers = max(2, scale // 10)
        per = np.full(n_workers, scale // n_workers)
        per[: scale - per.sum()] += 1
        scaled[y] = YearDesign(
            y, n_workers, tuple(int(v) for v in per), 0, (), max(4, n_workers // 5),
            max(4, n_workers // 5) if d.paired else 0, d.paired, scale * 10, 0, d.phone_share,
        )
    return scaled


# ---- fake personal data -------------------------------------------------------------------------
_SURNAMES = [
    "Иванов", "Петров", "Сидоров", "Кузнецов", "Смирнов", "Попов", "Васильев", "Соколов",
    "Михайлов", "Новиков", "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов",
    "Егоров", "Павлов", "Козлов", "Степанов", "Николаев", "Орлов", "Андреев", "Макаров",
]
# recipients (elderly) and staff draw first names from disjoint lists, so that a recipient never shares
# a full name with a worker or interviewer and the privacy tests can tell them apart
_MALE = ["Иван", "Пётр", "Николай", "Василий", "Григорий", "Степан", "Фёдор", "Матвей", "Афанасий"]
_FEMALE = ["Мария", "Анна", "Валентина", "Галина", "Нина", "Клавдия", "Зинаида", "Антонина", "Евдокия"]
_STAFF_MALE = ["Дмитрий", "Андрей", "Максим", "Артём", "Денис"]
_STAFF_FEMALE = ["Ольга", "Елена", "Светлана", "Ирина", "Наталья", "Юлия", "Марина", "Оксана"]
_PATRONYMIC_M = ["Иванович", "Петрович", "Николаевич", "Васильевич", "Алексеевич", "Михайлович"]
_PATRONYMIC_F = ["Ивановна", "Петровна", "Николаевна", "Васильевна", "Алексеевна", "Михайловна"]
_COMMENTS = [
    "Очень довольна, спасибо за заботу.",
    "Всё хорошо, претензий нет.",
    "Приходит вовремя, всегда поможет.",
    "Хотелось бы, чтобы приходили чаще.",
    "Спасибо социальной службе!",
    "Иногда задерживается, но всегда предупреждает.",
    "Помогла оформить документы, благодарю.",
    "Вежливая, внимательная.",
    "Жалоб нет.",
]


def _full_name(rng: np.random.Generator, staff: bool = False) -> str:
    surname = str(rng.choice(_SURNAMES))
    female, male = (_STAFF_FEMALE, _STAFF_MALE) if staff else (_FEMALE, _MALE)
    if rng.random() < 0.75:  # most recipients and most social workers are women
        return f"{surname}а {rng.choice(female)} {rng.choice(_PATRONYMIC_F)}"
    return f"{surname} {rng.choice(male)} {rng.choice(_PATRONYMIC_M)}"


def _phone(rng: np.random.Generator) -> str:
    d = rng.integers(0, 10, size=9)
    return f"+7 (9{d[0]}{d[1]}) {d[2]}{d[3]}{d[4]}-{d[5]}{d[6]}-{d[7]}{d[8]}"


def _stable_name(recipient_id: str) -> str:
    """A fake name that depends only on the recipient id (the same every year), via CRC-32."""
    h = zlib.crc32(recipient_id.encode())
    surname = _SURNAMES[h % len(_SURNAMES)]
    if (h >> 8) % 4:
        return f"{surname}а {_FEMALE[(h >> 12) % len(_FEMALE)]} {_PATRONYMIC_F[(h >> 18) % len(_PATRONYMIC_F)]}"
    return f"{surname} {_MALE[(h >> 12) % len(_MALE)]} {_PATRONYMIC_M[(h >> 18) % len(_PATRONYMIC_M)]}"


def _stable_phone(recipient_id: str) -> str:
    d = f"{zlib.crc32(recipient_id.encode() + b'phone'):010d}"[-9:]
    return f"+7 (9{d[0]}{d[1]}) {d[2:5]}-{d[5:7]}-{d[7:9]}"


# ---- generation --------------------------------------------------------------------------------
def _answer_codes(eta: np.ndarray, rng: np.random.Generator, scale_max: int) -> np.ndarray:
    """Draw codes 1..5 (cumulative logit) or 0/1 (logit) from latent ``eta``."""
    if scale_max == 1:
        return (rng.random(eta.shape) < 1 / (1 + np.exp(-(eta + 0.5)))).astype(int)
    p_ge = 1 / (1 + np.exp(-(eta[..., None] - THRESHOLDS)))  # P(Y >= 2..5)
    u = rng.random(eta.shape)[..., None]
    return 1 + (u < p_ge).sum(axis=-1)


def _format_answer(code: np.ndarray, item: str, cb: Codebook, rng: np.random.Generator) -> np.ndarray:
    """Turn codes into what people type: mostly Russian labels, some codes, odd spacing and case."""
    scale = cb.scale_of(item)
    table = np.empty(10, dtype=object)
    for c, e in {**scale.codes, **scale.missing}.items():
        table[c] = e["ru"]
    out = table[code.astype(int)]
    style = rng.random(len(code))
    numeric = style < 0.08
    out[numeric] = code[numeric].astype(str)
    capital = (style >= 0.08) & (style < 0.2)
    capitalised = np.array([s.capitalize() + " " for s in table[table != None]], dtype=object)  # noqa: E711
    table[table != None] = capitalised  # noqa: E711
    out[capital] = table[code[capital].astype(int)]
    return out


def _truth(seed: int, designs: dict[int, YearDesign]) -> dict:
    rng = np.random.default_rng([seed, 1])
    n_workers = max(d.home_workers + d.temp_workers for d in designs.values())
    workers = [f"W{i + 1:02d}" for i in range(n_workers)]
    base_quality = rng.normal(0, SD_WORKER, n_workers)
    slope = np.zeros(n_workers)
    if n_workers >= 5:  # planted trajectories: one improves, one declines
        slope[2], slope[1] = 0.4, -0.4
    quality = {
        str(y): {w: float(base_quality[i] + slope[i] * (y - 2018)) for i, w in enumerate(workers)}
        for y in designs
    }
    n_vol = max(d.volunteers for d in designs.values())
    n_sw = max(d.sw_interviewers for d in designs.values())
    interviewers = [f"V{i + 1:02d}" for i in range(n_vol)] + [f"S{i + 1:02d}" for i in range(n_sw)]
    leniency = dict(zip(interviewers, map(float, rng.normal(0, SD_INTERVIEWER, len(interviewers))), strict=True))
    return {
        "seed": seed,
        "scale": "latent cumulative-logit scale; answers P(code>=c)=logistic(eta - threshold_c)",
        "base": BASE,
        "thresholds": THRESHOLDS.tolist(),
        "year_effect": {str(k): v for k, v in YEAR_EFFECT.items()},
        "role_shift": ROLE_SHIFT,
        "mode_shift": MODE_SHIFT,
        "worker_quality": quality,
        "worker_slope": dict(zip(workers, map(float, slope), strict=True)),
        "interviewer_leniency": leniency,
        "sd": {"recipient": SD_RECIPIENT, "interview": SD_INTERVIEW, "item": SD_ITEM},
        "recipient_effect": "persistent: one u_r per recipient_id for all years (helpers.io.demo.recipient_effect)",
    }


def _recipients(design: YearDesign, rng: np.random.Generator) -> pd.DataFrame:
    """One row per sampled recipient with the worker who serves them."""
    rows = []
    for dept, n_w, per, offset in (
        ("home_care", design.home_workers, design.home_per_worker, 0),
        ("temporary_residence", design.temp_workers, design.temp_per_worker, design.home_workers),
    ):
        for w in range(n_w):
            worker = f"W{offset + w + 1:02d}"
            # each worker serves a stable pool of recipients: samples recur across years
            pool = np.arange(per[w] + 6)
            chosen = rng.choice(pool, size=per[w], replace=False)
            rows += [(dept, worker, f"R-{worker}-{c:03d}") for c in chosen]
    return pd.DataFrame(rows, columns=["department", "worker_id", "recipient_id"])


def recipient_effect(recipient_ids, seed: int, sd: float = SD_RECIPIENT) -> np.ndarray:
    """The persistent latent effect ``u_r ~ N(0, sd^2)`` of each recipient: the same in every year.

    Drawn from a generator seeded by ``(seed, CRC-32 of the recipient id)``, so it depends only on the
    demo seed and the recipient, never on the year or on who else was sampled.

    Examples
    --------
    >>> a = recipient_effect(["R-W01-003", "R-W02-001"], seed=2018)
    >>> bool(a[0] == recipient_effect(["R-W01-003"], seed=2018)[0]), bool(a[0] != a[1])
    (True, True)
    """
    return np.array([np.random.default_rng([seed, 3, zlib.crc32(str(r).encode())]).normal(0.0, sd)
                     for r in recipient_ids], dtype=float)


def simulate_year(design: YearDesign, truth: dict, cb: Codebook, seed: int) -> pd.DataFrame:
    """Interview rows of one year in the raw layout (before any formatting of answers).

    The recipient effect is :func:`recipient_effect` (persistent across years); the year's own draw of
    it is still taken from the stream so that every other draw (who is sampled, interviewers, modes,
    answers) is the same as before the effect was made persistent.
    """
    rng = np.random.default_rng([seed, design.year])
    rec = _recipients(design, rng)
    n = len(rec)
    rng.normal(0, SD_RECIPIENT, n)  # keeps the stream of the remaining draws unchanged
    rec["u"] = recipient_effect(rec["recipient_id"], seed)
    vols = [f"V{i + 1:02d}" for i in range(design.volunteers)]
    sws = [f"S{i + 1:02d}" for i in range(design.sw_interviewers)]
    frames = [rec.assign(role="volunteer", interviewer_id=rng.choice(vols, n))]
    if design.paired:
        frames.append(rec.assign(role="social_worker", interviewer_id=rng.choice(sws, n)))
        for f in frames:
            f["pair_id"] = [f"P{design.year}-{i + 1:04d}" for i in range(n)]
    else:
        frames[0]["pair_id"] = ""
    df = pd.concat(frames, ignore_index=True)
    df = df.sample(frac=1, random_state=int(rng.integers(2**31))).reset_index(drop=True)
    m = len(df)
    df["mode"] = np.where(rng.random(m) < design.phone_share, "phone", "in_person")
    # temporary residence is visited in person
    df.loc[df["department"] == "temporary_residence", "mode"] = "in_person"
    year_q = truth["worker_quality"][str(design.year)]
    eta = (
        BASE
        + df["worker_id"].map(year_q).to_numpy()
        + YEAR_EFFECT[design.year]
        + df["interviewer_id"].map(truth["interviewer_leniency"]).to_numpy()
        + df["role"].map(ROLE_SHIFT).to_numpy()
        + df["mode"].map(MODE_SHIFT).to_numpy()
        + df["u"].to_numpy()
        + rng.normal(0, SD_INTERVIEW, m)
    )
    for item in cb.items_for_year(design.year):
        scale = cb.scale_of(item)
        eta_k = eta + rng.normal(0, SD_ITEM, m)
        code = _answer_codes(eta_k, rng, scale.max_code)
        if cb.items[item].reverse:
            code = scale.max_code + scale.min_code - code
        u = rng.random(m)
        code = np.where(u < RATE_DONT_KNOW, 8, code)
        code = np.where((u >= RATE_DONT_KNOW) & (u < RATE_DONT_KNOW + RATE_REFUSED), 9, code)
        df[item] = code
        df[item + "__blank"] = u > 1 - RATE_BLANK
    df["date"] = pd.Timestamp(f"{design.year}-03-01") + pd.to_timedelta(rng.integers(0, 240, m), "D")
    df["interview_id"] = [f"{design.year}-{i + 1:05d}" for i in range(m)]
    df["stratum"] = df["department"]
    return df.drop(columns="u")


def _to_raw(df: pd.DataFrame, design: YearDesign, cb: Codebook, rng: np.random.Generator) -> pd.DataFrame:
    """Format simulated rows as a real export: Russian labels, dd.mm.yyyy dates, names and phones."""
    people = df["recipient_id"].unique()
    names = {r: _stable_name(r) for r in people}
    phones = {r: _stable_phone(r) for r in people}
    vocab = cb.vocabularies
    out = pd.DataFrame(
        {
            "interview_id": df["interview_id"],
            "date": df["date"].dt.strftime("%d.%m.%Y"),
            "interviewer_id": df["interviewer_id"],
            "interviewer_role": df["role"].map(lambda v: vocab["interviewer_role"][v]["ru"]),
            "recipient_id": df["recipient_id"],
            "recipient_name": df["recipient_id"].map(names),
            "recipient_phone": df["recipient_id"].map(phones),
            "worker_id": df["worker_id"],
            "department": df["department"].map(lambda v: vocab["department"][v]["ru"]),
            "stratum": df["stratum"],
            "pair_id": df["pair_id"],
            "mode": df["mode"].map(lambda v: vocab["mode"][v]["ru"]),
        }
    )
    for item in cb.items_for_year(design.year):
        text = _format_answer(df[item].to_numpy(), item, cb, rng)
        text[df[item + "__blank"].to_numpy()] = ""
        out[item] = text
    has_comment = rng.random(len(df)) < 0.3
    out["comment"] = np.where(has_comment, rng.choice(_COMMENTS, len(df)), "")
    return out


def _faulty_rows(raw: pd.DataFrame, year: int) -> pd.DataFrame:
    """Three rows with the errors real exports contain, to exercise the quarantine (2021 only)."""
    bad = raw.iloc[:3].copy()
    bad["interview_id"] = [f"{year}-90001", f"{year}-90002", raw["interview_id"].iloc[5]]
    bad["pair_id"] = ""
    bad.iloc[0, bad.columns.get_loc("qual_overall")] = "очень хорошо"  # not a label of the scale
    bad.iloc[1, bad.columns.get_loc("date")] = f"15.01.{year - 1}"  # outside the survey year
    return bad  # third row: duplicate interview id


def _rosters(design: YearDesign, truth: dict, seed: int) -> dict[str, pd.DataFrame]:
    n_w = design.home_workers + design.temp_workers
    workers = pd.DataFrame(
        {
            "worker_id": [f"W{i + 1:02d}" for i in range(n_w)],
            "worker_name": [_full_name(np.random.default_rng([seed, i, 11]), staff=True) for i in range(n_w)],
            "department": ["отделение социального обслуживания на дому"] * design.home_workers
            + ["отделение временного проживания"] * design.temp_workers,
        }
    )
    ids = [f"V{i + 1:02d}" for i in range(design.volunteers)] + [
        f"S{i + 1:02d}" for i in range(design.sw_interviewers)
    ]
    interviewers = pd.DataFrame(
        {
            "interviewer_id": ids,
            "interviewer_name": [_full_name(np.random.default_rng([seed, 100 + i]), staff=True)
                             for i in range(len(ids))],
            "role": ["волонтёр"] * design.volunteers + ["социальный работник"] * design.sw_interviewers,
        }
    )
    strata = [("home_care", "отделение социального обслуживания на дому", design.home_population)]
    if design.temp_population:
        strata.append(("temporary_residence", "отделение временного проживания", design.temp_population))
    return {
        "workers": workers,
        "interviewers": interviewers,
        "strata": pd.DataFrame(strata, columns=["stratum", "department", "population"]),
    }


def write_demo_data(
    raw_dir: str | Path = "data/raw",
    truth_path: str | Path = "data/demo/truth.json",
    seed: int = 2018,
    recipients: int | None = None,
    years: tuple[int, ...] = YEARS,
    faulty_rows: bool = True,
) -> list[Path]:
    """Write raw interview tables and rosters for ``years`` and the planted truth; return file paths.

    Deterministic for a seed. ``recipients`` scales every year to that many recipients (benchmarks).
    """
    cb = load_codebook()
    designs = published_designs(recipients)
    truth = _truth(seed, designs)
    raw_dir, truth_path = Path(raw_dir), Path(truth_path)
    raw_dir.mkdir(parents=True, exist_ok=True)
    truth_path.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for year in years:
        design = designs[year]
        sim = simulate_year(design, truth, cb, seed)
        raw = _to_raw(sim, design, cb, np.random.default_rng([seed, year, 5]))
        if faulty_rows and year == 2021 and recipients is None:
            raw = pd.concat([raw, _faulty_rows(raw, year)], ignore_index=True)
        path = raw_dir / f"interviews_{year}.csv"
        raw.to_csv(path, index=False, encoding="utf-8")
        written.append(path)
        for name, table in _rosters(design, truth, seed).items():
            p = raw_dir / f"{name}_{year}.csv"
            table.to_csv(p, index=False, encoding="utf-8")
            written.append(p)
    truth["published"] = {str(y): {"recipients": d.recipients} for y, d in designs.items()}
    # the truth belongs to exactly these files: a truth file never applies to data it was not written for
    truth["data_sha256"] = {p.name: file_sha256(p) for p in written}
    truth_path.write_text(json.dumps(truth, ensure_ascii=False, indent=2), encoding="utf-8")
    (raw_dir / DEMO_MARKER).write_text(
        "Demo data generated by `python -m helpers demo-data` (seed "
        f"{seed}). Fake people; pseudonymised with the public demo key.\n"
        f"Planted truth: {truth_path} (applies only while these files are unchanged).\n",
        encoding="utf-8",
    )
    return written


def planted_truth(processed_dir: str | Path, truth_path: str | Path = "data/demo/truth.json") -> dict | None:
    """The demo's planted truth, only if the processed data were ingested from the files it was written for.

    The truth applies when (1) ingestion found the demo marker (``DEMO_DATA.txt``) in the raw folder,
    (2) the truth file exists and (3) every ingested raw file has the SHA-256 the truth recorded for it
    when the demo data were written. Real data, edited demo files or a truth file left over from an
    earlier demo give ``None``: planted-truth sections are then skipped, never computed against data
    the truth does not describe.
    """
    summary_path, truth_path = Path(processed_dir) / "ingest_summary.json", Path(truth_path)
    if not (summary_path.exists() and truth_path.exists()):
        return None
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    recorded, inputs = truth.get("data_sha256", {}), summary.get("inputs", {})
    if not summary.get("demo") or not inputs or any(recorded.get(f) != h for f, h in inputs.items()):
        return None
    return truth


def is_demo(processed_dir: str | Path) -> bool:
    """Whether the processed data were ingested from a raw folder marked as demo data."""
    summary_path = Path(processed_dir) / "ingest_summary.json"
    return summary_path.exists() and bool(json.loads(summary_path.read_text(encoding="utf-8")).get("demo"))
