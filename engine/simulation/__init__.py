"""``docflow simulate``: the whole programme year on a virtual clock, through the real code.

Nothing here decides who owes what or who is reminded: enrolment, submissions and decisions
go through the application layer, ``engine.app.Programme`` (what ``docflow enrol``, ``submit``
and ``decide`` use), reminders through ``ReminderRunner.run(now)`` (what ``remind`` and
``serve`` use), mail through the same outbox queue (see below). The simulation only plays the part of
the people: it moves a ``VirtualClock`` day by day and, on each day, lets units submit, the
province decide, and then runs the reminders at the policy hour.

The year
--------
1. Programme-level tasks dated before the enrolment day (the call for points) are done first.
2. Enrolment day (scenario ``enrol_on``; default: the day before the enrolment task's due
   day, e.g. 2011-03-19): every point of the points file is enrolled.
3. Every calendar day from the enrolment day to 12-31, at 08:30: the day's actions -
   the decisions of the screening (``screen_on``, default: the first working day after the
   enrolment task's due day) and of the approval (``approve_on``, default: the date the
   programme was issued, if later; else the working day after screening), the scenario's
   withdrawals, extension requests and grants, returns and dated decisions, then on working
   days every other decision step whose point arrived on an earlier day and the document
   steps without a deadline, then submissions of point steps in the order of their
   deadlines, then programme-level tasks. Then, on working days at each reminder policy's
   hour (09:00), ``runner.run(now)``.
4. On 12-31, after the day's actions, the accepting decisions into a final state (e.g.
   办结), before the last reminder run.

Decisions come from the definition (``engine.simulation.decisions``): every state a
decision leaves is a decision step, decided ``accept`` by default (when no document is owed
from that state) by the actor the definition names - a body, a group (its first body),
``owner`` or ``inspector``, resolved by the runtime; the timeline names the bodies on the
events. ``screened_out``, ``decisions`` and ``returns`` give other outcomes. Points that
stop where the driver can do nothing (no body may take the step, only a reject or return
the scenario does not ask for) are a stall: the summary says at which step, which points of
which units, since when and why; ``docflow simulate`` exits with 8.

By default every point's step is submitted ``default_lead_days`` working days before its due
day (one document per unit and day, covering its points; inspection reports by each
inspection group's lead body); a submission that is due while the point is not yet waiting
(an earlier step is late) goes out as soon as the point reaches the step. Programme-level
tasks are done by their (first) responsible body on the last working day on or before their
due day (a task set "<节日>后", such as 国庆节后 for the inspection notice, on the first
working day after the holiday), unless ``task_days`` or ``late`` says otherwise; a task the
engine refuses (what it waits for is missing and not yet overdue) is tried again on the next
working days.

Scenario file (YAML; every key optional; see workflows/gd-2011/scenario-example.yaml)
-------------------------------------------------------------------------------------
==================  ===========================================================================
``title``           text shown in the report
``enrol_on``        date: enrolment day
``screen_on``       date: screening day
``approve_on``      date: approval day
``default_lead_days``  int >= 0 (default 3): working days before the due day units submit
``task_days``       mapping task id -> date: when a programme-level task is done
``screened_out``    list of point ids, or ``{point, reason}``: not accepted at screening
``late``            list of ``{unit, task, on}``: the unit submits ``task`` on that date (for
                    a programme-level task: its responsible body does it then)
``never``           list of ``{unit, task}``: the unit never submits ``task``
``returns``         list of ``{point, task, on, reason, resubmit_on?}``: the submission is
                    returned on ``on``; resubmitted on ``resubmit_on`` (omitted: never)
``extensions``      list of ``{point, task, request_on, grant_on, until, submit_on?,
                    reason?}``: an extension requested (before the due day), granted with the
                    new due day ``until``; submitted on ``submit_on`` (default: the usual lead
                    before ``until``)
``withdrawals``     list of ``{point, on, reason}``: the point is withdrawn
``decisions``       list of ``{point, task, outcome, on?, reason?}``: the decision of
                    ``task`` (``decide --task``: ``screen``, ``approve`` ...) for the point
                    has ``outcome`` (``accept`` or ``reject``; a return is in ``returns``),
                    on ``on`` or on the step's day
==================  ===========================================================================
``task`` is a task name as ``docflow submit --task`` takes it (``work-plan``, ``progress``,
``inspection`` ...) or a programme-level task id (``aggregate-progress`` ...). Dates are
``YYYY-MM-DD`` within the programme year and not before the enrolment day. Every problem is
reported as ``file:line:column`` (``ScenarioError``); an action the engine refuses while the
year runs is reported at the line of the scenario entry that asked for it.

The outbox must not hold .eml files already - simulated mail is never mixed with real mail
(the default outbox is the same folder ``remind`` writes to) - unless every one of them is
from an earlier simulation: a simulation leaves a list of the files it wrote
(``.docflow-simulation.json``), and running it again replaces exactly those files, once the
new year has run. The store is a fresh SQLite file in a temporary directory, deleted at the
end; with ``db`` (a path where no file is yet) it is moved there, with its documents beside
it, once the year has run (``keeping``).

Defaults: points ``points-example.yaml`` and scenario ``scenario-example.yaml`` in the
programme's folder. The example scenario names example points, so it is the default only
with the example points: with another points file and no scenario, every unit is on time.

Mail goes into a staging folder beside the temporary store and is moved into the outbox when
the year has run (``outbox``). Every stored document and message is written with an fsync;
on a disk a few hundred of them cost seconds, so the temporary folder is put in memory
(``/dev/shm``) when there is one and ``$TMPDIR`` is not set. A run that fails leaves the
outbox untouched.

The modules
-----------
``scenario`` (with ``scenario_fields``) reads and checks the scenario file; ``lifecycle``
answers what the year needs to know about the programme's life cycle; ``plans`` says who does
what on which day; ``wiring`` builds the definition, store, clock, ``Runtime``, mail queue and
``ReminderRunner`` in one place; ``driver`` plays the year through them, reading the points'
states from the store; ``narration`` words the timeline and ``progress`` echoes it;
``summary`` reads what the year came to from the store into the report of ``report``;
``outbox`` keeps simulated mail apart from real mail; ``decisions`` and ``deciding`` read
and make the decisions and find stalls; ``keeping`` moves a kept store into place; ``run``
ties them together.
"""

from engine.errors import ScenarioError
from engine.simulation.report import SimulationReport, render_report
from engine.simulation.run import POINTS_FILE, point_units, run_simulation
from engine.simulation.scenario import SCENARIO_FILE, Scenario, load_scenario

__all__ = [
    "POINTS_FILE",
    "SCENARIO_FILE",
    "Scenario",
    "ScenarioError",
    "SimulationReport",
    "load_scenario",
    "point_units",
    "render_report",
    "run_simulation",
]
