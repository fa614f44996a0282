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
from ilslib.report import charts, context
from ilslib.report import tables as t
from ilslib.report.present import paragraph, publish_meta, section, show, text_block

ctx = context(ilslib.connect(), org_id, period)  # every figure of the report, each computed once
per, org = ctx.period, ctx.org
is_budget = not per.has_outcomes
is_annual = per.code == "BO"
title = f"{per.title} – {org.name}" + (" (utkast)" if ctx.draft else "")
figures = ctx.figures_json()
publish_meta(
    title=title,
    figures=figures,
    summary=t.status_counts(ctx.indicators["status"]) if not is_budget else {},
    about=t.about_items(figures, notebook="report", title=title),
    about_notes=[t.DEFINITIONS],
)

# %%
show(t.draft_banner(ctx.round_state), t.cover(org, per, _dt.date.today()))  # "Utkast" unless approved

# %% [markdown]
# ## Sammanfattning

# %%
if is_budget:
    show(
        paragraph(f"Budgeten för {per.year}: {len(ctx.own_goals)} egna mål, {len(ctx.indicators)} indikatorer med "
                  f"mål och {len(ctx.activities)} aktiviteter."),
        t.kpis(t.summary_items(ctx)),
    )
else:
    show(
        t.kpis(t.summary_items(ctx)),
        t.status_count_table(t.status_counts(ctx.indicators["status"]), caption="Indikatorernas status"),
        t.assessment_count_table(ctx.own_goals["assessment"], caption="Organisationens bedömning av sina mål"),
        t.main_deviations(ctx.indicators),
    )

# %% [markdown]
# ## Mål och måluppfyllelse

# %%
show(
    paragraph("Målträdet visar hur organisationens egna mål konkretiserar kommunfullmäktiges mål. "
              "Organisationens bedömning av varje mål visas bredvid statusen för de indikatorer som mäter målet; "
              "bedömningen är organisationens egen och räknas inte fram ur indikatorerna.") if not is_budget else
    paragraph("Målträdet visar hur organisationens egna mål konkretiserar kommunfullmäktiges mål."),
    t.goal_tree_list(ctx.goal_tree),
    t.goal_blocks(ctx.goals, ctx.indicators, ctx.goal_tree, with_status=not is_budget),
)

# %% [markdown]
# ## Indikatorer

# %%
if is_budget:
    show(t.target_table(ctx.indicators, caption=f"Indikatorer och mål {per.year}"))
else:
    scope = "Indikatorer som följs upp per tertial" if per.is_tertial else "Samtliga indikatorer"
    show(
        t.indicator_table(ctx.indicators, caption=f"{scope}, {per.title}"),
        charts.indicator_trends(ctx.history, indicator_ids=t.main_indicators(ctx.indicators, trend_indicators),
                                title="Utveckling över tid för de viktigaste indikatorerna"),
    )

# %%
if per.is_tertial:
    show(section("Prognos för helåret", paragraph(
        "Prognosen är en framskrivning, inte ett utfall: den bygger på årets tertialutfall och förra årets "
        "mönster från tertial till helår.", class_="projection"),
        t.projection_table(ctx.projection, caption="Prognos för årsmålen"), level=3))

# %% [markdown]
# ## Aktiviteter

# %%
show(t.activity_table(ctx.activities, dict(zip(ctx.goals["goal_id"], ctx.goals["title"], strict=True)),
                      caption=f"Aktiviteter, {per.title}"))

# %% [markdown]
# ## Kommentarer och avvikelser

# %%
head_kind = "rapportkommentar" if is_annual else "vd_kommentar"
parts = [section(ctx.text_label(head_kind), text_block(ctx.text(head_kind)), level=3)]
if not is_budget:
    parts.append(section("Avvikelserapportering",
                         text_block(ctx.text("avvikelse"), empty="Ingen avvikelserapport har lämnats."),
                         t.deviation_table(ctx.deviations), level=3))
if ctx.text("analys"):
    parts.append(section("Analys", text_block(ctx.text("analys")), level=3))
show(*parts)

# %% [markdown]
# ## Ekonomi

# %%
unit = t.economy_unit(ctx.economy)  # the table and the chart show amounts in the same unit
if is_budget:
    show(t.economy_table(ctx.economy, caption=f"Budget {per.year}", with_outcome=False, unit=unit))
else:
    show(
        t.economy_table(ctx.economy, unit=unit, caption=t.economy_caption(ctx.economy, per), period=per),
        t.forecast_text(ctx.economy, per) if per.is_tertial else "",
        charts.economy_chart(ctx.economy_series, period_title=per.title, unit=unit),
        t.accounts_table(ctx.accounts(top_accounts), caption=f"De {top_accounts} konton som avviker mest från budget"),
    )

# %% [markdown]
# ## Personal

# %%
if is_budget:
    show(paragraph("Personaluppgifter redovisas i tertialrapporterna och verksamhetsberättelsen.", class_="note"))
else:
    show(
        t.kpis(t.personnel_items(ctx.personnel)),
        t.personnel_note(ctx.personnel),
        charts.sick_leave_chart(ctx.sick_leave_series),
    )

# %% [markdown]
# ## Jämförelse med andra organisationer

# %%
plural = t.KIND_PLURAL.get(org.kind, org.kind)
if is_budget:
    show(paragraph("Jämförelser görs när det finns utfall.", class_="note"))
elif len(ctx.peers) < 2:
    show(paragraph(f"{org.name} är ensam om att vara {t.KIND_LABELS.get(org.kind, org.kind).lower()} i "
                   "redovisningen och har därför ingen att jämföras med. Jämförelserna görs mellan nämnderna "
                   "och mellan bolagen.", class_="note"))
else:
    sick = ctx.sick_leave_compare
    show(
        paragraph(f"Organisationens värden jämförda med {plural}. Rang 1 är bäst i indikatorns riktning; lika "
                  "värden (som de visas, avrundade) delar rang och färg. Som i Kolada markeras den bästa "
                  "fjärdedelen grön, den sämsta röd och mittersta hälften gul; grått betyder att uppgift saknas. "
                  "Specialvärden: - saknas, . ej tillämpligt, .. sekretess (färre än fem anställda)."),
        t.comparison_table(ctx.comparisons, caption=f"Rang bland {plural}, {per.title}", kind=org.kind),
        charts.comparison_chart(sick, org_id=org.org_id, label=sick.attrs["label"], unit=sick.attrs["unit"],
                                decimals=int(sick.attrs["decimals"])),
    )

# %% [markdown]
# ## Om rapporten

# %%
show(t.about(figures, ctx.loads, notebook="report"))
