"""benchmarks/readiness_real.py reads the crontabs its environment variable names and counts what
migrate would do with their guards and failure types."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "readiness_real.py"


def run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT)], env=env, capture_output=True, text=True, check=False
    )


def test_it_counts_the_guards_and_classes_of_the_crontabs_it_is_given(tmp_path: Path) -> None:
    folder = tmp_path / "real"
    folder.mkdir()
    (folder / "ops").write_text(
        "0 2 * * * [ -f /data/in/ready ] && /opt/load.sh\n"
        "0 3 * * * [ -e /usr/sbin/tool ] && /usr/sbin/tool\n"
        "0 4 * * * curl -sf https://example.com/rates.json -o /data/rates.json\n",
        encoding="utf-8",
    )
    (folder / "broken").write_text("0 2 * *\n", encoding="utf-8")
    done = run({"CRON2DAG_REAL_CRONTABS": str(folder), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert any(line.startswith("skipped ") and "broken" in line for line in lines)
    assert "    sensor  file /data/in/ready [hard, and-list]" in lines
    assert any(line.startswith("    left    [ -e /usr/sbin/tool ]: ") for line in lines)
    for total in (
        "files: 1",
        "jobs: 3",
        "jobs with a check: 2",
        "sensors: 1",
        "checks left in the command: 1",
    ):
        assert total in lines
    assert "failure classes: other 2, transfer 1" in lines


def test_without_its_variable_it_says_what_to_set() -> None:
    done = run({"PATH": "/usr/bin:/bin"})
    assert done.returncode == 2
    assert "CRON2DAG_REAL_CRONTABS" in done.stdout
