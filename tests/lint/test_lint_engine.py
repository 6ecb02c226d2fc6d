"""The engine: selection, noqa, config, cache, parallel linting, per-file ignores."""

from __future__ import annotations

import json
import os
import textwrap
import time
from pathlib import Path

import pytest
from conftest import lint_text  # tests/lint/conftest.py, bound at collection (a later conftest takes the name)

from migrator.errors import Diagnostic, InputError
from migrator.lint.api import lint_paths
from migrator.lint.config import LintConfig, load_config, parse_airflow_version
from migrator.lint.engine import Linter, WorkerFailed, lint_files, lint_many
from migrator.lint.finding import Violation
from migrator.lint.registry import Registry, UnknownSelector, default_registry
from migrator.lint.rule import Rule
from migrator.lint.sources import Kind, SourceFile

REGISTRY = default_registry()

BAD_DAG = textwrap.dedent(
    """\
    from datetime import datetime

    import pendulum
    from airflow.providers.standard.operators.bash import BashOperator
    from airflow.sdk import DAG, task

    with DAG("d", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule_interval="@daily",
             default_args={"owner": "data", "retries": 2}):
        @task
        def stamp():
            return datetime.now().isoformat()
        stamp()
    """
)


def codes_of(findings) -> list[str]:
    return [f.code for f in findings]


# -- registry and selection -----------------------------------------------------------------------------


def test_codes_and_names_are_unique_and_every_family_has_rules():
    codes = [r.code for r in REGISTRY.rules]
    names = [r.name for r in REGISTRY.rules]
    assert len(codes) == len(set(codes)) and len(names) == len(set(names))
    assert {r.family for r in REGISTRY.rules} == {"graph", "backfill", "parse-time", "operations", "airflow3", "crontab", "syntax"}


@pytest.mark.parametrize(
    ("select", "ignore", "expected"),
    [
        (["BF001"], [], {"BF001"}),
        (["current-time-in-task"], [], {"BF001"}),
        (["BF00"], ["BF002", "dynamic-start-date"], {"BF001", "BF004", "BF005", "BF006", "BF007"}),
        (["BF001"], ["BF"], {"BF001"}),  # the more specific selector wins
        (["BF"], ["BF"], set()),  # a tie goes to ignore
    ],
)
def test_selection_by_code_prefix_and_name(select, ignore, expected):
    assert {r.code for r in REGISTRY.select(select, ignore)} == expected


def test_a_file_that_does_not_parse_is_reported_whatever_the_selection(lint, found):
    assert "SYN001" in {r.code for r in LintConfig(select=("BF",)).rules(REGISTRY)}
    assert "SYN001" not in {r.code for r in LintConfig(select=("BF",), ignore=("syntax-error",)).rules(REGISTRY)}
    assert "SYN001" not in {r.code for r in LintConfig(ignore=("ALL",)).rules(REGISTRY)}
    assert found(lint("def f(:\n", select=("BF",))) == [(1, "SYN001")]


def test_all_selects_everything_and_unknown_selectors_are_errors():
    assert len(REGISTRY.select(["ALL"])) == len(REGISTRY.rules)
    with pytest.raises(UnknownSelector):
        REGISTRY.matches("XYZ")


def test_aliases_keep_old_codes_selecting_a_renamed_rule():
    class Renamed(Rule):
        """## What it does
        A rule for this test.
        """

        code = "TST002"
        name = "renamed-rule"
        family = "graph"
        aliases = ("TST001", "old-name")

        def check(self, model, settings):
            yield Violation(model, "x")

    registry = Registry([Renamed])
    assert registry.get("TST001") is Renamed and registry.get("old-name") is Renamed
    assert registry.select(["TST001"]) == [Renamed]
    assert "Also selected by: TST001, old-name." in Renamed.documentation()


def test_rule_classes_are_validated_when_defined():
    with pytest.raises(TypeError, match="kebab-case"):
        class Bad(Rule):  # noqa: F841
            """## What it does
            x
            """

            code = "TST003"
            name = "Not_Kebab"
            family = "graph"


