"""Lessons: the learner's curriculum as guided, self-checking lessons.

A :class:`Lesson` is a short text (what to look at and why, with the key formula), the templates it uses (the
first is where its exercise starts), the views to open, an exercise and a **check**: a function that trains or
measures the learner's design with the lesson's own settings and judges it against stated thresholds
(:class:`Criterion`). The check of a lesson's reference solution must pass; the check of its starting design
must not (the exercise would teach nothing)::

    from builder.lessons import check, get_lesson
    outcome = check("xor")                 # the reference solution: passes
    outcome = check("xor", my_design)      # the learner's design: passed, the figures, and a hint when not
    outcome.criteria[0].text               # 'test accuracy 0.987 (needs ≥ 0.95)'

The texts live in one place per language (:mod:`builder.lessons.texts`); the lessons themselves (their logic)
in :mod:`builder.lessons.catalog`; what is measured besides training in :mod:`builder.lessons.measure`.
Progress (checks passed) is kept in the workspace (:mod:`builder.lessons.progress`).
"""

from __future__ import annotations

import copy
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ..design import Design
from .texts import LANGUAGES, text

OPS = {">=": (lambda a, b: a >= b, "≥"), "<=": (lambda a, b: a <= b, "≤")}


class LessonError(KeyError):
    """An unknown lesson; the message lists the known ones."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class Criterion:
    """One figure a check measured and the threshold it must meet: ``value op threshold``."""

    label: str  # what was measured: "test accuracy"
    value: float
    op: str  # ">=" or "<="
    threshold: float
    digits: int = 3  # how many decimals the figure is shown with

    @property
    def passed(self) -> bool:
        return OPS[self.op][0](self.value, self.threshold)

    @property
    def text(self) -> str:
        return f"{self.label} {self._fmt(self.value)} (needs {OPS[self.op][1]} {self._fmt(self.threshold)})"

    def _fmt(self, v: float) -> str:
        return f"{v:.{self.digits}f}" if abs(v) >= 10**-self.digits or v == 0 else f"{v:.2e}"

    def to_json(self) -> dict:
        return {"label": self.label, "value": self.value, "op": self.op, "threshold": self.threshold,
                "passed": self.passed}  # fmt: skip


@dataclass
class Outcome:
    """What a check found: passed when every criterion is met; the hint says what to try when not."""

    lesson: str
    criteria: list[Criterion]
    seconds: float
    hint: str = ""
    error: str = ""  # the design could not be checked (it has errors, or does not fit the lesson's data)
    runs: list[str] = field(default_factory=list)  # the runs the check trained, in order
    extra: dict = field(default_factory=dict)  # figures to draw (per-layer gradient norms, optimizer paths…)

    @property
    def passed(self) -> bool:
        return not self.error and bool(self.criteria) and all(c.passed for c in self.criteria)

    @property
    def summary(self) -> str:
        if self.error:
            return f"Not checked: {self.error}"
        return "; ".join(c.text for c in self.criteria)

    def to_json(self) -> dict:
        return {"lesson": self.lesson, "passed": self.passed, "seconds": round(self.seconds, 2),
                "criteria": [c.to_json() for c in self.criteria], "hint": "" if self.passed else self.hint,
                "error": self.error, "runs": self.runs}  # fmt: skip


# a runner trains a design with settings and returns its RunResult: a temporary workspace (the CLI, the tests),
# or the app's workspace (the run then shows in the design's history, with its snapshot)
Runner = Callable[[Design, dict], object]


def local_runner(workspace=None) -> Runner:
    """Train in this thread, in ``workspace`` (a temporary folder when None)."""
    from ..train import train

    root = workspace if workspace is not None else tempfile.mkdtemp(prefix="layerloom-lesson-")
    return lambda design, settings: train(design, {"probe_every": 0, **settings}, workspace=root)


@dataclass(frozen=True)
class Lesson:
    name: str
    number: int
    designs: tuple[str, ...]  # the templates it uses; designs[0] is where the exercise starts
    solution: str  # the template that solves the exercise (its check must pass)
    views: tuple[str, ...]  # the Visualize tabs (and lesson figures) to look at
    judge: Callable[[Design, Runner, dict], list[Criterion]]  # (design, runner, extra figures out) -> criteria
    settings: dict = field(default_factory=dict)  # the training settings the check uses (shown with the lesson)

    def text(self, key: str, language: str = "en") -> str:
        """``title``, ``text``, ``exercise`` or ``hint`` in ``language``."""
        return text(self.name, key, language)

    @property
    def title(self) -> str:
        return self.text("title")

    def start(self) -> Design:
        from ..templates import load_template

        return load_template(self.designs[0])

    def reference(self) -> Design:
        from ..templates import load_template

        return load_template(self.solution)

    def to_json(self, language: str = "en") -> dict:
        return {"name": self.name, "number": self.number, "title": self.text("title", language),
                "designs": list(self.designs), "solution": self.solution, "views": list(self.views),
                "settings": self.settings, "exercise": self.text("exercise", language)}  # fmt: skip


LESSONS: dict[str, Lesson] = {}


def lesson(name: str, number: int, designs: tuple[str, ...], solution: str, views: tuple[str, ...] = (),
           settings: dict | None = None):  # fmt: skip
    """Register the decorated judge as the lesson ``name`` (its texts come from :mod:`.texts`)."""

    def register(fn):
        assert name not in LESSONS and number not in {x.number for x in LESSONS.values()}, name
        LESSONS[name] = Lesson(name, number, tuple(designs), solution, tuple(views), fn, dict(settings or {}))
        return fn

    return register


def list_lessons() -> list[Lesson]:
    from . import catalog  # noqa: F401  (registers the lessons)

    return sorted(LESSONS.values(), key=lambda x: x.number)


def get_lesson(name: str) -> Lesson:
    lessons = {x.name: x for x in list_lessons()}
    if name not in lessons:
        raise LessonError(f"no lesson named {name!r}; known: {', '.join(lessons)}")
    return lessons[name]


def check(name: str, design: Design | None = None, runner: Runner | None = None, language: str = "en") -> Outcome:
    """Judge ``design`` (the lesson's reference solution when None) with the lesson's check. A design that cannot
    be trained is not an exception: the outcome says why (with the first issue), and fails."""
    from ..budget import MemoryBudgetError
    from ..export.errors import ExportError
    from ..train import TrainError
    from ..validate import DesignError

    x = get_lesson(name)
    design = copy.deepcopy(design if design is not None else x.reference())
    design.training = None  # the lesson's settings, not the learner's, so the check judges the design
    runs: list[str] = []
    base = runner or local_runner()

    def tracked(d: Design, settings: dict):
        from ..data import get_spec

        # the dataset's own task unless the lesson names one: not the design's (a GAN file trained on XOR)
        settings = {"task": get_spec(settings["dataset"]).task, **settings} if "dataset" in settings else settings
        result = base(d, settings)
        runs.append(result.run_id)
        if result.status != "finished":
            raise TrainError(f"the run {result.status}: {result.message}")
        return result

    extra: dict = {}
    t0 = time.perf_counter()
    try:
        criteria = x.judge(design, tracked, extra)
        error = ""
    except (TrainError, DesignError, ExportError, MemoryBudgetError, ValueError) as e:  # said, never raised
        criteria, error = [], _first_issue(e)
    return Outcome(name, criteria, time.perf_counter() - t0, x.text("hint", language), error, runs, extra)


def _first_issue(e: Exception) -> str:
    issues = getattr(e, "issues", None) or []
    detail = getattr(issues[0], "message", "") if issues else ""
    message = str(e)
    return f"{message}: {detail}" if detail and detail not in message else message


__all__ = ["LANGUAGES", "LESSONS", "Criterion", "Lesson", "LessonError", "Outcome", "Runner", "check", "get_lesson",
           "list_lessons", "local_runner"]  # fmt: skip
