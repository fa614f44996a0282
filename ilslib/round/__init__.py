"""The reporting round (inrapportering): expected items and completeness, the states of each
organisation's reporting for a period, and the record of every change.

- :mod:`ilslib.round.expected`: what an organisation is expected to report for a period, what is
  present, its completeness and the missing items by name;
- :mod:`ilslib.round.state`: ``ej_paborjad`` -> ``pagaende`` -> ``klar`` -> ``godkand``, who may move
  it, and the audit trail (``ils_event``).
"""
