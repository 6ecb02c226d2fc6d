"""Migrating crontabs into Dagster code locations for the tests (parent side, no Dagster here)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from migrator.codegen.dagster.plan import module_identifier
from migrator.codegen.migrate import MigrateResult, migrate
from migrator.codegen.plan import CodegenOptions
from migrator.crontab.parser import load_crontab
from migrator.infer import infer_pipeline
from migrator.infer.model import Pipeline

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
# every crontab fixture that cron2dag migrates (the Airflow target's list), the seed pipeline among
# them, and the Dagster target's own: a dated pipeline and the nasty commands
CRONTABS = sorted(
    [
        *(
            p
            for p in FIXTURES.rglob("*")
            if p.is_file()
            and (p.suffix == ".crontab" or p.parent.name in ("etc", "cron.d"))
            and "invalid" not in p.parts
        ),
    ]
)


@dataclass(frozen=True)
class Location:
    folder: Path
    pipelines: tuple[Pipeline, ...]
    result: MigrateResult


def migrate_into_locations(
    crontabs: Sequence[Path], root: Path, options: CodegenOptions
) -> list[Location]:
    """Migrate `crontabs` into as few code locations as their names allow (one `migrate` each)."""
    groups: list[tuple[set[str], list[Pipeline]]] = []
    for path in crontabs:
        pipeline = infer_pipeline(load_crontab(path))
        names = {module_identifier(d.dag_id) for d in pipeline.dags}
        for taken, members in groups:
            if not names & taken:
                taken |= names
                members.append(pipeline)
                break
        else:
            groups.append((set(names), [pipeline]))
    locations = []
    for index, (_, members) in enumerate(groups):
        folder = root / f"location_{index}"
        result = migrate(members, folder, options)
        locations.append(Location(folder, tuple(members), result))
    return locations


def workspace_yaml(locations: Sequence[Location]) -> str:
    lines = ["load_from:"]
    for location in locations:
        lines += [
            "  - python_file:",
            f'      relative_path: "{location.folder / "definitions.py"}"',
            f'      working_directory: "{location.folder}"',
            f'      location_name: "{location.folder.name}"',
        ]
    return "\n".join(lines) + "\n"