def test_airflow3_rules_apply_only_to_airflow3():
    af2 = {r.code for r in LintConfig(airflow_version=2).rules(REGISTRY)}
    af3 = {r.code for r in LintConfig(airflow_version=3).rules(REGISTRY)}
    assert "AF301" in af3 and "AF301" not in af2 and "BF001" in af2


# -- noqa ------------------------------------------------------------------------------------------


def test_noqa_line_code_name_and_file_level(lint, found):
    base = lint(BAD_DAG, select=("BF001", "AF301"))
    assert codes_of(base.findings) == ["AF301", "BF001"]
    blanket = BAD_DAG.replace('schedule_interval="@daily",', 'schedule_interval="@daily",  # noqa')
    assert codes_of(lint(blanket, select=("BF001", "AF301")).findings) == ["BF001"]
    by_name = BAD_DAG.replace(".isoformat()", ".isoformat()  # noqa: current-time-in-task")
    assert codes_of(lint(by_name, select=("BF001", "AF301")).findings) == ["AF301"]
    other_code = BAD_DAG.replace(".isoformat()", ".isoformat()  # noqa: BF002")
    assert codes_of(lint(other_code, select=("BF001", "AF301")).findings) == ["AF301", "BF001"]
    file_level = "# cron2dag: noqa: AF301\n" + BAD_DAG
    assert codes_of(lint(file_level, select=("BF001", "AF301")).findings) == ["BF001"]
    everything = BAD_DAG + "# cron2dag: noqa\n"
    assert lint(everything).findings == []


def test_noqa_on_the_last_line_of_a_multiline_finding(lint):
    text = BAD_DAG.replace(
        'default_args={"owner": "data", "retries": 2}):',
        'default_args={"owner": "data", "retries": 2}):  # noqa: OPS001',
    ).replace('"retries": 2', '"retry_delay": 2')
    result = lint(text, select=("OPS001",))
    assert result.findings == []


def test_noqa_in_a_crontab(lint):
    text = "0 1 * * * /opt/job.sh # noqa: CRON002\n0 2 * * * /opt/other.sh\n"
    assert [f.line for f in lint(text, "jobs.crontab", select=("CRON002",)).findings] == [2]


# -- config ----------------------------------------------------------------------------------------


