import subprocess
import sys

from click.testing import CliRunner

from migrator.cli import COMMANDS, cli


def test_every_registered_command_loads_and_has_help():
    for name in COMMANDS:
        result = CliRunner().invoke(cli, [name, "--help"])
        assert result.exit_code == 0, (name, result.output)
        assert result.output.startswith("Usage: ")


def test_module_entry_point_runs():
    done = subprocess.run([sys.executable, "-m", "migrator", "--version"], capture_output=True, text=True)
    assert done.returncode == 0
    assert "cron2dag" in done.stdout
