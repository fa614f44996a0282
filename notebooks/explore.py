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
# # Utforska lagret: en guidad tur
#
# Den här notebooken visar hur du som controller tittar på lagrets uppgifter med `ilslib`, samma
# bibliotek som rapporterna bygger på. Kör cellerna uppifrån och ned (Skift+Enter) och ändra sedan
# parametrarna i cellen nedan: organisation, period, organisationstyp och nyckeltal.
#
# Varje siffra kommer från en funktion i `ilslib.figures`; här finns bara presentation, aldrig egen
# SQL eller egna beräkningsregler. Funktionerna och deras kolumner beskrivs i `docs/figures.md`.

# %% tags=["parameters"]
# Parametrar: ändra fritt. Lagret väljs inte här, se avsnitt 1.
org_id = "ALN"  # en organisation, se listan i avsnitt 2
period = "latest"  # t.ex. "2026-T2" eller "2025-BO"; "latest" är den senast rapporterade perioden
kind = "namnd"  # organisationstypen att jämföra: namnd, bolag, kommun, koncern, enhet
key_figure = "sick_leave_pct"  # ett nyckeltal (sick_leave_pct, deviation_pct, deviation, forecast_deviation) eller ett indikator-id
top_accounts = 10  # så många konton visas i budgetavvikelsen

# %% [markdown]
# ## 1. Anslut till lagret
#
# `ilslib.connect()` öppnar samma lager som kommandot `ils` använder: `--warehouse` finns inte här,
# så det blir miljövariabeln `ILS_WAREHOUSE`, annars `warehouse` i `~/.config/ils/config.toml`,
# annars demolagret. Skriv aldrig en anslutningssträng eller ett lösenord i en notebook: lösenordet
# ligger i miljövariabeln `ILS_WAREHOUSE_PASSWORD` och läggs till först när anslutningen öppnas.
# `ils info` i en terminal visar vilket lager som används och vad det innehåller.

# %%
import pandas as pd
from IPython.display import display

import ilslib
from ilslib import figures as f
from ilslib import fmt
from ilslib.report import charts
from ilslib.report import tables as t
from ilslib.report.present import show

pd.set_option("display.max_rows", 60)
wh = ilslib.connect()
per = f.as_period(wh, period)
org = f.organisation(wh, org_id)
print(wh)  # vilket lager (ett lösenord visas aldrig)
print(f"Period: {per} ({per.title}). Organisation: {org.org_id}, {org.name}.")

# %% [markdown]
# ## 2. Organisationer och perioder
#
# Alla organisationer med typ, överordnad organisation och ansvarig controller. `org_id` i
# parametercellen är ett id ur första kolumnen.

# %%
orgs = f.organisations(wh)
display(orgs.groupby("kind", sort=False).size().rename("antal").to_frame())
orgs

# %% [markdown]
# Perioderna som har uppgifter, äldst först. Kolumnerna räknar rader per period: utfall
# (`outcomes`), bedömningar, aktivitetsstatusar och kommentarer; `economy` och `personnel` säger om
# huvudboken och personaluppgifterna når periodens sista månad.

# %%
f.periods(wh)

# %% [markdown]
# ## 3. En organisations indikatorer över tid
#
# Först periodens indikatortabell som i rapporten, sedan samma indikatorer för varje period med
# utfall. `f.history` ger en rad per indikator och period; tabellen nedan har en kolumn per period.

# %%
ind = f.indicators(wh, org_id, per)
if per.code == "BU":
    show(t.target_table(ind, caption=f"Indikatorer och mål för {org.name}, {per.year}"))
else:
    show(t.indicator_table(ind, caption=f"Indikatorer för {org.name}, {per.title}"))

# %%
hist = f.history(wh, org_id)
hist.pivot_table(index="name", columns="period", values="value", sort=False)

# %%
chosen = t.main_indicators(ind, 4) or list(hist["indicator_id"].drop_duplicates()[:4])
show(charts.indicator_trends(hist, indicator_ids=chosen, title=f"Utveckling över tid, {org.name}"))

# %% [markdown]
# ## 4. Budgetavvikelsen och vilka konton den kommer från
#
# Avvikelsen är nettoresultatet minus budgeterat nettoresultat hittills under året: positiv är
# bättre än budget. Kontotabellen visar de konton som avviker mest, räknat som effekten på
# nettoresultatet (en intäkt över budget och en kostnad under budget är båda positiva).

# %%
econ = f.economy(wh, per, org_id).loc[org_id]
show(t.economy_table(econ.to_dict(), caption=f"Budgetuppföljning för {org.name}, {per.title}"))

# %%
acc = f.accounts(wh, org_id, per, n=top_accounts)
show(t.accounts_table(acc, caption=f"De {top_accounts} konton som avviker mest från budget"))

# %%
if acc.empty:
    print("Inga konton med utfall i perioden.")
else:
    shown = acc.set_index(acc["account"] + " " + acc["account_name"].fillna(""))[["outcome", "budget", "deviation"]]
    display(shown.style.format(fmt.money).bar(subset=["deviation"], align="zero", color=("#c62828", "#2e7d32")))

# %% [markdown]
# ## 5. Ett nyckeltal för alla organisationer av en typ, rangordnat
#
# Som i Kolada: rang 1 är bäst i nyckeltalets riktning, lika värden delar rang, och den bästa
# fjärdedelen är grön och den sämsta röd. Ett värde som saknas visas som `-`, ej tillämpligt som `.`
# och sekretess (färre än fem anställda) som `..`; de rangordnas inte.

# %%
cmp = f.compare(wh, per, key_figure, kind=kind, org_id=org_id)
a = cmp.attrs
print(f"{a['label']} ({a['unit'] or 'antal'}), {per.title}, {t.KIND_PLURAL.get(kind, kind)}; "
      f"{t.DIRECTION_LABELS.get(a['direction'], '').lower()}.")
pd.DataFrame({
    "rang": cmp["rank"],
    "organisation": cmp["name"],
    "värde": [fmt.special(s, v, int(a["decimals"]), a["unit"]) for s, v in zip(cmp["special"], cmp["value"], strict=True)],
    "jämfört med de andra": cmp["colour"].map(fmt.COLOUR),
    "vald": cmp["selected"].map({True: "◄", False: ""}),
})

# %%
show(charts.comparison_chart(cmp, org_id=org_id, label=a["label"], unit=a["unit"], decimals=int(a["decimals"])))

# %% [markdown]
# ## 6. SQL-frågorna bakom en siffra
#
# Varje siffra räknas fram av en fråga till lagret i `ilslib`. Vill du se frågan och dess
# parametrar sätter du en *tracer* på anslutningen: `ilslib.trace_print` skriver ut varje fråga.
# Samma sak får du med `ilslib.connect(tracer=ilslib.trace_print)` och, på kommandoraden, med
# `ils --trace-sql ...`. Definitionen av varje siffra står i `docs/figures.md`.

# %%
wh.tracer = ilslib.trace_print
try:
    f.economy(wh, per, org_id)
finally:
    wh.tracer = None

# %% [markdown]
# ## Nästa steg
#
# - Byt parametrarna högst upp och kör om: *Run → Run All Cells*.
# - En fråga som ska besvaras för alla organisationer blir en specialstudie: `ils new-study NAMN`
#   skapar en notebook i `notebooks/studies/NAMN/`, och
#   `ils run --notebook notebooks/studies/NAMN --period latest --all` kör den för varje organisation
#   till rapportportalen `outputs/index.html`.
# - Hur man skriver en notebook för projektet, och lägger till en ny siffra i biblioteket, står i
#   `docs/notebooks.md`.

# %%
wh.close()