def write_pyproject(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "pyproject.toml"
    path.write_text("[project]\nname = 'x'\n\n" + textwrap.dedent(body), encoding="utf-8")
    return path


def test_config_is_read_and_validated(tmp_path):
    path = write_pyproject(
        tmp_path,
        """
        [tool.cron2dag.lint]
        select = ["BF", "graph-typo-free", "OPS"]
        """.replace('"graph-typo-free", ', ""),
    )
    config = load_config(str(path), REGISTRY)
    assert config.select == ("BF", "OPS") and config.root == str(tmp_path)
    path = write_pyproject(
        tmp_path,
        """
        [tool.cron2dag.lint]
        select = ["ALL"]
        ignore = ["OPS003"]
        extend-select = ["BF001"]
        per-file-ignores = {"legacy/*.py" = ["AF3"]}
        airflow-version = "2.10"

        [tool.cron2dag.lint.operations]
        max-poke-timeout = 7200
        """,
    )
    config = load_config(str(path), REGISTRY)
    assert config.airflow_version == 2 and config.per_file_ignores == (("legacy/*.py", ("AF3",)),)
    rule = REGISTRY.get("OPS002")
    assert config.rule_settings(rule) == {"max-poke-timeout": 7200}
    assert "OPS003" not in {r.code for r in config.rules(REGISTRY)}


@pytest.mark.parametrize(
    ("body", "message", "line"),
    [
        ('[tool.cron2dag.lint]\nselekt = ["BF"]\n', "unknown key `selekt`", 5),
        ('[tool.cron2dag.lint]\nselect = "BF"\n', "must be a list of strings", 5),
        ('[tool.cron2dag.lint]\nselect = ["NOPE1"]\n', "unknown rule or prefix `NOPE1`", 5),
        ("[tool.cron2dag.lint]\nairflow-version = 4\n", "must be 2 or 3", 5),
        ("[tool.cron2dag.lint.operations]\nmax-poke = 1\n", "unknown setting `max-poke`", 5),
        ('[tool.cron2dag.lint.operations]\nmax-poke-timeout = "long"\n', "expected an integer", 5),
        ("[tool.cron2dag.lint\n", "invalid TOML", 4),
        ('[tool.cron2dag.lint]\nselect = ["BF"\n', "invalid TOML: Unclosed array", 5),
    ],
)
def test_bad_config_is_a_positioned_error(tmp_path, body, message, line):
    path = write_pyproject(tmp_path, body)
    with pytest.raises(InputError) as raised:
        load_config(str(path), REGISTRY)
    diagnostic = raised.value.diagnostics[0]
    assert message in diagnostic.message
    assert diagnostic.path == str(path) and diagnostic.line == line


def test_nearest_pyproject_with_a_cron2dag_table_is_used(tmp_path):
    write_pyproject(tmp_path, '[tool.cron2dag.lint]\nselect = ["DAG"]\n')
    nested = tmp_path / "sub" / "deeper"
    nested.mkdir(parents=True)
    (tmp_path / "sub" / "pyproject.toml").write_text("[project]\nname = 'unrelated'\n")
    assert load_config(None, REGISTRY, str(nested)).select == ("DAG",)


def test_parse_airflow_version():
    assert [parse_airflow_version(v) for v in (2, 3, "3", "2.10.4", 3.0, 1, "x", True)] == [2, 3, 3, 2, 3, None, None, None]


def test_per_file_ignores(tmp_path):
    (tmp_path / "legacy").mkdir()
    (tmp_path / "legacy" / "old.py").write_text(BAD_DAG)
    (tmp_path / "new.py").write_text(BAD_DAG)
    config = LintConfig(select=("AF301",), per_file_ignores=(("legacy/*.py", ("AF3",)),), root=str(tmp_path))
    outcome = lint_paths([str(tmp_path)], config, use_cache=False)
    assert [Path(f.path).name for f in outcome.findings] == ["new.py"]


# -- cache and parallel runs ----------------------------------------------------------------------


def test_cache_hits_on_unchanged_files_and_misses_on_changes(tmp_path):
    for i in range(3):
        (tmp_path / f"dag{i}.py").write_text(BAD_DAG)
    cache_dir = tmp_path / ".cron2dag_cache"
    config = LintConfig(root=str(tmp_path))
    first = lint_paths([str(tmp_path)], config)
    assert first.cached == 0 and (cache_dir / ".gitignore").read_text().strip().endswith("*")
    second = lint_paths([str(tmp_path)], config)
    assert second.cached == 3 and [f.to_json() for f in second.findings] == [f.to_json() for f in first.findings]
    (tmp_path / "dag1.py").write_text(BAD_DAG.replace("datetime.now()", "datetime(2024, 1, 1)"))
    third = lint_paths([str(tmp_path)], config)
    assert third.cached == 2 and len(third.findings) == len(first.findings) - 1
    narrower = lint_paths([str(tmp_path)], config.with_overrides(select=["AF301"]))
    assert narrower.cached == 0 and set(codes_of(narrower.findings)) == {"AF301"}


def test_no_cache_writes_nothing(tmp_path):
    (tmp_path / "dag.py").write_text(BAD_DAG)
    lint_paths([str(tmp_path)], LintConfig(root=str(tmp_path)), use_cache=False)
    assert not (tmp_path / ".cron2dag_cache").exists()


def test_parallel_and_serial_runs_agree(tmp_path):
    sources = []
    for i in range(80):
        text = BAD_DAG.replace('"d"', f'"d{i}"') if i % 3 else BAD_DAG.replace("datetime.now()", "datetime(2024, 1, 1)")
        path = tmp_path / f"dag{i}.py"
        path.write_text(text)
        sources.append((SourceFile(str(path), Kind.PYTHON), text.encode()))
    linter = Linter(LintConfig(), LintConfig().rules(REGISTRY), REGISTRY)
    serial = lint_many(linter, sources, jobs=1)
    parallel = lint_many(linter, sources, jobs=2)
    as_json = lambda results: [[f.to_json() for f in r.findings] for r in results]  # noqa: E731
    assert as_json(serial) == as_json(parallel)
    assert any(r.findings for r in serial)


@pytest.mark.parametrize("count", [3, 80])  # below and above the parallel threshold
def test_unreadable_files_are_errors_in_order_and_the_rest_is_linted(tmp_path, count):
    files = []
    for i in range(count):
        path = tmp_path / f"dag{i}.py"
        path.write_text(BAD_DAG.replace('"d"', f'"d{i}"'))
        files.append(SourceFile(str(path), Kind.PYTHON))
    files.insert(1, SourceFile(str(tmp_path / "gone_a.py"), Kind.PYTHON))
    files.append(SourceFile(str(tmp_path / "gone_b.py"), Kind.PYTHON))
    linter = Linter(LintConfig(), LintConfig().rules(REGISTRY), REGISTRY)
    results, errors, hits = lint_files(linter, files, cache=None, jobs=2)
    assert [Path(e.path).name for e in errors] == ["gone_a.py", "gone_b.py"]
    assert all("cannot read" in e.message for e in errors)
    assert list(results) == [f.path for f in files if "gone" not in f.path]
    assert all(r.findings for r in results.values()) and hits == 0


def eighty_dags(tmp_path: Path) -> tuple[Linter, list[tuple[SourceFile, bytes]]]:
    """A linter and 80 files to lint: enough for the parallel run."""
    sources = []
    for i in range(80):
        path = tmp_path / f"dag{i}.py"
        path.write_text(BAD_DAG)
        sources.append((SourceFile(str(path), Kind.PYTHON), BAD_DAG.encode()))
    return Linter(LintConfig(), LintConfig().rules(REGISTRY), REGISTRY), sources


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_file_that_breaks_the_linter_costs_only_that_file(tmp_path, monkeypatch, jobs):
    linter, sources = eighty_dags(tmp_path)

    def broken(self, source, data):
        if source.path.endswith("dag41.py"):
            raise ValueError("boom")
        return original(self, source, data)

    original = Linter.lint_bytes
    monkeypatch.setattr(Linter, "lint_bytes", broken)
    monkeypatch.delenv("CRON2DAG_DEBUG", raising=False)
    results = lint_many(linter, sources, jobs=jobs)
    errors = [r for r in results if isinstance(r, Diagnostic)]
    assert [Path(e.path).name for e in errors] == ["dag41.py"]
    assert "internal error while linting: ValueError: boom" in errors[0].message
    assert len(results) == 80 and all(r.findings for r in results if not isinstance(r, Diagnostic))


def test_a_dying_worker_fails_the_parallel_run(tmp_path, monkeypatch):
    linter, sources = eighty_dags(tmp_path)
    parent = os.getpid()
    marker = tmp_path / "child-started"

    def dying(self, source, data):
        if os.getpid() != parent:
            marker.touch()
            os._exit(3)
        # the parent holds its first chunk until the child has one: the child must take part
        deadline = time.monotonic() + 120  # a safety net against a child that never starts, not a wait
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        return original(self, source, data)

    original = Linter.lint_bytes
    monkeypatch.setattr(Linter, "lint_bytes", dying)
    with pytest.raises(WorkerFailed, match="exited without results"):
        lint_many(linter, sources, jobs=2)


def test_duplicate_dag_ids_across_files(tmp_path):
    (tmp_path / "a.py").write_text(BAD_DAG)
    (tmp_path / "b.py").write_text(BAD_DAG)
    outcome = lint_paths([str(tmp_path)], LintConfig(select=("DAG007",), root=str(tmp_path)), use_cache=False)
    assert [(Path(f.path).name, f.code) for f in outcome.findings] == [("b.py", "DAG007")]
    assert "a.py:7" in outcome.findings[0].message


def test_cached_files_still_count_for_duplicate_dag_ids(tmp_path):
    (tmp_path / "a.py").write_text(BAD_DAG)
    (tmp_path / "b.py").write_text(BAD_DAG)
    config = LintConfig(select=("DAG007",), root=str(tmp_path))
    lint_paths([str(tmp_path)], config)
    again = lint_paths([str(tmp_path)], config)
    assert again.cached == 2 and codes_of(again.findings) == ["DAG007"]


def test_exclude_patterns_and_skipped_directories(tmp_path):
    (tmp_path / "vendor").mkdir()
    (tmp_path / "vendor" / "x.py").write_text(BAD_DAG)
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "y.py").write_text(BAD_DAG)
    (tmp_path / "z.py").write_text(BAD_DAG)
    config = LintConfig(select=("AF301",), exclude=("vendor",), root=str(tmp_path))
    outcome = lint_paths([str(tmp_path)], config, use_cache=False)
    assert [Path(f.path).name for f in outcome.findings] == ["z.py"]


