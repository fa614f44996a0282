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
# # Vilka bibliotek är inlästa?
#
# För testerna av uppvärmningen (tests/test_runner_start.py): vilka av PDF- och Excel-biblioteken som redan
# fanns i rapportprocessen när dess första cell kördes.

# %% tags=["parameters"]
org_id = "ALN"
period = "latest"

# %%
import sys

from ilslib.report.present import paragraph, show

loaded = sorted(m for m in ("openpyxl", "weasyprint") if m in sys.modules)
show(paragraph("Inlästa: " + (", ".join(loaded) or "inga") + "."))
