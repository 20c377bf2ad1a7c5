"""Demo НОК data: 17 organisations of the Kaluga 2021 kinds with a planted truth.

Kaluga region, 2021 (seed ``ru_kaluga_independent_quality_assessment_2021.txt``): 9 residential
homes for older and disabled people, 4 psycho-neurological residential homes, a rehabilitation
centre for disabled people, a centre for homeless people, a residential home for children with
intellectual disabilities and a family-upbringing support centre, rated from **92.42 to 100**.

Every organisation has true probabilities of "yes" to every question and a true checklist; the
*true* scores (what an infinite survey would give) are returned with the data, so tests can check
that intervals cover them. Respondents are drawn from the truth; the weakest organisation's answers
are then nudged (a handful of answers) so that the officially rounded totals span exactly
92.42-100, the best organisation answers "yes" throughout and has a complete checklist (100).
Gaps are planted where the Kaluga council found them: accessibility for disabled people, comfort,
information openness. Deterministic by ``seed``.

>>> demo = make_nok_demo()
>>> from helpers.studies.nok.scoring import official_round
>>> s = demo.scores
>>> len(s), official_round(s["total"].min()), official_round(s["total"].max())
(17, 92.42, 100.0)
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.studies.nok.codebook import NokCodebook, load_nok_codebook
from helpers.studies.nok.scoring import all_scores, official_round, score_organisations

LOWEST, HIGHEST = 92.42, 100.0
# id, kind, respondents; the family-support centre (ORG17) is the best, ORG11 (psycho-neurological) the weakest
ORGANISATIONS = [
    *[(f"ORG{i:02d}", "residential_home", n) for i, n in
      enumerate([112, 86, 143, 64, 97, 158, 71, 124, 90], start=1)],
    *[(f"ORG{i:02d}", "psychoneurological_home", n) for i, n in enumerate([186, 142, 205, 121], start=10)],
    ("ORG14", "rehabilitation_centre", 167),
    ("ORG15", "homeless_centre", 48),
    ("ORG16", "children_home", 41),
    ("ORG17", "family_support_centre", 63),
]
WEAKEST, BEST = "ORG11", "ORG17"
NAMES_RU = {
    "residential_home": "Дом-интернат для престарелых и инвалидов",
    "psychoneurological_home": "Психоневрологический интернат",
    "rehabilitation_centre": "Реабилитационный центр для инвалидов",
    "homeless_centre": "Центр помощи лицам без определённого места жительства",
    "children_home": "Детский дом-интернат",
    "family_support_centre": "Центр содействия семейному воспитанию",
}
FILTERS = {"q01": (0.55, 0.85), "q03": (0.15, 0.45), "q07": (0.45, 0.9), "q11": (0.2, 0.5)}
SUGGESTIONS = ["", "", "", "", "", "", "Всё устраивает", "Больше досуговых мероприятий",
               "Отремонтировать пандус", "Спасибо персоналу", "Нужен лифт", "Больше прогулок"]


@dataclass
class NokDemo:
    """Raw tables as an operator would type them, the scores they give and the planted truth."""

    respondents: pd.DataFrame
    organisations: pd.DataFrame
    truth: pd.DataFrame
    scores: pd.DataFrame


def _checklist(org_id: str, kind: str, rng: np.random.Generator) -> dict:
    full = {"info_stand_required": 18, "info_site_required": 36}
    if org_id == BEST:
        return {**full, "info_stand_present": 18, "info_site_present": 36, "remote_channels": 5,
                "comfort_conditions": 5, "premises_conditions": 5, "services_conditions": 5}
    if org_id == WEAKEST:  # gaps in information, comfort and accessibility, as the council found
        return {**full, "info_stand_present": 16, "info_site_present": 34, "remote_channels": 4,
                "comfort_conditions": 4, "premises_conditions": 4, "services_conditions": 4}
    return {**full,
            "info_stand_present": 18 - int(rng.integers(0, 3)),
            "info_site_present": 36 - int(rng.integers(0, 5)),
            "remote_channels": int(rng.choice([4, 4, 5])),
            "comfort_conditions": int(rng.choice([4, 5, 5, 5])),
            "premises_conditions": int(rng.choice([4, 4, 5, 5])),
            "services_conditions": int(rng.choice([4, 5, 5, 5]))}


def _truth_probabilities(org_id: str, cb: NokCodebook, rng: np.random.Generator) -> dict[str, float]:
    """P(filter question = yes) and P(satisfied | asked) of one organisation."""
    p = {f: float(rng.uniform(*r)) for f, r in FILTERS.items()}
    if org_id == BEST:  # foster parents: no respondent with a disability, so i3_3 is undefined
        return p | {"q07": 0.0} | {q: 1.0 for q in cb.question_codes if q not in FILTERS}
    level = 0.955 if org_id == WEAKEST else float(rng.uniform(0.96, 0.995))
    for q in cb.question_codes:
        if q not in FILTERS:
            p[q] = float(np.clip(level + rng.normal(0, 0.012), 0.85, 0.999))
    return p


def _true_scores(probs: dict[str, dict[str, float]], checklists: pd.DataFrame, cb: NokCodebook) -> pd.DataFrame:
    counts = {}
    for ind in cb.survey_indicators:
        for k, part in enumerate(cb.indicators[ind]["parts"], start=1):
            ids, den = checklists["organisation_id"], part["denominator"]
            u = np.array([1.0 if den == "all" else probs[o][den] for o in ids])
            counts[f"{ind}_u{k}"] = u  # expected share of respondents in the denominator (0: undefined)
            counts[f"{ind}_s{k}"] = u * np.array([probs[o][part["numerator"]] for o in ids])
    scores = all_scores(counts, checklists, cb)
    return pd.DataFrame({"organisation_id": checklists["organisation_id"], **scores})


def _draw_answers(n: int, p: dict[str, float], cb: NokCodebook, rng: np.random.Generator) -> pd.DataFrame:
    """1/0 answers of n respondents, NA where a filter skips the question."""
    out = {}
    for q in cb.question_codes:
        f = cb.filter_of(q)
        draw = (rng.random(n) < p[q]).astype("float64")
        out[q] = np.where(np.asarray(out[f]) == 1, draw, np.nan) if f else draw
    return pd.DataFrame(out)


def _one_flip_step(answers: pd.DataFrame, q: str, total) -> float:
    """Change of the total when one more respondent answers ``q`` "yes" (the total is linear in S)."""
    no, yes = answers.index[answers[q] == 0], answers.index[answers[q] == 1]
    if len(no):
        return total(answers.assign(**{q: answers[q].where(answers.index != no[0], 1.0)})) - total(answers)
    return total(answers) - total(answers.assign(**{q: answers[q].where(answers.index != yes[0], 0.0)}))


def _nudge(answers: pd.DataFrame, checklist: dict, cb: NokCodebook, target: float) -> pd.DataFrame:
    """Flip the fewest answers (of up to three questions) so that the rounded total equals ``target``."""
    questions = ["q15", "q02", "q08", "q12", "q14", "q06", "q04"]
    org = pd.DataFrame([{"organisation_id": "X", **checklist}])

    def total(a: pd.DataFrame) -> float:
        return float(score_organisations(a.assign(organisation_id="X"), org, cb)["total"].iloc[0])

    base = total(answers)
    steps = {q: _one_flip_step(answers, q, total) for q in questions}
    room = {q: (-int((answers[q] == 1).sum()), int((answers[q] == 0).sum())) for q in questions}
    grid = np.arange(-20, 21)
    best = None
    for trio in itertools.combinations(questions, 3):
        d = np.array(np.meshgrid(grid, grid, grid, indexing="ij")).reshape(3, -1)
        ok = np.all([(d[j] >= room[q][0]) & (d[j] <= room[q][1]) for j, q in enumerate(trio)], axis=0)
        hit = ok & (official_round(base + sum(steps[q] * d[j] for j, q in enumerate(trio))) == target)
        if hit.any():
            cost = np.abs(d).sum(axis=0) + np.where(hit, 0, 10**6)
            j = int(np.argmin(cost))
            if best is None or cost[j] < best[2]:
                best = (trio, d[:, j], cost[j])
    if best is None:
        raise RuntimeError("demo: cannot reach the published lowest total")
    out = answers.copy()
    for q, x in zip(best[0], best[1], strict=True):
        src, dst = (0.0, 1.0) if x > 0 else (1.0, 0.0)
        out.loc[out.index[out[q] == src][: abs(int(x))], q] = dst
    return out


def _typed(answers: pd.DataFrame, org_id: str, start: int, rng: np.random.Generator, kind: str) -> pd.DataFrame:
    labels = {1.0: "да", 0.0: "нет"}
    out = pd.DataFrame({"respondent_id": [f"R{start + i:05d}" for i in range(len(answers))],
                        "organisation_id": org_id})
    for q in answers.columns:
        out[q] = answers[q].map(labels).fillna("")
    n = len(answers)
    out["sex"] = rng.choice(["ж", "м"], size=n, p=[0.62, 0.38])
    ages = rng.integers(28, 60, size=n) if kind in ("children_home", "family_support_centre") else rng.integers(55, 96, size=n)
    out["age"] = ages.astype(str)
    out["suggestions"] = rng.choice(SUGGESTIONS, size=n)
    return out


def make_nok_demo(seed: int = 2021, codebook: NokCodebook | None = None) -> NokDemo:
    """Build the demo (see the module docstring). Retries deterministically until the span is exact."""
    cb = codebook or load_nok_codebook()
    for attempt in range(50):
        demo = _attempt(np.random.default_rng([seed, attempt]), cb)
        totals = official_round(demo.scores["total"].to_numpy())
        if totals.min() == LOWEST and totals.max() == HIGHEST and (totals == LOWEST).sum() == 1:
            return demo
    raise RuntimeError("demo: no attempt reproduced the published span 92.42-100")


def _attempt(rng: np.random.Generator, cb: NokCodebook) -> NokDemo:
    rows, frames, probs, start = [], [], {}, 1
    for org_id, kind, n in ORGANISATIONS:
        checklist = _checklist(org_id, kind, rng)
        probs[org_id] = _truth_probabilities(org_id, cb, rng)
        answers = _draw_answers(n, probs[org_id], cb, rng)
        if org_id == WEAKEST:
            answers = _nudge(answers, checklist, cb, LOWEST)
        number = sum(1 for o, k, _ in ORGANISATIONS if k == kind and o <= org_id)
        rows.append({"organisation_id": org_id, "name": f"{NAMES_RU[kind]} №{number} (демо)",
                     "kind": cb.kind_label(kind, "ru"), **{c: checklist[c] for c in cb.checklist}})
        frames.append(_typed(answers, org_id, start, rng, kind))
        start += n
    organisations = pd.DataFrame(rows)
    coded = organisations.assign(kind=[k for _, k, _ in ORGANISATIONS])
    truth = _true_scores(probs, coded, cb)
    truth_probs = pd.DataFrame.from_dict(probs, orient="index").add_prefix("p_").reset_index(names="organisation_id")
    respondents = pd.concat(frames, ignore_index=True)
    numeric = respondents.assign(**{q: respondents[q].map({"да": 1, "нет": 0}).astype("Int64") for q in cb.question_codes})
    scores = score_organisations(numeric, coded, cb)
    return NokDemo(respondents=respondents, organisations=organisations,
                   truth=truth.merge(truth_probs, on="organisation_id"), scores=scores)


def make_identical_organisations(seed: int, unhappy: float = 0.10, p_yes: float = 0.97,
                                 codebook: NokCodebook | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A null study: the demo's 17 organisations and sizes, all with the same truth and a full checklist.

    Every respondent is, with probability ``unhappy``, unhappy about everything (answers "no" to every
    satisfaction question asked); the others answer "yes" with probability ``p_yes`` to each, independently.
    Filter questions use the middle of the demo's ranges. No organisation differs from another or from
    the region, so every verdict of difference is a false one. Returns coded ``(respondents,
    organisations)`` (answers 1/0/NA) ready for scoring.

    >>> resp, orgs = make_identical_organisations(1)
    >>> len(orgs), len(resp), int(resp.groupby("organisation_id").size().min())
    (17, 1918, 41)
    """
    cb = codebook or load_nok_codebook()
    rng = np.random.default_rng([seed, 17])
    p = {f: sum(r) / 2 for f, r in FILTERS.items()} | {q: p_yes for q in cb.question_codes if q not in FILTERS}
    frames, sad = [], []
    for org_id, _, n in ORGANISATIONS:
        frames.append(_draw_answers(n, p, cb, rng).assign(organisation_id=org_id))
        sad.append(rng.random(n) < unhappy)
    resp = pd.concat(frames, ignore_index=True)
    sad_all = np.concatenate(sad)
    for q in cb.question_codes:
        values = resp[q].to_numpy(dtype="float64")
        if q not in FILTERS:  # unhappy about everything: "no" to every satisfaction question asked
            values = np.where(sad_all & ~np.isnan(values), 0.0, values)
        resp[q] = pd.array(np.where(np.isnan(values), None, values), dtype="Int64")
    full = {"info_stand_required": 18, "info_stand_present": 18, "info_site_required": 36, "info_site_present": 36,
            "remote_channels": 4, "comfort_conditions": 5, "premises_conditions": 5, "services_conditions": 5}
    orgs = pd.DataFrame([{"organisation_id": o, "kind": k, **full} for o, k, _ in ORGANISATIONS])
    return resp, orgs