def test_named_files_are_linted_unless_force_exclude(tmp_path):
    """pre-commit names every staged file: --force-exclude lets `exclude` apply to them."""
    (tmp_path / "vendor").mkdir()
    (tmp_path / "vendor" / "x.py").write_text(BAD_DAG)
    (tmp_path / "z.py").write_text(BAD_DAG)
    config = LintConfig(select=("AF301",), exclude=("vendor",), root=str(tmp_path))
    named = [str(tmp_path / "vendor" / "x.py"), str(tmp_path / "z.py")]
    assert [Path(f.path).name for f in lint_paths(named, config, use_cache=False).findings] == ["x.py", "z.py"]
    forced = lint_paths(named + [str(tmp_path / "vendor")], config, use_cache=False, force_exclude=True)
    assert [Path(f.path).name for f in forced.findings] == ["z.py"] and not forced.errors


def test_crontabs_are_found_by_name(tmp_path):
    (tmp_path / "jobs.crontab").write_text("0 1 * * * /opt/job.sh\n")
    (tmp_path / "cron.d").mkdir()
    (tmp_path / "cron.d" / "backup").write_text("0 2 * * * root /opt/backup.sh\n")
    (tmp_path / "notes.txt").write_text("0 1 * * * not a crontab by name\n")
    outcome = lint_paths([str(tmp_path)], LintConfig(select=("CRON002",), root=str(tmp_path)), use_cache=False)
    assert sorted(Path(f.path).name for f in outcome.findings) == ["backup", "jobs.crontab"]


