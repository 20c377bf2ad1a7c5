"""The registers' statistics: one function per statistic, each with its n and, for shares, a 95% interval.

Shares carry the **Wilson score interval** (Wilson 1927, JASA 22:209; recommended by Brown, Cai &
DasGupta 2001, Stat Sci 16:101): for k events in n,

.. math::  \\frac{\\hat p + z^2/2n \\pm z\\sqrt{\\hat p(1-\\hat p)/n + z^2/4n^2}}{1 + z^2/n},
           \\quad \\hat p = k/n,\\ z = \\Phi^{-1}(0.975).

It stays inside [0, 1] and is informative at 0 and 100% — the mailbox's "no complaints in 205 appeals"
is a share of 0 whose upper bound (1.8%) is what the data can vouch for. Durations (days to a decision or
to resolution) are summarised by median and quartiles (skewed; no normal interval).

>>> lo, hi = wilson_interval(0, 205)
>>> round(lo, 4), round(hi, 4)
(0.0, 0.0184)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "appeal_kinds", "appeals_by_settlement", "appeals_per_year", "caseload_movement", "case_mix",
    "collection_calendar", "collection_summary", "decision_times", "gratitude_workers", "half_year_figures",
    "hours_heatmap", "hours_per_assistant", "hours_per_user", "quarterly_compliance", "reach_per_channel",
    "repeat_contacts", "resolution_times", "share_table", "users_reached", "weekly_load", "wilson_interval",
]


def wilson_interval(k, n, level: float = 0.95):
    """Wilson score interval for the share k/n (arrays allowed); NaN where n = 0.

    >>> [round(x, 3) for x in wilson_interval(8, 10)]
    [0.49, 0.943]
    """
    k, n = np.asarray(k, dtype=float), np.asarray(n, dtype=float)
    z = stats.norm.ppf(1 - (1 - level) / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        low, high = np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)
    low = np.where(k == 0, 0.0, low)
    high = np.where(k == n, 1.0, high)
    low, high = np.where(n > 0, low, np.nan), np.where(n > 0, high, np.nan)
    return (float(low), float(high)) if low.ndim == 0 else (low, high)


def share_table(df: pd.DataFrame, category: str, categories: list[str], by: list[str] | None = None) -> pd.DataFrame:
    """Count and share of every category (zeros included) within each group of ``by``, Wilson 95% CI.

    Columns: ``*by, category, n, total, share, ci_low, ci_high`` (shares in %).

    >>> t = share_table(pd.DataFrame({"k": ["a", "a", "b"]}), "k", ["a", "b", "c"])
    >>> t[["k", "n", "total"]].values.tolist()
    [['a', 2, 3], ['b', 1, 3], ['c', 0, 3]]
    """
    by = list(by or [])
    groups = [((), df)] if not by else list(df.groupby(by, sort=True))
    rows = []
    for key, g in groups:
        key = key if isinstance(key, tuple) else (key,)
        total = len(g)
        counts = g[category].value_counts()
        for c in categories:
            n = int(counts.get(c, 0))
            low, high = wilson_interval(n, total)
            rows.append({**dict(zip(by, key, strict=True)), category: c, "n": n, "total": total,
                         "share": 100 * n / total if total else np.nan, "ci_low": 100 * low, "ci_high": 100 * high})
    return pd.DataFrame(rows)


# ---- Social Mailbox -----------------------------------------------------------------------------------
def appeals_per_year(appeals: pd.DataFrame) -> pd.DataFrame:
    """Appeals per year with the number of settlements they came from, and the total row ``year = 'all'``."""
    t = appeals.groupby("year").agg(appeals=("appeal_id", "size"), settlements=("settlement", "nunique"))
    t = t.reset_index()
    t["year"] = t["year"].astype(str)
    total = pd.DataFrame([{"year": "all", "appeals": len(appeals), "settlements": appeals["settlement"].nunique()}])
    return pd.concat([t, total], ignore_index=True)


def appeal_kinds(appeals: pd.DataFrame, kinds: list[str], by: list[str] | None = None) -> pd.DataFrame:
    """Share of each kind of appeal (gratitude … complaint), zeros shown, Wilson 95% CI; see :func:`share_table`."""
    return share_table(appeals, "kind", kinds, by)


def appeals_by_settlement(appeals: pd.DataFrame, settlements: list[str]) -> pd.DataFrame:
    """Share of the appeals of each year that came from each settlement, Wilson 95% CI."""
    return share_table(appeals, "settlement", settlements, ["year"])


def collection_calendar(collections: pd.DataFrame, year: int, settlements: list[str], weekday: int = 4,
                        late_days: int = 3) -> pd.DataFrame:
    """Every expected collection (each ``weekday``, Friday by default, of the year in every settlement) and
    what happened: ``on_time`` (opened that day), ``late`` (opened 1 to ``late_days`` days after), ``missed``.

    Collections on other days that belong to no expected Friday are listed as ``extra``.
    Columns: ``settlement, expected, collected, days_late, status``.

    >>> c = pd.DataFrame({"settlement": ["S1", "S1"], "date": pd.to_datetime(["2021-01-01", "2021-01-11"])})
    >>> t = collection_calendar(c, 2021, ["S1"])
    >>> t["status"].head(3).tolist()
    ['on_time', 'late', 'missed']
    """
    fridays = pd.date_range(f"{year}-01-01", f"{year}-12-31", freq=f"W-{['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'][weekday]}")
    rows = []
    for s in settlements:
        dates = sorted(collections.loc[collections["settlement"] == s, "date"].dropna())
        used = set()
        for f in fridays:
            hit = next((d for d in dates if d not in used and 0 <= (d - f).days <= late_days), None)
            if hit is not None:
                used.add(hit)
            lag = (hit - f).days if hit is not None else np.nan
            status = "missed" if hit is None else "on_time" if lag == 0 else "late"
            rows.append({"settlement": s, "expected": f, "collected": hit, "days_late": lag, "status": status})
        rows += [{"settlement": s, "expected": pd.NaT, "collected": d, "days_late": np.nan, "status": "extra"}
                 for d in dates if d not in used]
    return pd.DataFrame(rows)


def collection_summary(calendar: pd.DataFrame) -> pd.DataFrame:
    """Per settlement: expected collections, on time, late, missed and the share on time (Wilson 95% CI, %)."""
    exp = calendar[calendar["status"] != "extra"]
    t = (exp.groupby("settlement")["status"].value_counts().unstack(fill_value=0)
         .reindex(columns=["on_time", "late", "missed"], fill_value=0))
    t.insert(0, "expected", t.sum(axis=1))
    low, high = wilson_interval(t["on_time"].to_numpy(), t["expected"].to_numpy())
    t["share"] = 100 * t["on_time"] / t["expected"]
    t["ci_low"], t["ci_high"] = 100 * np.asarray(low), 100 * np.asarray(high)
    return t.reset_index()


def decision_times(appeals: pd.DataFrame, by: str = "year") -> pd.DataFrame:
    """Days from the box opening to the decision: n decided, pending, median, quartiles and maximum."""
    d = appeals.assign(days=(appeals["decision_date"] - appeals["collected"]).dt.days)
    rows = []
    for key, g in d.groupby(by, sort=True):
        days = g["days"].dropna()
        rows.append({by: key, "n": len(days), "pending": int(g["days"].isna().sum()),
                     "median": days.median(), "q1": days.quantile(0.25), "q3": days.quantile(0.75),
                     "max": days.max()})
    return pd.DataFrame(rows)


def gratitude_workers(appeals: pd.DataFrame, worker_table: pd.DataFrame | None) -> pd.DataFrame:
    """Workers named in gratitude (count per worker) beside their Mystery Guest composite score (pooled
    rater-adjusted score with its 95% interval, :func:`helpers.studies.mystery_guest.scoring.worker_scores`), when available.
    Where the worker table has an ``adjusted_note`` (worker variance at 0, or fewer than 10 workers: the adjusted
    interval is not the worker's own) the raw mean with its own interval is shown instead."""
    g = appeals[(appeals["kind"] == "gratitude") & appeals["worker_id"].notna()]
    t = g.groupby("worker_id").size().rename("gratitude_appeals").reset_index()
    if worker_table is not None and len(worker_table):
        w = worker_table.copy()
        if "adjusted_note" in w:
            raw = w["adjusted_note"].fillna("").astype(str) != ""
            for a, b in (("adjusted", "raw_mean"), ("ci_low", "raw_ci_low"), ("ci_high", "raw_ci_high")):
                w[a] = w[a].astype(float).where(~raw, w[b].astype(float))
        cols = ["worker_id", "n", "adjusted", "ci_low", "ci_high"]
        t = t.merge(w[cols].rename(columns={"n": "mg_interviews", "adjusted": "composite"}),
                    on="worker_id", how="left")
    return t.sort_values("gratitude_appeals", ascending=False, kind="stable").reset_index(drop=True)


# ---- E-library -------------------------------------------------------------------------------------------
def _quarters(year: int) -> list[tuple[int, pd.Timestamp, pd.Timestamp]]:
    return [(q, pd.Timestamp(year, 3 * q - 2, 1), pd.Timestamp(year, 3 * q, 1) + pd.offsets.MonthEnd(0))
            for q in range(1, 5)]


def quarterly_compliance(users: pd.DataFrame, mailings: pd.DataFrame, year: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """"At least once a quarter": per quarter, users active throughout it (registered before its start
    and not left before its end), how many got at least one mailing in it, share with Wilson 95% CI (%).

    Returns (summary per quarter, the users not reached: ``quarter, user_pid, stratum``).
    """
    rows, missing = [], []
    for q, start, end in _quarters(year):
        active = users[(users["registered"] <= start) & (users["left"].isna() | (users["left"] >= end))]
        got = set(mailings.loc[(mailings["date"] >= start) & (mailings["date"] <= end), "user_pid"])
        reached = active["user_pid"].isin(got)
        low, high = wilson_interval(int(reached.sum()), len(active))
        rows.append({"quarter": f"{year} Q{q}", "users": len(active), "compliant": int(reached.sum()),
                     "not_reached": int((~reached).sum()), "share": 100 * reached.mean() if len(active) else np.nan,
                     "ci_low": 100 * low, "ci_high": 100 * high,
                     "mailings": mailings.loc[(mailings["date"] >= start) & (mailings["date"] <= end),
                                              "mailing_id"].nunique()})
        missing += [{"quarter": f"{year} Q{q}", "user_pid": u, "stratum": s}
                    for u, s in active.loc[~reached, ["user_pid", "stratum"]].itertuples(index=False)]
    return pd.DataFrame(rows), pd.DataFrame(missing, columns=["quarter", "user_pid", "stratum"])


def reach_per_channel(users: pd.DataFrame, mailings: pd.DataFrame) -> pd.DataFrame:
    """Per channel (e-mail, WhatsApp): users registered, users reached at least once, share with CI, deliveries."""
    reached = set(mailings["user_pid"])
    rows = []
    for ch, g in users.drop_duplicates("user_pid", keep="last").groupby("channel", sort=True):
        k = int(g["user_pid"].isin(reached).sum())
        low, high = wilson_interval(k, len(g))
        rows.append({"channel": ch, "users": len(g), "users_reached": k, "share": 100 * k / len(g),
                     "ci_low": 100 * low, "ci_high": 100 * high,
                     "deliveries": int(mailings["user_pid"].isin(set(g["user_pid"])).sum())})
    return pd.DataFrame(rows)


def users_reached(mailings: pd.DataFrame) -> int:
    """Distinct users (pseudonyms) reached by at least one mailing over the mailings given."""
    return int(mailings["user_pid"].nunique())


def half_year_figures(users: pd.DataFrame, mailings: pd.DataFrame, year: int, half: int) -> dict:
    """The figures of the half-year information note (информационная справка): users in the register, new
    users, mailings, deliveries, users reached and the topics (codes); worded by
    :func:`helpers.narrative.registers.half_year_note`."""
    start = pd.Timestamp(year, 1 if half == 1 else 7, 1)
    end = pd.Timestamp(year, 6, 30) if half == 1 else pd.Timestamp(year, 12, 31)
    active = users[(users["registered"] <= end) & (users["left"].isna() | (users["left"] >= start))]
    new = int(((users["registered"] >= start) & (users["registered"] <= end)).sum())
    m = mailings[(mailings["date"] >= start) & (mailings["date"] <= end)]
    return {"year": year, "half": half, "users": len(active), "new": new, "mailings": int(m["mailing_id"].nunique()),
            "deliveries": len(m), "reached": int(m["user_pid"].nunique()),
            "topics": sorted(m["topic"].dropna().unique())}


# ---- Support Line -------------------------------------------------------------------------------------------
def weekly_load(contacts: pd.DataFrame, covid_periods: list[dict]) -> pd.DataFrame:
    """Contacts per week (weeks start on Monday, empty weeks included) with the COVID-19 period marked."""
    week = contacts["date"].dt.to_period("W-SUN").dt.start_time
    t = week.value_counts().sort_index()
    full = pd.date_range(t.index.min(), t.index.max(), freq="W-MON")
    t = t.reindex(full, fill_value=0).rename_axis("week").rename("contacts").reset_index()
    t["covid_period"] = ""
    for p in covid_periods:
        inside = (t["week"] + pd.Timedelta(days=6) >= pd.Timestamp(p["start"])) & (t["week"] <= pd.Timestamp(p["end"]))
        t.loc[inside, "covid_period"] = p["en"]
    return t


def case_mix(contacts: pd.DataFrame, groups: list[str], by: list[str] | None = None) -> pd.DataFrame:
    """Share of contacts in each case group, Wilson 95% CI; see :func:`share_table`."""
    return share_table(contacts, "case_group", groups, by)


def resolution_times(contacts: pd.DataFrame) -> pd.DataFrame:
    """Per case group: contacts, share referred (Wilson CI), and days to resolution of the resolved ones
    (median, quartiles, maximum)."""
    rows = []
    for g, d in contacts.groupby("case_group", sort=True):
        days = d["days_to_resolution"].dropna().astype(float)
        k = int((d["outcome"] == "referred").sum())
        low, high = wilson_interval(k, len(d))
        rows.append({"case_group": g, "contacts": len(d), "referred": k, "share": 100 * k / len(d),
                     "ci_low": 100 * low, "ci_high": 100 * high, "n": len(days), "median": days.median(),
                     "q1": days.quantile(0.25), "q3": days.quantile(0.75), "max": days.max()})
    return pd.DataFrame(rows)


def repeat_contacts(contacts: pd.DataFrame) -> pd.DataFrame:
    """Callers (pseudonyms), those who called more than once (share, Wilson CI), and contacts per caller."""
    per = contacts.groupby("caller_pid").size()
    k = int((per > 1).sum())
    low, high = wilson_interval(k, len(per))
    return pd.DataFrame([{"contacts": len(contacts), "callers": len(per), "repeat_callers": k,
                          "share": 100 * k / len(per) if len(per) else np.nan, "ci_low": 100 * low,
                          "ci_high": 100 * high, "median": per.median(), "max": per.max()}])


# ---- assistant support -----------------------------------------------------------------------------------
def hours_per_assistant(visits: pd.DataFrame) -> pd.DataFrame:
    """Per assistant: visits, users served, hours, hours per week worked, earliest start and latest end."""
    g = visits.groupby("assistant_id")
    weeks = g["date"].agg(lambda d: d.dt.to_period("W").nunique())
    t = pd.DataFrame({"visits": g.size(), "users_served": g["user_pid"].nunique(), "hours": g["hours"].sum(),
                      "hours_per_week": g["hours"].sum() / weeks,
                      "first_start": g["start_min"].min().map(_hhmm), "last_end": g["end_min"].max().map(_hhmm)})
    return t.reset_index()


def _hhmm(minutes: float) -> str:
    return "" if pd.isna(minutes) else f"{int(minutes) // 60:02d}:{int(minutes) % 60:02d}"


def hours_per_user(visits: pd.DataFrame) -> pd.DataFrame:
    """Distribution over users of the hours received (users, median, quartiles, min, max, total hours)."""
    per = visits.groupby("user_pid")["hours"].sum()
    return pd.DataFrame([{"users": len(per), "hours": per.sum(), "median": per.median(),
                          "q1": per.quantile(0.25), "q3": per.quantile(0.75), "min": per.min(), "max": per.max()}])


def hours_heatmap(visits: pd.DataFrame) -> pd.DataFrame:
    """Hours worked in each hour of the day (rows 0-23) on each weekday (columns 0 = Monday … 6), each visit
    split over the clock hours it covers (a visit 08:30-10:00 adds 0.5 h to 8 and 1 h to 9)."""
    grid = np.zeros((24, 7))
    wd = visits["date"].dt.weekday.to_numpy()
    s, e = visits["start_min"].to_numpy(dtype=float), visits["end_min"].to_numpy(dtype=float)
    for h in range(24):
        covered = np.clip(np.minimum(e, (h + 1) * 60) - np.maximum(s, h * 60), 0, None) / 60
        np.add.at(grid[h], wd, covered)
    return pd.DataFrame(grid, index=pd.RangeIndex(24, name="hour"), columns=range(7))


def caseload_movement(movements: pd.DataFrame) -> pd.DataFrame:
    """Movements (new users, terminations, vacant positions, hires) per month, and terminations by reason."""
    m = movements.assign(month=movements["date"].dt.to_period("M").astype(str))
    t = m.groupby(["month", "movement"]).size().unstack(fill_value=0).reset_index()
    return t


def termination_reasons(movements: pd.DataFrame) -> pd.DataFrame:
    """Terminations of the service by reason (count)."""
    t = movements[movements["movement"] == "termination"]
    return t.groupby("reason").size().rename("n").reset_index()
