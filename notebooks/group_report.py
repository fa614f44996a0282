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
# <!-- Sammanställning "Mål och måluppfyllelse" för en period och en organisationstyp.
#      Körs av `ils run --notebook group_report --period P --kind bolag`. Bara presentation. -->

# %% tags=["parameters"]
# Parametrar (papermill). Lagret kommer från miljön (ILS_WAREHOUSE), aldrig härifrån.
period = "latest"
kind = "bolag"
matrix_columns = 4
rollup_columns = 4

# %%
import ilslib
from ilslib.report import group, group_context
from ilslib.report import tables as t
from ilslib.report.present import paragraph, publish_meta, show

ctx = group_context(ilslib.connect(), period, kind)  # every figure of the report, each computed once
per = ctx.period
plural = group.plural(kind)
is_budget = not per.has_outcomes
title = f"Mål och måluppfyllelse – {plural}, {per.title}" + (" (utkast)" if ctx.not_approved else "")
doc = ctx.figures_json()
publish_meta(title=title, figures=doc, summary=group.summary_counts(ctx.status_matrix),
             about=t.about_items(doc, notebook="group_report", title=title), about_notes=[t.DEFINITIONS])

# %%
show(t.group_draft_banner(ctx.round_states, ctx.names), group.cover(kind, per, len(ctx.orgs)))

# %% [markdown]
# ## Måluppfyllelse per mål i kommunfullmäktiges budget

# %%
if is_budget:
    show(paragraph(f"Budgeten sätter målen för {per.year}; {plural} bedömer måluppfyllelsen i tertialrapporterna "
                   "och i verksamhetsberättelsen. Här finns därför ännu inga bedömningar att sammanställa.",
                   class_="note"))
else:
    show(
        paragraph(f"Hur många av {plural} som bedömt varje mål i kommunfullmäktiges budget som uppfyllt, delvis "
                  "uppfyllt eller ej uppfyllt för perioden. En organisation som inte bedömt KF-målet direkt räknas "
                  "med den bedömning som följer av dess egna mål under KF-målet (härledd); en organisation utan "
                  "någon bedömning räknas som ”ej bedömt”. Bedömningen är varje organisations egen."),
        group.rollup_table(ctx.rollup, caption=f"Bedömd måluppfyllelse per KF-mål, {plural}, {per.title}"),
        group.rollup_matrix(ctx.rollup_detail, ctx.names, per_table=rollup_columns,
                            caption=f"Varje organisations bedömning av KF-målen, {per.title}"),
    )

# %% [markdown]
# ## Indikatorernas status per organisation

# %%
if is_budget:
    show(paragraph("I budgeten finns inga utfall. Indikatorernas status redovisas i tertialrapporterna och i "
                   "verksamhetsberättelsen.", class_="note"))
else:
    show(
        paragraph("Kommunfullmäktiges indikatorer: varje cell visar indikatorns status för organisationen med "
                  "symbol och ord. Ett streck (-) betyder att organisationen inte har någon status för indikatorn "
                  "i perioden.", class_="intro"),
        group.matrix_table(ctx.status_matrix, ctx.names, ctx.catalogue, per_table=matrix_columns,
                           caption=f"Indikatorernas status, {plural}, {per.title}"),
    )

# %% [markdown]
# ## Ekonomi

# %%
if is_budget:
    show(group.budget_table(ctx.economy, ctx.economy_total, ctx.names,
                            caption=f"Budget {per.year} per organisation, {plural}"))
else:
    show(group.economy_table(ctx.economy, ctx.economy_total, ctx.names, forecast=per.is_tertial, period=per,
                             caption=f"Budgetuppföljning per organisation, {plural}, {per.title}"))

# %% [markdown]
# ## Personal

# %%
if is_budget:
    show(paragraph("Personaluppgifter redovisas i tertialrapporterna och verksamhetsberättelsen.", class_="note"))
else:
    show(group.personnel_table(ctx.personnel, ctx.personnel_total, ctx.names,
                               caption=f"Personal per organisation, {plural}, {per.title}"))

# %% [markdown]
# ## Om sammanställningen

# %%
show(t.about(doc, ctx.loads, notebook="group_report"))
