"""``ils remind``: list (and with ``--send`` e-mail) reminders to the reporters of organisations not yet ready."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from .. import connect
from ..config import ENV_SMTP_PASSWORD, config_path, redact, smtp_password, smtp_settings
from ..errors import ConfigError
from ..periods import Period, is_latest
from . import add_warehouse_option, round_period, tracer_for

if TYPE_CHECKING:
    from ..round.mail import Outcome

EXIT_CODES = (
    "exit codes: 0 listed, or every message sent; 1 a message was not sent (each named on its own line, the\n"
    "  others were sent); 2 bad parameter, SMTP setting or warehouse error (nothing sent); 4 your login may\n"
    "  not send reminders for an organisation named with --org (nothing sent)"
)


def _days(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of days, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be zero or more, got {text!r}")
    return value


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``ils remind`` to the command's subparsers."""
    p = sub.add_parser(
        "remind",
        help="remind the reporters of organisations not yet marked ready (lists; --send e-mails them)",
        description="List every organisation of the reporting kinds (nämnder and bolag; --kind, --org) whose "
        "reporting for the period is not yet marked ready (ej påbörjad or pågående), its reporters from users "
        "with their e-mail addresses, and the Swedish reminder each would get: what is missing, the deadline, "
        "the days left or late, how to hand in the workbook. --days-before N keeps the organisations whose "
        "deadline is at most N days away or has passed. Nothing is sent without --send; --send sends one "
        "message per reporter through the SMTP relay of [smtp] in ~/.config/ils/config.toml (the password in "
        f"${ENV_SMTP_PASSWORD}) and records each message sent (ils log). Sending needs the role controller of "
        "the organisations (a controller reminds those it follows) or admin. See docs/round.md.",
        epilog="examples:\n"
        "  ils remind --period 2026-T2                        who would be reminded, and the texts\n"
        "  ils remind --period 2026-T2 --days-before 7        only deadlines within a week, or passed\n"
        "  ils remind --period 2026-T2 --send                 send them\n"
        "  ils remind --period 2026-T2 --org SBN --send\n"
        "\n" + EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_warehouse_option(p)
    p.add_argument(
        "--period", metavar="P", required=True, help="YYYY-BU, YYYY-T1, YYYY-T2, YYYY-BO or latest (due or reported)"
    )
    p.add_argument(
        "--days-before",
        metavar="N",
        type=_days,
        help="only organisations whose deadline is at most N days away, or has passed",
    )
    p.add_argument("--kind", metavar="K", help="only the organisations of this kind (default: namnd and bolag)")
    p.add_argument("--org", metavar="ID", action="append", help="only this organisation (repeatable)")
    p.add_argument("--send", action="store_true", help="send the messages (without it nothing is sent)")
    p.add_argument("--brief", action="store_true", help="list the organisations and reporters without the texts")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """List the reminders, and send them with ``--send``."""
    from ..round import remind

    if not is_latest(args.period):
        Period.parse(args.period)  # a malformed period is an error before connecting
    if args.kind and args.org:
        raise ConfigError("give --kind or --org, not both")
    smtp = None
    if args.send:
        smtp = smtp_settings()  # a bad setting is an error before anything is read or sent
    with connect(args.warehouse, tracer=tracer_for(args)) as wh:
        period = round_period(wh, args.period)
        plan = remind.plan(wh, period, days_before=args.days_before, kind=args.kind, org_ids=args.org)
        if smtp is not None:
            plan = remind.restrict_to_sender(wh, plan, explicit=bool(args.org))
        for line in remind.describe(plan):
            print(line)
        if not args.brief:
            for n, letter in enumerate(plan.letters, 1):
                print(f"\n--- message {n} of {len(plan.letters)} ---")
                print(f"To: {letter.name} <{letter.to}>")
                print(f"Subject: {letter.subject}\n")
                print(letter.body, end="")
        lost = remind.unreachable(plan)
        if lost:
            print(
                f"warning: no message reaches {', '.join(lost)}: no reporter with an e-mail address in users",
                file=sys.stderr,
            )
        if smtp is None:
            print()
            if not plan.letters:
                print("Nothing to send.")
            else:
                n = len(plan.letters)
                what = "this message" if n == 1 else f"these {n} messages"
                print(f"Nothing was sent: add --send to send {what} {_relay()}.")
            return 0
        if not plan.letters:
            print("\nNothing to send.")
            return 0
        print()

        told: set[str] = set()

        def said(outcome: Outcome) -> None:
            about = ", ".join(d.org_id for d in remind.about(outcome.letter)[1])
            if outcome.sent:
                print(f"sent to {outcome.letter.to} ({about})", flush=True)
                return
            error = redact(outcome.error or "not sent")
            if error not in told:  # a relay that cannot be reached is said once, not once per message
                told.add(error)
                print(f"ils: error: {error}", file=sys.stderr, flush=True)

        sent = remind.send_reminders(wh, plan, smtp, smtp_password(), explicit=bool(args.org), on_outcome=said)
    for line in sent.unrecorded:
        print(f"ils: error: {redact(line)}", file=sys.stderr)
    n_sent, n_all = len(sent.delivery.sent), len(sent.delivery.outcomes)
    print(f"Sent {n_sent} of {n_all} reminder{'' if n_all == 1 else 's'} through {smtp.address}", end="")
    failed = [o.letter.to for o in sent.delivery.failed]
    print("." if not failed else f"; not sent to {', '.join(failed)} (the reason above).")
    return 0 if sent.ok else 1


def _relay() -> str:
    """Where --send would send, or that no relay is configured yet."""
    try:
        return f"through {smtp_settings().address}"
    except ConfigError:
        return f"(configure the relay first: [smtp] in {config_path()})"
