"""The rejects files of the bad-load corpus, pinned byte for byte.

``tests/test_load.py`` checks each case's rejects by place and reason; this
file pins the whole rejects file (order, values, wording, quoting) of every
case of ``tests/bad_loads/``, of the XLSX cases built there, of two
generated files larger than a chunk (``ilslib.load.CHUNK``, 20 000 rows) with bad
cells of every kind scattered over the chunks, and of a file malformed after
its first chunk. It guards rewrites of the
checking code (column by column instead of cell by cell): the rejects must
stay exactly the same. The expected files are ``tests/snapshots/bad_loads/``;
``ILS_UPDATE_SNAPSHOTS=1`` rewrites them (only for an intended change).

Embedded warehouse only: the checking code is the same on every backend, and
``tests/test_load.py`` runs the corpus on all three.

Every CSV case runs twice: checked in the loading process, and (``forked``) with
every CSV file that can be checked in a forked child while the parent writes
(``ilslib.load.PARALLEL_MIN_BYTES``, normally 4 MiB, set to 0) checked there.
The rejects files must be the same bytes either way.
"""

from __future__ import annotations

import os
import random
import shutil
from pathlib import Path

import pytest

import ilslib.load as load_mod
from ilslib import connect
from ilslib.load import REJECTS_FILE, load_dir
from ilslib.schema import init_schema

HERE = Path(__file__).parent
BAD = HERE / "bad_loads"
BASE = HERE / "good_loads" / "base"
PINNED = HERE / "snapshots" / "bad_loads"
UPDATE = os.environ.get("ILS_UPDATE_SNAPSHOTS") == "1"


@pytest.fixture(scope="module")
def base_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An embedded warehouse holding tests/good_loads/base (copied for each case)."""
    path = tmp_path_factory.mktemp("pinned") / "base.sqlite"
    with connect(f"sqlite:///{path}", create=True, check_schema=False) as wh:
        init_schema(wh)
    with connect(f"sqlite:///{path}") as wh:
        result = load_dir(wh, BASE)
        assert result.ok, [str(r) for r in result.rejects]
    return path


class Checker:
    """How CSV files are checked in a test: ``mode``, and the files checked in a forked child."""

    def __init__(self, mode: str):
        self.mode = mode
        self.forked: list[str] = []


@pytest.fixture(params=["in-process", "forked"])
def checker(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Checker:
    """Check CSV files in the loading process, or every one that can be in a forked child (the big-file path)."""
    c = Checker(request.param)
    if c.mode == "forked":
        monkeypatch.setattr(load_mod, "PARALLEL_MIN_BYTES", 0)
        real = load_mod._Loader._checked_in_child

        def spy(self: load_mod._Loader, file: str, shown: str, *args: object) -> str:
            c.forked.append(shown)
            return real(self, file, shown, *args)  # type: ignore[arg-type]

        monkeypatch.setattr(load_mod._Loader, "_checked_in_child", spy)
    return c


def rejects_of(base_db: Path, directory: Path, tmp_path: Path) -> bytes:
    """Load ``directory`` into a copy of the base warehouse; the bytes of the rejects file written."""
    db = tmp_path / "wh.sqlite"
    shutil.copyfile(base_db, db)
    with connect(f"sqlite:///{db}") as wh:
        result = load_dir(wh, directory)
    assert not result.ok
    return (directory / REJECTS_FILE).read_bytes()


def check_pinned(name: str, actual: bytes) -> None:
    path = PINNED / f"{name}.csv"
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(actual)
    assert path.exists(), f"tests/snapshots/bad_loads/{name}.csv is missing (ILS_UPDATE_SNAPSHOTS=1 writes it)"
    expected = path.read_bytes()
    if actual != expected:
        import difflib

        diff = "".join(
            difflib.unified_diff(
                expected.decode("utf-8-sig").splitlines(True),
                actual.decode("utf-8-sig").splitlines(True),
                str(path),
                "this run",
                n=0,
            )
        )
        pytest.fail(f"the rejects of {name} changed:\n{diff[:6000]}", pytrace=False)


@pytest.mark.parametrize("case", sorted(p.name for p in BAD.iterdir() if p.is_dir()))
def test_corpus_rejects_are_byte_identical(case: str, base_db: Path, tmp_path: Path, checker: Checker) -> None:
    d = tmp_path / case
    shutil.copytree(BAD / case, d)
    check_pinned(case, rejects_of(base_db, d, tmp_path))


def test_xlsx_corpus_rejects_are_byte_identical(base_db: Path, tmp_path: Path) -> None:
    from test_load import XLSX_CASES, make_xlsx_case

    for case in sorted(XLSX_CASES):
        where = tmp_path / case
        where.mkdir()
        d = make_xlsx_case(case, where)
        check_pinned(f"xlsx_{case}", rejects_of(base_db, d, where))


# -- generated files over several chunks ----------------------------------------------------------

ORGS = ["0001", "0100", "0110", "0200", "0210"]


def _bad_ledger_cell(rnd: random.Random, row: int) -> tuple[int, str]:
    """A bad (or odd but valid) value for one of the ledger's columns: (column index, text)."""
    choices = [
        (0, "9999"),  # unknown organisation
        (0, "02 00"),  # not an identifier
        (0, ""),  # required
        (0, " 0200 "),  # trimmed: valid
        (1, "2026-13"),
        (1, "2026-1"),
        (1, ""),
        (1, " 2026-02 "),  # trimmed: valid
        (2, "30 10"),
        (2, "x" * 70),
        (2, ""),
        (2, "Å1"),  # valid non-ASCII id
        (2, "A\u030a1"),  # the same in NFD: normalised
        (3, '=HYPERLINK("http://x")'),  # text: stored as it is, shown inert
        (3, "y" * 5000),  # may be too long (MAX_TEXT)
        (4, "Intakt"),  # case-sensitive code
        (4, "ränta"),
        (4, ""),
        (5, "1 234 567,5"),
        (5, "1.234.567"),
        (5, "1,2,3"),
        (5, "12e3"),
        (5, "−12,5"),  # U+2212 minus
        (5, "1e16"),
        (5, "abc"),
        (5, "1,234.5"),
        (5, "١٢٣"),  # Arabic-Indic digits
        (5, "1\u00a0234,5"),
        (5, "inf"),
        (5, "nan"),
        (5, " 12,5 "),
        (6, ""),
        (6, "12.5"),  # a decimal point in a column of commas: mixed
        (6, "-0"),
        (6, "999999999999999999"),
        (7, "+5,5"),
        (7, "5,"),
        (7, ",5"),
    ]
    return choices[rnd.randrange(len(choices))]


