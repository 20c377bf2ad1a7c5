"""A larger simulated Mystery Guest study with planted truth, to prove that the rater adjustment helps.

Answers are generated as in the demo data (:mod:`helpers.demo`): a latent cumulative-logit
model ``P(code >= c) = logistic(eta - threshold_c)`` with

``eta = base + worker quality + interviewer leniency + role shift + mode shift
+ recipient + interview + item noise``,

thresholds placed so that most answers are the best one (ceiling effect). The true score of a
worker is the expected composite (0-100) of an interview by an average volunteer in person:
``25 * sum_c E[logistic(base + q_w + z - threshold_c)]``, ``z ~ N(0, sd_recipient^2 +
sd_interview^2 + sd_item^2)`` (Gauss-Hermite quadrature) - the quantity that
:func:`helpers.scoring.worker_scores` estimates as ``adjusted``.

Public: :func:`simulate_study`, :func:`true_score`, :func:`demo_truth_scores`, :func:`recovery`, and
:func:`simulate_years` (2018-2021 with a change of interviewer mix, for the year-comparison tests).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers.codebook import Codebook, load_codebook

__all__ = ["SimulatedStudy", "SimulatedYears", "simulate_study", "simulate_years", "true_score", "demo_truth_scores",
           "recovery"]

THRESHOLDS = (-3.6, -2.6, -1.4, 0.0)


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


# ---------------------------------------------------------------------------------------------
# several years: a change of interviewer mix with (or without) a change of quality
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SimulatedYears:
    interviews: pd.DataFrame  # processed schema, several years
    strata: pd.DataFrame  # roster: year, stratum, department, population
    params: dict


# the demo shapes (helpers.demo.published_designs): recipients per worker, home care and temporary residence
_YEAR_SHAPES = {
    2018: dict(home=(9, 9, 9, 8), temp=(), paired=False, phone=0.3, home_pop=1300, temp_pop=0),
    2019: dict(home=(9, 9, 8, 8, 8), temp=(), paired=False, phone=0.3, home_pop=1300, temp_pop=0),
    2020: dict(home=(10,) * 13, temp=(7, 7), paired=True, phone=0.7, home_pop=1300, temp_pop=14),
    2021: dict(home=(10,) * 11 + (9, 9), temp=(8, 7), paired=True, phone=0.5, home_pop=1280, temp_pop=15),
}


def simulate_years(
    year_effect: dict | None = None,
    role_shift: float = -0.5,
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
    is the change of interviewer mix (or chance).
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
        rows = []
        for dept, per, offset in (("home_care", shape["home"], 0), ("temporary_residence", shape["temp"], 13)):
            for w, k in enumerate(per):
                worker = workers[offset + w]
                for c in rng.choice(k + pool_extra, size=k, replace=False):
                    rid = f"r-{worker}-{c:02d}"
                    if rid not in pool_u:
                        pool_u[rid] = float(rng.normal(0, sd_recipient))
                    rows.append((dept, worker, rid))
        rec = pd.DataFrame(rows, columns=["department", "worker_id", "recipient_pid"])
        n = len(rec)
        active = list(rng.choice(vols, size=min(len(vols), 5 if shape["paired"] else 4), replace=False))
        parts = [rec.assign(role="volunteer", interviewer_id=rng.choice(active, n))]
        if shape["paired"]:
            parts.append(rec.assign(role="social_worker", interviewer_id=rng.choice(sws, n)))
        d = pd.concat(parts, ignore_index=True)
        m = len(d)
        phone = (rng.random(m) < shape["phone"]) & (d["department"] == "home_care").to_numpy()
        d["mode"] = np.where(phone, "phone", "in_person")
        eta = (base + year_effect[year] + d["worker_id"].map(quality).to_numpy()
               + d["interviewer_id"].map(leniency).to_numpy() + np.where(d["role"] == "social_worker", role_shift, 0.0)
               + np.where(phone, mode_shift, 0.0) + d["recipient_pid"].map(pool_u).to_numpy()
               + rng.normal(0, sd_interview, m))
        d["year"] = year
        d["stratum"] = d["department"]
        d["interview_id"] = [f"SIM{year}-{k + 1:05d}" for k in range(m)]
        for item in cb.items_for_year(year):
            scale = cb.scale_of(item)
            e = eta + rng.normal(0, sd_item, m)
            if scale.max_code == 1:
                code = (rng.random(m) < 1 / (1 + np.exp(-(e + 0.5)))).astype(int)
            else:
                code = 1 + (rng.random(m)[:, None] < 1 / (1 + np.exp(-(e[:, None] - thr)))).sum(axis=1)
                if cb.items[item].reverse:
                    code = scale.max_code + scale.min_code - code
            d[item] = pd.array(code, dtype="Int64")
        frames.append(d)
        strata.append((year, "home_care", "home_care", shape["home_pop"]))
        if shape["temp_pop"]:
            strata.append((year, "temporary_residence", "temporary_residence", shape["temp_pop"]))
    out = pd.concat(frames, ignore_index=True)
    roster = pd.DataFrame(strata, columns=["year", "stratum", "department", "population"])
    params = dict(year_effect=dict(year_effect), role_shift=role_shift, mode_shift=mode_shift, base=base,
                  sd_worker=sd_worker, sd_interviewer=sd_interviewer, sd_recipient=sd_recipient, seed=seed)
    return SimulatedYears(out, roster, params)
