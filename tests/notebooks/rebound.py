# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3 (ils)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Testrapport: bibliotekets funktioner som de är
#
# Räknar organisationens jämförelser (typens alla indikatorer, ekonomi och personal) genom
# rapportkontexten och sparar sedan i figures.json var varje funktion i varje laddad
# ilslib-modul är definierad, så att testet kan se att ingen funktion bytts ut under körningen.

# %% tags=["parameters"]
org_id = "ALN"
period = "latest"

# %%
import sys

sys.path.insert(0, ".")  # originals.py beside the notebook

import ilslib
from ilslib.report import context
from ilslib.report.present import paragraph, publish_meta, show
from originals import snapshot

ctx = context(ilslib.connect(), org_id, period)
doc = ctx.figures_json()
functions = snapshot()
publish_meta(
    title=f"Funktioner – {ctx.org.name}",
    figures={"org_id": org_id, "comparisons": len(doc["comparisons"]), "functions": functions},
)
show(paragraph(f"{sum(map(len, functions.values()))} funktioner i {len(functions)} moduler."))
