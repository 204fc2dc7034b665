"""Generators for SYNTHETIC referral records (never real people).

Referrals in the demo pack are invented, with a fixed seed, so that the page
can show a referral measure without touching data about real children. The
generator makes them *plausibly* related to deprivation and to recorded
crime, with the seasonal dips practitioners report (August-September and
mid-winter), and with the location quirks of real partner spreadsheets:
most rows carry a ward code, some only a ward name and borough, a few an old
ward code from a previous boundary vintage, and a few no location at all.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

CATEGORIES = {
    "County Lines": 0.42,
    "Child criminal exploitation (CCE)": 0.30,
    "Child sexual exploitation (CSE)": 0.13,
    "NRM referral": 0.15,
}

# Relative referral intensity by calendar month (1 = January).
SEASONALITY = {1: 0.85, 2: 0.95, 3: 1.1, 4: 1.0, 5: 1.1, 6: 1.1, 7: 1.05, 8: 0.75,
               9: 0.8, 10: 1.1, 11: 1.1, 12: 0.8}

SYNTHETIC_LABEL = "SYNTHETIC"


def synthetic_referrals(
    wards: pd.DataFrame,
    months: list[str],
    *,
    seed: int = 20261123,
    total: int = 6000,
    old_codes: list[str] | None = None,
) -> pd.DataFrame:
    """Generate synthetic referral records, one row per referral.

    Parameters
    ----------
    wards
        One row per ward: ``area_code``, ``area_name``, ``borough_name``,
        ``population`` (NaN allowed), ``imd_score`` and ``crime_rate``
        (offences per 1,000 residents; NaN allowed).
    months
        ``YYYY-MM`` months to spread referrals over.
    seed
        Seed of the random generator: the same seed gives the same file.
    total
        Expected number of referrals overall.
    old_codes
        Ward codes of an older boundary vintage to plant in a few rows (they
        must surface as "not in the area layer" in the reconciliation).

    Returns
    -------
    DataFrame
        Columns as a partner spreadsheet would have them: ``Ref No``,
        ``Date of referral`` (dd/mm/yyyy text), ``Referral type``,
        ``Ward code``, ``Ward name``, ``Borough``, ``Data status``
        (always ``SYNTHETIC``).
    """
    rng = np.random.default_rng(seed)
    w = wards.reset_index(drop=True)
    pop = w["population"].fillna(w["population"].median()).to_numpy(float)
    imd = w["imd_score"].fillna(w["imd_score"].median()).to_numpy(float)
    crime = w["crime_rate"].fillna(w["crime_rate"].median()).to_numpy(float)
    # Intensity rises with deprivation and with (log) crime rate; gamma noise
    # gives the over-dispersion of real counts.
    z_imd = (imd - imd.mean()) / imd.std()
    z_crime = (np.log1p(crime) - np.log1p(crime).mean()) / np.log1p(crime).std()
    lam = pop * np.exp(0.55 * z_imd + 0.25 * z_crime) * rng.gamma(2.0, 0.5, len(w))
    lam = lam / lam.sum() * total
    season = np.array([SEASONALITY[int(m[5:7])] for m in months])
    season = season / season.sum()
    counts = rng.poisson(np.outer(lam, season))  # ward x month

    ward_idx, month_idx = np.nonzero(counts)
    reps = counts[ward_idx, month_idx]
    ward_idx = np.repeat(ward_idx, reps)
    month_idx = np.repeat(month_idx, reps)
    n = len(ward_idx)
    starts = pd.to_datetime([months[i] + "-01" for i in month_idx])
    days = rng.integers(0, starts.days_in_month.to_numpy())
    dates = starts + pd.to_timedelta(days, unit="D")
    cats = rng.choice(list(CATEGORIES), size=n, p=list(CATEGORIES.values()))

    code = w["area_code"].to_numpy(object)[ward_idx].copy()
    name = w["area_name"].to_numpy(object)[ward_idx].copy()
    borough = w["borough_name"].to_numpy(object)[ward_idx].copy()
    kind = rng.choice(["code", "name", "none", "old"], size=n, p=[0.93, 0.05, 0.012, 0.008])
    code[kind == "name"] = ""
    for arr in (code, name, borough):
        arr[kind == "none"] = ""
    if old_codes:
        old = kind == "old"
        code[old] = rng.choice(old_codes, size=int(old.sum()))
        name[old] = ""
    else:
        code[kind == "old"] = ""

    out = pd.DataFrame(
        {
            "Date of referral": dates,
            "Referral type": cats,
            "Ward code": code,
            "Ward name": name,
            "Borough": borough,
        }
    ).sort_values(["Date of referral", "Ward code", "Ward name", "Referral type"], kind="stable")
    out.insert(0, "Ref No", [f"SYN-{i:05d}" for i in range(1, n + 1)])
    out["Date of referral"] = out["Date of referral"].dt.strftime("%d/%m/%Y")
    out["Data status"] = SYNTHETIC_LABEL
    return out.reset_index(drop=True)
