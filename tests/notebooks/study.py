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
# # En liten specialstudie
#
# En notebook i jupytext-format (.py) för testerna av `ils run --notebook`.

# %% tags=["parameters"]
org_id = "ALN"
period = "latest"
top = 3

# %%
import ilslib
from ilslib import figures as f
from ilslib.report.present import paragraph, publish_meta, show

wh = ilslib.connect()
org = f.organisation(wh, org_id)
ind = f.indicators(wh, org_id, period)
publish_meta(title=f"Studie – {org.name}", figures={"org_id": org_id, "period": str(period), "indicators": len(ind)})
show(paragraph(f"{org.name} har {len(ind)} indikatorer; de {top} första visas."))
