"""The project's packaging agrees with itself: conda and pip lists, CI and README, notebooks."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
TEST_COMMAND = "make test"

# conda-forge names that differ from the PyPI names (PyPI name -> conda name).
CONDA_NAMES: dict[str, str] = {}
# Only in environment.yml: the interpreter and pip itself.
CONDA_ONLY = {"python", "pip"}

_REQ = re.compile(r"^\s*(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[(?P<extras>[^\]]*)\])?\s*(?P<spec>[^;]*)")


def _norm_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _norm_spec(spec: str) -> str:
    return ",".join(sorted(p.strip() for p in spec.replace(" ", "").split(",") if p.strip()))


def pip_packages() -> dict[str, str]:
    """pyproject.toml's dependencies and every optional group, as {name: version spec}.

    A pip extra stands for the conda package of that name with the same bound
    (``dask[distributed]>=2024.1`` = conda ``dask>=2024.1`` + ``distributed>=2024.1``).
    """
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    reqs = list(project.get("dependencies", []))
    for group in project.get("optional-dependencies", {}).values():
        reqs.extend(group)
    out: dict[str, str] = {}
    for req in reqs:
        m = _REQ.match(req)
        assert m, f"cannot parse requirement {req!r} in pyproject.toml"
        spec = _norm_spec(m["spec"])
        names = [m["name"]] + [e for e in (m["extras"] or "").split(",") if e.strip()]
        for name in names:
            key = _norm_name(CONDA_NAMES.get(_norm_name(name), name))
            assert key not in out or out[key] == spec, f"{name} listed twice with different bounds"
            out[key] = spec
    return out


def conda_packages() -> dict[str, str]:
    """environment.yml's dependencies as {name: version spec}: conda's and those of its pip: section (not -e .)."""
    env = yaml.safe_load((REPO / "environment.yml").read_text(encoding="utf-8"))
    out: dict[str, str] = {}
    deps = []
    for dep in env["dependencies"]:
        if isinstance(dep, dict):  # the pip: section: packages only on PyPI, and this project (-e .)
            deps += [d for d in dep.get("pip", []) if not str(d).startswith("-")]
        else:
            deps.append(dep)
    for dep in deps:
        m = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(.*)$", str(dep))
        assert m, f"cannot parse {dep!r} in environment.yml"
        name = _norm_name(m.group(1))
        if name in CONDA_ONLY:
            continue
        out[name] = _norm_spec(m.group(2))
    return out


def test_environment_yml_and_pyproject_list_the_same_packages():
    pip, conda = pip_packages(), conda_packages()
    assert sorted(set(pip) - set(conda)) == [], "in pyproject.toml but not in environment.yml"
    assert sorted(set(conda) - set(pip)) == [], "in environment.yml but not in pyproject.toml"
    differing = {n: (pip[n], conda[n]) for n in pip if pip[n] != conda[n]}
    assert differing == {}, "version bounds differ (pyproject.toml, environment.yml)"


def test_python_version_agrees():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    env = yaml.safe_load((REPO / "environment.yml").read_text(encoding="utf-8"))
    pythons = [
        str(d)
        for d in env["dependencies"]
        if isinstance(d, str) and _norm_name(d).startswith("python") and not _norm_name(d).startswith("python-")
    ]
    assert pythons, "environment.yml does not pin python"
    assert _norm_spec(pythons[0][len("python") :]) == _norm_spec(project["requires-python"])


def test_environment_yml_installs_this_project():
    env = yaml.safe_load((REPO / "environment.yml").read_text(encoding="utf-8"))
    pip_sections = [d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert any("-e ." in entry for section in pip_sections for entry in section)


def _readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    commands = []
    # Fenced blocks, opening and closing fences paired (an ```ini or ```cron block is not a shell one).
    for lang, block in re.findall(r"^```([\w-]*)\n(.*?)^```", text, re.S | re.M):
        if lang not in ("", "sh", "bash", "console", "shell"):
            continue
        for line in block.splitlines():
            line = line.strip().removeprefix("$ ").strip()
            if line and not line.startswith("#"):
                commands.append(line)
    return commands


def test_ci_runs_exactly_the_readme_test_command():
    assert TEST_COMMAND in _readme_commands(), f"README.md shows no '{TEST_COMMAND}' command block"
    run = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert run.startswith("#!/usr/bin/env bash\n")
    assert re.search(r"^set -euo pipefail$", run, re.M)
    lines = [
        ln.strip()
        for ln in run.splitlines()
        if ln.strip() and not ln.strip().startswith("#") and not ln.strip().startswith(("set ", "cd "))
    ]
    assert lines == [TEST_COMMAND], f".ci/run must run exactly '{TEST_COMMAND}', runs {lines}"
    assert (REPO / ".ci" / "run").stat().st_mode & 0o111, ".ci/run is not executable"


def test_makefile_test_target_fails_on_no_tests():
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    target = re.search(r"^test:.*?(?=^\S)", makefile, re.M | re.S)
    assert target, "no test target in the Makefile"
    assert "-eq 5" in target.group(0), "pytest's exit code 5 (no tests) must fail make test"


def _committed_notebooks() -> list[Path]:
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z", "--", "*.ipynb"], cwd=REPO, check=True, capture_output=True, text=True
        ).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.fail(f"git ls-files failed: {exc}")
    return [REPO / p for p in out.split("\0") if p]


def test_committed_notebooks_carry_no_outputs():
    dirty = []
    for path in _committed_notebooks():
        if not path.exists():  # deleted in the work tree, not yet committed
            continue
        nb = json.loads(path.read_text(encoding="utf-8"))
        for i, cell in enumerate(nb.get("cells", [])):
            if cell.get("cell_type") != "code":
                continue
            if cell.get("outputs") or cell.get("execution_count") is not None:
                dirty.append(f"{path.relative_to(REPO)} cell {i}")
    assert dirty == [], "clear the outputs (jupyter nbconvert --clear-output --inplace NB): " + ", ".join(dirty)


def test_install_script_is_idempotent_and_checkable():
    script = REPO / "scripts" / "install-system.sh"
    assert script.stat().st_mode & 0o111, "scripts/install-system.sh is not executable"
    text = script.read_text(encoding="utf-8")
    for package in ("unixodbc", "odbc-postgresql", "libsqliteodbc", "postgresql", "chromium"):
        assert re.search(rf"^\s*{re.escape(package)}\s*$", text, re.M), package
    proc = subprocess.run(["bash", str(script), "--check"], capture_output=True, text=True, timeout=60)
    # Exit 0 when everything is there; 1 with the list of what is missing.
    assert proc.returncode in (0, 1), proc.stderr
    if proc.returncode == 1:
        assert "missing" in proc.stderr


def test_shell_scripts_parse():
    for script in (REPO / ".ci" / "run", REPO / "scripts" / "install-system.sh"):
        proc = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
        assert proc.returncode == 0, f"{script}: {proc.stderr}"
    # and the README's commands are make targets that exist
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    for cmd in _readme_commands():
        words = shlex.split(cmd)
        if words[:1] == ["make"] and len(words) > 1 and "=" not in words[1]:
            assert re.search(rf"^{re.escape(words[1])}:", makefile, re.M), f"README: no make target {cmd!r}"


# -- plain pip users: the kernel ships with the package --------------------------------------


def test_the_packaged_kernel_spec_is_the_projects_kernel():
    """share/jupyter/kernels/ils/kernel.json (installed by pip) is the one ilslib.notebooks describes."""
    from ilslib import notebooks as nbs

    path = REPO / nbs.PACKAGED_KERNEL_PATH
    spec = json.loads(path.read_text(encoding="utf-8"))
    assert spec == nbs.PACKAGED_KERNEL
    # `python`: jupyter_client runs the Python that starts the kernel (never a path baked into a wheel)
    assert spec["argv"][:3] == ["python", "-m", "ipykernel_launcher"] and "{connection_file}" in spec["argv"]
    assert spec["display_name"] == nbs.KERNEL_DISPLAY_NAME
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    data_files = project["tool"]["setuptools"]["data-files"]
    assert data_files == {f"share/jupyter/kernels/{nbs.KERNEL_NAME}": [nbs.PACKAGED_KERNEL_PATH]}
    # every notebook names that kernel
    for nb in (REPO / "notebooks").rglob("*.ipynb"):
        assert json.loads(nb.read_text(encoding="utf-8"))["metadata"]["kernelspec"]["name"] == nbs.KERNEL_NAME, nb


def _source_tree(dest: Path) -> Path:
    """The project's files as a fresh checkout has them (tracked and new, not ignored) copied to ``dest``."""
    import shutil

    out = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    for rel in filter(None, out.split("\0")):
        src = REPO / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    return dest