def write_nok_demo(raw_dir: str | Path, year: int = 2021, seed: int = 2021, truth_path: str | Path | None = None) -> list[Path]:
    """Write ``nok_respondents_<year>.csv`` and ``nok_organisations_<year>.csv`` (UTF-8) into ``raw_dir``.

    With ``truth_path`` the planted truth (true indicator, criterion and total values and the true
    probabilities) is written there as JSON; it never goes into the raw folder.
    """
    raw = Path(raw_dir)
    raw.mkdir(parents=True, exist_ok=True)
    demo = make_nok_demo(seed)
    paths = [raw / f"nok_respondents_{year}.csv", raw / f"nok_organisations_{year}.csv"]
    demo.respondents.to_csv(paths[0], index=False, encoding="utf-8")
    demo.organisations.to_csv(paths[1], index=False, encoding="utf-8")
    if truth_path is not None:
        Path(truth_path).parent.mkdir(parents=True, exist_ok=True)
        Path(truth_path).write_text(json.dumps(demo.truth.to_dict(orient="records"), ensure_ascii=False, indent=1),
                                    encoding="utf-8")
    return paths


def main(argv: list[str] | None = None) -> int:
    """``python -m helpers.studies.nok.demo RAW_DIR [--year 2021] [--seed 2021] [--truth PATH]``."""
    import argparse

    ap = argparse.ArgumentParser(description="write the НОК demo files into a raw folder")
    ap.add_argument("raw_dir")
    ap.add_argument("--year", type=int, default=2021)
    ap.add_argument("--seed", type=int, default=2021)
    ap.add_argument("--truth", default=None)
    a = ap.parse_args(argv)
    for p in write_nok_demo(a.raw_dir, a.year, a.seed, a.truth):
        print(p)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
