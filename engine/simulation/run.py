"""``run_simulation``: the points and the scenario read, the year played, the mail staged."""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from engine.runtime.pointsfile import read_points_file
from engine.runtime.service import NewPoint
from engine.simulation.driver import YearDriver
from engine.simulation.outbox import OutboxStaging
from engine.simulation.progress import Echo
from engine.simulation.report import SimulationReport
from engine.simulation.scenario import SCENARIO_FILE, load_scenario
from engine.simulation.wiring import Wiring, work_dir_options

__all__ = ["POINTS_FILE", "point_ids_of", "run_simulation"]

POINTS_FILE = "points-example.yaml"


def point_ids_of(points: Sequence[NewPoint]) -> list[str]:
    """The ids ``Runtime.enrol`` gives these points in a fresh store (``unit-n`` by default)."""
    counts: Counter[str] = Counter()
    ids = []
    for p in points:
        counts[p.unit] += 1
        ids.append(p.point_id or f"{p.unit}-{counts[p.unit]}")
    return ids


def run_simulation(
    programme: str | Path,
    *,
    points_file: str | Path | None = None,
    scenario_file: str | Path | None = None,
    outbox: str | Path = "outbox",
    db: str | None = None,
    echo: Echo | None = None,
) -> SimulationReport:
    """Run the programme's year on a virtual clock; see ``engine.simulation``."""
    wiring = Wiring(programme)
    definition = wiring.definition
    points_path = Path(points_file) if points_file else definition.folder / POINTS_FILE
    points = read_points_file(points_path)
    units_of = dict(zip(point_ids_of(points), (p.unit for p in points), strict=True))
    if scenario_file is not None:
        scenario_path: Path | None = Path(scenario_file)
    else:
        # The example scenario names the example points: it goes with them only.
        default = definition.folder / SCENARIO_FILE
        scenario_path = default if default.is_file() and not points_file else None
    scenario = load_scenario(scenario_path, definition, units_of)
    outbox_dir = Path(outbox)
    staging = OutboxStaging(outbox_dir)  # refuses an outbox with other mail in it
    with (
        tempfile.TemporaryDirectory(**work_dir_options()) as work_dir,
        wiring.open(db=db, work=Path(work_dir)) as opened,
    ):
        driver = YearDriver(opened, scenario, points, Path(work_dir) / "drafts", echo)
        try:
            report = driver.run()
        finally:
            driver.close()
        report.outbox = str(outbox_dir.absolute())
        report.outbox_files, report.replaced = staging.publish(opened.staging)
        report.store = str(Path(db).absolute()) if db and "://" not in db else db
        return report
