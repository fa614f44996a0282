# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ils)
#     language: python
#     name: ils
# ---

# %% [markdown]
# <!-- Organisationens rapport: analys och måluppfyllelse för en organisation och en period.
#      Körs av `ils run --period P --org ID`. Bara presentation: varje siffra kommer från ilslib. -->

# %% tags=["parameters"]
# Parametrar (papermill). Lagret kommer från miljön (ILS_WAREHOUSE), aldrig härifrån.
org_id = "IDN"
period = "latest"
top_accounts = 8
trend_indicators = 6

# %%
import datetime as _dt

import ilslib
from ilslib import figures as f
from ilslib import fmt
from ilslib.report import charts
from ilslib.report import tables as t
from ilslib.report.present import paragraph, publish_meta, section, show, text_block

wh = ilslib.connect()
per = f.as_period(wh, period)
org = f.organisation(wh, org_id)
is_budget = per.code == "BU"
is_annual = per.code == "BO"
title = f"{per.title} – {org.name}"
figures = f.figures_json(wh, org_id, per)
ind = f.indicators(wh, org_id, per)
goals = f.goals(wh, org_id, per)
tree = f.goal_tree(wh, org_id, per)
acts = f.activities(wh, org_id, per)
txt = f.texts(wh, org_id, per)
econ = figures["economy"]
pers = figures["personnel"]
counts = t.status_counts(ind["status"]) if not is_budget else {}
own_goals = goals[goals["own"] & ~goals["level"].isin(["vision", "inriktningsmal"])]  # the goals it judges
judged = t.status_counts(own_goals["assessment"]) if not is_budget else {}
publish_meta(title=title, figures=figures, summary=counts)

# %%
show(t.cover(org, per, _dt.date.today()))

# %% [markdown]
# ## Sammanfattning

# %%
if is_budget:
    show(
        paragraph(f"Budgeten för {per.year}: {len(own_goals)} egna mål, {len(ind)} indikatorer med mål "
                  f"och {len(acts)} aktiviteter."),
        t.kpis([("Budgeterade intäkter", fmt.money(econ["budget_income"])),
                ("Budgeterade kostnader", fmt.money(econ["budget_costs"])),
                ("Budgeterat nettoresultat", fmt.money(econ["budget_net"]))]),
    )
else:
    headline = [
        ("Indikatorer uppfyllda", f"{counts['uppfyllt']} av {len(ind)}"),
        ("Delvis uppfyllda", str(counts["delvis"])),
        ("Ej uppfyllda", str(counts["ej_uppfyllt"])),
        ("Mål bedömda uppfyllda", f"{judged['uppfyllt']} av {len(own_goals)}"),
        ("Budgetavvikelse", fmt.money(econ["deviation"])),
    ]
    if per.is_tertial:  # the year is not over: the full-year forecast matters
        headline.append(("Prognos helår mot budget", fmt.money(econ["forecast_deviation"])))
    headline.append(("Sjukfrånvaro", fmt.pct(pers["sick_leave_pct"], suppressed=pers["suppressed"])))
    show(
        t.kpis(headline),
        t.status_count_table(counts, caption="Indikatorernas status"),
        t.assessment_count_table(own_goals["assessment"], caption="Organisationens bedömning av sina mål"),
        t.main_deviations(ind),
    )

# %% [markdown]
# ## Mål och måluppfyllelse

# %%
show(
    paragraph("Målträdet visar hur organisationens egna mål konkretiserar kommunfullmäktiges mål. "
              "Organisationens bedömning av varje mål visas bredvid statusen för de indikatorer som mäter målet; "
              "bedömningen är organisationens egen och räknas inte fram ur indikatorerna.") if not is_budget else
    paragraph("Målträdet visar hur organisationens egna mål konkretiserar kommunfullmäktiges mål."),
    t.goal_tree_list(tree),
    t.goal_blocks(goals, ind, tree, with_status=not is_budget),
)

# %% [markdown]
# ## Indikatorer

# %%
if is_budget:
    show(t.target_table(ind, caption=f"Indikatorer och mål {per.year}"))
