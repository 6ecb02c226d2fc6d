"""Evidence from the scripts a crontab runs: found, read statically, bounded, cited."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from migrator.cli import cli
from migrator.crontab.parser import parse_crontab
from migrator.infer import infer_pipeline
from migrator.infer.facts import READ, WRITE, ScriptCall
from migrator.infer.scripts import ScriptReader
from migrator.infer.scripts.locate import ScriptLocator
from migrator.infer.scripts.python_script import read_python
from migrator.infer.scripts.shell_script import logical_lines
from migrator.infer.scripts.sql_script import read_sql

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "infer" / "real_scripts"


def write(root: Path, relative: str, text: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def keys(artifacts, role=None) -> set[str]:
    return {a.key for a in artifacts if role is None or a.role == role}


# -- finding scripts ---------------------------------------------------------------------------


def test_a_script_is_found_by_the_longest_matching_tail(tmp_path: Path):
    write(tmp_path, "Src/Server/etc/convert.py", "")
    write(tmp_path, "tools/convert.py", "")
    locator = ScriptLocator(tmp_path, use_machine=False)
    found = locator.locate("/home/ubuntu/project/codes/etc/convert.py")
    assert found is not None and found[1] == "Src/Server/etc/convert.py"
    # two files sharing the longest tail: no answer rather than a guess
    assert locator.locate("/srv/other/convert.py") is None
    assert locator.locate("/srv/missing.py") is None


def test_system_programs_on_this_machine_are_never_read():
    locator = ScriptLocator(None)
    assert locator.locate("/usr/bin/env") is None
    assert locator.locate("/bin/sh") is None


def test_a_path_the_system_cannot_look_up_is_no_script():
    # found by the front-end fuzz run: a command word longer than a file name may be
    locator = ScriptLocator(None)
    assert locator.locate("/" + "1" * 5000 + "/load.py") is None
    assert locator.locate(__file__ + "/not_below_a_file.py") is None


# -- shell -------------------------------------------------------------------------------------


def test_shell_variables_cd_and_sourced_files_carry_over(tmp_path: Path):
    write(tmp_path, "app/settings.sh", "export EXPORT_DIR=/data/exports\n")
    write(
        tmp_path,
        "app/run.sh",
        "#!/bin/bash\n"
        ". $(dirname $0)/settings.sh\n"
        "STAMP=$(date +%F)\n"
        "cd /data/work\n"
        "psql -c 'SELECT 1' > partial.csv\n"
        'cp partial.csv "$EXPORT_DIR/orders_$STAMP.csv"\n'
        "cat <<EOF > /tmp/ignored\n"
        "not a command > /data/never\n"
        "EOF\n",
    )
    reader = ScriptReader(tmp_path, use_machine=False)
    found = reader.artifacts([ScriptCall("/opt/app/run.sh", None)], {}, "/home/etl")
    assert "/data/exports/orders_{date}.csv" in keys(found, WRITE)
    assert "/data/work/partial.csv" in keys(found, WRITE)
    assert "/data/never" not in keys(found)
    (copy,) = [a for a in found if a.key.startswith("/data/exports")]
    assert copy.source == "app/run.sh:6"


def test_source_cycles_and_call_chains_end(tmp_path: Path):
    write(tmp_path, "a.sh", ". /x/b.sh\n/x/c.sh\necho done > /data/a.txt\n")
    write(tmp_path, "b.sh", ". /x/a.sh\nOUT=/data/b\n")
    write(tmp_path, "c.sh", "/x/c.sh\nsort -o /data/c.txt /data/in.txt\n")  # calls itself
    reader = ScriptReader(tmp_path, use_machine=False)
    found = reader.artifacts([ScriptCall("/x/a.sh", "shell")], {}, "~")
    assert {"/data/a.txt", "/data/c.txt"} <= keys(found, WRITE)
    assert "/data/in.txt" in keys(found, READ)


def test_logical_lines_join_continuations_and_skip_heredocs():
    text = "a \\\n  b\ncat <<'END'\nx\nEND\nc\n"
    assert [(n, t.split()) for n, t in logical_lines(text)] == [
        (1, ["a", "b"]),
        (3, ["cat"]),
        (6, ["c"]),
    ]


# -- Python ------------------------------------------------------------------------------------


def test_python_values_follow_names_joins_fstrings_and_local_functions():
    text = (
        "import os, shutil\n"
        "import pandas as pd\n"
        "OUT = os.environ.get('OUT_DIR', '/data/out')\n"
        "def save(frame, target):\n"
        "    frame.to_parquet(target)\n"
        "def main(day):\n"
        "    frame = pd.read_csv(f'/data/in/{day}.csv')\n"
        "    save(frame, os.path.join(OUT, f'orders_{day}.parquet'))\n"
        "    shutil.copy('/data/ref/a.csv', OUT + '/a.csv')\n"
        "    with open('/data/flags/done', 'w') as flag:\n"
        "        flag.write('ok')\n"
        "    open(LOG, 'a')\n"
        "LOG = '/var/log/x.log'\n"
        "main('2024-01-01')\n"
    )
    found, _ = read_python(text, "/opt/x.py", "x.py", {"OUT_DIR": "/srv/out"}, None, "~")
    # main() is read on its own (`day` unknown) and where the script calls it with a value
    assert keys(found, WRITE) == {
        "/srv/out/orders_{subst}.parquet",
        "/srv/out/orders_2024-01-01.parquet",
        "/srv/out/a.csv",
        "/data/flags/done",
    }
    assert keys(found, READ) == {
        "/data/in/{subst}.csv",
        "/data/in/2024-01-01.csv",
        "/data/ref/a.csv",
    }
    assert {a.source for a in found if a.key.endswith(".parquet")} == {"x.py:5"}


def test_python_sql_tables_subprocess_and_python2():
    text = (
        "import subprocess\n"
        "cur.execute('INSERT INTO mart.daily SELECT * FROM core.orders')\n"
        "frame.to_sql('scores', engine)\n"
        "subprocess.run(['/srv/bin/export.sh', '--out', '/data/x.csv'])\n"
        "print 'python 2'\n"
    )
    found, calls = read_python(text, "/opt/x.py", "x.py", {}, None, "~")
    assert {"mart.daily", "scores"} <= keys(found, WRITE)
    assert "core.orders" in keys(found, READ)
    assert "/data/x.csv" in keys(found, WRITE)
    assert [c.path for c in calls] == ["/srv/bin/export.sh"]


def test_strings_that_are_not_files_are_not_artifacts():
    text = "s = s.replace('(', ')')\nopen(name)\nos.rename(a, b)\n"
    found, _ = read_python(text, "/opt/x.py", "x.py", {}, None, "~")
    assert found == []


# -- SQL ---------------------------------------------------------------------------------------


def test_sql_files_cite_the_line_and_ignore_comments_and_their_own_temp_tables():
    text = (
        "-- INSERT INTO mart.old SELECT 1;\n"
        "CREATE TEMP TABLE t AS SELECT * FROM core.orders;\n"
        "/* DELETE FROM mart.gone; */\n"
        "INSERT INTO mart.daily\n"
        "SELECT * FROM t;\n"
    )
    found = read_sql(text, "sql/daily.sql")
    assert keys(found, WRITE) == {"t", "mart.daily"}
    assert keys(found, READ) == {"core.orders"}
    (daily,) = [a for a in found if a.key == "mart.daily"]
    assert daily.source == "sql/daily.sql:4"


# -- bounds ------------------------------------------------------------------------------------


def test_big_and_binary_files_are_skipped(tmp_path: Path):
    (tmp_path / "big.sh").write_text("echo x > /data/big.txt\n" + "#" * 600_000)
    (tmp_path / "bin.sh").write_bytes(b"\x7fELF\x00\x00 > /data/bin.txt")
    reader = ScriptReader(tmp_path, use_machine=False)
    assert reader.artifacts([ScriptCall("/x/big.sh", "shell")], {}, "~") == ()
    assert reader.artifacts([ScriptCall("/x/bin.sh", None)], {}, "~") == ()
    assert any("big.sh: not read" in note for note in reader.notes)


def test_the_time_budget_stops_reading_and_says_so(tmp_path: Path):
    for k in range(3):
        write(tmp_path, f"s{k}.sh", f"echo > /data/{k}.txt\n")
    reader = ScriptReader(tmp_path, use_machine=False, budget_seconds=0.0)
    reader.artifacts([ScriptCall(f"/x/s{k}.sh", "shell") for k in range(3)], {}, "~")
    assert reader.read_count < 3
    assert any("stopped reading" in note for note in reader.notes)


# -- end to end --------------------------------------------------------------------------------


def test_script_evidence_makes_an_edge_and_cites_the_scripts(tmp_path: Path):
    write(tmp_path, "bin/export.py", "import pandas as pd\npd.DataFrame().to_csv('/data/a.csv')\n")
    write(tmp_path, "bin/load.py", "import pandas as pd\n\n\nframe = pd.read_csv('/data/a.csv')\n")
    crontab = parse_crontab(
        "0 1 * * * python /opt/app/bin/export.py\n0 2 * * * python /opt/app/bin/load.py\n", "x"
    )
    assert not any(d.edges for d in infer_pipeline(crontab).dags)
    pipeline = infer_pipeline(crontab, scripts=ScriptReader(tmp_path, use_machine=False))
    (dag,) = pipeline.dags
    (edge,) = dag.edges
    (evidence,) = [e for e in edge.evidence if e.kind == "script"]
    assert evidence.source == "bin/export.py:2"
    assert "bin/load.py:4" in evidence.detail
    assert evidence.to_json()["source"] == "bin/export.py:2"


def test_cli_scripts_root_for_infer_and_graph():
    runner = CliRunner()
    root = FIXTURES / "market_data"
    done = runner.invoke(
        cli,
        [
            "infer",
            str(FIXTURES / "market_data.crontab"),
            "--scripts-root",
            str(root),
            "--format",
            "json",
        ],
    )
    assert done.exit_code == 0, done.output
    data = json.loads(done.output)
    (dag,) = [d for d in data["dags"] if len(d["tasks"]) > 1]
    (edge,) = dag["edges"]
    assert (edge["upstream"], edge["downstream"]) == ("csv_convert", "s3_upload")
    assert any(e.get("source", "").startswith("Src/Server/cron_jobs/") for e in edge["evidence"])
    graph = runner.invoke(
        cli, ["graph", str(FIXTURES / "market_data.crontab"), "--scripts-root", str(root)]
    )
    assert graph.exit_code == 0 and "csv_convert -->" in graph.output
    missing = runner.invoke(
        cli, ["infer", str(FIXTURES / "market_data.crontab"), "--scripts-root", "/no/such/dir"]
    )
    assert missing.exit_code == 2 and "--scripts-root" in missing.output


@pytest.mark.parametrize("name", ["market_data", "rss_feed", "warehouse_sql", "lake", "chain"])
def test_migrate_reads_the_scripts_too(tmp_path: Path, name: str):
    done = CliRunner().invoke(
        cli,
        [
            "migrate",
            str(FIXTURES / f"{name}.crontab"),
            "-o",
            str(tmp_path),
            "--scripts-root",
            str(FIXTURES / name),
        ],
    )
    assert done.exit_code == 0, done.output
    text = "\n".join(p.read_text() for p in tmp_path.glob("*.py"))
    assert ">>" in text or "ExternalTaskSensor" in text
