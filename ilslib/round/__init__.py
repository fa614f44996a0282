"""The reporting round (inrapportering): what each organisation owes for a period, its workbook, its state.

- :mod:`ilslib.round.expected`: the items an organisation reports for a period (required and
  optional), what is present, its completeness and the missing items by name;
- :mod:`ilslib.round.deadlines`: the period's deadline for an organisation and how many days late it is;
- :mod:`ilslib.round.workbook` and :mod:`ilslib.round.template`: the reporting workbook
  (``ils template``), its layout and what it is pre-filled with; ``ils load`` reads it back
  (:func:`ilslib.load.load_workbook`);
- :mod:`ilslib.round.state`: ``ej_paborjad`` -> ``pagaende`` -> ``klar`` -> ``godkand``, who may move
  it (``ils ready``, ``ils approve``), and the audit trail (``ils_event``, ``ils log``);
- :mod:`ilslib.round.status`: every organisation's state, completeness and lateness (``ils status``)
  and the status page ``OUT/PERIOD/status.html``.

``docs/round.md`` walks a controller through a round.
"""
