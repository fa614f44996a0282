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
# <!-- Specialstudien "__STUDY_NAME__", skapad av `ils new-study` __STUDY_DATE__.
#      En sida per organisation (--scope org), en organisation och en period per körning:
#        ils run --notebook notebooks/studies/__STUDY_NAME__ --period latest --org ALN
#        ils run --notebook notebooks/studies/__STUDY_NAME__ --period latest --all
#      Bara presentation: varje siffra kommer från ilslib.figures (docs/notebooks.md). -->

# %% tags=["parameters"]
# Parametrar (papermill). Lagret kommer från miljön (ILS_WAREHOUSE), aldrig härifrån.
org_id = "ALN"
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
org = f.organisation(wh, org_id)
publish_meta(title=f"{TITLE} – {org.name}, {per.title}")
show(paragraph(f"{org.name} ({t.KIND_LABELS.get(org.kind, org.kind)}), {per.title}."))

# %% [markdown]
# ## Syfte och metod
#
# *Skriv här vilken fråga studien besvarar, vilka uppgifter den bygger på och hur resultatet ska
# läsas.*
#
# Exemplet nedan visar organisationens indikatorer för perioden och hur dess sjukfrånvaro står sig
# mot andra organisationer av samma slag. Alla siffror kommer från funktioner i `ilslib.figures`,
# samma som rapporterna använder, så att samma tal är detsamma överallt. Ett mått som fler än den här
# studien behöver läggs till i biblioteket; en beräkning som bara den här studien gör hör hemma i
# studiens egen modul `__STUDY_NAME___analysis.py` bredvid notebooken, med sina tester (se
# `docs/notebooks.md`).

# %% [markdown]
# ## Resultat

# %%
ind = f.indicators(wh, org_id, per)
if per.code == "BU":
    show(t.target_table(ind, caption=f"Indikatorer och mål {per.year}"))
else:
    show(t.indicator_table(ind, caption=f"Indikatorer, {per.title}"))

# %%
sick = f.compare(wh, per, "sick_leave_pct", org_id=org_id)
show(
    charts.comparison_chart(
        sick, org_id=org_id, label=sick.attrs["label"], unit=sick.attrs["unit"], decimals=int(sick.attrs["decimals"])
    ),
    paragraph("Sjukfrånvaron för en organisation med färre än fem anställda redovisas inte (..)."),
)

# %% [markdown]
# ## Slutsatser
#
# *Skriv slutsatserna här när resultaten har granskats: vad studien visar, hur säkert det är och vad
# som bör göras.*
