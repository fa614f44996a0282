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
# <!-- Rapporten i korthet: två A4-sidor för förtroendevalda, för en organisation och en period.
#      Samma siffror som den fullständiga rapporten (samma rapportkontext). Bara presentation. -->

# %% tags=["parameters"]
# Parametrar (papermill). Lagret kommer från miljön (ILS_WAREHOUSE), aldrig härifrån.
org_id = "IDN"
period = "latest"
max_goals = 12
max_deviations = 6

# %%
import datetime as _dt

import ilslib
from ilslib.report import charts, context
from ilslib.report import tables as t
from ilslib.report.present import paragraph, publish_meta, section, show

ctx = context(ilslib.connect(), org_id, period)  # the same figures as the full report
per, org = ctx.period, ctx.org
is_budget = not per.has_outcomes
title = f"{per.title} i korthet – {org.name}" + (" (utkast)" if ctx.draft else "")
figures = ctx.figures_json()
publish_meta(
    title=title,
    figures=figures,
    variant="kort",
    summary=t.status_counts(ctx.indicators["status"]) if not is_budget else {},
    about=t.about_items(figures, notebook="report_kort", title=title),
    about_notes=[t.DEFINITIONS],
)

# %%
show(t.draft_banner(ctx.round_state), t.cover(org, per, _dt.date.today(), title=f"{per.title} i korthet"))

# %%
show(
    section("Det viktigaste", t.kpis(t.summary_items(ctx))),
    section(
        "Målen och organisationens bedömning" if not is_budget else "Målen för året",
        t.goal_table(ctx.own_goals.head(max_goals), caption=f"Organisationens mål, {per.title}")
        if not is_budget else t.goal_list(ctx.own_goals.head(max_goals)),
        paragraph(f"… och {len(ctx.own_goals) - max_goals} mål till i den fullständiga rapporten.", class_="note")
        if len(ctx.own_goals) > max_goals else "",
    ),
)

# %%
if is_budget:
    show(section("Ekonomi", t.economy_table(ctx.economy, caption=f"Budget {per.year}", with_outcome=False),
                 class_="page-2"))
else:
    unit = t.economy_unit(ctx.economy)
    show(
        section(
            "De viktigaste avvikelserna",
            t.deviation_table(ctx.deviations.head(max_deviations), caption="Indikatorer som avviker från målet",
                              comments=False),
            paragraph(f"… och {len(ctx.deviations) - max_deviations} indikatorer till i den fullständiga rapporten.",
                      class_="note") if len(ctx.deviations) > max_deviations else "",
            class_="page-2",
        ),
        section(
            "Ekonomi",
            t.economy_table(ctx.economy, unit=unit, caption=t.economy_caption(ctx.economy, per), period=per),
            t.forecast_text(ctx.economy, per) if per.is_tertial else "",
            charts.economy_chart(ctx.economy_series, period_title=per.title, unit=unit, height=2.4),
        ),
    )

# %%
show(paragraph(f"Den fullständiga rapporten {per.title} för {org.name} redovisar varje mål, indikator och aktivitet, "
               "ekonomin per konto, personalen och jämförelsen med andra organisationer. Siffrorna här är desamma.",
               class_="note about-short"))
