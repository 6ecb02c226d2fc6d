"""The rule catalog (`rules/catalog.py`) says what the rule classes say, and lets a cached run skip them."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from migrator.lint.catalog import CATALOG_PATH, RuleEntry, render
from migrator.lint.registry import default_registry, rule_classes

ROOT = Path(__file__).resolve().parents[2]


def test_the_catalog_is_written_from_the_rule_classes() -> None:
    # on failure: python -m migrator.lint.catalog
    assert Path(CATALOG_PATH).read_text(encoding="utf-8") == render(rule_classes())


def test_every_entry_loads_its_class_and_answers_as_it_does() -> None:
    classes = {rule.code: rule for rule in rule_classes()}
    registry = default_registry()
    assert [rule.code for rule in registry.rules] == list(classes)
    for entry in registry.rules:
        assert isinstance(entry, RuleEntry)
        rule = entry.load()
        assert rule is classes[entry.code]
        for attribute in ("name", "family", "target", "severity", "fix_availability", "aliases", "airflow_versions", "settings"):
            assert getattr(entry, attribute) == getattr(rule, attribute), (entry.code, attribute)
        assert entry.defaults() == rule.defaults()
        assert entry.documentation() == rule.documentation()
        assert entry.summary() == rule.summary()


def test_a_run_answered_by_the_cache_imports_no_rule_module(tmp_path: Path) -> None:
    (tmp_path / "dags").mkdir()
    (tmp_path / "dags" / "etl.py").write_text(textwrap.dedent("""\
        from datetime import datetime
        from airflow import DAG
        from airflow.operators.bash_operator import BashOperator

        with DAG("etl", start_date=datetime.now(), schedule_interval="@daily") as dag:
            BashOperator(task_id="load", bash_command="load.sh")
        """))
    program = textwrap.dedent("""\
        import sys
        from migrator.lint.api import lint_paths
        from migrator.lint.config import LintConfig

        outcome = lint_paths(["dags"], LintConfig(root="."), jobs=1)
        loaded = sorted(m for m in sys.modules if m.startswith(("rules.", "migrator.analysis")) and m != "rules.catalog")
        print(outcome.cached, len(outcome.findings), ",".join(loaded))
        """)

    def run() -> list[str]:
        done = subprocess.run([sys.executable, "-c", program], cwd=tmp_path, capture_output=True, text=True,
                              env={"PYTHONPATH": str(ROOT), "PATH": ""}, check=True)
        return done.stdout.split(" ")

    cached, findings, loaded = run()
    assert cached == "0" and int(findings) >= 3 and "rules.airflow3" in loaded
    cached, warm_findings, loaded = run()
    assert cached == "1" and warm_findings == findings
    # only the project rule (duplicate DAG ids across files, asked on every run) and what it needs
    assert loaded.strip().split(",") == ["migrator.analysis", "migrator.analysis.branches", "migrator.analysis.ids", "rules.graph"]


def test_the_catalog_command_of_the_development_guide_checks_it() -> None:
    guide = (ROOT / "docs" / "development.md").read_text(encoding="utf-8")
    assert ".venv/bin/python -m migrator.lint.catalog" in guide
    done = subprocess.run([sys.executable, "-m", "migrator.lint.catalog", "--check"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
