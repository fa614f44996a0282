"""The embedded demo warehouse: an invented city, generated from a seed.

:func:`build` writes the demo through :mod:`ilslib.store` (the writer that
``ils load`` uses) into the ordinary warehouse tables. The catalogue (names,
goal model, indicators, account plans, text fragments) is
``ilslib/data/demo.toml``; this module adds seeded figures. The same seed gives
identical content; ``ledger_rows`` scales the ledger (more cost centres per
account) for benchmarks, generated and written one organisation at a time;
``orgs`` grows the city to that many organisations (:func:`grown_organisations`,
``ilslib/data/demo_scale.toml``) for scale tests.

>>> tables = generate(seed=1)
>>> sorted(tables["organisations"]["kind"].unique())
['bolag', 'kommun', 'koncern', 'namnd']
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import time
import tomllib
from collections.abc import Callable, Iterator
from importlib import resources
from itertools import repeat
from typing import Any

import numpy as np
import pandas as pd

from . import config, fmt, inventory, store
from .contract import FILES, LOAD_ORDER
from .errors import ConfigError, WarehouseError
from .schema import ddl, init_schema
from .warehouse import Tracer, Warehouse, connect

YEARS = (2024, 2025, 2026)
MONTHS = tuple(f"{y}-{m:02d}" for y in YEARS for m in range(1, 13))
LAST_BOOKED_MONTH = "2026-08"
LATEST_PERIOD = "2026-T2"
OUTCOME_PERIODS = ("2024-T1", "2024-T2", "2024-BO", "2025-T1", "2025-T2", "2025-BO", "2026-T1", "2026-T2")
REPORT_PERIODS = (
    "2024-BU",
    "2024-T1",
    "2024-T2",
    "2024-BO",
    "2025-BU",
    "2025-T1",
    "2025-T2",
    "2025-BO",
    "2026-BU",
    "2026-T1",
    "2026-T2",
)
PERSONNEL_MONTHS = MONTHS[: MONTHS.index(LAST_BOOKED_MONTH) + 1]

#: The city's reporting calendar (its RASK): per period code, the deadline by organisation kind
#: (None: every kind without its own), as (years after the period's year, month, day). The companies
#: report to the group parent company a week or two after the boards. Today, 2026-11-27, the boards'
#: deadline for 2026-T2 has passed and the companies' is a week ahead.
_CALENDAR: dict[str, dict[str | None, tuple[int, int, int]]] = {
    "BU": {None: (0, 1, 23)},
    "T1": {None: (0, 5, 29), "bolag": (0, 6, 5)},
    "T2": {None: (0, 11, 20), "bolag": (0, 12, 4)},
    "BO": {None: (1, 2, 12), "bolag": (1, 2, 26)},
}

# ils_meta names that mark a warehouse as the demo (and how it was built).
META_SEED = "demo_seed"
META_LEDGER_ROWS = "demo_ledger_rows"
META_ORGS = "demo_orgs"
# ils_load.source of a load recorded for the demo (anything else is someone's real data).
LOAD_SOURCE = "ils demo"

_N_BOOKED = len(PERSONNEL_MONTHS)
_FRACTION = {"T1": 4 / 12, "T2": 8 / 12, "BO": 1.0}
# Working hours per month (holidays in July) and sick-leave season (winter colds).
_HOURS_SEASON = np.array([1.0, 0.95, 1.02, 0.93, 0.95, 0.9, 0.55, 0.85, 1.0, 1.02, 0.98, 0.88])
_SICK_SEASON = np.array([1.25, 1.3, 1.15, 1.0, 0.9, 0.85, 0.7, 0.8, 0.95, 1.05, 1.15, 1.2])
# Salary costs per month (holiday pay in June, low July, December extras); sums to 12.
_SALARY_SEASON = np.array([1.0, 0.97, 1.0, 0.98, 1.0, 1.1, 0.62, 0.9, 1.0, 1.02, 1.0, 1.41])
_SALARY_SEASON = _SALARY_SEASON * 12 / _SALARY_SEASON.sum()

# Seed-stream sections: each part draws from its own stream, so that changing one part
# (e.g. the ledger size) leaves every other table unchanged.
(
    _S_GOALS,
    _S_LATENT,
    _S_TARGETS,
    _S_OUTCOMES,
    _S_ACTIVITIES,
    _S_ASSESS,
    _S_COMMENTS,
    _S_ECONOMY,
    _S_LEDGER,
    _S_PERSONNEL,
) = range(1, 11)

Progress = Callable[[str], None]


@functools.lru_cache(maxsize=1)
def catalogue() -> dict[str, Any]:
    """The demo catalogue, ``ilslib/data/demo.toml``, parsed."""
    with resources.files("ilslib").joinpath("data/demo.toml").open("rb") as fh:
        return tomllib.load(fh)


@functools.lru_cache(maxsize=1)
def scale_catalogue() -> dict[str, Any]:
    """How the demo grows to many organisations, ``ilslib/data/demo_scale.toml``, parsed."""
    with resources.files("ilslib").joinpath("data/demo_scale.toml").open("rb") as fh:
        return tomllib.load(fh)


#: The most organisations ``ils demo --orgs`` makes (the added people's names run out beyond it).
MAX_ORGS = 4000
_PLAIN = str.maketrans("åäöéÅÄÖÉ", "aaoeAAOE")
# A fixed stream for what the added organisations are (not their figures): the same for every seed.
_SCALE_STREAM = 20261127


def _genitive(name: str) -> str:
    """A Swedish genitive: ``Ekbacka`` -> ``Ekbackas``, ``Åsberg`` -> ``Åsbergs``, ``Ekås`` -> ``Ekås``."""
    return name if name[-1] in "sxz" else name + "s"


def _places(known: set[str]) -> list[str]:
    """The district names of the grown demo, in their fixed order (none of the names in ``known``)."""
    sc = scale_catalogue()
    names = [a + b for a in sc["place_first"] for b in sc["place_last"]]
    order = np.random.default_rng([_SCALE_STREAM, 1]).permutation(len(names))
    out, seen = [], set()
    for i in order:
        name = names[int(i)]
        plain = name.translate(_PLAIN).upper()
        if plain in seen or any(name in k for k in known):
            continue
        seen.add(plain)
        out.append(name)
    return out


def _people(taken: set[str]) -> Iterator[tuple[str, str]]:
    """The added organisations' people: (first, last), each full name once, none of those in ``taken``."""
    sc = scale_catalogue()
    first, last = sc["first_names"], sc["last_names"]
    for i in np.random.default_rng([_SCALE_STREAM, 2]).permutation(len(first) * len(last)):
        f, la = first[int(i) % len(first)], last[int(i) // len(first)]
        if f"{f} {la}" not in taken:
            yield f, la


def grown_organisations(cat: dict[str, Any], n: int) -> tuple[list[dict[str, Any]], list[str]]:
    """The catalogue's organisations and ``n`` minus their number added as districts of the city.

    Returns (organisations, controllers): each added organisation a catalogue-like entry (id, name,
    kind, parent, controller, size, staff, ledger, indicators, and ``latest``: where its latest round
    stands, ``reporters``: its reporters' names), the controllers' names the catalogue's followed by the
    added ones. Deterministic and independent of the seed.
    """
    base = list(cat["org"])
    controllers = list(cat["controllers"])
    extra = n - len(base)
    if extra <= 0:
        return base, controllers
    sc = scale_catalogue()
    templates = sc["template"]
    city = base[0]["id"]
    group = next(o["id"] for o in base if o["kind"] == "koncern")
    places = _places({o["name"] for o in base} | {cat["city"]})
    if extra > len(places) * len(templates):
        raise ConfigError(f"the demo has at most {len(base) + len(places) * len(templates)} organisations")
    rnd = cat["round"]
    taken = set(controllers) | {f"{f} {la}" for f, la in zip(rnd["first_names"], rnd["last_names"], strict=False)}
    people = _people(taken)
    per = int(sc["orgs_per_controller"])
    for _ in range(-(-extra // per)):
        controllers.append(" ".join(next(people)))
    rng = np.random.default_rng([_SCALE_STREAM, 3])
    orgs = base
    for k in range(extra):
        place, t = places[k // len(templates)], templates[k % len(templates)]
        size_lo, size_hi = t["size"]
        staff_lo, staff_hi = t["staff"]
        r_size, r_staff, r_state = (float(x) for x in rng.random(3))
        state = (
            "ej_paborjad"
            if r_state < sc["latest_not_started"]
            else "pagaende"
            if r_state < sc["latest_in_progress"]
            else "klar"
            if r_state < sc["latest_ready"]
            else "godkand"
        )
        reporters = [" ".join(next(people))]
        if (k + 1) % int(sc["second_reporter_every"]) == 0:
            reporters.append(" ".join(next(people)))
        orgs.append(
            {
                "id": f"{t['prefix']}_{place.translate(_PLAIN).upper()}",
                "name": t["name"].format(place=place, place_s=_genitive(place)),
                "kind": t["kind"],
                "parent": city if t["kind"] == "namnd" else group,
                "controller": len(cat["controllers"]) + k // per,
                "size": float(round(size_lo + r_size * (size_hi - size_lo))),
                "staff": int(round(staff_lo + r_staff * (staff_hi - staff_lo))),
                "ledger": t["ledger"],
                "indicators": list(t["indicators"]),
                "latest": state,
                "reporters": reporters,
            }
        )
    return orgs, controllers


def _sv(value: float, decimals: int) -> str:
    """A number the Swedish way: ``12 345,6``."""
    return f"{value:,.{decimals}f}".replace(",", " ").replace(".", ",")


def _pick(rng: np.random.Generator, options: list[str]) -> str:
    return options[int(rng.integers(len(options)))]


def _period_parts(period: str) -> tuple[int, str]:
    year, code = period.split("-")
    return int(year), code


class _Demo:
    """Generates the demo's tables from the catalogue and a seed."""

    def __init__(self, seed: int, ledger_rows: int | None = None, orgs: int | None = None):
        if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
            raise ConfigError(f"the demo seed must be a non-negative integer, got {seed!r}")
        if ledger_rows is not None and (not isinstance(ledger_rows, int) or ledger_rows < 1):
            raise ConfigError(f"ledger_rows must be a positive integer, got {ledger_rows!r}")
        self.cat = catalogue()
        self.n_catalogue = len(self.cat["org"])
        if orgs is not None and (
            not isinstance(orgs, int) or isinstance(orgs, bool) or not self.n_catalogue <= orgs <= MAX_ORGS
        ):
            raise ConfigError(
                f"orgs must be a whole number from {self.n_catalogue} (the demo's own organisations) "
                f"to {MAX_ORGS}, got {orgs!r}"
            )
        self.seed = seed
        self.ledger_rows = ledger_rows
        self.n_orgs = orgs
        self.orgs: list[dict[str, Any]]
        self.orgs, self.controllers = grown_organisations(self.cat, orgs or self.n_catalogue)
        self.org_index = {o["id"]: i for i, o in enumerate(self.orgs)}
        self.ind: dict[str, dict[str, Any]] = self.cat["indicator"]
        self.ind_index = {k: i for i, k in enumerate(self.ind)}
        self.kf_ids = [k["id"] for k in self.cat["kf_mal"]]

    def rng(self, section: int, *index: int) -> np.random.Generator:
        """An independent random stream for one part (and organisation) of the demo."""
        return np.random.default_rng([self.seed, section, *index])

    # -- organisations and the goal model ---------------------------------------------------
    def org_indicators(self, org: dict[str, Any]) -> list[str]:
        """The indicators an organisation follows."""
        ids = [] if org.get("own_indicators_only") else list(self.cat["common_indicators"])
        return ids + [i for i in org["indicators"] if i not in ids]

    def organisations(self) -> pd.DataFrame:
        names = self.controllers
        return pd.DataFrame(
            [(o["id"], o["name"], o["kind"], o.get("parent"), names[o["controller"]]) for o in self.orgs],
            columns=["org_id", "name", "kind", "parent_id", "controller"],
        )

    @functools.cached_property
    def own_goals(self) -> dict[str, list[dict[str, Any]]]:
        """Each organisation's own goals (nämndmål/bolagsmål), one per KF goal it works towards."""
        special = {(s["org"], s["kf"]): s["title"] for s in self.cat.get("special_goal_title", [])}
        out: dict[str, list[dict[str, Any]]] = {}
        for oi, org in enumerate(self.orgs):
            if org["kind"] == "kommun":
                out[org["id"]] = []
                continue
            rng = self.rng(_S_GOALS, oi)
            kfs = sorted({self.ind[i]["kf"] for i in self.org_indicators(org)}, key=self.kf_ids.index)
            extra = [k for k in self.kf_ids[:8] if k not in kfs]
            if rng.random() < 0.3 and extra:  # a goal followed up by activities only
                kfs = sorted([*kfs, extra[int(rng.integers(len(extra)))]], key=self.kf_ids.index)
            variant = "bolag" if org["kind"] in ("bolag", "koncern") else "namnd"
            level = "bolagsmal" if variant == "bolag" else "namndmal"
            goals = []
            for n, kf in enumerate(kfs, 1):
                title = _pick(rng, self.cat["goal_titles"][kf][variant])
                goals.append(
                    {
                        "goal_id": f"{org['id']}-M{n}",
                        "org_id": org["id"],
                        "level": level,
                        "parent_goal_id": kf,
                        "title": special.get((org["id"], kf), title),
                        "kf": kf,
                    }
                )
            out[org["id"]] = goals
        return out

    def goal_for(self, org_id: str, kf: str) -> str:
        """The goal an organisation's indicator for KF goal ``kf`` belongs to."""
        for g in self.own_goals[org_id]:
            if g["kf"] == kf:
                return g["goal_id"]
        return kf

    def goals(self) -> pd.DataFrame:
        cat, city = self.cat, self.orgs[0]["id"]
        rows = [
            (
                cat["vision"]["id"],
                city,
                "vision",
                None,
                cat["vision"]["title"],
                cat["vision"]["description"],
                2024,
                2040,
            )
        ]
        rows += [
            (g["id"], city, "inriktningsmal", cat["vision"]["id"], g["title"], g["description"], 2024, 2026)
            for g in cat["inriktningsmal"]
        ]
        rows += [(g["id"], city, "kf_mal", g["parent"], g["title"], None, 2024, 2026) for g in cat["kf_mal"]]
        kf_titles = {g["id"]: g["title"] for g in cat["kf_mal"]}
        for org in self.orgs:
            for g in self.own_goals[org["id"]]:
                description = f"Konkretiserar kommunfullmäktiges mål ”{kf_titles[g['kf']]}”."
                rows.append(
                    (g["goal_id"], g["org_id"], g["level"], g["parent_goal_id"], g["title"], description, 2024, 2026)
                )
        return pd.DataFrame(rows, columns=list(FILES["goals"].column_names))

    def indicators(self) -> pd.DataFrame:
        rows = [
            (k, s["name"], s["unit"], s["direction"], s["frequency"], s["source"], s["decimals"])
            for k, s in self.ind.items()
        ]
        return pd.DataFrame(rows, columns=list(FILES["indicators"].column_names))

    # -- indicators: latent levels, targets, outcomes ------------------------------------------
    def _sign(self, iid: str) -> int:
        return 1 if self.ind[iid]["direction"] == "higher" else -1

    @functools.cached_property
    def latent(self) -> dict[tuple[str, str], dict[str, float]]:
        """Per organisation and indicator: baseline level and yearly (favourable) change."""
        out = {}
        for oi, org in enumerate(self.orgs):
            for iid in self.org_indicators(org):
                spec = self.ind[iid]
                rng = self.rng(_S_LATENT, oi, self.ind_index[iid])
                lo, hi = spec["range"]
                base = float(rng.uniform(lo, hi))
                if iid == "SJUKFR" and org["kind"] in ("bolag", "koncern"):
                    base *= 0.8
                improve = float(spec.get("improve", 0.0))
                change = improve + abs(improve) * float(rng.normal(0.0, 1.0))
                out[(org["id"], iid)] = {"base": base, "change": change, "tertial_target": float(rng.random())}
        return out

    def _level(self, org_id: str, iid: str, t: float) -> float:
        lat = self.latent[(org_id, iid)]
        return lat["base"] * (1 + self._sign(iid) * lat["change"] * t)

    def _round(self, iid: str, value: float) -> float:
        spec = self.ind[iid]
        value = min(max(value, 0.0), float(spec.get("max", np.inf)))
        return round(value, int(spec["decimals"]))

    @functools.cached_property
    def target_rows(self) -> dict[tuple[str, str, int, str], tuple[float, float | None]]:
        """(org, indicator, year, period_type) -> (target, partial_limit); '' = annual target."""
        out: dict[tuple[str, str, int, str], tuple[float, float | None]] = {}
        for oi, org in enumerate(self.orgs):
            for iid in self.org_indicators(org):
                spec = self.ind[iid]
                rng = self.rng(_S_TARGETS, oi, self.ind_index[iid])
                base = self.latent[(org["id"], iid)]["base"]
                for year in YEARS:
                    if "target" in spec:
                        target = float(spec["target"])
                    else:
                        ask = 1 + self._sign(iid) * spec["ambition"] * (year - 2023)
                        target = self._round(iid, base * spec.get("target_scale", 1.0) * ask)
                    explicit, band = rng.random(), float(rng.uniform(0.03, 0.08))
                    partial = None
                    if iid == "OLYCKOR":
                        partial = 1.0 if explicit < 0.4 else None
                    elif explicit < 0.25:
                        partial = self._round(iid, target - self._sign(iid) * band * abs(target))
                    out[(org["id"], iid, year, "")] = (target, partial)
                    if spec.get("kind") == "count" and spec["frequency"] == "tertial" and "target" not in spec:
                        out[(org["id"], iid, year, "T1")] = (float(round(target * 0.3)), None)
                        out[(org["id"], iid, year, "T2")] = (float(round(target * 0.62)), None)
                    if iid == "SJUKFR" and self.latent[(org["id"], iid)]["tertial_target"] < 0.35:
                        out[(org["id"], iid, year, "T1")] = (round(target + 0.6, 1), None)
        for extra in self.cat.get("extra_target", []):
            target, _ = out[(extra["org"], extra["indicator"], extra["year"], "")]
            out[(extra["org"], extra["indicator"], extra["year"], extra["period_type"])] = (
                self._round(extra["indicator"], target * extra["factor"]),
                None,
            )
        return out

    def applicable_target(self, org_id: str, iid: str, period: str) -> float | None:
        """The target that applies in ``period`` (tertial or BO row, else the annual target)."""
        year, code = _period_parts(period)
        row = self.target_rows.get((org_id, iid, year, code)) or self.target_rows.get((org_id, iid, year, ""))
        return row[0] if row else None

    def targets(self) -> pd.DataFrame:
        rows = [
            (org_id, iid, self.goal_for(org_id, self.ind[iid]["kf"]), year, ptype, target, partial)
            for (org_id, iid, year, ptype), (target, partial) in self.target_rows.items()
        ]
        return pd.DataFrame(rows, columns=list(FILES["targets"].column_names))

    def _periods_for(self, iid: str) -> tuple[str, ...]:
        if self.ind[iid]["frequency"] == "tertial":
            return OUTCOME_PERIODS
        return tuple(p for p in OUTCOME_PERIODS if p.endswith("BO"))

    def _divergent(self, org_id: str, iid: str, period: str) -> bool:
        d = self.cat.get("divergent")
        if not d:
            return False
        return (
            d["org"] == org_id
            and self.ind[iid]["kf"] == d["kf"]
            and period in d["periods"]
            and self.ind[iid]["frequency"] == "tertial"
        )

    @functools.cached_property
    def outcome_rows(self) -> list[tuple[str, str, str, float | None, str, str | None]]:
        """(org, indicator, period, value, gender, comment) rows, with gaps and gender splits."""
        forced_missing = {(m["org"], m["indicator"], m["period"]) for m in self.cat.get("missing_outcome", [])}
        texts = self.cat["texts"]
        rows: list[tuple[str, str, str, float | None, str, str | None]] = []
        for oi, org in enumerate(self.orgs):
            for iid in self.org_indicators(org):
                spec = self.ind[iid]
                rng = self.rng(_S_OUTCOMES, oi, self.ind_index[iid])
                values = self._raw_outcomes(org, iid, rng)
                for period in self._periods_for(iid):
                    value = values[period]
                    target = self.applicable_target(org["id"], iid, period)
                    if target is not None and self._divergent(org["id"], iid, period):
                        value = self._round(iid, target * (0.8 if self._sign(iid) > 0 else 1.25))
                    gap, missing_text = float(rng.random()), _pick(rng, texts["outcome_missing"])
                    gk, gm = (float(x) for x in rng.normal(0.0, 0.012, 2))
                    if (org["id"], iid, period) in forced_missing or (
                        gap < 0.03 and not self._divergent(org["id"], iid, period)
                    ):
                        rows.append((org["id"], iid, period, None, "T", missing_text))
                        continue
                    if gap < 0.045 and not self._divergent(org["id"], iid, period):
                        continue  # not reported at all
                    comment = "Preliminärt utfall." if gap > 0.97 else None
                    rows.append((org["id"], iid, period, value, "T", comment))
                    if "gender" in spec:
                        women, men = spec["gender"]
                        rows.append((org["id"], iid, period, self._round(iid, value * women * (1 + gk)), "K", None))
                        rows.append((org["id"], iid, period, self._round(iid, value * men * (1 + gm)), "M", None))
        return rows

    def _raw_outcomes(self, org: dict[str, Any], iid: str, rng: np.random.Generator) -> dict[str, float]:
        spec, org_id = self.ind[iid], org["id"]
        noise = float(spec.get("noise", 0.02))
        out: dict[str, float] = {}
        if iid == "SJUKFR":
            pers = self.personnel_arrays[org_id]
            for period in OUTCOME_PERIODS:
                months = self._period_month_index(period)
                out[period] = self._round(iid, pers["sick"][months].sum() / pers["scheduled"][months].sum() * 100)
            return out
        if iid == "OLYCKOR":
            lam = self.latent[(org_id, iid)]["base"]
            for year in YEARS:
                rate = max(lam * (1 - self.latent[(org_id, iid)]["change"] * (year - 2024)), 0.05)
                counts = np.cumsum(rng.poisson(rate / 3, 3))
                for code, n in zip(("T1", "T2", "BO"), counts, strict=True):
                    out[f"{year}-{code}"] = float(n)
            return out
        for year in YEARS:
            if spec.get("kind") == "count":
                annual = self._level(org_id, iid, year - 2023) * (1 + rng.normal(0.0, 2 * noise))
                shares = {"T1": rng.uniform(0.27, 0.34), "T2": rng.uniform(0.58, 0.68), "BO": 1.0}
                for code, share in shares.items():
                    out[f"{year}-{code}"] = self._round(iid, annual * share)
            else:
                for code in ("T1", "T2", "BO"):
                    t = year - 2024 + _FRACTION[code]
                    out[f"{year}-{code}"] = self._round(iid, self._level(org_id, iid, t) * (1 + rng.normal(0.0, noise)))
        return out

    def outcomes(self) -> pd.DataFrame:
        return pd.DataFrame(self.outcome_rows, columns=list(FILES["outcomes"].column_names))

    @functools.cached_property
    def _outcome_values(self) -> dict[tuple[str, str, str], float | None]:
        return {(o, i, p): v for o, i, p, v, g, _ in self.outcome_rows if g == "T"}

    def _gaps(self, org_id: str, iids: list[str], period: str) -> list[tuple[float, str]]:
        """(favourable relative gap to target, indicator) for the indicators followed up in ``period``."""
        out = []
        for iid in iids:
            if period[-2:] != "BO" and self.ind[iid]["frequency"] != "tertial":
                continue
            value = self._outcome_values.get((org_id, iid, period))
            target = self.applicable_target(org_id, iid, period)
            if value is None or target is None:
                continue
            out.append((self._sign(iid) * (value - target) / max(abs(target), 1.0), iid))
        return out

    # -- activities and judgements -----------------------------------------------------------
    @functools.cached_property
    def activity_tables(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        texts = self.cat["texts"]
        starts = ["2024-01-01", "2024-03-01", "2024-09-01", "2025-01-01", "2025-05-01", "2026-01-01"]
        acts, statuses = [], []
        for oi, org in enumerate(self.orgs):
            if org["kind"] == "kommun":
                continue
            rng = self.rng(_S_ACTIVITIES, oi)
            planned: list[tuple[str, str, str]] = []  # goal_id, title, source
            for g in self.own_goals[org["id"]]:
                pool = self.cat["activities"][g["kf"]]
                order = rng.permutation(len(pool))
                planned += [(g["goal_id"], pool[j], "own") for j in order[: 1 + int(rng.random() < 0.5)]]
            if org["kind"] == "namnd" and rng.random() < 0.6 and self.own_goals[org["id"]]:
                kf = self.own_goals[org["id"]][int(rng.integers(len(self.own_goals[org["id"]])))]["kf"]
                taken = {t for _, t, _ in planned}
                pool = [t for t in self.cat["activities"][kf] if t not in taken]
                if pool:
                    planned.append((kf, _pick(rng, pool), "KF"))
            for n, (goal_id, title, source) in enumerate(planned, 1):
                activity_id = f"{org['id']}-A{n:02d}"
                start = dt.date.fromisoformat(starts[int(rng.integers(len(starts)))])
                months = int(rng.choice([6, 9, 12, 18, 24, 30]))
                end_month = start.month - 1 + months
                end = dt.date(start.year + end_month // 12, end_month % 12 + 1, 1) - dt.timedelta(days=1)
                acts.append((activity_id, org["id"], goal_id, title, source, start.isoformat(), end.isoformat()))
                statuses += self._statuses(activity_id, start, end, rng, texts)
        activities = pd.DataFrame(acts, columns=list(FILES["activities"].column_names))
        status = pd.DataFrame(statuses, columns=list(FILES["activity_status"].column_names))
        # Every status code occurs, whatever the seed.
        for code in ("ej_paborjad", "paborjad", "genomford", "forsenad", "avbruten"):
            if not (status["status"] == code).any():
                i = status.index[status["status"] == "paborjad"][-1]
                status.loc[i, ["status", "comment"]] = [code, None]
        return activities, status

    @staticmethod
    def _statuses(
        activity_id: str, start: dt.date, end: dt.date, rng: np.random.Generator, texts: dict[str, list[str]]
    ) -> list[tuple[str, str, str, str | None]]:
        period_end = {"BU": (-1, 12, 31), "T1": (0, 4, 30), "T2": (0, 8, 31), "BO": (0, 12, 31)}
        rows: list[tuple[str, str, str, str | None]] = []
        done_year = None
        for period in REPORT_PERIODS:
            year, code = _period_parts(period)
            dy, m, d = period_end[code]
            when = dt.date(year + dy, m, d)
            r, comment_r = float(rng.random()), float(rng.random())
            if done_year is not None and year > done_year:
                break
            if when < start:
                if year >= start.year:
                    rows.append((activity_id, period, "ej_paborjad", None))
                continue
            if done_year is not None:
                rows.append((activity_id, period, rows[-1][2], rows[-1][3]))
                continue
            if when <= end:
                if r < 0.04 and rows:
                    rows.append((activity_id, period, "avbruten", _pick(rng, texts["status_avbruten"])))
                    done_year = year
                elif r < 0.2:
                    rows.append((activity_id, period, "forsenad", _pick(rng, texts["status_forsenad"])))
                else:
                    rows.append((activity_id, period, "paborjad", None))
            elif r < 0.8:
                comment = _pick(rng, texts["status_genomford"]) if comment_r < 0.5 else None
                rows.append((activity_id, period, "genomford", comment))
                done_year = year
            else:
                rows.append((activity_id, period, "forsenad", _pick(rng, texts["status_forsenad"])))
        return rows

    def assessments(self) -> pd.DataFrame:
        texts, levels = self.cat["texts"], ("ej_uppfyllt", "delvis", "uppfyllt")
        divergent = self.cat.get("divergent", {})
        rows = []
        for oi, org in enumerate(self.orgs):
            rng = self.rng(_S_ASSESS, oi)
            inds = self.org_indicators(org)
            if org["kind"] == "kommun":
                goals = [(kf, kf) for kf in self.kf_ids]
            else:
                goals = [(g["goal_id"], g["kf"]) for g in self.own_goals[org["id"]]]
                goals += [(g["kf"], g["kf"]) for g in self.own_goals[org["id"]]]  # its part of KF's goal
            for goal_id, kf in goals:
                own = goal_id != kf or org["kind"] == "kommun"
                for period in OUTCOME_PERIODS:
                    gaps = self._gaps(org["id"], [i for i in inds if self.ind[i]["kf"] == kf], period)
                    r_level, r_shift, r_gap = (float(x) for x in rng.random(3))
                    comment_pick = int(rng.integers(2))
                    if gaps:
                        score = float(np.mean([g for g, _ in gaps]))
                        level = 2 if score >= -0.01 else 1 if score >= -0.08 else 0
                    else:
                        level = 2 if r_level < 0.45 else 1 if r_level < 0.85 else 0
                    if r_shift < 0.15:  # organisations tend to judge a little kinder than the figures
                        level = min(level + 1, 2)
                    elif r_shift < 0.2:
                        level = max(level - 1, 0)
                    assessment: str | None = levels[level]
                    comment = texts[f"assessment_{assessment}"][comment_pick] if own else None
                    if (
                        divergent
                        and org["id"] == divergent["org"]
                        and kf == divergent["kf"]
                        and period in divergent["periods"]
                    ):
                        assessment, comment = "uppfyllt", divergent["comment"] if own else None
                    elif r_gap < 0.04:
                        continue
                    elif r_gap < 0.1:
                        assessment, comment = None, texts["assessment_missing"][comment_pick] if own else None
                    rows.append((org["id"], goal_id, period, assessment, comment))
        return pd.DataFrame(rows, columns=list(FILES["assessments"].column_names))

    # -- free texts --------------------------------------------------------------------------
    def comments(self, figures: TextFigures) -> pd.DataFrame:
        """The free texts; amounts and sick leave are quoted from the computed figures (:func:`text_figures`)."""
        texts = self.cat["texts"]
        special = {(s["org"], s["period"], s["kind"]): s["text"] for s in self.cat.get("special_comment", [])}
        rows: dict[tuple[str, str, str], str] = {}
        for oi, org in enumerate(self.orgs):
            rng = self.rng(_S_COMMENTS, oi)
            small = org["staff"] and org["staff"] < 5
            for period in REPORT_PERIODS:
                year, code = _period_parts(period)
                fill = {"org": org["name"], "year": year, "period": _period_name(period)}
                paragraphs = []
                if code == "BU":
                    paragraphs = [
                        _pick(rng, texts["vd_open_BU"]),
                        _pick(rng, texts["economy_BU"]),
                        _pick(rng, texts["closing"]),
                    ]
                    rows[(org["id"], period, "vd_kommentar")] = _join(paragraphs, rng, fill)
                    continue
                if code in ("T1", "T2"):
                    # the head writes the figures the report computes: the full-year forecast against the
                    # budget, else the deviation so far, and the period's sick leave
                    deviation, forecast, sick = figures.get((org["id"], period), (None, None, None))
                    if forecast is not None:
                        fill["amount"] = _amount(forecast)
                        pool = texts["economy_plus" if forecast >= 0 else "economy_minus"]
                    elif deviation is not None:
                        fill["amount"] = _amount(deviation)
                        pool = texts["economy_so_far_plus" if deviation >= 0 else "economy_so_far_minus"]
                    else:
                        pool = texts["economy_none"]
                    paragraphs = [_pick(rng, texts["vd_open_T"]), _pick(rng, pool)]
                    sick_text = _pick(rng, texts["personnel"])
                    if not small and sick is not None:  # sick leave of fewer than five people is never published
                        fill["sick"] = fmt.number(sick, 1).replace(fmt.NBSP, " ")
                        paragraphs.append(sick_text)
                    paragraphs.append(_pick(rng, texts["closing"]))
                    rows[(org["id"], period, "vd_kommentar")] = _join(paragraphs, rng, fill)
                else:
                    paragraphs = [
                        _pick(rng, texts["rapport_open"]),
                        _pick(rng, texts["rapport_goals"]),
                        _pick(rng, texts["rapport_future"]),
                    ]
                    rows[(org["id"], period, "rapportkommentar")] = "\n\n".join(p.format(**fill) for p in paragraphs)
                    if float(rng.random()) < 0.25:
                        rows[(org["id"], period, "analys")] = _pick(rng, texts["analys"]).format(**fill)
                worst = sorted(self._gaps(org["id"], self.org_indicators(org), period))
                r, variant = float(rng.random()), _pick(rng, texts["avvikelse"])
                if worst and worst[0][0] < -0.08 and r < 0.75:
                    iid = worst[0][1]
                    value = self._outcome_values[(org["id"], iid, period)]
                    target = self.applicable_target(org["id"], iid, period)
                    assert value is not None and target is not None  # _gaps keeps only indicators with both
                    rows[(org["id"], period, "avvikelse")] = variant.format(
                        indicator=self.ind[iid]["name"],
                        value=self._with_unit(iid, value),
                        target=self._with_unit(iid, target),
                    )
        rows.update(special)
        df = pd.DataFrame([(*k, v) for k, v in rows.items()], columns=list(FILES["comments"].column_names))
        return self.held_back("comments", df)

    def _with_unit(self, iid: str, value: float) -> str:
        spec = self.ind[iid]
        number = _sv(value, int(spec["decimals"]))
        return number if spec["unit"] == "antal" else f"{number} {spec['unit']}"

    # -- personnel and economy ---------------------------------------------------------------
    @staticmethod
    def _period_month_index(period: str) -> np.ndarray:
        year, code = _period_parts(period)
        first = (year - YEARS[0]) * 12
        return np.arange(first, first + int(_FRACTION[code] * 12))

    @functools.cached_property
    def personnel_arrays(self) -> dict[str, dict[str, np.ndarray]]:
        """Per organisation, monthly headcount, fte, scheduled and sick hours (2024-01 to 2026-08)."""
        n = _N_BOOKED
        season = np.arange(n) % 12
        t = np.arange(n) / 12
        out: dict[str, dict[str, np.ndarray]] = {}
        for oi, org in enumerate(self.orgs):
            if org["kind"] == "kommun":
                continue
            rng = self.rng(_S_PERSONNEL, oi)
            staff = org["staff"]
            lat = self.latent.get((org["id"], "SJUKFR"))
            base_sick = lat["base"] if lat else float(rng.uniform(3.0, 7.0))
            sick_trend = lat["change"] if lat else 0.0
            drift, fte_share = float(rng.normal(0.01, 0.02)), float(rng.uniform(0.86, 0.95))
            if staff < 5:
                head = staff + (rng.random(n) < 0.1).astype(float)
            else:
                head = np.round(staff * (1 + drift * t + rng.normal(0.0, 0.003, n)))
            fte = np.round(head * fte_share * (1 + rng.normal(0.0, 0.004, n)), 1)
            scheduled = np.round(fte * 168 * _HOURS_SEASON[season] * (1 + rng.normal(0.0, 0.01, n)))
            rate = base_sick * _SICK_SEASON[season] * (1 - sick_trend * t) * (1 + rng.normal(0.0, 0.06, n))
            sick = np.round(scheduled * np.clip(rate, 0.0, 60.0) / 100)
            out[org["id"]] = {"headcount": head, "fte": fte, "scheduled": scheduled, "sick": sick}
        boards = [out[o["id"]] for o in self.orgs if o["kind"] == "namnd"]
        for org in self.orgs:
            if org["kind"] == "kommun":  # the city's staff: all its boards together
                out[org["id"]] = {k: np.sum([b[k] for b in boards], axis=0) for k in boards[0]}
                out[org["id"]]["fte"] = np.round(out[org["id"]]["fte"], 1)
        return out

    def personnel(self) -> pd.DataFrame:
        rows = []
        for org in self.orgs:
            p = self.personnel_arrays[org["id"]]
            for i, month in enumerate(PERSONNEL_MONTHS):
                rows.append(
                    (
                        org["id"],
                        month,
                        int(p["headcount"][i]),
                        float(p["fte"][i]),
                        float(p["scheduled"][i]),
                        float(p["sick"][i]),
                    )
                )
        return pd.DataFrame(rows, columns=list(FILES["personnel"].column_names))

    @functools.cached_property
    def economy_params(self) -> dict[str, dict[str, Any]]:
        """Per organisation: budget growth, yearly deviations from budget, months without forecast."""
        out = {}
        for oi, org in enumerate(self.orgs):
            rng = self.rng(_S_ECONOMY, oi)
            plan = self.cat["ledger"][org["ledger"]]
            income_share = sum(a[2] for a in plan["income"])
            dev_cost = rng.normal(0.004, 0.018, len(YEARS))
            dev_income = rng.normal(0.0, 0.012, len(YEARS))
            no_forecast = rng.random(len(MONTHS)) < 0.04
            month_of_year = np.arange(len(MONTHS)) % 12
            no_forecast |= (month_of_year == 0) | (month_of_year == 6)  # none in January and July
            no_forecast[_N_BOOKED:] = True  # not yet made
            if org["staff"] and org["staff"] < 5:
                no_forecast[_N_BOOKED - 1] = True  # the small company missed the T2 forecast
            out[org["id"]] = {
                "growth": 0.03 + float(rng.normal(0.0, 0.01)),
                "dev_cost": dev_cost,
                "dev_income": dev_income,
                "no_forecast": no_forecast,
                "net_deviation": (dev_income * income_share - dev_cost) * org["size"],  # mnkr per year
            }
        return out

    def accounts_per_org_month(self) -> int | None:
        """Ledger rows per organisation and month when scaled (None: the plain account plan)."""
        if self.ledger_rows is None:
            return None
        return max(1, round(self.ledger_rows / (len(self.orgs) * len(MONTHS))))

    def _accounts(
        self, org: dict[str, Any], per_month: int | None, rng: np.random.Generator
    ) -> tuple[list[str], list[str], list[str], np.ndarray, np.ndarray, list[tuple[str, str, float, str]]]:
        plan = self.cat["ledger"][org["ledger"]]
        base = [(a, n, s, "intakt") for a, n, s in plan["income"]] + [(a, n, s, "kostnad") for a, n, s in plan["costs"]]
        if per_month is None:
            codes = [(a, i) for i, (a, *_) in enumerate(base)]
        else:  # cost centres: account-cccc
            centres = -(-per_month // len(base))
            codes = [(f"{a}-{cc:04d}", i) for cc in range(1, centres + 1) for i, (a, *_) in enumerate(base)]
            codes = sorted(codes[:per_month])
        base_idx = np.array([i for _, i in codes])
        weights = np.ones(len(codes)) if per_month is None else rng.lognormal(0.0, 0.4, len(codes))
        totals = np.bincount(base_idx, weights=weights, minlength=len(base))
        weights = weights / totals[base_idx]
        return (
            [c for c, _ in codes],
            [base[i][1] for i in base_idx],
            [base[i][3] for i in base_idx],
            base_idx,
            weights,
            base,
        )

    def ledger_batches(self) -> Iterator[tuple[str, list[tuple[Any, ...]]]]:
        """The ledger, one organisation at a time: (org_id, rows in key order)."""
        per_month = self.accounts_per_org_month()
        salary = set(self.cat["salary_accounts"])
        for oi, org in enumerate(self.orgs):
            rng = self.rng(_S_LEDGER, oi)
            econ = self.economy_params[org["id"]]
            codes, names, kinds, base_idx, weights, base = self._accounts(org, per_month, rng)
            n_months, n_codes = len(MONTHS), len(codes)
            year = np.arange(n_months) // 12
            shares = np.array([b[2] for b in base])[base_idx]
            is_salary = np.array([base[i][0] in salary for i in base_idx])
            is_income = np.array([k == "intakt" for k in kinds])
            season = np.where(is_salary[None, :], _SALARY_SEASON[np.arange(n_months) % 12][:, None], 1.0)
            annual = org["size"] * 1e6 * (1 + econ["growth"]) ** year[:, None] * shares[None, :] * weights[None, :]
            budget = np.round(annual * season / 12)
            deviation = np.where(is_income[None, :], econ["dev_income"][year][:, None], econ["dev_cost"][year][:, None])
            outcome = np.round(budget * (1 + deviation + rng.normal(0.0, 0.05, (n_months, n_codes))))
            outcome[_N_BOOKED:] = 0.0  # for the forecast below: nothing booked yet
            forecast = np.empty_like(outcome)
            for y in range(len(YEARS)):
                sl = slice(12 * y, 12 * y + 12)
                booked = np.cumsum(outcome[sl], axis=0)
                remaining = budget[sl].sum(axis=0) - np.cumsum(budget[sl], axis=0)
                forecast[sl] = np.round(booked + remaining * (1 + 0.8 * deviation[sl]))
            org_id = org["id"]
            # Months not yet booked have an empty outcome (never 0), and no forecast either.
            through = self.booked_through.get(org_id, LAST_BOOKED_MONTH)
            empty = repeat(None)
            rows: list[tuple[Any, ...]] = []
            for m, month in enumerate(MONTHS):
                unbooked = month > through
                fc = repeat(None) if econ["no_forecast"][m] or unbooked else forecast[m].tolist()
                out = empty if unbooked else outcome[m].tolist()
                rows.extend(zip(repeat(org_id), repeat(month), codes, names, kinds, out, budget[m].tolist(), fc))
            yield org_id, rows

    # -- the reporting round -----------------------------------------------------------------
    @property
    def round(self) -> dict[str, Any]:
        """The catalogue's ``[round]``: people, the latest period's states, late bookings."""
        return self.cat["round"]

    @functools.cached_property
    def booked_through(self) -> dict[str, str]:
        """Organisations whose last months of 2026 are not yet booked: org_id -> the last booked month."""
        return dict(self.round.get("late_booking", {}))

    def held_back(self, name: str, df: pd.DataFrame) -> pd.DataFrame:
        """A reporting file without what has not been reported yet for the latest period.

        The organisations that have not started (``not_started``) have nothing for it; the partly
        reported ones (``partly_reported``) lack their VD-kommentar and the outcomes of two indicators.
        """
        rnd = self.round
        none, partly = set(rnd["not_started"]), set(rnd["partly_reported"])
        none |= {o["id"] for o in self.orgs[self.n_catalogue :] if o["latest"] == "ej_paborjad"}
        latest = df["period"] == LATEST_PERIOD
        if name == "activity_status":
            owner = df["activity_id"].str.rsplit("-", n=1).str[0]
        else:
            owner = df["org_id"]
        drop = latest & owner.isin(none)
        if name == "comments":
            drop |= latest & owner.isin(partly) & (df["kind"] == "vd_kommentar")
        elif name == "outcomes":
            for org_id in partly:
                org = self.orgs[self.org_index[org_id]]
                tertial = [i for i in self.org_indicators(org) if self.ind[i]["frequency"] == "tertial"][:2]
                drop |= latest & (owner == org_id) & df["indicator_id"].isin(tertial)
        return df[~drop].reset_index(drop=True)

    def deadlines(self) -> pd.DataFrame:
        """The city's calendar: every period's deadline, the companies' own, and the next annual report's."""
        rows = []
        for period in (*REPORT_PERIODS, f"{YEARS[-1]}-BO"):
            year, code = _period_parts(period)
            for kind, (dy, month, day) in _CALENDAR[code].items():
                rows.append((period, kind, dt.date(year + dy, month, day).isoformat()))
        return pd.DataFrame(rows, columns=list(FILES["deadlines"].column_names))

    def deadline(self, period: str, kind: str | None) -> dt.date:
        """The deadline of ``period`` for an organisation of ``kind`` (the kind's own before every kind's)."""
        year, code = _period_parts(period)
        dy, month, day = _CALENDAR[code].get(kind) or _CALENDAR[code][None]
        return dt.date(year + dy, month, day)

    def _login(self, first: str, last: str) -> tuple[str, str]:
        """(Windows login, e-mail address) of an invented person: ``MALARVIK\\karber``, ``karin.berg@...``."""
        plain = str.maketrans("åäöéÅÄÖÉ", "aaoeAAOE")
        f, la = first.translate(plain).lower(), last.translate(plain).lower()
        return f"{self.round['domain']}\\{f[:3]}{la[:3]}", f"{f}.{la}@{self.round['mail_domain']}"

    def users(self, builder: str | None = None) -> pd.DataFrame:
        """Reporters, controllers, readers and admins (see the catalogue's ``[round]``), and ``builder`` as admin."""
        from .rights import os_user

        rnd = self.round
        first, last = rnd["first_names"], rnd["last_names"]
        rows: list[tuple[str, str, str | None, str, str | None, str | None]] = []
        people = {}
        for n, name in enumerate(self.cat["controllers"]):
            f, la = name.split(" ", 1)
            people[n] = (name, *self._login(f, la))
        catalogue_orgs = self.orgs[: self.n_catalogue]
        for org in catalogue_orgs:  # the controller of each organisation, one row each
            name, login, mail = people[org["controller"]]
            rows.append((login, name, mail, "controller", org["id"], None))
        shared = rnd["shared_reporter"]
        for i, org in enumerate(catalogue_orgs):
            org_id = org["id"]
            if org_id in rnd["no_reporter"]:
                continue
            j = self.org_index[shared[0]] if org_id in shared else i
            login, mail = self._login(first[j], last[j])
            rows.append((login, f"{first[j]} {last[j]}", mail, "reporter", org_id, None))
            if org_id in rnd["second_reporter_without_email"]:
                f2, l2 = first[(i + 16) % len(first)], last[(i + 7) % len(last)]
                rows.append((self._login(f2, l2)[0], f"{f2} {l2}", None, "reporter", org_id, None))
            if org_id in rnd["expired_reporter"]:
                f3, l3 = first[(i + 5) % len(first)], last[(i + 11) % len(last)]
                login3, mail3 = self._login(f3, l3)
                rows.append((login3, f"{f3} {l3}", mail3, "reporter", org_id, "2026-06-30"))
        rows += self._grown_users(rows)
        domain, mail_domain = rnd["domain"], rnd["mail_domain"]
        rows += [
            (f"{domain}\\revision", "Stadsrevisionen", f"revision@{mail_domain}", "reader", None, None),
            (f"{domain}\\kansli", "Politiska sekretariatet", None, "reader", None, None),
            (f"{domain}\\ilsadmin", "Systemförvaltare ILS", f"ils@{mail_domain}", "admin", None, None),
            (builder or os_user(), "Den som byggde demon", None, "admin", None, None),
        ]
        logins = [(r[0], r[3], r[4]) for r in rows]
        assert len(set(logins)) == len(logins), "two users rows with the same key"
        return pd.DataFrame(rows, columns=list(FILES["users"].column_names))

    def _grown_users(
        self, rows: list[tuple[str, str, str | None, str, str | None, str | None]]
    ) -> list[tuple[str, str, str | None, str, str | None, str | None]]:
        """The added organisations' controller and reporter rows (:func:`grown_organisations`).

        A person's login and address are made as for the catalogue's people; when another person
        already has them, a number is added (``MALARVIK\\karber2``, ``karin.berg2@...``), as a city does.
        """
        by_login = {r[0]: r[1] for r in rows}
        by_mail = {r[2]: r[1] for r in rows if r[2]}
        known: dict[str, tuple[str, str]] = {}

        def person(name: str) -> tuple[str, str]:
            if name not in known:
                f, la = name.split(" ", 1)
                login, mail = self._login(f, la)
                local, at = mail.split("@")
                n = 1
                while (
                    by_login.get(login + (str(n) if n > 1 else ""), name) != name
                    or by_mail.get(f"{local}{n if n > 1 else ''}@{at}", name) != name
                ):
                    n += 1
                suffix = str(n) if n > 1 else ""
                known[name] = (login + suffix, f"{local}{suffix}@{at}")
                by_login[known[name][0]], by_mail[known[name][1]] = name, name
            return known[name]

        out: list[tuple[str, str, str | None, str, str | None, str | None]] = []
        for org in self.orgs[self.n_catalogue :]:
            name = self.controllers[org["controller"]]
            login, mail = person(name)
            out.append((login, name, mail, "controller", org["id"], None))
        for org in self.orgs[self.n_catalogue :]:
            for name in org["reporters"]:
                login, mail = person(name)
                out.append((login, name, mail, "reporter", org["id"], None))
        return out

    def latest_states(self) -> dict[str, str]:
        """Where each organisation's reporting of the latest period stands (the catalogue's ``[round]``)."""
        rnd = self.round
        out = {}
        for org in self.orgs:
            o = org["id"]
            if "latest" in org:  # an added organisation (grown_organisations)
                out[o] = org["latest"]
            elif o in rnd["not_started"]:
                out[o] = "ej_paborjad"
            elif o in rnd["in_progress"]:
                out[o] = "pagaende"
            elif o in rnd["ready"]:
                out[o] = "klar"
            else:
                out[o] = "godkand"
        return out

    # -- everything ----------------------------------------------------------------------------
    def tables(
        self, *, ledger: bool = True, comments: bool = True, builder: str | None = None
    ) -> dict[str, pd.DataFrame]:
        """Every contract file as a DataFrame (the ledger only when asked, it can be large).

        The comments quote computed figures: with ``comments`` they are computed here from the
        generated tables (an in-memory warehouse; this needs the ledger); :func:`build` writes the
        other tables first and computes them from the warehouse it builds. ``builder`` is the login
        named an admin in ``users`` beside the demo's own people (default: the operating-system user).
        """
        activities, status = self.activity_tables
        out = {
            "organisations": self.organisations(),
            "goals": self.goals(),
            "indicators": self.indicators(),
            "targets": self.targets(),
            "outcomes": self.held_back("outcomes", self.outcomes()),
            "activities": activities,
            "activity_status": self.held_back("activity_status", status),
            "assessments": self.held_back("assessments", self.assessments()),
            "personnel": self.personnel(),
            "deadlines": self.deadlines(),
            "users": self.users(builder),
        }
        if ledger or comments:
            columns = list(FILES["ledger"].column_names)
            out["ledger"] = pd.DataFrame([r for _, rows in self.ledger_batches() for r in rows], columns=columns)
        if comments:
            with connect("sqlite:///:memory:", create=True, check_schema=False) as wh:
                init_schema(wh)
                for name in ("organisations", "ledger", "personnel"):
                    store.write(wh, name, out[name], replace=False)
                out["comments"] = self.comments(text_figures(wh))
        if not ledger:
            out.pop("ledger", None)
        return {name: out[name] for name in LOAD_ORDER if name in out}


#: (org_id, period) -> (budget deviation, full-year forecast deviation, sick leave %), each None when
#: the report has none: what a head's comment may quote.
TextFigures = dict[tuple[str, str], tuple[float | None, float | None, float | None]]


def text_figures(wh: Warehouse) -> TextFigures:
    """The figures the demo's comments quote, computed by :mod:`ilslib.figures` as the reports compute them."""
    from . import figures
    from .periods import Period

    out: TextFigures = {}
    for period in REPORT_PERIODS:
        p = Period.parse(period)
        if not p.is_tertial:
            continue
        econ = figures.economy(wh, p)
        pers = figures.personnel(wh, p)
        for org_id in econ.index:
            e = econ.loc[org_id]
            sick = pers.loc[org_id, "sick_leave_pct"] if org_id in pers.index else None
            deviation, forecast, sick_pct = (
                None if v is None or v != v else float(v) for v in (e["deviation"], e["forecast_deviation"], sick)
            )
            out[(org_id, period)] = (deviation, forecast, sick_pct)
    return out


def _amount(amount: float) -> str:
    """An amount as a person writes it in a comment: ``55,6 mnkr`` from a million, else ``611 kr``, ``58 tkr``."""
    a = abs(amount)
    shown = f"{fmt.number(a / 1e6, 1)} mnkr" if a >= 1e6 else fmt.amount(a)
    return shown.replace(fmt.NBSP, " ")


def _count(n: int) -> str:
    return f"{n:,d}".replace(",", " ")


def _period_name(period: str) -> str:
    from .periods import Period

    return Period.parse(period).title.lower().replace("tertialrapport", "tertial")


def _join(paragraphs: list[str], rng: np.random.Generator, fill: dict[str, Any]) -> str:
    """Sentences into one text; sometimes in two paragraphs (so texts with newlines occur)."""
    texts = [p.format(**fill) for p in paragraphs]
    if float(rng.random()) < 0.3 and len(texts) > 2:
        return " ".join(texts[:2]) + "\n\n" + " ".join(texts[2:])
    return " ".join(texts)


def generate(seed: int = 2026, ledger_rows: int | None = None, orgs: int | None = None) -> dict[str, pd.DataFrame]:
    """The demo's content as one DataFrame per contract file (without writing anything).

    Meant for tests and small demos; for a large ``ledger_rows`` use :func:`build`,
    which streams the ledger into the warehouse. ``orgs``: the demo grown to that many
    organisations (see :func:`build`).
    """
    return _Demo(seed, ledger_rows, orgs).tables()


# -- the warehouse side -----------------------------------------------------------------------


def demo_seed(wh: Warehouse) -> int | None:
    """The seed the warehouse's demo was built with, or None when it is not a demo warehouse."""
    if not wh.has_table("ils_meta"):
        return None
    value = wh.scalar("SELECT value FROM ils_meta WHERE name = ?", (META_SEED,))
    return int(value) if value is not None else None


def check_replaceable(wh: Warehouse) -> None:
    """Raise :class:`WarehouseError` unless the warehouse is empty or holds only the demo."""
    if demo_seed(wh) is not None:
        foreign = (
            wh.scalar(
                "SELECT COUNT(*) FROM ils_load WHERE outcome = ? AND (source IS NULL OR source NOT LIKE ?)",
                ("ok", LOAD_SOURCE + "%"),
            )
            if wh.has_table("ils_load")
            else 0
        )
        if foreign:
            raise WarehouseError(
                f"the warehouse {wh.url} is a demo warehouse into which other data has been loaded "
                f"({foreign} load(s)): 'ils demo' will not overwrite it; use another --warehouse"
            )
        return
    filled = [
        name
        for name in LOAD_ORDER
        if wh.has_table(FILES[name].table) and wh.scalar(f"SELECT COUNT(*) FROM {FILES[name].table}")
    ]
    if filled:
        raise WarehouseError(
            f"the warehouse {wh.url} holds data that is not the demo ({', '.join(filled)}): "
            "'ils demo' only replaces a demo warehouse; give an empty or demo database with --warehouse"
        )


def _clear(wh: Warehouse) -> None:
    # the round's bookkeeping goes with the demo's data (a demo warehouse holds nothing else)
    wh.execute("DELETE FROM ils_event")
    wh.execute("DELETE FROM ils_round_state")
    for name in reversed(LOAD_ORDER):
        table = FILES[name].table
        if name == "ledger" and wh.dialect != "sqlite":
            wh.execute(f"TRUNCATE TABLE {table}")  # SQLite truncates a DELETE without WHERE itself
        else:
            wh.execute(f"DELETE FROM {table}")
    wh.execute(
        "DELETE FROM ils_load_file WHERE load_id IN (SELECT load_id FROM ils_load WHERE source LIKE ?)",
        (LOAD_SOURCE + "%",),
    )
    wh.execute("DELETE FROM ils_load WHERE source LIKE ?", (LOAD_SOURCE + "%",))
    wh.execute("DELETE FROM ils_meta WHERE name IN (?, ?, ?)", (META_SEED, META_LEDGER_ROWS, META_ORGS))


def _load_record(
    seed: int, ledger_rows: int | None, counts: dict[str, int], started_at: str, orgs: int | None = None
) -> store.LoadRecord:
    """The demo build as a load in ``ils_load``: one "file" per contract file.

    There are no files, so the checksum fingerprints what determines the
    content: the catalogue, the library version, the seed, the ledger size and
    the number of organisations.
    """
    from . import __version__

    source = f"{LOAD_SOURCE} --seed {seed}" + (f" --ledger-rows {ledger_rows}" if ledger_rows else "")
    data = resources.files("ilslib").joinpath("data/demo.toml").read_bytes()
    if orgs is not None:
        source += f" --orgs {orgs}"
        data += resources.files("ilslib").joinpath("data/demo_scale.toml").read_bytes()
    catalogue_sha = hashlib.sha256(data).hexdigest()
    files = []
    for name in LOAD_ORDER:
        n = counts.get(name, 0)  # the demo has no users or deadlines (contract files new in version 2)
        fingerprint = f"{source}|ilslib {__version__}|demo.toml {catalogue_sha}|{name}|{n}"
        files.append(store.FileRecord(f"{name} (generated)", hashlib.sha256(fingerprint.encode()).hexdigest(), n, n, 0))
    return store.LoadRecord(
        source=source,
        outcome="ok",
        started_at=started_at,
        message=f"demo warehouse generated (seed {seed})",
        files=files,
    )


def _at(day: dt.date, minutes: int) -> str:
    """A time on ``day`` (UTC, in working hours), as events store it."""
    return (
        dt.datetime(day.year, day.month, day.day, 7, 0, tzinfo=dt.UTC)
        .replace(hour=7 + minutes // 60 % 9, minute=minutes % 60)
        .isoformat(timespec="milliseconds")
    )


#: When the latest period's round happened: loads, ready marks and approvals on these days (all before
#: 2026-11-27, the demo's "today").
_LATEST_DAYS = {"load": dt.date(2026, 11, 2), "ready": dt.date(2026, 11, 13), "approve": dt.date(2026, 11, 20)}


def play_round(wh: Warehouse, demo: _Demo, load_id: str | None = None) -> int:
    """Play the reporting round of every demo period through :mod:`ilslib.round.state`; return the events.

    Every organisation with reporting data in a period gets the load recorded
    (``pagaende``); every period before the latest is then marked ready and
    approved for every organisation; the latest period's states are the
    catalogue's mix (:meth:`_Demo.latest_states`). The times are those of a
    round played by the calendar (deadlines in ``deadlines``), so ``ils log``
    and the status page read as a real history. The person recorded is the
    login that builds the demo (an admin in ``users``).
    """
    from .round import state as rs

    kinds = {o["id"]: o["kind"] for o in demo.orgs}
    latest = demo.latest_states()
    for i, period in enumerate(REPORT_PERIODS):
        reported = rs.states(wh, period)
        for n, org_id in enumerate(sorted(reported)):
            minutes = (n * 37 + i * 11) % 480
            if period == LATEST_PERIOD:
                goal = latest[org_id]
                days = {k: d + dt.timedelta(days=(n * 3) % 6) for k, d in _LATEST_DAYS.items()}
            else:
                goal = "godkand"
                due = demo.deadline(period, kinds[org_id])
                days = {
                    "load": due - dt.timedelta(days=12 - n % 6),
                    "ready": due - dt.timedelta(days=4 - n % 4),
                    "approve": due + dt.timedelta(days=2 + n % 5),
                }
            if reported[org_id] == "pagaende":
                rs.after_load(wh, [(org_id, period)], load_id=load_id, at=_at(days["load"], minutes))
            if goal in ("klar", "godkand"):
                rs.mark_ready(wh, org_id, period, at=_at(days["ready"], minutes + 5), with_missing=False)
            if goal == "godkand":
                rs.approve(wh, org_id, period, at=_at(days["approve"], minutes + 9), with_missing=False)
    return int(wh.scalar("SELECT COUNT(*) FROM ils_event"))


def attribute_round(wh: Warehouse, users: pd.DataFrame) -> None:
    """Who did what in the demo's history: each organisation's loads and ready marks by its reporter, its
    approvals by its controller, as in a real round where every person logs in as themselves.

    The demo is built by one login, which :func:`play_round` records; internal control's review would
    otherwise see that one person mark ready and approve every organisation. An organisation without an
    active reporter keeps the builder.
    """
    active = users[users["valid_to"].isna() | users["valid_to"].eq("")]

    def first(role: str) -> dict[str, str]:
        rows = active[active["role"] == role].drop_duplicates("org_id")
        return dict(zip(rows["org_id"], rows["user_id"], strict=True))

    reporter, controller = first("reporter"), first("controller")
    for action, who in (("load", reporter), ("ready", reporter), ("approve", controller)):
        wh.executemany(
            "UPDATE ils_event SET user_name = ? WHERE action = ? AND org_id = ?",
            [(user, action, org) for org, user in who.items()],
        )
    wh.executemany(
        "UPDATE ils_round_state SET changed_by = ? WHERE org_id = ? AND state <> 'godkand'",
        [(user, org) for org, user in reporter.items()],
    )
    wh.executemany(
        "UPDATE ils_round_state SET changed_by = ? WHERE org_id = ? AND state = 'godkand'",
        [(user, org) for org, user in controller.items()],
    )


def ledger_indexes(dialect: str) -> list[tuple[str, str]]:
    """(index name, CREATE INDEX statement) of the ledger, exactly as :mod:`ilslib.schema` defines them."""
    out = []
    for stmt in ddl(dialect):
        words = stmt.split()
        if words[:2] == ["CREATE", "INDEX"] and words[4] == FILES["ledger"].table:
            out.append((words[2], stmt))
    return out


def _drop_index(wh: Warehouse, name: str) -> None:
    on = f" ON {FILES['ledger'].table}" if wh.dialect == "mssql" else ""
    wh.execute(f"DROP INDEX {name}{on}")


def build(
    url: str | None = None,
    *,
    seed: int = 2026,
    ledger_rows: int | None = None,
    orgs: int | None = None,
    progress: Progress | None = None,
    tracer: Tracer | None = None,
) -> dict[str, Any]:
    """Build the demo warehouse at ``url`` (default: the embedded demo) and return its summary.

    Creates the database and schema when needed, removes any previous demo
    content and writes the new content in one transaction. Refuses (with a
    :class:`WarehouseError`) a warehouse that holds data other than the demo.
    ``ledger_rows`` scales the ledger to about that many rows (default: the plain
    account plan, about 17 000 rows). ``orgs`` grows the city to that many organisations
    (default: the catalogue's 32): districts with their boards and companies
    (``ilslib/data/demo_scale.toml``), each with goals, figures, texts and people like
    the catalogue's. ``progress`` is called with a line per step.
    """
    say = progress or (lambda _line: None)
    demo = _Demo(seed, ledger_rows, orgs)
    started = time.monotonic()

    def step(text: str) -> None:
        say(f"[{time.monotonic() - started:6.1f} s] {text}")

    target = url or config.demo_url()
    started_at = store.now_utc()
    with connect(target, create=True, check_schema=False, tracer=tracer) as wh:
        init_schema(wh)
        check_replaceable(wh)
        step(f"generating the demo (seed {seed})")
        from .rights import login

        tables = demo.tables(ledger=False, comments=False, builder=login(wh))
        with wh.transaction():
            _clear(wh)
            for name, frame in tables.items():
                store.write(wh, name, frame, replace=False)
                step(f"{name}: {_count(len(frame))} rows")
            indexes = ledger_indexes(wh.dialect)
            for name, _ in indexes:  # a bulk insert is much faster without them
                _drop_index(wh, name)
            columns = list(FILES["ledger"].column_names)
            total = 0
            for i, (org_id, rows) in enumerate(demo.ledger_batches(), 1):
                total += store.insert_tuples(wh, "ledger", columns, rows)
                if ledger_rows is not None or i == len(demo.orgs):
                    step(f"ledger: {i}/{len(demo.orgs)} organisations ({org_id}), {_count(total)} rows")
            for name, stmt in indexes:
                step(f"ledger: creating index {name}")
                wh.execute(stmt)
            # the comments quote the figures the reports will show: computed from what was just written
            tables["comments"] = demo.comments(text_figures(wh))
            store.write(wh, "comments", tables["comments"], replace=False)
            step(f"comments: {_count(len(tables['comments']))} rows")
            meta = [(META_SEED, str(seed)), (META_LEDGER_ROWS, str(total))]
            wh.executemany(
                "INSERT INTO ils_meta (name, value) VALUES (?, ?)",
                meta + ([(META_ORGS, str(orgs))] if orgs is not None else []),
            )
            counts = {name: len(frame) for name, frame in tables.items()} | {"ledger": total}
            record = _load_record(seed, ledger_rows, counts, started_at, orgs)
            record.load_id = store.new_load_id()
            events = play_round(wh, demo, record.load_id)
            attribute_round(wh, tables["users"])
            step(f"reporting round: {_count(events)} events")
            store.record_load(wh, record)
        if ledger_rows is not None and wh.dialect == "sqlite":
            wh.execute("ANALYZE")
        step("done")
        return inventory.summary(wh)
