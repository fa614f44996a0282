"""Hand-made datasets for the figure tests (imported by the other ``test_figures_*`` modules).

Small enough to compute every expected figure by hand; written through
``ilslib.store.write`` exactly as a load would, on every backend. Text has
åäö, quotes and markup on purpose.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ilslib import store

ORGS = [
    # org_id, name, kind, parent_id, controller
    ("K", "Staden", "kommun", None, None),
    ("N1", 'Nämnd "Ett" & <Två>', "namnd", "K", "Åsa Öberg"),
    ("N2", "Östermalms stadsdelsnämnd", "namnd", "K", None),
    ("N3", "Nämnd tre", "namnd", "K", None),
    ("N4", "Nämnd fyra", "namnd", "K", None),
    ("N5", "Nämnd fem", "namnd", "K", None),
    ("N6", "Nämnd sex", "namnd", "K", None),
    ("KC", "Stadshus AB", "koncern", "K", None),
    ("B1", "Bostadsbolaget AB", "bolag", "KC", None),
    ("E1", "Enhet ett", "enhet", "N1", None),
]

GOALS = [
    # goal_id, org_id, level, parent_goal_id, title, first_year, last_year
    ("V", "K", "vision", None, "En stad för alla", None, None),
    ("I1", "K", "inriktningsmal", "V", "En hållbar stad", None, None),
    ("KF1", "K", "kf_mal", "I1", "Trygga äldre", None, None),
    ("KF2", "K", "kf_mal", "I1", "Goda skolor", None, None),
    ("KFOLD", "K", "kf_mal", "I1", "Avslutat mål", 2020, 2024),
    ("N1G1", "N1", "namndmal", "KF1", "Äldre känner sig trygga", None, None),
    ("N1G2", "N1", "namndmal", "KF2", "Fler elever når målen", None, None),
    ("N2G1", "N2", "namndmal", "KF1", "Trygg hemtjänst", None, None),
    ("N2G2", "N2", "namndmal", "N2G1", "Kontinuitet i hemtjänsten", None, None),
    ("B1G1", "B1", "bolagsmal", "KF1", "Trygga bostäder", None, None),
]


def write(wh: Any, file_name: str, rows: list[dict[str, Any]]) -> None:
    """Write rows (dicts with contract column names) through the store, as a load does."""
    store.write(wh, file_name, pd.DataFrame(rows, dtype=object))


def base(wh: Any) -> None:
    """Organisations and the goal tree."""
    write(
        wh,
        "organisations",
        [dict(zip(("org_id", "name", "kind", "parent_id", "controller"), r, strict=True)) for r in ORGS],
    )
    write(
        wh,
        "goals",
        [
            dict(
                zip(
                    ("goal_id", "org_id", "level", "parent_goal_id", "title", "first_year", "last_year"), r, strict=True
                )
            )
            for r in GOALS
        ],
    )


def indicator(
    wh: Any,
    indicator_id: str,
    direction: str = "higher",
    frequency: str = "tertial",
    unit: str = "%",
    decimals: int = 1,
    source: str = "own",
    name: str | None = None,
) -> None:
    write(
        wh,
        "indicators",
        [
            {
                "indicator_id": indicator_id,
                "name": name or f"Indikator {indicator_id}",
                "unit": unit,
                "direction": direction,
                "frequency": frequency,
                "source": source,
                "decimals": decimals,
            }
        ],
    )


def target(
    wh: Any,
    org_id: str,
    indicator_id: str,
    year: int,
    value: float,
    period_type: str | None = None,
    partial_limit: float | None = None,
    goal_id: str | None = None,
) -> None:
    write(
        wh,
        "targets",
        [
            {
                "org_id": org_id,
                "indicator_id": indicator_id,
                "year": year,
                "period_type": period_type,
                "target": value,
                "partial_limit": partial_limit,
                "goal_id": goal_id,
            }
        ],
    )


def outcome(
    wh: Any,
    org_id: str,
    indicator_id: str,
    period: str,
    value: float | None,
    gender: str = "T",
    comment: str | None = None,
) -> None:
    write(
        wh,
        "outcomes",
        [
            {
                "org_id": org_id,
                "indicator_id": indicator_id,
                "period": period,
                "value": value,
                "gender": gender,
                "comment": comment,
            }
        ],
    )


def ledger_rows(
    org_id: str,
    year: int,
    months: range,
    account: str,
    kind: str,
    outcome: float,
    budget: float,
    forecast: float | None = None,
) -> list[dict[str, Any]]:
    return [
        {
            "org_id": org_id,
            "month": f"{year}-{m:02d}",
            "account": account,
            "account_name": f"Konto {account}",
            "kind": kind,
            "outcome": outcome,
            "budget": budget,
            "forecast": forecast,
        }
        for m in months
    ]


def personnel_rows(org_id: str, year: int, rows: dict[int, tuple[int, float, float, float]]) -> list[dict]:
    """``{month: (headcount, fte, scheduled_hours, sick_hours)}``."""
    return [
        {"org_id": org_id, "month": f"{year}-{m:02d}", "headcount": h, "fte": f, "scheduled_hours": s, "sick_hours": k}
        for m, (h, f, s, k) in rows.items()
    ]


def test_base_dataset_is_stored_exactly(wh: Any) -> None:
    """The builders store text exactly as given, on every backend."""
    base(wh)
    name = wh.scalar("SELECT name FROM v_organisation WHERE org_id = ?", ("N1",))
    assert name == 'Nämnd "Ett" & <Två>'
    assert wh.scalar("SELECT COUNT(*) FROM v_goal") == len(GOALS)


def scenario(wh: Any) -> None:
    """A small but complete city for 2025-2026: every file, for the group and export tests.

    Indicator ``IH`` (higher, tertial) for the boards in 2026-BO: N1 80, N2 90,
    N3 90, N4 70, N5 target only (missing), N6 nothing (not applicable).
    """
    base(wh)
    indicator(wh, "IH", "higher", "tertial", name="Andel nöjda brukare", source="KF")
    indicator(wh, "IL", "lower", "tertial", name="Väntetid <dagar>", unit="dagar")
    indicator(wh, "IA", "higher", "annual", name="Årligt index", unit="index", decimals=0)
    indicator(wh, "IX", "higher", "annual", name="Ej använd")
    for org, v in (("N1", 80), ("N2", 90), ("N3", 90), ("N4", 70)):
        target(wh, org, "IH", 2026, 85, goal_id="KF1" if org != "N1" else "N1G1")
        outcome(wh, org, "IH", "2026-BO", v)
    target(wh, "N5", "IH", 2026, 85)
    # N1: the indicators of its goals
    target(wh, "N1", "IL", 2026, 10, goal_id="N1G1")
    target(wh, "N1", "IA", 2026, 100, goal_id="N1G1")
    target(wh, "N1", "IH", 2026, 75, "T2", goal_id="N1G1")
    outcome(wh, "N1", "IL", "2026-BO", 20)  # ej_uppfyllt
    outcome(wh, "N1", "IA", "2026-BO", 50)  # ej_uppfyllt
    outcome(wh, "N1", "IH", "2026-T2", 70, comment="Under målet: <b>åtgärder</b> pågår")
    outcome(wh, "N1", "IH", "2026-T2", 75, gender="K")
    outcome(wh, "N1", "IH", "2026-T2", 65, gender="M")
    outcome(wh, "N1", "IH", "2026-T1", 60)
    outcome(wh, "N1", "IH", "2025-T2", 50)
    outcome(wh, "N1", "IH", "2025-BO", 60)
    outcome(wh, "N1", "IL", "2026-T2", 12)
    outcome(wh, "N1", "IL", "2026-T1", 14)
    write(
        wh,
        "assessments",
        [
            {
                "org_id": "N1",
                "goal_id": "N1G1",
                "period": "2026-BO",
                "assessment": "uppfyllt",
                "comment": "Vi bedömer att målet är uppfyllt & mer <script>alert(1)</script>",
            },
            {"org_id": "N1", "goal_id": "KF1", "period": "2026-BO", "assessment": "uppfyllt", "comment": None},
            {"org_id": "N1", "goal_id": "N1G2", "period": "2026-BO", "assessment": "delvis", "comment": "Delvis."},
            {"org_id": "N2", "goal_id": "N2G1", "period": "2026-BO", "assessment": "ej_uppfyllt", "comment": None},
            {"org_id": "N2", "goal_id": "N2G2", "period": "2026-BO", "assessment": "uppfyllt", "comment": None},
            {"org_id": "N4", "goal_id": "KF2", "period": "2026-BO", "assessment": None, "comment": "Ej bedömt än"},
            {"org_id": "B1", "goal_id": "B1G1", "period": "2026-BO", "assessment": "uppfyllt", "comment": None},
        ],
    )
    write(
        wh,
        "activities",
        [
            {
                "activity_id": "A1",
                "org_id": "N1",
                "goal_id": "N1G1",
                "title": "Trygghetsvandringar",
                "source": "own",
                "start_date": "2026-01-01",
                "end_date": "2026-12-31",
            },
            {
                "activity_id": "A2",
                "org_id": "N1",
                "goal_id": "KF1",
                "title": "KF:s uppdrag",
                "source": "KF",
                "start_date": None,
                "end_date": None,
            },
            {
                "activity_id": "A3",
                "org_id": "N1",
                "goal_id": None,
                "title": "Avslutad 2024",
                "source": "own",
                "start_date": "2023-01-01",
                "end_date": "2024-12-31",
            },
            {
                "activity_id": "A4",
                "org_id": "N2",
                "goal_id": None,
                "title": "Annan nämnd",
                "source": "own",
                "start_date": None,
                "end_date": None,
            },
        ],
    )
    write(
        wh,
        "activity_status",
        [
            {"activity_id": "A1", "period": "2026-BO", "status": "genomford", "comment": 'Klart "i tid"'},
            {"activity_id": "A1", "period": "2026-T2", "status": "paborjad", "comment": None},
        ],
    )
    write(
        wh,
        "comments",
        [
            {
                "org_id": "N1",
                "period": "2026-BO",
                "kind": "rapportkommentar",
                "text": "Året i korthet:\nbra & <bättre>",
            },
            {"org_id": "N1", "period": "2026-BO", "kind": "avvikelse", "text": "Väntetiderna ökade."},
            {"org_id": "N1", "period": "2026-T2", "kind": "vd_kommentar", "text": "Tertialen."},
        ],
    )
    rows = []
    for org, inc, cost in (("N1", 100, 90), ("N2", 50, 50), ("N3", 10, 12), ("N4", 20, 10)):
        rows += ledger_rows(org, 2026, range(1, 13), "3010", "intakt", inc, 100, 1200)
        rows += ledger_rows(org, 2026, range(1, 13), "4010", "kostnad", cost, 95, 1100)
    write(wh, "ledger", rows)
    staff = personnel_rows("N1", 2026, {m: (12, 11.5, 1600, 80) for m in range(1, 13)})
    staff += personnel_rows("N2", 2026, {m: (3, 3.0, 480, 48) for m in range(1, 13)})
    staff += personnel_rows("N3", 2026, {m: (8, 8.0, 1280, 32) for m in range(1, 13)})
    write(wh, "personnel", staff)
