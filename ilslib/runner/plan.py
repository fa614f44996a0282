"""The plan of a run: a checked :class:`~ilslib.runner.request.RunRequest` becomes the jobs to run.

The period is resolved (``latest``, ``latest-BO`` ...: :func:`ilslib.figures.as_period`),
the organisations or kinds are found in the warehouse, each job gets its
directory (:mod:`ilslib.runner.layout`) and its input hash, and what is
unchanged is set aside (:mod:`ilslib.runner.incremental`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .. import identifiers
from ..errors import ConfigError, UnknownValueError
from ..fmt import KIND_PLURAL
from ..fsutil import inside
from .incremental import file_hash, input_hash, library_fingerprint, split_unchanged
from .layout import GROUP_DIR, KORT_STEM, REPORT_STEM, STUDY_DIR, folder_problem
from .params import check_parameters, declared_parameters
from .request import (
    GROUP_NOTEBOOK,
    KORT_NOTEBOOK,
    RESERVED_PARAMETERS,
    Plan,
    RunRequest,
    check_audience,
    is_study,
    official_set,
    parse_formats,
    resolve_notebook,
)
from .sets import Job, JobResult

#: The portal's name of a study page that covers the whole city (a study without org_id and kind).
STUDY_ALL_NAME = "Hela staden"


def _targets_per_org(wh: Any, req: RunRequest, known: dict[str, str]) -> list[str]:
    from .. import figures

    # Ids on the command line: the one identifier rule, checked before anything runs (exit 2).
    orgs = [identifiers.check(o, "organisation id") for o in req.orgs]
    for o in orgs:
        if o not in known:
            figures.organisation(wh, o)  # raises, naming the nearest valid ids
        reason = folder_problem(o)
        if reason is not None:
            raise ConfigError(f"organisation id {o!r} cannot have a report: {reason}")
    targets = list(dict.fromkeys(orgs))
    targets += [o for o in known if (req.all or known[o] in req.kinds) and o not in targets]
    if not targets:
        if req.kinds:
            raise UnknownValueError(f"no organisation of kind {', '.join(req.kinds)} in the warehouse")
        raise ConfigError("which organisations? give --org ID (repeatable), --kind KIND or --all")
    return targets


def plan(req: RunRequest) -> Plan:
    """Validate the request against the warehouse and the notebook; build the jobs.

    Everything a user can get wrong (period, organisation, kind, notebook,
    format, parameter, engine, executor) is checked here, before anything
    runs or is written.
    """
    from .. import connect, figures, settings

    if req.book:
        from .books import plan_books

        return plan_books(req.check())
    req.check()  # everything that needs no warehouse: the same checks as the command line's
    audience = check_audience(req.audience)
    notebook = resolve_notebook(req.notebook)
    if audience == "kort":  # the short version of the organisation report: its own notebook, its own set
        if official_set(notebook) not in (REPORT_STEM, KORT_STEM) or notebook.stem == GROUP_NOTEBOOK:
            raise ConfigError(
                f"--audience kort is the short version of the organisation report (notebooks/{KORT_NOTEBOOK}); "
                f"it cannot be combined with --notebook {req.notebook}"
            )
        notebook = resolve_notebook(KORT_NOTEBOOK)
    declared = declared_parameters(notebook)
    if not declared:
        raise ConfigError(f"notebook {notebook.name} has no cell tagged 'parameters'")
    bad = sorted(set(req.parameters) & set(RESERVED_PARAMETERS))
    if bad:
        raise ConfigError(f"parameter {bad[0]!r} is set by ils run itself (use --org, --kind or --period)")
    check_parameters(notebook, dict(req.parameters))
    per_org = "org_id" in declared
    per_kind = not per_org and "kind" in declared
    out = Path(req.out).resolve()
    with connect(req.warehouse) as wh:
        period_s = str(figures.as_period(wh, req.period))
        orgs_df = figures.organisations(wh)
        known = dict(zip(orgs_df["org_id"], orgs_df["kind"], strict=True))
        names = dict(zip(orgs_df["org_id"], orgs_df["name"], strict=True))
        if per_org:
            targets: list[str | None] = list(_targets_per_org(wh, req, known))
        elif per_kind:
            if req.orgs:
                raise ConfigError(f"notebook {notebook.name} is run per kind: use --kind, not --org")
            # --all: the reporting kinds for the group report; every kind that has organisations for a study.
            every = list(settings.REPORTING_KINDS) if not is_study(notebook) else list(dict.fromkeys(known.values()))
            kinds = list(dict.fromkeys(req.kinds)) or (every if req.all else [])
            if not kinds:
                raise ConfigError(
                    f"notebook {notebook.name} is run per kind: give --kind KIND "
                    f"(one of {', '.join(every or settings.REPORTING_KINDS)}) or --all"
                )
            targets = list(kinds)
        else:
            if req.orgs or req.kinds:
                raise ConfigError(
                    f"notebook {notebook.name} has no org_id or kind parameter: run it without --org/--kind"
                )
            targets = [None]
        provenance = {"loads": figures.loads(wh).to_dict("records")}
        jobs, rejected = _jobs(req, notebook, declared, period_s, targets, per_org, per_kind, known, names, out)
        todo, unchanged = split_unchanged(jobs, force=req.force, wh=wh, url=req.warehouse)
    per = "org" if per_org else "kind" if per_kind else "once"
    return Plan(period_s, notebook, todo, unchanged, provenance, out, per, rejected)


def _jobs(
    req: RunRequest,
    notebook: Path,
    declared: dict[str, Any],
    period_s: str,
    targets: list[str | None],
    per_org: bool,
    per_kind: bool,
    known: dict[str, str],
    names: dict[str, str],
    out: Path,
) -> tuple[list[Job], list[JobResult]]:
    """The jobs of a run; an organisation whose id cannot name a folder is a failed result instead."""
    formats = parse_formats(req.formats)
    nb_hash = file_hash(notebook)
    library = library_fingerprint()
    # Only the project's own report notebooks write to OUT/PERIOD/...; any other notebook (a fork
    # named report.ipynb elsewhere too) is a study with a directory of its own.
    stem = official_set(notebook)
    study = stem is None
    stem = stem or REPORT_STEM
    if study:  # the name becomes a directory: the identifier rule, and a safe folder name
        identifiers.check(notebook.stem, "notebook name")
    base = out / STUDY_DIR / identifiers.folder_name(notebook.stem) if study else out
    suffix = "" if stem == REPORT_STEM else f"/{stem}"  # a label of its own for the short version beside the report
    jobs: list[Job] = []
    rejected: list[JobResult] = []
    for t in targets:
        params = dict(req.parameters)
        if "period" in declared:
            params["period"] = period_s
        if per_org:
            params["org_id"] = t
            meta: dict[str, Any] = {"org_id": t, "name": names[str(t)], "kind": known[str(t)], "period": period_s}
            reason = folder_problem(str(t))
            if reason is not None:  # ids from the warehouse never stop the batch: this report fails alone
                label = f"{period_s}/{t!r}{suffix}"
                error = f"organisation id {str(t)[:80]!r} is not valid: {reason}"
                rejected.append(JobResult(label, "failed", 0.0, error, "", {**meta, "notebook": notebook.stem}))
                continue
            rel = [period_s, identifiers.folder_name(str(t))]
        elif per_kind:
            params["kind"] = t
            rel = [period_s, GROUP_DIR, identifiers.folder_name(str(t))]
            plural = KIND_PLURAL.get(str(t), str(t))
            meta = {
                "kind": t,
                "name": plural[:1].upper() + plural[1:] if study else f"Mål och måluppfyllelse – {plural}",
                "period": period_s,
                "group": True,
            }
        else:
            rel = [period_s]
            meta = {"period": period_s, "name": STUDY_ALL_NAME if study else notebook.stem}
        meta["notebook"] = notebook.stem
        if study:  # what the portal lists as a study: the study's name and what one page covers
            meta["study"] = notebook.stem
            meta["scope"] = "org" if per_org else "kind" if per_kind else "all"
        if stem != REPORT_STEM:
            meta["set"] = stem
        # The data is not part of it: the recorded reads say whether the data changed (split_unchanged).
        digest = input_hash({"notebook": nb_hash, "parameters": params, "library": library})
        label = "/".join(rel) + suffix
        jobs.append(Job(str(notebook), params, str(inside(base, *rel)), formats, label, digest, meta, stem))
    return jobs, rejected