def test_rule_settings_reach_the_rule(lint):
    text = "\n".join(
        ["from airflow.sdk import DAG", "from airflow.providers.standard.operators.bash import BashOperator"]
        + [f'with DAG("d{i}"):\n    BashOperator(task_id="t", bash_command="x")' for i in range(3)]
    )
    assert lint(text, select=("PT006",)).findings == []
    assert len(lint(text, select=("PT006",), settings={"parse-time": {"max-dags": 2}}).findings) == 1


def test_json_of_findings_round_trips_through_the_cache_format():
    from migrator.lint.finding import Finding

    result = lint_text(BAD_DAG)
    assert any(f.fix is not None and f.fix.changes for f in result.findings)
    for finding in result.findings:
        rebuilt = Finding.from_cache(finding.path, json.loads(json.dumps(finding.to_cache())))
        assert rebuilt == finding and rebuilt.fix == finding.fix and rebuilt.to_json() == finding.to_json()
        assert hash(rebuilt) == hash(finding) and (rebuilt.fix is None or hash(rebuilt.fix) == hash(finding.fix))


def test_crontab_fixes_with_text_edits_round_trip_through_the_cache_format():
    from migrator.lint.finding import Finding

    result = lint_text("0 2 * * * tar czf /backup/home-$(date +%F).tgz /home\n", path="jobs.crontab")
    fixes = [f.fix for f in result.findings if f.fix is not None and f.fix.edits]
    assert fixes, [f.code for f in result.findings]
    for finding in result.findings:
        rebuilt = Finding.from_cache(finding.path, json.loads(json.dumps(finding.to_cache())))
        assert rebuilt == finding and rebuilt.fix == finding.fix


