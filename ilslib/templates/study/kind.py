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
# <!-- Specialstudien "__STUDY_NAME__", skapad av `ils new-study --scope kind` __STUDY_DATE__.
#      En sida per organisationstyp (nämnderna, bolagen ...), en typ och en period per körning:
#        ils run --notebook notebooks/studies/__STUDY_NAME__ --period latest --kind namnd
#        ils run --notebook notebooks/studies/__STUDY_NAME__ --period latest --all
#      Bara presentation: varje siffra kommer från ilslib.figures (docs/notebooks.md). -->

# %% tags=["parameters"]
# Parametrar (papermill). Lagret kommer från miljön (ILS_WAREHOUSE), aldrig härifrån.
kind = "namnd"
period = "latest"

# %%
import ilslib
from ilslib import figures as f
from ilslib.report import charts
from ilslib.report import tables as t
from ilslib.report.present import paragraph, publish_meta, show

TITLE = "__STUDY_TITLE__"

wh = ilslib.connect()
per = f.as_period(wh, period)
orgs = f.organisations(wh, kind)
plural = t.KIND_PLURAL.get(kind, kind)
publish_meta(title=f"{TITLE} – {plural}, {per.title}")
show(paragraph(f"{plural[:1].upper()}{plural[1:]}: {len(orgs)} organisationer, {per.title}."))

# %% [markdown]
# ## Syfte och metod
#
# *Skriv här vilken fråga studien besvarar, vilka uppgifter den bygger på och hur resultatet ska
# läsas.*
#
# Exemplet nedan rangordnar organisationernas sjukfrånvaro, som i Kolada: rang 1 är bäst, lika värden
# delar rang, den bästa fjärdedelen är grön och den sämsta röd. Ingen organisation lyfts fram: sidan
# gäller hela typen. Jämförelsen görs alltid
# mot andra organisationer av samma slag. Alla siffror kommer från funktioner i `ilslib.figures`,
# samma som rapporterna använder, så att samma tal är detsamma överallt. Ett mått som fler än den här
# studien behöver läggs till i biblioteket; en beräkning som bara den här studien gör hör hemma i
# studiens egen modul `__STUDY_NAME___analysis.py` bredvid notebooken, med sina tester (se
# `docs/notebooks.md`).

# %% [markdown]
# ## Resultat

# %%
sick = f.compare(wh, per, "sick_leave_pct", kind=kind)
show(
    t.ranking_table(sick, caption=f"Sjukfrånvaro, {plural}, {per.title}"),
    charts.comparison_chart(
        sick, label=sick.attrs["label"], unit=sick.attrs["unit"], decimals=int(sick.attrs["decimals"])
    ),
    paragraph(
        "Sjukfrånvaron för en organisation med färre än fem anställda redovisas inte (..); - betyder "
        "att uppgift saknas."
    ),
)

# %% [markdown]
# ## Slutsatser
#
# *Skriv slutsatserna här när resultaten har granskats: vad studien visar, hur säkert det är och vad
# som bör göras.*
