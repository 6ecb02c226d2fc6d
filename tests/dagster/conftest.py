"""Session fixtures for the tests that run real Dagster (`pytest -m dagster`).

`dagster` is a `DagsterEnv` over the venv that `bash .ci/dagster-venv` creates in
`.ci/.venvs/dagster` (or over `$CRON2DAG_DAGSTER_VENV`). Every Dagster question runs in a
subprocess of that venv's Python; put tests that use it in this directory, marked `dagster`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = Path(__file__).with_name("dagster_probe.py")
TIMEOUT_S = 900


@dataclass(frozen=True)
class DagsterEnv:
    venv: Path

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def dagster(self) -> Path:
        return self.venv / "bin" / "dagster"

    def environment(self, home: Path, extra: Mapping[str, str] = {}) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DAGSTER_")}
        env.update({"DAGSTER_HOME": str(home), "DO_NOT_TRACK": "1", "PYTHONUNBUFFERED": "1"})
        env.update(extra)
        return env

    def probe(
        self, workdir: Path, locations: Sequence[Mapping[str, Any]], env: Mapping[str, str] = {}
    ) -> list[dict[str, Any]]:
        """Ask `dagster_probe.py` about `locations`, in one Dagster process."""
        workdir.mkdir(parents=True, exist_ok=True)
        request, answer = workdir / "request.json", workdir / "answer.json"
        request.write_text(json.dumps({"locations": list(locations), "env": dict(env)}))
        done = subprocess.run(
            [str(self.python), str(PROBE), str(request), str(answer)],
            env=self.environment(workdir),
            cwd=workdir,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-4000:]
        return json.loads(answer.read_text(encoding="utf-8"))

    def cli(
        self, args: Sequence[str], cwd: Path, home: Path, env: Mapping[str, str] = {}
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.dagster), *args],
            env=self.environment(home, env),
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
            stdin=subprocess.DEVNULL,
        )


def find_venv() -> Path | None:
    configured = os.environ.get("CRON2DAG_DAGSTER_VENV")
    candidates = [Path(configured)] if configured else [ROOT / ".ci" / ".venvs" / "dagster"]
    for venv in candidates:
        if (venv / "bin" / "dagster").exists():
            return venv
    return None


@pytest.fixture(scope="session")
def dagster() -> DagsterEnv:
    venv = find_venv()
    if venv is None:
        pytest.fail(
            "no Dagster venv: run `bash .ci/dagster-venv` (creates .ci/.venvs/dagster) or set "
            "CRON2DAG_DAGSTER_VENV",
            pytrace=False,
        )
    return DagsterEnv(venv)


sys.path.insert(0, str(Path(__file__).parent))
