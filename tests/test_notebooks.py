"""The notebooks: they run, they are reviewable in git, and JupyterLab works with the project's kernel.

- every notebook in ``notebooks/`` (and the study template) runs top to bottom with
  parameters on the demo warehouse, in process (papermill's ``ils-inprocess`` engine)
  and the guided tour also in a real Jupyter kernel (``ils``, through nbclient);
- committed notebooks carry no outputs, and each ``.ipynb`` holds the same cells as
  its percent ``.py``;
- the ``ils`` kernel spec, ``make kernel``/``make lab``, a headless JupyterLab;
- the pre-commit configuration works offline and catches outputs, secrets and keys.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import papermill as pm
import pytest
import yaml

import ilslib.report.engine  # noqa: F401  (registers the ils-inprocess papermill engine)
from ilslib import notebooks as nbs
from ilslib.cli.new_study import render

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"
BIN = Path(sys.executable).parent
PERIOD = "2026-T2"
# Parameters for whichever of these a notebook declares.
PARAMS = {"period": PERIOD, "org_id": "ALN", "kind": "namnd"}


def notebook_parameters(path: Path) -> set[str]:
    """The names in the notebook's ``parameters`` cell, as papermill reads them."""
    return set(pm.inspect_notebook(str(path)))


def git_ls_files(pattern: str) -> list[Path]:
    out = subprocess.run(
        ["git", "ls-files", "-z", "--", pattern], cwd=REPO, check=True, capture_output=True, text=True
    ).stdout
    return [REPO / p for p in out.split("\0") if p and (REPO / p).exists()]


