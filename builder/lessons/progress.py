"""Lesson progress, kept in the workspace (``lessons.json``): per lesson, the learner's design for it and the
checks run (when, passed, the figures). A damaged file is set aside (``lessons.json.damaged``), not lost, and
progress starts again."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..design import atomic_write
from ..paths import DESIGN_ID, workspace_root

FILE = "lessons.json"
KEEP = 20  # checks kept per lesson, newest last
MAX_BYTES = 1 << 20


@dataclass
class Progress:
    root: Path
    lessons: dict = field(default_factory=dict)  # name -> {"design": id | None, "checks": [...]}
    problem: str = ""  # why the file could not be read (it was set aside)

    @classmethod
    def open(cls, root=None) -> Progress:
        root = Path(root) if root is not None else workspace_root()
        path, p = root / FILE, cls(root)
        if not path.is_file():
            return p
        try:
            if path.stat().st_size > MAX_BYTES:
                raise ValueError(f"larger than {MAX_BYTES} bytes")
            raw = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(raw, dict) or not isinstance(raw.get("lessons"), dict):
                raise ValueError("not a progress file")
            p.lessons = {str(k): _entry(v) for k, v in raw["lessons"].items()}
        except (OSError, UnicodeDecodeError, ValueError) as e:
            aside = path.with_name(FILE + ".damaged")
            path.replace(aside)
            p.problem = f"The lesson progress file could not be read ({e}); it was kept as {aside.name}."
        return p

    def passed(self, name: str) -> bool:
        return any(c.get("passed") for c in self.lessons.get(name, {}).get("checks", []))

    def design(self, name: str) -> str | None:
        return self.lessons.get(name, {}).get("design")

    def last(self, name: str) -> dict | None:
        checks = self.lessons.get(name, {}).get("checks", [])
        return checks[-1] if checks else None

    def set_design(self, name: str, design_id: str) -> None:
        if not DESIGN_ID.fullmatch(design_id):
            raise ValueError(f"{design_id!r} is not a design id")
        self.lessons.setdefault(name, _entry({}))["design"] = design_id
        self._save()

    def record(self, outcome, design_id: str | None = None) -> None:
        entry = self.lessons.setdefault(outcome.lesson, _entry({}))
        entry["checks"] = [*entry["checks"], {"at": time.strftime("%Y-%m-%dT%H:%M:%S"), "passed": outcome.passed,
                           "design": design_id, "summary": outcome.summary,
                           "seconds": round(outcome.seconds, 1)}][-KEEP:]  # fmt: skip
        self._save()

    def _save(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        atomic_write(self.root / FILE, json.dumps({"lessons": self.lessons}, indent=1))


def _entry(v) -> dict:
    if not isinstance(v, dict):
        raise ValueError("a lesson's entry is not an object")
    design = v.get("design")
    checks = v.get("checks", [])
    if not isinstance(checks, list) or not all(isinstance(c, dict) for c in checks):
        raise ValueError("a lesson's checks are not a list of objects")
    return {"design": design if isinstance(design, str) and DESIGN_ID.fullmatch(design) else None,
            "checks": checks[-KEEP:]}  # fmt: skip
