"""The canvas component (React Flow in an iframe; the built bundle lives in frontend/dist)."""

from __future__ import annotations

import functools
from pathlib import Path

import streamlit.components.v1 as components

from builder import REGISTRY
from builder.registry import CATEGORIES
from builder.validate import Validation

DIST = Path(__file__).parent / "frontend" / "dist"
_component = components.declare_component("layerloom_canvas", path=str(DIST))


@functools.cache
def palette() -> list[dict]:
    specs = sorted(REGISTRY.values(), key=lambda s: (CATEGORIES.index(s.category), s.type))
    return [{"type": s.type, "category": s.category, "doc": s.doc,
             "inputs": {"min": s.min_inputs, "max": s.max_inputs, "names": list(s.port_names)}} for s in specs]  # fmt: skip


def node_report(report: Validation) -> dict:
    issues: dict[str, list[str]] = {}
    warnings: dict[str, list[str]] = {}
    for i in report.issues:
        if i.node:
            (issues if i.severity == "error" else warnings).setdefault(i.node, []).append(i.message)
    return {nid: {"shape": list(info.shape) if info.shape is not None else None, "params": info.params,
                  "issues": issues.get(nid, []), "warnings": warnings.get(nid, [])}
            for nid, info in report.nodes.items()}  # fmt: skip


def canvas(design, report: Validation, selected: str | None, key: str, version: int = 0, height: int = 620):
    """Render the canvas; returns the last action it sent (also in st.session_state[key]). A new ``version``
    (another design loaded) makes the canvas fit the whole design in view."""
    d = design.to_dict()
    return _component(design={"nodes": d.get("nodes", []), "edges": d.get("edges", [])}, report=node_report(report),
                      palette=palette(), selected=selected, version=version, height=height, key=key, default=None)  # fmt: skip
