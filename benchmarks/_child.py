"""What the CPU benchmarks share: a fresh demo warehouse in a clean environment, and a measurement
script run in a fresh Python with one checkout's ilslib, its result read from a ``RESULT <json>`` line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent


def demo_env(tmp: str) -> tuple[dict[str, str], str]:
    """An environment without the caller's ``ILS_*`` settings, and the URL of a fresh demo built in ``tmp``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ILS_")}
    env.update(HOME=str(Path(tmp) / "home"), MPLCONFIGDIR=str(Path(tmp) / "mpl"))
    url = f"sqlite:///{Path(tmp) / 'demo.sqlite'}"
    subprocess.run([str(BIN / "ils"), "demo", "--warehouse", url], env=env, check=True, capture_output=True)
    return env, url


def run_child(code: str, args: list[str], checkout: Path, env: dict[str, str]) -> Any:
    """Run ``code`` (``python -c``) with ``checkout``'s ilslib; the JSON it printed after ``RESULT ``."""
    proc = subprocess.run(
        [sys.executable, "-c", code, *args],
        env=dict(env, PYTHONPATH=str(checkout)),
        cwd=tempfile.gettempdir(),
        capture_output=True,
        text=True,
    )
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")), None)
    if proc.returncode != 0 or line is None:
        sys.exit(f"measurement failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}")
    return json.loads(line[len("RESULT ") :])
