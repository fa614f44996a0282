# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ils)
#     language: python
#     name: ils
# ---

# %% [markdown]
# # Specialstudie: __STUDY_TITLE_MD__

# %% [markdown]
# <!-- Specialstudien "__STUDY_NAME__", skapad av `ils new-study --scope all` __STUDY_DATE__.
#      En sida för hela staden per period:
#        ils run --notebook notebooks/studies/__STUDY_NAME__ --period latest
#      Bara presentation: varje siffra kommer från ilslib.figures (docs/notebooks.md). -->

# %% tags=["parameters"]
# Parametrar (papermill). Lagret kommer från miljön (ILS_WAREHOUSE), aldrig härifrån.
period = "latest"

# %%
import ilslib
from ilslib import figures as f
from ilslib import settings
from ilslib.report import charts, group
from ilslib.report import tables as t
from ilslib.report.present import heading, paragraph, publish_meta, show

TITLE = "__STUDY_TITLE__"

wh = ilslib.connect()
per = f.as_period(wh, period)
orgs = f.organisations(wh)
publish_meta(title=f"{TITLE} – hela staden, {per.title}")
show(paragraph(f"Hela staden: {len(orgs)} organisationer, {per.title}."))

# %% [markdown]
# ## Syfte och metod
#
# *Skriv här vilken fråga studien besvarar, vilka uppgifter den bygger på och hur resultatet ska
# läsas.*
#
# Exemplet nedan sammanställer hur nämnderna och bolagen bedömt kommunfullmäktiges mål och
# jämför sjukfrånvaron inom varje organisationstyp. Organisationer jämförs bara
# mot andra organisationer av samma slag. Alla siffror kommer från funktioner i `ilslib.figures`,
# samma som rapporterna använder, så att samma tal är detsamma överallt. Ett mått som fler än den här
# studien behöver läggs till i biblioteket; en beräkning som bara den här studien gör hör hemma i
# studiens egen modul `__STUDY_NAME___analysis.py` bredvid notebooken, med sina tester (se
# `docs/notebooks.md`).

# %% [markdown]
# ## Resultat

# %%
if per.has_outcomes:
    show(group.rollup_table(f.rollup(wh, per), caption=f"Bedömd måluppfyllelse per KF-mål, {per.title}"))
else:
    show(
        paragraph(
            f"Budgeten sätter målen för {per.year}; måluppfyllelsen bedöms i tertialrapporterna och i "
            "verksamhetsberättelsen.",
            class_="note",
        )
    )

# %%
for kind in settings.REPORTING_KINDS:
    sick = f.compare(wh, per, "sick_leave_pct", kind=kind)
    plural = t.KIND_PLURAL.get(kind, kind)
    show(
        heading(f"Sjukfrånvaro, {plural}", 3),
        t.ranking_table(sick, caption=f"Sjukfrånvaro, {plural}, {per.title}"),
        charts.comparison_chart(
            sick, label=sick.attrs["label"], unit=sick.attrs["unit"], decimals=int(sick.attrs["decimals"])
        ),
    )

# %% [markdown]
# ## Slutsatser
#
# *Skriv slutsatserna här när resultaten har granskats: vad studien visar, hur säkert det är och vad
# som bör göras.*
