"""``run_simulation``: the points and the scenario read, the year played, the mail staged."""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from engine.definition.loader import Definition
from engine.runtime.enrolling import resolve_points
from engine.runtime.pointsfile import read_points_file
from engine.runtime.service import NewPoint, new_point_id
from engine.simulation.driver import YearDriver
from engine.simulation.keeping import check_target, install_store
from engine.simulation.outbox import OutboxStaging
from engine.simulation.progress import Echo
from engine.simulation.report import SimulationReport
from engine.simulation.scenario import SCENARIO_FILE, load_scenario
from engine.simulation.wiring import Wiring, work_dir_options

__all__ = ["POINTS_FILE", "point_units", "run_simulation"]

POINTS_FILE = "points-example.yaml"


def point_units(definition: Definition, points: Sequence[NewPoint]) -> dict[str, str]:
    """Point id -> unit id, as enrolling ``points`` in a fresh store gives them (the
    runtime's own id rule; a unit named by its short or full name is resolved, a group
    stands for its members)."""
    counts: Counter[str] = Counter()
    found = {}
    index = definition.index
    for p in resolve_points(index, points, lambda name: index.resolve_body(name) or name):
        counts[p.unit] += 1
        found[new_point_id(p, p.unit, counts[p.unit])] = p.unit
    return found


def run_simulation(
    programme: str | Path,
    *,
    points_file: str | Path | None = None,
    scenario_file: str | Path | None = None,
    outbox: str | Path = "outbox",
    db: str | None = None,
    echo: Echo | None = None,
    desk_url: str | None = None,
) -> SimulationReport:
    """Run the programme's year on a virtual clock; see ``engine.simulation``; with the
    desk's address ``desk_url``, every notice links to its unit's page there."""
    wiring = Wiring(programme, desk_url)
    definition = wiring.definition
    points_path = Path(points_file) if points_file else definition.folder / POINTS_FILE
    points = read_points_file(points_path)
    units_of = point_units(definition, points)
    if scenario_file is not None:
        scenario_path: Path | None = Path(scenario_file)
    else:
        # The example scenario names the example points: it goes with them only.
        default = definition.folder / SCENARIO_FILE
        scenario_path = default if default.is_file() and not points_file else None
    scenario = load_scenario(scenario_path, definition, units_of)
    target = check_target(db)
    outbox_dir = Path(outbox)
    staging = OutboxStaging(outbox_dir)  # refuses an outbox with other mail in it
    with tempfile.TemporaryDirectory(**work_dir_options()) as work_dir:
        work = Path(work_dir)
        with wiring.open(work=work) as opened:
            staged = opened.staging
            driver = YearDriver(opened, scenario, points, work / "drafts", echo)
            try:
                report = driver.run()
            finally:
                driver.close()
        if target is not None:  # the store is closed: its file is complete
            install_store(work, target)
            report.store = str(target)
        report.outbox = str(outbox_dir.absolute())
        report.outbox_files, report.replaced = staging.publish(staged)
        return report