else:
    scope = "Indikatorer som följs upp per tertial" if per.is_tertial else "Samtliga indikatorer"
    show(
        t.indicator_table(ind, caption=f"{scope}, {per.title}"),
        charts.indicator_trends(f.history(wh, org_id, until=per), indicator_ids=t.main_indicators(ind, trend_indicators),
                                title="Utveckling över tid för de viktigaste indikatorerna"),
    )

# %%
if per.is_tertial:
    show(section("Prognos för helåret", paragraph(
        "Prognosen är en framskrivning, inte ett utfall: den bygger på årets tertialutfall och förra årets "
        "mönster från tertial till helår.", class_="projection"),
        t.projection_table(f.projection(wh, org_id, per), caption="Prognos för årsmålen"), level=3))

# %% [markdown]
# ## Aktiviteter

# %%
show(t.activity_table(acts, dict(zip(goals["goal_id"], goals["title"], strict=True)),
                      caption=f"Aktiviteter, {per.title}"))

# %% [markdown]
# ## Kommentarer och avvikelser

# %%
vd_kind, vd_label = ("rapportkommentar", "Rapportkommentar") if is_annual else ("vd_kommentar", "VD-kommentar")
parts = [section(vd_label, text_block(f.text_of(wh, org_id, per, vd_kind)), level=3)]
if not is_budget:
    parts.append(section("Avvikelserapportering",
                         text_block(f.text_of(wh, org_id, per, "avvikelse"), empty="Ingen avvikelserapport har lämnats."),
                         t.deviation_table(f.deviations(wh, org_id, per)), level=3))
analys = f.text_of(wh, org_id, per, "analys")
if analys:
    parts.append(section("Analys", text_block(analys), level=3))
show(*parts)

# %% [markdown]
# ## Ekonomi

# %%
if is_budget:
    show(t.economy_table(econ, caption=f"Budget {per.year}", with_outcome=False))
else:
    show(
        t.economy_table(econ, caption=f"Budgetuppföljning januari–{t.MONTH_NAMES[per.last_month_number - 1]} {per.year}"),
        t.forecast_text(econ, per) if per.is_tertial else "",
        charts.economy_chart(f.economy_series(wh, org_id, per), period_title=per.title),
        t.accounts_table(f.accounts(wh, org_id, per, n=top_accounts),
                         caption=f"De {top_accounts} konton som avviker mest från budget"),
    )

# %% [markdown]
# ## Personal

# %%
if is_budget:
    show(paragraph("Personaluppgifter redovisas i tertialrapporterna och verksamhetsberättelsen.", class_="note"))
else:
    show(
        t.kpis(t.personnel_items(pers)),
        t.personnel_note(pers),
        charts.sick_leave_chart(f.sick_leave_series(wh, org_id, per)),
    )

# %% [markdown]
# ## Jämförelse med andra organisationer

# %%
peers = f.organisations(wh, org.kind)
if is_budget:
    show(paragraph("Jämförelser görs när det finns utfall.", class_="note"))
elif len(peers) < 2:
    show(paragraph(f"{org.name} är ensam om att vara {t.KIND_LABELS.get(org.kind, org.kind).lower()} i "
                   "redovisningen och har därför ingen att jämföras med. Jämförelserna görs mellan nämnderna "
                   "och mellan bolagen.", class_="note"))
else:
    cmp = f.comparisons(wh, org_id, per)
    sick = f.compare(wh, per, "sick_leave_pct", org_id=org_id)
    show(
        paragraph(f"Organisationens värden jämförda med {t.KIND_PLURAL.get(org.kind, org.kind)}. Rang 1 är bäst i "
                  "indikatorns riktning. Som i Kolada markeras den bästa fjärdedelen grön, den sämsta röd och "
                  "mittersta hälften gul; grått betyder att uppgift saknas. Specialvärden: - saknas, "
                  ". ej tillämpligt, .. sekretess (färre än fem anställda)."),
        t.comparison_table(cmp, caption=f"Rang bland {t.KIND_PLURAL.get(org.kind, org.kind)}, {per.title}",
                           kind=org.kind),
        charts.comparison_chart(sick, org_id=org_id, label=sick.attrs.get("label", "Sjukfrånvaro"),
                                unit=sick.attrs.get("unit"), decimals=int(sick.attrs.get("decimals", 1))),
    )

# %% [markdown]
# ## Om rapporten

# %%
show(t.about(figures, f.loads(wh), notebook="report"))