def _pip_env() -> dict[str, str]:
    """The environment for pip and the fresh venv: the user's pip cache (the tests' HOME is a scratch one)."""
    import os
    import pwd

    env = {k: v for k, v in os.environ.items() if not k.startswith(("ILS_", "JUPYTER", "VIRTUAL_ENV", "PYTHONPATH"))}
    cache = os.environ.get("PIP_CACHE_DIR") or str(Path(pwd.getpwuid(os.getuid()).pw_dir) / ".cache" / "pip")
    env["PIP_CACHE_DIR"] = cache
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


@pytest.mark.slow
def test_plain_pip_install_runs_the_report_with_papermill_and_the_ils_kernel(tmp_path: Path):
    """`pip install` of the wheel into a fresh venv, no make: papermill's CLI and `ils run --engine kernel`
    find the `ils` kernel the wheel installed and run the report on a small embedded warehouse."""
    import os
    import sys
    import zipfile

    env = _pip_env()
    src = _source_tree(tmp_path / "src")
    wheels = tmp_path / "wheels"
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(wheels), str(src)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    (wheel,) = wheels.glob("ilslib-*.whl")
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
    assert any(n.endswith(".data/data/share/jupyter/kernels/ils/kernel.json") for n in names), names[:20]
    assert any(n == "ilslib/templates/study/org.py" for n in names)

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    bin_ = venv / "bin"
    proc = subprocess.run(
        [str(bin_ / "python"), "-m", "pip", "install", "--quiet", str(wheel)],
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]

    # Nothing but the venv provides kernels: no JUPYTER_PATH, a scratch HOME (conftest).
    env_run = dict(env, HOME=os.environ["HOME"], PATH=f"{bin_}{os.pathsep}{env.get('PATH', '')}")
    listed = subprocess.run(
        [str(bin_ / "jupyter"), "kernelspec", "list", "--json"],
        env=env_run,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert listed.returncode == 0, listed.stderr
    spec = json.loads(listed.stdout)["kernelspecs"]["ils"]
    assert Path(spec["resource_dir"]) == venv / "share" / "jupyter" / "kernels" / "ils"
    assert spec["spec"]["display_name"] == "Python 3 (ils)"

    # A small embedded warehouse, made with the installed ils.
    work = tmp_path / "work"
    work.mkdir()
    url = f"sqlite:///{work / 'lis.sqlite'}"
    for args in (
        ["init", "--warehouse", url],
        ["load", str(REPO / "tests" / "good_loads" / "base"), "--warehouse", url],
    ):
        proc = subprocess.run([str(bin_ / "ils"), *args], cwd=work, env=env_run, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
    env_run["ILS_WAREHOUSE"] = url

    # papermill's own command line; the notebook names its kernel, `ils`. (-r: an id of digits stays text.)
    notebooks = work / "notebooks"
    notebooks.mkdir()
    for name in ("report.ipynb", "report.py"):
        (notebooks / name).write_bytes((REPO / "notebooks" / name).read_bytes())
    proc = subprocess.run(
        [str(bin_ / "papermill"), "notebooks/report.ipynb", "out.ipynb", "-r", "org_id", "0200", "-p", "period",
         "2026-T2", "--no-progress-bar"],
        cwd=work,
        env=env_run,
        capture_output=True,
        text=True,
        timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Executing notebook with kernel: ils" in proc.stderr
    out = json.loads((work / "out.ipynb").read_text(encoding="utf-8"))
    assert out["metadata"]["kernelspec"]["name"] == "ils"
    shown = json.dumps(out["cells"], ensure_ascii=False)
    assert "Östra stadsdelsnämnden" in shown and "Tertialrapport 2 2026" in shown
    assert '"output_type": "error"' not in shown

    # ils run in a real Jupyter kernel: the same `ils` kernel (not the python3 fallback).
    proc = subprocess.run(
        [str(bin_ / "ils"), "run", "--engine", "kernel", "--period", "2026-T2", "--org", "0200", "--jobs", "1",
         "--out", str(work / "outputs")],
        cwd=work,
        env=env_run,
        capture_output=True,
        text=True,
        timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    executed = json.loads((work / "outputs" / "2026-T2" / "0200" / "report.ipynb").read_text(encoding="utf-8"))
    assert executed["metadata"]["kernelspec"]["name"] == "ils"
    assert "Östra stadsdelsnämnden" in (work / "outputs" / "2026-T2" / "0200" / "report.html").read_text("utf-8")