def test_environment_has_no_effect_on_config(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert load_config(None, REGISTRY, os.getcwd()) == LintConfig(root=str(tmp_path))


def test_the_cache_is_per_build_of_the_rules_not_only_per_version(tmp_path, monkeypatch):
    """A pre-commit `rev` moved to a newer commit keeps the version string: its rules must not be
    answered from the older build's cache."""
    import rules
    from migrator.lint.cache import Cache, code_stamp

    fake = tmp_path / "rules"
    fake.mkdir()
    (fake / "__init__.py").write_text("")
    (fake / "graph.py").write_text("RULES = 1\n")
    monkeypatch.setattr(rules, "__file__", str(fake / "__init__.py"))
    before = code_stamp()
    assert code_stamp() == before
    (fake / "graph.py").write_text("RULES = 22\n")
    assert code_stamp() != before
    assert code_stamp() in os.path.basename(Cache(str(tmp_path / "cache"), "f").path)


def test_findings_come_in_order_across_files_failures_crontabs_and_project_rules(tmp_path):
    """lint_paths sorts only when project rules add findings: each file's own are sorted already."""
    (tmp_path / "b_dag.py").write_text(BAD_DAG)
    (tmp_path / "a_dag.py").write_text(BAD_DAG.replace('DAG("d"', 'DAG("other"'))
    (tmp_path / "c_broken.py").write_text("def f(:\n    pass\n")
    (tmp_path / "jobs.crontab").write_text("0 2 * * * tar czf /backup/home-$(date +%F).tgz /home\n*/1 * * * * run.sh\n")
    config = LintConfig(root=str(tmp_path))
    for with_project_finding in (False, True):
        if with_project_finding:  # the same DAG id in two files: DAG007 places a finding in b_dag.py
            (tmp_path / "a_dag.py").write_text(BAD_DAG)
        for use_cache in (False, True, True):  # cold, then filled, then answered by the cache
            outcome = lint_paths([str(tmp_path)], config, use_cache=use_cache, cache_dir=str(tmp_path / ".cache"), jobs=1)
            assert len({f.path for f in outcome.findings}) == 4
            assert ("DAG007" in {f.code for f in outcome.findings}) is with_project_finding
            assert outcome.findings == sorted(outcome.findings, key=lambda f: f.sort_key())


def test_a_cache_entry_of_another_shape_is_a_miss_not_a_crash(tmp_path):
    (tmp_path / "dag.py").write_text(BAD_DAG)
    config = LintConfig(root=str(tmp_path))
    first = lint_paths([str(tmp_path)], config, cache_dir=str(tmp_path / ".cache"), jobs=1)
    (cache_file,) = (tmp_path / ".cache").glob("lint-*.json")
    data = json.loads(cache_file.read_text())
    for entry in data["entries"].values():
        for finding in entry[1][0]:
            if finding[8] is not None and finding[8][3]:
                finding[8][3][0] = finding[8][3][0][:4]  # a change missing its value
    cache_file.write_text(json.dumps(data))
    again = lint_paths([str(tmp_path)], config, cache_dir=str(tmp_path / ".cache"), jobs=1)
    assert again.cached == 0 and again.findings == first.findings
    assert [f.fix for f in again.findings] == [f.fix for f in first.findings]


def test_the_cache_is_saved_over_a_temporary_file_a_dead_process_left(tmp_path):
    from migrator.lint.cache import Cache

    cache = Cache(str(tmp_path / "cache"), "fingerprint")
    cache.put("dag.py", "digest", [[], [], [False, [], {}], [], []])
    (tmp_path / "cache").mkdir()
    stale = Path(f"{cache.path}.{os.getpid()}.tmp")
    stale.write_text("half a cache")
    cache.save()
    assert not stale.exists()
    assert Cache(str(tmp_path / "cache"), "fingerprint").get("dag.py", "digest") == [[], [], [False, [], {}], [], []]
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == [".gitignore", Path(cache.path).name]
