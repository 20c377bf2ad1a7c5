"""A larger simulated Mystery Guest study with planted truth, to prove that the rater adjustment helps.

Answers are generated as in the demo data (:mod:`helpers.io.demo`): a latent cumulative-logit
model ``P(code >= c) = logistic(eta - threshold_c)`` with

``eta = base + worker quality + interviewer leniency + role shift + mode shift
+ recipient + interview + item noise``,

thresholds placed so that most answers are the best one (ceiling effect). The true score of a
worker is the expected composite (0-100) of an interview by an average volunteer in person:
``25 * sum_c E[logistic(base + q_w + z - threshold_c)]``, ``z ~ N(0, sd_recipient^2 +
sd_interview^2 + sd_item^2)`` (Gauss-Hermite quadrature) - the quantity that
:func:`helpers.studies.mystery_guest.scoring.worker_scores` estimates as ``adjusted``.

Public: :func:`simulate_study`, :func:`simulate_panel` (the 2020-shaped paired design over several
years, for the false-flag rates of worker flags), :func:`simulate_years` (2018-2021 with a change of
interviewer mix, for the year-comparison tests), :func:`true_score`, :func:`demo_truth_scores`,
:func:`recovery`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers.io.codebook import Codebook, load_codebook
from helpers.io.demo import THRESHOLDS

# THRESHOLDS (the answer cut-points) has one source, helpers.io.demo: the demo data and every simulation share it

__all__ = ["DEMO_SHAPE", "SimulatedStudy", "SimulatedYears", "simulate_study", "simulate_panel", "simulate_years",
           "true_score", "demo_truth_scores", "recovery", "simulated_proof"]


def true_score(eta, noise_sd: float, thresholds=THRESHOLDS, n_nodes: int = 40) -> np.ndarray:
    """Expected 0-100 item score of a 5-point cumulative-logit item at latent ``eta`` with normal noise.

    ``E[(code - 1) / 4 * 100] = 25 * sum_c E[logistic(eta + z - threshold_c)]``, ``z ~ N(0, noise_sd^2)``,
    integrated by Gauss-Hermite quadrature.

    Examples
    --------
    >>> round(float(true_score(0.0, 0.0, thresholds=(0.0,) * 4)), 6)  # logistic(0) = 1/2 at every step
    50.0
    """
    x, w = np.polynomial.hermite_e.hermegauss(n_nodes)
    w = w / w.sum()
    eta = np.asarray(eta, dtype=float)[..., None, None]
    p = 1 / (1 + np.exp(-(eta + noise_sd * x[:, None] - np.asarray(thresholds))))
    return 25.0 * (p.sum(axis=-1) * w).sum(axis=-1)


@dataclass(frozen=True)
class SimulatedStudy:
    interviews: pd.DataFrame  # processed schema (one row per interview, item codes as Int64)
    truth: pd.DataFrame  # worker_id, quality (latent), true_score (0-100 at the reference)
    leniency: pd.Series  # by interviewer_id
    params: dict


def simulate_study(
    n_workers: int = 60,
    n_interviewers: int = 30,
    interviews_per_worker: tuple[int, int] = (3, 25),
    interviewers_per_worker: int = 3,
    sd_worker: float = 0.5,
    sd_interviewer: float = 0.6,
    role_shift: float = -0.5,
    mode_shift: float = 0.15,
    base: float = 2.0,
    sd_recipient: float = 0.6,
    sd_interview: float = 0.3,
    sd_item: float = 0.7,
    year: int = 2020,
    seed: int = 0,
    codebook: Codebook | None = None,
) -> SimulatedStudy:
    """Simulate one year of interviews with planted worker quality, interviewer leniency, role and mode shifts.

    Each worker has ``n ~ U{interviews_per_worker}`` interviews, spread over
    ``interviewers_per_worker`` interviewers drawn at random (half the interviewers are social
    workers, who are stricter by ``role_shift``); each worker has their own phone share
    (uniform 0-60%). So raw means carry the leniency of the few interviewers a worker happened to
    get, the role mix and the mode mix - what the mixed model removes. Don't know 2%, refused 1%.
    """
    cb = codebook or load_codebook()
    rng = np.random.default_rng(seed)
    workers = [f"W{i + 1:03d}" for i in range(n_workers)]
    raters = [f"I{i + 1:03d}" for i in range(n_interviewers)]
    quality = rng.normal(0, sd_worker, n_workers)
    leniency = rng.normal(0, sd_interviewer, n_interviewers)
    is_sw = np.arange(n_interviewers) % 2 == 1
    rows = []
    for w in range(n_workers):
        n = int(rng.integers(interviews_per_worker[0], interviews_per_worker[1] + 1))
        pool = rng.choice(n_interviewers, size=min(interviewers_per_worker, n_interviewers), replace=False)
        phone_share = rng.uniform(0, 0.6)
        who = rng.choice(pool, size=n)
        phone = rng.random(n) < phone_share
        rows.append(pd.DataFrame({"w": w, "i": who, "phone": phone}))
    d = pd.concat(rows, ignore_index=True)
    m = len(d)
    eta = (
        base
        + quality[d["w"]]
        + leniency[d["i"]]
        + np.where(is_sw[d["i"]], role_shift, 0.0)
        + np.where(d["phone"], mode_shift, 0.0)
        + rng.normal(0, sd_recipient, m)
        + rng.normal(0, sd_interview, m)
    )
    out = pd.DataFrame(
        {
            "interview_id": [f"SIM{year}-{k + 1:06d}" for k in range(m)],
            "year": year,
            "date": pd.Timestamp(f"{year}-03-01") + pd.to_timedelta(rng.integers(0, 240, m), "D"),
            "interviewer_id": np.asarray(raters)[d["i"]],
            "role": np.where(is_sw[d["i"]], "social_worker", "volunteer"),
            "recipient_pid": [f"r{k:08x}" for k in rng.permutation(m)],
            "worker_id": np.asarray(workers)[d["w"]],
            "department": "home_care",
            "stratum": "home_care",
            "pair_id": pd.array([pd.NA] * m, dtype="str"),
            "mode": np.where(d["phone"], "phone", "in_person"),
            "comment": "",
            "source_file": "simulated",
            "source_row": np.arange(m) + 1,
        }
    )
    thr = np.asarray(THRESHOLDS)
    for item in cb.items_for_year(year):
        scale = cb.scale_of(item)
        e = eta + rng.normal(0, sd_item, m)
        if scale.max_code == 1:
            code = (rng.random(m) < 1 / (1 + np.exp(-(e + 0.5)))).astype(int)
        else:
            p_ge = 1 / (1 + np.exp(-(e[:, None] - thr)))
            code = 1 + (rng.random(m)[:, None] < p_ge).sum(axis=1)
            if cb.items[item].reverse:
                code = scale.max_code + scale.min_code - code
        u = rng.random(m)
        code = np.where(u < 0.02, 8, np.where(u < 0.03, 9, code))
        out[item] = pd.array(code, dtype="Int64")
    noise = float(np.sqrt(sd_recipient**2 + sd_interview**2 + sd_item**2))
    truth = pd.DataFrame({"worker_id": workers, "quality": quality, "true_score": true_score(base + quality, noise)})
    params = dict(n_workers=n_workers, n_interviewers=n_interviewers, sd_worker=sd_worker, sd_interviewer=sd_interviewer,
                  role_shift=role_shift, mode_shift=mode_shift, base=base, noise_sd=noise, seed=seed)
    return SimulatedStudy(out, truth, pd.Series(leniency, index=raters, name="leniency"), params)


def _answers(out: pd.DataFrame, eta: np.ndarray, cb: Codebook, rng: np.random.Generator, sd_item: float) -> pd.DataFrame:
    """``out`` with the item codes of every interview (cumulative-logit, 2% don't know, 1% refused) added."""
    m = len(eta)
    cols = {}
    thr = np.asarray(THRESHOLDS)
    years = pd.to_numeric(out["year"]).to_numpy()
    for item in cb.item_codes:
        asked = cb.items[item].asked(years)
        if not asked.any():
            continue
        scale = cb.scale_of(item)
        e = eta + rng.normal(0, sd_item, m)
        if scale.max_code == 1:
            code = (rng.random(m) < 1 / (1 + np.exp(-(e + 0.5)))).astype(float)
        else:
            p_ge = 1 / (1 + np.exp(-(e[:, None] - thr)))
            code = 1 + (rng.random(m)[:, None] < p_ge).sum(axis=1).astype(float)
            if cb.items[item].reverse:
                code = scale.max_code + scale.min_code - code
        u = rng.random(m)
        code = np.where(u < 0.02, 8, np.where(u < 0.03, 9, code))
        code[~asked] = np.nan
        cols[item] = pd.array(code, dtype="Int64")
    return pd.concat([out, pd.DataFrame(cols, index=out.index)], axis=1)  # one concat, not a column insert per item


# the demo's yearly designs (helpers.io.demo.published_designs) as they were before the demo's 2021 small cell
# (W13 with 3 recipients, six colleagues with one more): same totals; the simulated rates are measured on these
DEMO_SHAPE = {  # recipients per worker, paired
    "per_worker": {2018: (9, 9, 9, 8), 2019: (9, 9, 8, 8, 8), 2020: (10,) * 13 + (7, 7),
                   2021: (10,) * 11 + (9, 9, 8, 7)},
    "paired": {2018: False, 2019: False, 2020: True, 2021: True},
    "years": (2018, 2019, 2020, 2021),
}


def simulate_panel(
    years: tuple[int, ...] = (2020, 2021),
    per_worker: tuple[int, ...] | dict[int, tuple[int, ...]] = (10,) * 13 + (7, 7),
    volunteers: int = 5,
    sw_interviewers: int = 4,
    paired: bool | dict[int, bool] = True,
    sd_worker: float = 0.0,
    slopes: dict[str, float] | None = None,
    sd_worker_year: float = 0.0,
    sd_interviewer: float = 0.3,
    sd_recipient: float = 0.6,
    sd_interview: float = 0.3,
    sd_item: float = 0.7,
    role_shift: float = -0.5,
    mode_shift: float = 0.15,
    phone_share: float = 0.5,
    base: float = 2.0,
    year_effect: dict[int, float] | None = None,
    pool_extra: int = 6,
    seed: int = 0,
    codebook: Codebook | None = None,
    offsets: dict[str, float] | None = None,
) -> SimulatedStudy:
    """The 2020 Mystery Guest design repeated over ``years``, with planted worker quality and slopes.

    Default: 15 social workers (13 with 10 sampled recipients, 2 with 7: 144 recipients a year),
    every recipient interviewed twice (``paired``: one of 5 volunteers and one of 4 social-worker
    interviewers, drawn at random), half the interviews by phone. Each worker serves a stable pool
    of ``per_worker + pool_extra`` recipients and the year's sample is drawn from it, so recipients
    recur across years and **keep their effect** ``u_r ~ N(0, sd_recipient^2)`` (the sampling unit is
    the recipient, as in the real study). Latent satisfaction of an interview::

        eta = base + year_effect[y] + q_w + slope_w (y - y_0) + c_wy + leniency_j + role + mode + u_r + e

    with ``q_w ~ N(0, sd_worker^2)`` (default 0: **no true differences between workers**),
    ``slopes`` (default none: **no true change**) and ``c_wy ~ N(0, sd_worker_year^2)``
    (year-to-year fluctuation of a worker, default 0); ``offsets`` adds a planted latent quality to
    named workers (e.g. ``{"W01": 0.9}``; no random draw, so the other draws stay those of the same seed).
    Answers as in :func:`simulate_study`.
    ``per_worker`` and ``paired`` may be dicts by year, e.g. the demo's 2018-2019 design (4-5
    workers with 8-9 recipients, one volunteer interview each): :data:`DEMO_SHAPE`.
    ``truth``: one row per worker and year with ``quality`` (latent, including the slope and the
    fluctuation) and ``slope``. Used by the tests and ``benchmarks/bench_worker_flags.py`` to
    measure how often workers are flagged when nothing differs.
    """
    cb = codebook or load_codebook()
    rng = np.random.default_rng(seed)
    per_year = per_worker if isinstance(per_worker, dict) else dict.fromkeys(years, tuple(per_worker))
    pair_year = paired if isinstance(paired, dict) else dict.fromkeys(years, bool(paired))
    n_w = max(len(v) for v in per_year.values())
    full = [max([v[k] for v in per_year.values() if len(v) > k]) for k in range(n_w)]
    workers = [f"W{i + 1:02d}" for i in range(n_w)]
    slope = np.array([float((slopes or {}).get(w, 0.0)) for w in workers])
    quality = rng.normal(0, sd_worker, n_w) if sd_worker > 0 else np.zeros(n_w)
    quality = quality + np.array([float((offsets or {}).get(w, 0.0)) for w in workers])
    vols = [f"V{i + 1:02d}" for i in range(volunteers)]
    sws = [f"S{i + 1:02d}" for i in range(sw_interviewers)] if any(pair_year.values()) else []
    raters = vols + sws
    leniency = pd.Series(rng.normal(0, sd_interviewer, len(raters)), index=raters, name="leniency")
    pools = {w: np.arange(k + pool_extra) for w, k in zip(workers, full, strict=True)}
    u_rec = {w: rng.normal(0, sd_recipient, len(pools[w])) for w in workers}
    y0 = min(years)
    truth = []
    # one list per column instead of a frame per year (the same draws in the same order: tests/test_worker_flags.py)
    col = {c: [] for c in ("k", "worker_id", "recipient_pid", "u", "role", "interviewer_id", "pair_id", "year",
                           "eta_w")}
    for y in years:
        cell = rng.normal(0, sd_worker_year, n_w) if sd_worker_year > 0 else np.zeros(n_w)
        ks, ws, rids, us = [], [], [], []
        sizes = per_year[y]
        for k, w in enumerate(workers[: len(sizes)]):
            chosen = rng.choice(pools[w], size=sizes[k], replace=False)
            for c in chosen:
                ks.append(k)
                ws.append(w)
                rids.append(f"R-{w}-{c:03d}")
                us.append(u_rec[w][c])
            truth.append({"year": y, "worker_id": w, "quality": quality[k] + slope[k] * (y - y0) + cell[k],
                          "slope": slope[k]})
        n = len(ks)
        who = [("volunteer", rng.choice(vols, n))]
        if pair_year[y]:
            who.append(("social_worker", rng.choice(sws, n)))
        kk = np.array(ks * len(who), dtype=np.int64)
        col["k"].append(kk)
        col["worker_id"] += ws * len(who)
        col["recipient_pid"] += rids * len(who)
        col["u"] += us * len(who)
        for role, ids in who:
            col["role"] += [role] * n
            col["interviewer_id"] += list(ids)
        col["pair_id"] += [f"P{y}-{i % n + 1:04d}" for i in range(n * len(who))] if pair_year[y] else [""] * (n * len(who))
        col["year"] += [y] * (n * len(who))
        col["eta_w"].append(quality[kk] + slope[kk] * (y - y0) + cell[kk])
    m = len(col["year"])
    year = np.array(col["year"], dtype=np.int64)
    role = np.array(col["role"], dtype=object)
    effect = {yy: (0.0 if v is None or pd.isna(v) else float(v)) for yy, v in
              ((yy, (year_effect or {}).get(yy)) for yy in years)}
    phone = rng.random(m) < phone_share
    eta = (base + np.array([effect[yy] for yy in col["year"]]) + np.concatenate(col["eta_w"])
           + leniency.reindex(col["interviewer_id"]).to_numpy() + np.where(role == "social_worker", role_shift, 0.0)
           + np.where(phone, mode_shift, 0.0) + np.array(col["u"], dtype=float) + rng.normal(0, sd_interview, m))
    out = pd.DataFrame({
        "interview_id": [f"PAN-{k + 1:06d}" for k in range(m)],
        "year": year,
        "interviewer_id": np.array(col["interviewer_id"], dtype=object),
        "role": role,
        "recipient_pid": np.array(col["recipient_pid"], dtype=object),
        "worker_id": np.array(col["worker_id"], dtype=object),
        "department": "home_care",
        "stratum": "home_care",
        "pair_id": np.array(col["pair_id"], dtype=object),
        "mode": np.where(phone, "phone", "in_person"),
    })
    out = _answers(out, eta, cb, rng, sd_item)
    params = dict(years=tuple(years), n_workers=n_w, sd_worker=sd_worker, slopes=dict(zip(workers, slope.tolist(), strict=True)),
                  sd_worker_year=sd_worker_year, sd_interviewer=sd_interviewer, sd_recipient=sd_recipient, seed=seed)
    return SimulatedStudy(out, pd.DataFrame(truth), leniency, params)


def demo_truth_scores(truth: dict, pooled: bool = False) -> pd.DataFrame:
    """True scores of the demo workers from ``data/demo/truth.json`` (year, worker_id, quality, true_score).

    ``pooled=True``: one row per worker, the mean over the years (year dropped), to compare with
    pooled worker scores.

    ``true_score`` is the expected composite of an in-person volunteer interview by an average
    interviewer: ``base + year effect + worker quality`` on the latent scale, through
    :func:`true_score` with the demo's noise SDs.
    """
    sd = truth["sd"]
    noise = float(np.sqrt(sd["recipient"] ** 2 + sd["interview"] ** 2 + sd["item"] ** 2))
    rows = []
    for y, q in truth["worker_quality"].items():
        for w, v in q.items():
            eta = truth["base"] + truth["year_effect"][y] + v
            rows.append({"year": int(y), "worker_id": w, "quality": v,
                         "true_score": float(true_score(eta, noise, truth["thresholds"]))})
    out = pd.DataFrame(rows)
    if pooled:
        out = out.groupby("worker_id", as_index=False)[["quality", "true_score"]].mean()
    return out


def recovery(worker_table: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """How well raw means and adjusted scores recover the planted truth.

    Per estimate (``raw_mean``, ``adjusted``): Pearson correlation with ``true_score`` and
    with the latent ``quality``, RMSE and mean bias against ``true_score`` (points on 0-100), and
    the number of workers. Joins on ``worker_id`` (and ``year`` when both tables have it).
    """
    keys = ["worker_id"] + (["year"] if "year" in truth and worker_table["year"].notna().all() else [])
    wt = worker_table.copy()
    if "year" in keys:
        wt["year"] = wt["year"].astype("int64")
    d = wt.merge(truth, on=keys, how="inner")
    rows = []
    for est in ("raw_mean", "adjusted"):
        err = d[est] - d["true_score"]
        rows.append({"estimate": est, "n_workers": len(d),
                     "r_true_score": float(np.corrcoef(d[est], d["true_score"])[0, 1]),
                     "r_quality": float(np.corrcoef(d[est], d["quality"])[0, 1]),
                     "rmse": float(np.sqrt((err**2).mean())), "bias": float(err.mean())})
    return pd.DataFrame(rows)


def simulated_proof(study=None, n_workers: int = 60, n_interviewers: int = 30, seed: int = 0) -> dict:
    """The simulated-study proof that the adjustment helps, for ``study.artefact("scoring.simulated_proof", ...)``:
    ``workers`` (:func:`~helpers.studies.mystery_guest.scoring.worker_scores` of a :func:`simulate_study`),
    ``truth`` and ``recovery``. ``study`` is unused (the simulation does not depend on the data)."""
    from helpers.studies.mystery_guest.scoring import score_interviews, worker_scores

    sim = simulate_study(n_workers=n_workers, n_interviewers=n_interviewers, seed=seed)
    workers = worker_scores(score_interviews(sim.interviews))
    return {"workers": workers, "truth": sim.truth, "recovery": recovery(workers, sim.truth)}


# ---------------------------------------------------------------------------------------------
# several years: a change of interviewer mix with (or without) a change of quality
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SimulatedYears:
    interviews: pd.DataFrame  # processed schema, several years
    strata: pd.DataFrame  # roster: year, stratum, department, population
    params: dict


# the demo shapes (helpers.io.demo.published_designs; 2021 without its small cell, see DEMO_SHAPE): recipients
# per worker, home care and temporary residence
_YEAR_SHAPES = {
    2018: dict(home=(9, 9, 9, 8), temp=(), paired=False, phone=0.3, home_pop=1300, temp_pop=0),
    2019: dict(home=(9, 9, 8, 8, 8), temp=(), paired=False, phone=0.3, home_pop=1300, temp_pop=0),
    2020: dict(home=(10,) * 13, temp=(7, 7), paired=True, phone=0.7, home_pop=1300, temp_pop=14),
    2021: dict(home=(10,) * 11 + (9, 9), temp=(8, 7), paired=True, phone=0.5, home_pop=1280, temp_pop=15),
}


def simulate_years(
    year_effect: dict | None = None,
    role_shift: float | dict = -0.5,
    mode_shift: float = 0.15,
    base: float = 2.0,
    sd_worker: float = 0.55,
    sd_interviewer: float = 0.3,
    sd_recipient: float = 0.6,
    sd_interview: float = 0.3,
    sd_item: float = 0.7,
    n_volunteers: int = 6,
    n_sw_interviewers: int = 4,
    pool_extra: int = 6,
    seed: int = 0,
    codebook: Codebook | None = None,
) -> SimulatedYears:
    """A 2018-2021 study shaped like the demo, with a change of interviewer mix and a given quality change.

    Shapes: 35, 42, 144 and 143 recipients (15 workers; 2 of them in temporary residence from 2020,
    a census of that department); 2018-2019 one volunteer interview per recipient, 2020-2021 a
    volunteer **and** a social-worker interview of every recipient, so half the interviews of the
    later years come from the stricter role (``role_shift``, about -3 points on the composite); the
    phone share moves 30%, 30%, 70%, 50% (``mode_shift``). Latent satisfaction of item ``k``:

    ``eta = base + year_effect[y] + a_w + b_j + role + mode + u_r + e_i + e_ik``

    with a worker's quality ``a_w``, an interviewer's leniency ``b_j`` (the same interviewers every
    year: ``n_volunteers`` volunteers, 4-5 of them active a year, and ``n_sw_interviewers``), and a
    recipient effect ``u_r`` **kept across years**: each worker serves a stable pool of recipients
    (``per worker + pool_extra``) and the year's sample is drawn from it, so recipients recur (about
    a third of a year's sample was seen before). Answers follow the demo's cumulative logit
    (:data:`THRESHOLDS`). ``year_effect=None``: no change in quality - any "change" a method reports
    is the change of interviewer mix (or chance). ``role_shift`` may be a dict by year (a year left out:
    -0.5), e.g. ``{2020: -0.5, 2021: -0.9}``: the social-worker gap grows in 2021 only, which breaks the
    year model's assumption of one gap for every year (:mod:`helpers.studies.mystery_guest.role_gap`).
    """
    cb = codebook or load_codebook()
    rng = np.random.default_rng([seed, 20])
    year_effect = year_effect or {y: 0.0 for y in _YEAR_SHAPES}
    workers = [f"W{i + 1:02d}" for i in range(15)]
    quality = dict(zip(workers, rng.normal(0, sd_worker, 15), strict=True))
    vols = [f"V{i + 1:02d}" for i in range(n_volunteers)]
    sws = [f"S{i + 1:02d}" for i in range(n_sw_interviewers)]
    leniency = dict(zip(vols + sws, rng.normal(0, sd_interviewer, len(vols) + len(sws)), strict=True))
    pool_u: dict[str, float] = {}
    frames, strata = [], []
    thr = np.asarray(THRESHOLDS)
    for year, shape in _YEAR_SHAPES.items():
        if year not in year_effect:
            continue
        dept_l, worker_l, rid_l = [], [], []
        for dept, per, offset in (("home_care", shape["home"], 0), ("temporary_residence", shape["temp"], 13)):
            for w, k in enumerate(per):
                worker = workers[offset + w]
                for c in rng.choice(k + pool_extra, size=k, replace=False):
                    rid = f"r-{worker}-{c:02d}"
                    if rid not in pool_u:
                        pool_u[rid] = float(rng.normal(0, sd_recipient))
                    dept_l.append(dept)
                    worker_l.append(worker)
                    rid_l.append(rid)
        # arrays instead of a frame per step (the same draws in the same order: tests/test_year_inference.py)
        n = len(rid_l)
        active = list(rng.choice(vols, size=min(len(vols), 5 if shape["paired"] else 4), replace=False))
        interviewer = [rng.choice(active, n)]
        role = ["volunteer"] * n
        if shape["paired"]:
            interviewer.append(rng.choice(sws, n))
            role += ["social_worker"] * n
        reps = len(interviewer)
        dept_a = np.array(dept_l * reps, dtype=object)
        worker_a, rid_a = worker_l * reps, rid_l * reps
        interviewer_a = np.concatenate(interviewer)
        is_sw = np.array(role) == "social_worker"
        shift = float(role_shift.get(year, -0.5)) if isinstance(role_shift, dict) else float(role_shift)
        m = n * reps
        phone = (rng.random(m) < shape["phone"]) & (dept_a == "home_care")
        eta = (base + year_effect[year] + np.array([quality[w] for w in worker_a])
               + np.array([leniency[i] for i in interviewer_a]) + np.where(is_sw, shift, 0.0)
               + np.where(phone, mode_shift, 0.0) + np.array([pool_u[r] for r in rid_a])
               + rng.normal(0, sd_interview, m))
        cols = {"department": dept_a, "worker_id": worker_a, "recipient_pid": rid_a, "role": role,
                "interviewer_id": interviewer_a, "mode": np.where(phone, "phone", "in_person"),
                "year": np.full(m, year), "stratum": dept_a,
                "interview_id": [f"SIM{year}-{k + 1:05d}" for k in range(m)]}
        for item in cb.items_for_year(year):
            scale = cb.scale_of(item)
            e = eta + rng.normal(0, sd_item, m)
            if scale.max_code == 1:
                code = (rng.random(m) < 1 / (1 + np.exp(-(e + 0.5)))).astype(int)
            else:
                code = 1 + (rng.random(m)[:, None] < 1 / (1 + np.exp(-(e[:, None] - thr)))).sum(axis=1)
                if cb.items[item].reverse:
                    code = scale.max_code + scale.min_code - code
            cols[item] = pd.array(code, dtype="Int64")
        d = pd.DataFrame(cols)
        frames.append(d)
        strata.append((year, "home_care", "home_care", shape["home_pop"]))
        if shape["temp_pop"]:
            strata.append((year, "temporary_residence", "temporary_residence", shape["temp_pop"]))
    out = pd.concat(frames, ignore_index=True)
    roster = pd.DataFrame(strata, columns=["year", "stratum", "department", "population"])
    params = dict(year_effect=dict(year_effect),
                  role_shift=dict(role_shift) if isinstance(role_shift, dict) else role_shift, mode_shift=mode_shift, base=base,
                  sd_worker=sd_worker, sd_interviewer=sd_interviewer, sd_recipient=sd_recipient, seed=seed)
    return SimulatedYears(out, roster, params)