def repo_notebooks() -> list[Path]:
    """Every .ipynb under notebooks/ in the working tree (studies included)."""
    return sorted(p for p in NOTEBOOKS.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def outputs_of(nb: nbformat.NotebookNode) -> str:
    """All text an executed notebook showed (stream text, text/plain and text/html)."""
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            parts.append(out.get("text", ""))
            data = out.get("data") or {}
            parts += [str(data.get("text/plain", "")), str(data.get("text/html", ""))]
    return "\n".join(parts)


def errors_of(nb: nbformat.NotebookNode) -> list[str]:
    return [
        f"{o.get('ename')}: {o.get('evalue')}"
        for c in nb.cells
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]


def execute(path: Path, out: Path, *, engine: str = "ils-inprocess", **params) -> nbformat.NotebookNode:
    declared = notebook_parameters(path)
    given = {k: v for k, v in PARAMS.items() if k in declared}
    given.update(params)
    return pm.execute_notebook(
        str(path),
        str(out),
        parameters=given,
        engine_name=engine,
        progress_bar=False,
        cwd=str(path.parent),
        kernel_name=None,
    )


@pytest.fixture
def demo_env(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The notebooks find the demo warehouse the usual way: ILS_WAREHOUSE."""
    monkeypatch.setenv("ILS_WAREHOUSE", demo_url)
    return demo_url


# -- every notebook runs ----------------------------------------------------------------------


def test_the_notebooks_directory_holds_the_three_notebooks():
    names = {p.stem for p in NOTEBOOKS.glob("*.ipynb")}
    assert {"explore", "report", "group_report"} <= names


@pytest.mark.parametrize("path", repo_notebooks(), ids=lambda p: str(p.relative_to(NOTEBOOKS)))
def test_notebook_runs_top_to_bottom(path: Path, demo_env: str, tmp_path: Path):
    nb = execute(path, tmp_path / "out.ipynb")
    assert errors_of(nb) == []
    assert nb.metadata.papermill.get("exception") in (None, False)
    assert all(c.get("execution_count") for c in nb.cells if c.cell_type == "code" and c.source.strip())
    assert outputs_of(nb).strip(), "the notebook showed nothing"


def test_explore_tour_shows_every_step(demo_env: str, tmp_path: Path):
    nb = execute(
        NOTEBOOKS / "explore.ipynb", tmp_path / "out.ipynb", org_id="SDN_EKH", kind="namnd", key_figure="deviation_pct"
    )
    text = outputs_of(nb)
    assert "Ekhagens stadsdelsnämnd" in text
    assert "Mälarviks Stadshus AB" in text  # the list of organisations
    assert "Tertialrapport 2 2026" in text and "2024-BU" in text  # the periods
    assert "<img" in text and "alt=" in text  # charts, with text alternatives
    assert "Budgetuppföljning" in text and "Konto" in text  # deviation by account
    assert "Budgetavvikelse" in text and "rang" in text  # key figure ranked
    assert "SELECT" in text and "parameters:" in text  # the tracer printed the SQL
    assert "demo.sqlite" in text  # the configured warehouse


@pytest.mark.parametrize(
    "params",
    [
        {"period": "2026-BU", "org_id": "BOSTAD", "kind": "bolag", "key_figure": "deviation"},  # a plan, no outcome
        {"period": "2024-BO", "org_id": "STAD", "kind": "namnd", "key_figure": "SJUKFR"},  # an indicator id
    ],
    ids=["budget-company", "annual-municipality"],
)
def test_explore_runs_for_other_periods_and_organisations(params: dict, demo_env: str, tmp_path: Path):
    nb = execute(NOTEBOOKS / "explore.ipynb", tmp_path / "out.ipynb", **params)
    assert errors_of(nb) == []


def test_explore_takes_no_connection_string_or_password():
    text = (NOTEBOOKS / "explore.py").read_text(encoding="utf-8")
    assert "ilslib.connect()" in text
    for bad in ("sqlite:///", "odbc:", "PWD", "ILS_WAREHOUSE_PASSWORD=", 'connect("'):
        assert bad not in text


def test_explore_is_presentation_only():
    text = (NOTEBOOKS / "explore.py").read_text(encoding="utf-8")
    for bad in ("SELECT", ".query(", ".scalar(", ".rows(", ".execute("):
        assert bad not in text, f"explore.py uses {bad!r}: figures belong in ilslib"


@pytest.mark.parametrize(
    "scope, parameters, runs",
    [
        ("org", {"org_id", "period"}, [{"org_id": "ALN"}, {"org_id": "BOSTAD"}, {"org_id": "STAD"}]),
        ("kind", {"kind", "period"}, [{"kind": "namnd"}, {"kind": "bolag"}, {"kind": "kommun"}]),
        ("all", {"period"}, [{}]),
    ],
)
def test_study_templates_run_top_to_bottom(scope: str, parameters: set, runs: list, demo_env: str, tmp_path: Path):
    """Each scope's template, for a board, a company and the municipality, and for the budget."""
    py = tmp_path / "mall" / "mall.py"
    py.parent.mkdir()
    _, ipynb = nbs.write_pair(render("mall", 'Mall med "citat" & <b>märkning</b>', scope=scope), py)
    assert notebook_parameters(ipynb) == parameters
    for i, params in enumerate(runs):
        nb = execute(ipynb, tmp_path / f"{i}.ipynb", **params)
        assert errors_of(nb) == [], params
    nb = execute(ipynb, tmp_path / "bu.ipynb", period="2026-BU")
    assert errors_of(nb) == []


def test_explore_runs_in_a_real_jupyter_kernel(demo_env: str, tmp_path: Path, monkeypatch):
    """nbclient starts the kernel the notebook names (ils), from a kernel spec installed here."""
    prefix = tmp_path / "prefix"
    nbs.install_kernel(prefix=prefix)
    monkeypatch.setenv("JUPYTER_PATH", str(prefix / "share" / "jupyter"))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    path = NOTEBOOKS / "explore.ipynb"
    assert json.loads(path.read_text(encoding="utf-8"))["metadata"]["kernelspec"]["name"] == nbs.KERNEL_NAME
    nb = execute(path, tmp_path / "out.ipynb", engine="nbclient")
    assert errors_of(nb) == []
    text = outputs_of(nb)
    assert "Äldrenämnden" in text and "SELECT" in text and "demo.sqlite" in text


# -- reviewable in git --------------------------------------------------------------------------


def test_committed_notebooks_carry_no_outputs_or_execution_counts():
    committed = git_ls_files("*.ipynb")
    assert committed, "git ls-files finds no notebooks"
    problems = [p for path in committed for p in nbs.output_problems(path)]
    assert problems == [], "strip them: nbstripout --keep-id NB (pre-commit does it)"


def test_every_notebook_is_paired_and_in_sync():
    assert nbs.check_tree([NOTEBOOKS]) == [], "jupytext --sync NB.py (pre-commit does it)"
    for path in git_ls_files("notebooks/*.ipynb"):
        assert path.with_suffix(".py").is_file(), f"{path}: no paired percent .py"


def test_the_notebooks_name_the_project_kernel():
    templates = sorted((REPO / "ilslib" / "templates" / "study").glob("*.py"))
    assert [p.name for p in templates] == ["all.py", "kind.py", "org.py"]
    for py in [NOTEBOOKS / "explore.py", *templates]:
        assert nbs.metadata_problems(py) == []
        assert "name: ils" in py.read_text(encoding="utf-8")


def test_sync_check_finds_changed_cells_tags_and_outputs(tmp_path: Path):
    py, ipynb = nbs.write_pair(render("prov", "Prov"), tmp_path / "prov.py")
    assert nbs.check_tree([tmp_path]) == []
    text = py.read_text(encoding="utf-8")
    py.write_text(text.replace('period = "latest"', 'period = "2026-T1"'), encoding="utf-8")
    assert any("source differs" in p for p in nbs.sync_problems(py, ipynb))
    py.write_text(text.replace('# %% tags=["parameters"]', "# %%"), encoding="utf-8")
    assert any("tags differ" in p for p in nbs.sync_problems(py, ipynb))
    py.write_text(text + "\n# %%\nprint(1)\n", encoding="utf-8")
    assert any("cells" in p for p in nbs.sync_problems(py, ipynb))
    py.write_text(text, encoding="utf-8")
    nb = json.loads(ipynb.read_text(encoding="utf-8"))
    code = next(c for c in nb["cells"] if c["cell_type"] == "code")
    code["execution_count"] = 3
    ipynb.write_text(json.dumps(nb), encoding="utf-8")
    assert nbs.output_problems(ipynb) == [f"{ipynb} cell 2: has an execution count"]
    code["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "x"}]
    ipynb.write_text(json.dumps(nb), encoding="utf-8")
    assert nbs.output_problems(ipynb) == [f"{ipynb} cell 2: has outputs"]
    py.unlink()
    assert any("no paired percent script" in p for p in nbs.check_tree([tmp_path]))


def test_check_command_exit_codes(tmp_path: Path):
    nbs.write_pair(render("prov", "Prov"), tmp_path / "prov.py")
    ok = subprocess.run(
        [sys.executable, "-m", "ilslib.notebooks", "check", str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert ok.returncode == 0, ok.stderr
    (tmp_path / "prov.ipynb").unlink()
    bad = subprocess.run(
        [sys.executable, "-m", "ilslib.notebooks", "check", str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert bad.returncode == 1 and "no paired notebook" in bad.stderr


def test_check_a_file_that_is_no_notebook(tmp_path: Path):
    # pre-commit or a user may name any file: one that is neither a notebook nor a paired script, with none
    # beside it, has nothing to check (it crashed with AttributeError on None before mypy found it).
    (tmp_path / "anteckningar.md").write_text("# Anteckningar om åäö\n", encoding="utf-8")
    assert nbs.check_tree([tmp_path / "anteckningar.md"]) == []
    run = subprocess.run(
        [sys.executable, "-m", "ilslib.notebooks", "check", str(tmp_path / "anteckningar.md")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr


SECRET_CASES = [
    ("DRIVER={PostgreSQL Unicode};SERVER=db;UID=ils;PWD=Hemligt1", ["PWD"]),  # pragma: allowlist secret
    ("SERVER=db;Password=Sommar2026;DATABASE=lis", ["Password"]),  # pragma: allowlist secret
    ('password = "åäö-hemligt"', ["password"]),  # pragma: allowlist secret
    ("ILS_WAREHOUSE_PASSWORD=Sommar2026 ils info", ["ILS_WAREHOUSE_PASSWORD"]),  # pragma: allowlist secret
    ("password: Sommar2026", ["password"]),  # pragma: allowlist secret
    ("ILS_WAREHOUSE_PASSWORD=... ils info --warehouse 'odbc:DSN=lis'", []),
    ("export ILS_WAREHOUSE_PASSWORD='...'", []),
    ("SERVER=db;PWD=***;UID=ils", []),
    ("env = dict(os.environ, PGPASSWORD=pg.password)", []),
    ('ENV_PASSWORD = "ILS_WAREHOUSE_PASSWORD"', []),
    ("full = conn + ';PWD=' + _odbc_quote(password)", []),
    ("PWD=hemligt  # pragma: allowlist secret", []),
    ("a password goes in ILS_WAREHOUSE_PASSWORD, never PWD= in the URL", []),
]


@pytest.mark.parametrize("line, keys", SECRET_CASES)
def test_secret_finder(line: str, keys: list[str]):
    assert [k for _, k in nbs.find_secrets(line)] == keys


def test_no_password_values_in_committed_files():
    files = [p for p in git_ls_files("*") if not p.relative_to(REPO).parts[0] == "tests"]
    assert nbs.secrets_in_files(files) == []


# -- the kernel and JupyterLab ---------------------------------------------------------------


def test_kernel_spec_runs_this_python(tmp_path: Path):
    path = nbs.install_kernel(prefix=tmp_path)
    assert path == tmp_path / "share" / "jupyter" / "kernels" / "ils"
    spec = json.loads((path / "kernel.json").read_text(encoding="utf-8"))
    assert spec["argv"][0] == sys.executable and "ipykernel_launcher" in spec["argv"]
    assert spec["display_name"] == "Python 3 (ils)" and spec["language"] == "python"
    env = dict(os.environ, JUPYTER_PATH=str(tmp_path / "share" / "jupyter"))
    proc = subprocess.run(
        [str(BIN / "jupyter"), "kernelspec", "list", "--json"], env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    listed = json.loads(proc.stdout)["kernelspecs"]
    assert Path(listed["ils"]["resource_dir"]) == path


def test_kernel_name_falls_back_to_python3_when_ils_is_not_installed(tmp_path: Path, monkeypatch):
    nb = {"metadata": {"kernelspec": dict(nbs.KERNELSPEC)}}
    nbs.install_kernel(prefix=tmp_path)
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "share" / "jupyter"))
    assert nbs.kernel_name_for(nb) == "ils"
    assert nbs.kernel_name_for({"metadata": {"kernelspec": {"name": "no-such-kernel"}}}) == "python3"
    assert nbs.kernel_name_for({"metadata": {}}) == "python3"


def test_kernel_command(tmp_path: Path):
    proc = subprocess.run(
        [sys.executable, "-m", "ilslib.notebooks", "kernel", "--prefix", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "share" / "jupyter" / "kernels" / "ils" / "kernel.json").is_file()


def make_dry_run(target: str, **variables: str) -> list[str]:
    """The commands ``make -n TARGET`` would run (make's own prerequisites included)."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    args = ["make", "-n", target] + [f"{k}={v}" for k, v in variables.items()]
    proc = subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.splitlines()


def test_make_kernel_installs_the_ils_kernel_into_the_venv():
    lines = make_dry_run("kernel")
    assert any("ipykernel install --sys-prefix --name ils" in ln and "Python 3 (ils)" in ln for ln in lines)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, token: str) -> tuple[int, bytes]:
    req = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""


def test_make_lab_starts_jupyterlab_headless(tmp_path: Path):
    """`make lab`'s command, with a port and a token, answers on localhost; the ils kernel is the default."""
    port, token = free_port(), "t" + os.urandom(8).hex()
    extra = f"--no-browser --port={port} --ServerApp.token={token} --ServerApp.port_retries=0"
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        extra += " --allow-root"
    line = next(ln for ln in make_dry_run("lab", LAB_ARGS=extra) if " lab " in ln and "jupyter" in ln)
    argv = shlex.split(line)
    argv[0] = str(BIN / "jupyter")  # the same jupyter, venv or conda
    prefix = tmp_path / "prefix"
    nbs.install_kernel(prefix=prefix)
    env = dict(
        os.environ,
        JUPYTER_PATH=str(prefix / "share" / "jupyter"),
        JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
        JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
    )
    log = (tmp_path / "lab.log").open("wb")
    proc = subprocess.Popen(argv, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        status = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                status, _ = get(f"{base}/lab", token)
                if status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        assert status == 200, f"JupyterLab did not answer: {(tmp_path / 'lab.log').read_text()[-2000:]}"
        status, body = get(f"{base}/api/kernelspecs", token)
        assert status == 200
        specs = json.loads(body)
        assert specs["default"] == "ils" and "ils" in specs["kernelspecs"]
        assert specs["kernelspecs"]["ils"]["spec"]["display_name"] == "Python 3 (ils)"
        assert get(f"{base}/api/kernelspecs", "wrong-token")[0] == 403  # the token is required
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        log.close()


# -- pre-commit -------------------------------------------------------------------------------


def test_precommit_config_is_local_only_and_valid():
    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    assert {r["repo"] for r in config["repos"]} == {"local"}, "hooks must not be downloaded"
    ids = {h["id"] for r in config["repos"] for h in r["hooks"]}
    assert {
        "jupytext-sync",
        "nbstripout",
        "notebooks-check",
        "ruff",
        "detect-private-key",
        "no-passwords",
        "check-added-large-files",
    } <= ids
    for hook in (h for r in config["repos"] for h in r["hooks"]):
        tool = hook["entry"].split()[0]
        assert shutil.which(tool, path=str(BIN)) or tool == "python", f"{tool} is not installed in {BIN}"
    proc = subprocess.run(
        [str(BIN / "pre-commit"), "validate-config", ".pre-commit-config.yaml"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _git(repo: Path, *args: str, env: dict[str, str] | None = None) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, timeout=60, env=env)


def _pre_commit(repo: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "pre-commit"), "run", "--all-files", "--color", "never"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


@pytest.mark.slow
def test_precommit_hooks_run_offline_and_catch_outputs_and_secrets(tmp_path: Path):
    """In a scratch repository: a clean pair passes; outputs, a password and a key are caught."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    (repo / "notebooks").mkdir(parents=True)
    shutil.copy(REPO / ".pre-commit-config.yaml", repo)
    shutil.copy(REPO / "pyproject.toml", repo)  # ruff's settings
    nbs.write_pair(render("prov", "Prov"), repo / "notebooks" / "prov.py")
    env = dict(
        os.environ,
        PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        PRE_COMMIT_HOME=str(tmp_path / "pre-commit-cache"),
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.org",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.org",
    )
    _git(repo, "init", "-q", env=env)
    _git(repo, "add", "-A", env=env)
    clean = _pre_commit(repo, env)
    assert clean.returncode == 0, clean.stdout + clean.stderr

    _git(repo, "commit", "-q", "--no-verify", "-m", "clean", env=env)

    # The notebook saved with outputs (as JupyterLab does): nbstripout strips it and fails the
    # commit so that the stripped file is looked at and added.
    ipynb = repo / "notebooks" / "prov.ipynb"
    nb = json.loads(ipynb.read_text(encoding="utf-8"))
    for i, cell in enumerate(c for c in nb["cells"] if c["cell_type"] == "code"):
        cell["execution_count"] = i + 1
        cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["Äldrenämnden\n"]}]
    ipynb.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    assert nbs.output_problems(ipynb)
    (repo / "settings.env").write_text(
        "ILS_WAREHOUSE=odbc:DSN=lis\nPWD=Sommar2026\n",  # pragma: allowlist secret
        encoding="utf-8",
    )
    (repo / "id_test").write_text(
        "-----BEGIN OPENSSH " + "PRIVATE KEY-----\nabc\n-----END OPENSSH " + "PRIVATE KEY-----\n", encoding="utf-8"
    )
    _git(repo, "add", "-A", env=env)
    dirty = _pre_commit(repo, env)
    out = dirty.stdout + dirty.stderr
    assert dirty.returncode != 0
    assert "nbstripout" in out and "files were modified by this hook" in out
    assert "settings.env:2: PWD=" in out
    assert "id_test" in out  # detect-private-key
    assert nbs.output_problems(ipynb) == [], "nbstripout left outputs in the notebook"
    assert nbs.sync_problems(repo / "notebooks" / "prov.py", ipynb) == []
