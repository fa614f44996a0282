"""Who may do what, in the database itself: roles, grants and row-level security, and their review.

- :mod:`ilslib.access.model`: what each role of ``users`` may do on every table (one definition);
- :mod:`ilslib.access.pg`: PostgreSQL's catalogue, and the SQL that makes it match ``users``;
- :mod:`ilslib.access.mssql`: the same as a script for SQL Server's DBA (untested: no SQL Server here);
- :mod:`ilslib.access.apply`: ``ils access apply`` (``--dry-run``, ``--sql --dialect D``);
- :mod:`ilslib.access.review`: ``ils access review``, internal control's review, and
  :mod:`ilslib.access.render` its page, CSV, Markdown and text.

The application's own checks (``ilslib.rights``) answer first; the database's
refusal is the backstop (:func:`ilslib.warehouse.refusal`). ``docs/access.md``
is the administrator's and internal control's guide.
"""
