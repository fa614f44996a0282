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
# # Testrapport av bestämd storlek
#
# För testerna av full disk: rapporten för `big_for` är ungefär `kb` KiB stor (i HTML och i
# notebooken var för sig), de andra några KiB. `tag` syns i HTML, PDF-underlaget och figures.json.

# %% tags=["parameters"]
org_id = "ALN"
period = "latest"
big_for = "ALN"
kb = 600
tag = ""

# %%
from ilslib.report.present import paragraph, publish_meta, show

size = kb * 1024 if org_id == big_for else 1024
publish_meta(title=f"Storlek {org_id}", figures={"org_id": org_id, "period": period, "bytes": size, "tag": tag})
show(paragraph(f"tag={tag};"), paragraph("x" * size))