def make_ledger(directory: Path, rows: int, seed: int) -> Path:
    rnd = random.Random(seed)
    directory.mkdir(parents=True, exist_ok=True)
    lines = ["org_id;month;account;account_name;kind;outcome;budget;forecast"]
    for i in range(rows):
        # (org, month) from i % 600, the account from i // 600: every key once (but for the duplicates made below)
        org = ORGS[(i // 120) % len(ORGS)]
        month = f"{2020 + (i % 120) // 12}-{i % 12 + 1:02d}"
        account = str(3000 + i // 600)
        cells = [org, month, account, "Konto – övrigt", "intakt" if i % 3 else "kostnad", "1 000,25", "95 000", ""]
        if rnd.random() < 0.004:
            at, text = _bad_ledger_cell(rnd, i)
            cells[at] = text
        if rnd.random() < 0.0005:
            cells = cells[:5]  # a short row: the missing cells are empty (budget is required)
        if rnd.random() < 0.0005:
            cells = [*cells, "extra"]  # a cell beyond the header
        line = ";".join(f'"{c}"' if ";" in c or '"' in c else c for c in cells)
        lines.append(line.replace('"=HYPERLINK("http://x")"', '"=HYPERLINK(""http://x"")"'))
        if rnd.random() < 0.0005 and i > 0:
            lines.append(lines[-2])  # a duplicate key (the row before, again)
        if rnd.random() < 0.0003:
            lines.append(";;;;;;;")  # an empty row: skipped, still counted
    (directory / "ledger.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return directory


def make_personnel(directory: Path, rows: int, seed: int) -> Path:
    rnd = random.Random(seed)
    directory.mkdir(parents=True, exist_ok=True)
    lines = ["org_id;month;headcount;fte;scheduled_hours;sick_hours"]
    for i in range(rows):
        org = ORGS[i % len(ORGS)] if i % 997 else "0300"
        month = f"{1900 + i // 60}-{(i // 5) % 12 + 1:02d}"  # the last 3 000 rows: after 2199, malformed
        cells = [org, month, "12", "10,5", "1 700", "90"]
        r = rnd.random()
        if r < 0.002:
            cells[2] = rnd.choice(["-1", "1,5", "1,0", "3 000", "2147483648", "x", "1e3", ""])
        elif r < 0.004:
            cells[3] = rnd.choice(["-0,5", "1.5", "", "0"])
        elif r < 0.006:
            cells[5] = rnd.choice(["1 800", "-3", "1700,5", ""])
        elif r < 0.007:
            cells[4] = rnd.choice(["", "0", "-1"])
        lines.append(";".join(cells))
    (directory / "personnel.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return directory


def test_generated_ledger_rejects_over_several_chunks_are_byte_identical(
    base_db: Path, tmp_path: Path, checker: Checker
) -> None:
    d = make_ledger(tmp_path / "ledger", 45_000, seed=7)
    check_pinned("generated_ledger", rejects_of(base_db, d, tmp_path))
    assert checker.forked == (["ledger.csv"] if checker.mode == "forked" else [])


def test_generated_personnel_rejects_over_several_chunks_are_byte_identical(
    base_db: Path, tmp_path: Path, checker: Checker
) -> None:
    d = make_personnel(tmp_path / "personnel", 21_000, seed=11)
    check_pinned("generated_personnel", rejects_of(base_db, d, tmp_path))
    assert checker.forked == (["personnel.csv"] if checker.mode == "forked" else [])


def test_malformed_quote_after_the_first_chunk_keeps_the_rejects_before_it(
    base_db: Path, tmp_path: Path, checker: Checker
) -> None:
    # Reading stops at the malformed row: the complete chunks before it are checked (their rejects are
    # listed), the rows read since the last complete chunk are not; then the malformed row is named.
    d = make_ledger(tmp_path / "malformed", 26_000, seed=3)
    path = d / "ledger.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    cells = lines[23_456].split(";")
    cells[3] = '"Konto" x'  # text after a closing quote: malformed
    lines[23_456] = ";".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    check_pinned("generated_malformed_after_a_chunk", rejects_of(base_db, d, tmp_path))
    assert checker.forked == (["ledger.csv"] if checker.mode == "forked" else [])
