"""The README's Quickstart is a contract: its commands must do what it says.

The Quickstart is two console blocks of bare commands (no `$ ` prompt, so they paste as they are): the
first installs cron2dag and runs the main job (migrate the bundled crontab, run the DAG it gives), the
second runs the test suite and is what `.ci/run` runs verbatim. The README's other console blocks are
examples, run by `tests/test_docs.py`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def quickstart_commands() -> list[str]:
    section = README.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    return [block.replace("\\\n", " ") for block in re.findall(r"```console\n(.+?)\n```", section, re.DOTALL)]


def test_quickstart_has_exactly_two_commands() -> None:
    assert len(quickstart_commands()) == 2


def test_quickstart_installs_then_migrates_and_runs_the_bundled_pipeline(tmp_path: Path) -> None:
    first = quickstart_commands()[0]
    install, main_job = re.split(r"\.venv/bin/pip install \. && ", first, maxsplit=1)
    assert install.startswith("python3 -m venv .venv && ")
    steps = [step.strip() for step in main_job.split("&&")]
    assert [step.split()[:2] for step in steps] == [[".venv/bin/cron2dag", "migrate"], [".venv/bin/cron2dag", "run"]]
    crontab = steps[0].split()[2]
    assert crontab.startswith("fixtures/") and (ROOT / crontab).is_file()
    # the main job as a new user runs it, in a copy of the checkout's inputs, with this venv's cron2dag
    scratch = tmp_path / "clone"
    shutil.copytree(ROOT / "fixtures", scratch / "fixtures")
    (scratch / ".venv").mkdir()
    (scratch / ".venv" / "bin").symlink_to(Path(sys.executable).parent)
    env = {k: v for k, v in os.environ.items() if k not in ("CRON2DAG_HOME", "CRON2DAG_DEBUG")}
    env["COLUMNS"] = "80"
    done = subprocess.run(["bash", "-c", main_job], cwd=scratch, env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    dag_file = re.search(r"created\s+(dags/\S+\.py)", output)
    assert dag_file and (scratch / dag_file.group(1)).is_file(), output
    assert dag_file.group(1) == steps[1].split()[2]
    run_id = re.search(r"DAG run (manual__\S+): success", output)
    assert run_id, output
    # every task succeeded on its first try: nothing waited for a retry
    assert re.findall(r"\(try (\d+),", output) and set(re.findall(r"\(try (\d+),", output)) == {"1"}, output
    state = re.search(r"^state: (\S+)$", output, re.MULTILINE)
    logs = re.search(r"^logs:  (\S+)/$", output, re.MULTILINE)
    assert state and (scratch / state.group(1)).is_file(), output
    assert logs and run_id.group(1) in logs.group(1), output
    assert sorted(p.name for p in (scratch / logs.group(1)).iterdir()) == [
        "task_id=daily_totals", "task_id=export_orders", "task_id=report"]
    # the scripts exist and wrote under the scratch folder the README names
    assert len(list((scratch / "quickstart-data").glob("report-*.txt"))) == 1


def test_ci_runs_the_quickstart_test_command_verbatim() -> None:
    assert quickstart_commands()[1] in (ROOT / ".ci" / "run").read_text()


def test_the_readme_says_how_to_put_cron2dag_on_the_path() -> None:
    section = README.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    assert "source .venv/bin/activate" in section


def test_the_python_version_and_license_said_are_the_package_s() -> None:
    from migrator.compat import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    minimum = re.fullmatch(r">=(\d+\.\d+)", project["requires-python"])
    assert minimum, project["requires-python"]
    for name in ("README.md", "docs/index.md", "docs/quickstart.md", "docs/ci.md"):
        text = (ROOT / name).read_text(encoding="utf-8")
        assert f"Python {minimum.group(1)} or newer" in text, name
        other_minor = rf"Python 3\.(?!{minimum.group(1).split('.')[1]}\b)\d+"
        assert not re.search(other_minor, text), name
    assert project["license"] == {"text": "Apache-2.0"}
    license_text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert license_text.split()[:4] == ["Apache", "License", "Version", "2.0,"]
    assert "END OF TERMS AND CONDITIONS" in license_text
    assert "[LICENSE](LICENSE)" in README


def test_every_link_of_the_readme_points_at_a_file_of_the_repository() -> None:
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", README)
    assert targets
    missing = [t for t in targets if "://" not in t and not (ROOT / t).exists()]
    assert not missing
