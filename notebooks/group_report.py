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
top_deviations = 10
matrix_columns = 6

# %%
import ilslib
from ilslib import figures as f
from ilslib.report import group
from ilslib.report import tables as t
from ilslib.report.present import paragraph, publish_meta, show

wh = ilslib.connect()
per = f.as_period(wh, period)
f.check_kind(kind)
plural = t.KIND_PLURAL.get(kind, kind)
is_budget = per.code == "BU"
roll = f.rollup(wh, per, kind)
matrix = f.status_matrix(wh, per, kind)
orgs = f.organisations(wh, kind)
econ = f.economy(wh, per, kind=kind).join(orgs.set_index("org_id")[["name", "kind"]], how="inner")
doc = group.figures(wh, per, kind, roll, econ, matrix)
publish_meta(title=f"Mål och måluppfyllelse – {plural}, {per.title}", figures=doc,
             summary=group.summary_counts(matrix))

# %%
show(group.cover(kind, per, len(orgs)))

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
                  f"uppfyllt eller ej uppfyllt för perioden. Organisationer som inte lämnat någon bedömning av "
                  f"målet räknas som ”ej bedömt”. Bedömningen är varje organisations egen."),
        group.rollup_table(roll, caption=f"Bedömd måluppfyllelse per KF-mål, {plural}, {per.title}"),
    )

# %% [markdown]
# ## Indikatorernas status per organisation

# %%
if is_budget:
    show(paragraph("I budgeten finns inga utfall. Indikatorernas status redovisas i tertialrapporterna och i "
                   "verksamhetsberättelsen.", class_="note"))
else:
    show(
        paragraph("Varje cell visar indikatorns status för organisationen med symbol och ord. "
                  "En punkt (.) betyder att organisationen inte har indikatorn.", class_="intro"),
        group.matrix_tables(matrix, orgs, f.indicator_catalogue(wh), per_table=matrix_columns,
                            caption=f"Indikatorernas status, {plural}, {per.title}"),
    )

# %% [markdown]
# ## Ekonomi

# %%
if is_budget:
    show(group.budget_table(econ, caption=f"Budget {per.year} per organisation, {plural}"))
else:
    show(group.deviation_table(econ, n=top_deviations,
                               caption=f"{plural.capitalize()} med störst budgetavvikelse, {per.title}"))

# %% [markdown]
# ## Om sammanställningen

# %%
show(t.about(doc, f.loads(wh), notebook="group_report"))
