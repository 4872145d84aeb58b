"""The template gallery: design files under assets/templates/, built by this package and committed.

- :mod:`.graph`: :class:`Graph`, a typed builder for writing designs as code (every call checked against the
  layer registry);
- :mod:`.blocks`: block helpers (conv-bn-relu, residual, Inception, dense block, inverted residual, Transformer
  layer, classifier head);
- :mod:`.library`: the :func:`template` decorator (title, lesson, dataset, training settings, published
  parameter count) and ``TEMPLATES``; :mod:`.catalog`: the templates themselves;
- ``python -m builder.templates`` writes the files. Reading them (below) needs none of that.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..design import Design, load_design, save_design
from .library import TEMPLATE_DIR, TEMPLATES, TemplateDef


@dataclass(frozen=True)
class Template:
    name: str
    title: str
    description: str
    path: Path

    def load(self) -> Design:
        return load_design(self.path)

    def designs(self) -> list[tuple[str, Design]]:
        """(label, single-network design) pairs: the design itself, or each network of a multi-network file."""
        d = self.load()
        if d.multi:
            return [(f"{self.name}/{key}", net) for key, net in d.networks.items()]
        return [(self.name, d)]


def list_templates() -> list[Template]:
    out = []
    for path in sorted(TEMPLATE_DIR.glob("*.json")):
        d = load_design(path)
        out.append(Template(d.name, d.metadata.get("title", d.name), d.description, path))
    return out


def load_template(name: str) -> Design:
    path = TEMPLATE_DIR / f"{name}.json"
    if not path.is_file() or path.parent != TEMPLATE_DIR:
        known = ", ".join(t.name for t in list_templates())
        raise KeyError(f"no template named {name!r}; known: {known}")
    return load_design(path)


def template_training(name: str) -> dict:
    """The training settings a template carries, with its dataset: what it shows it was made for."""
    d = load_template(name)
    dataset = d.metadata.get("dataset")
    return {**({"dataset": dataset} if dataset else {}), **(d.training or {})}


def all_templates() -> dict[str, TemplateDef]:
    """Every template definition, by name (the catalog is imported on first use)."""
    from . import catalog  # noqa: F401  (registers the templates: imported when first asked for)

    return TEMPLATES


def build_all() -> dict[str, Design]:
    return {name: t.design() for name, t in all_templates().items()}


def write_all(folder: Path = TEMPLATE_DIR) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    built = build_all()
    for name, design in built.items():
        save_design(design, folder / f"{name}.json")
    return len(built)
