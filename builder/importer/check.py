"""The last step of an import: the design's own model must hold the original's weights and give its outputs."""

from __future__ import annotations

import torch

from . import Finding, ImportProblem

TOLERANCE = 1e-5  # the largest output difference allowed, relative to the outputs' magnitude (at least 1)


def checked_model(design, what: str) -> torch.nn.Module:
    """A fresh model of an imported design; ImportProblem (every error) when the design is not valid, which
    means the mapping made something LayerLoom cannot build."""
    from ..plan import plan

    p = plan(design)
    if not p.valid:
        raise ImportProblem([Finding("design", i.node or "", i.message) for i in p.report.issues
                             if i.severity == "error"], what)  # fmt: skip
    return p.initial_model(seed=0)


def attach_weights(design, module: torch.nn.Module, examples: tuple, partial: bool = False, mapper=None) -> None:
    """Build ``design``, load ``module``'s weights into it (under the same keys, or the partial import's renamed
    ones), check the outputs (not for a partial import, whose outputs are others) and keep the weights as
    ``design.weights``. ImportProblem for anything that does not match: that is a model LayerLoom would get
    wrong, so it is refused rather than returned."""
    what = type(module).__name__
    model = checked_model(design, what)
    original = module.state_dict()
    built = model.state_dict()
    rename = design.metadata.pop("import_ids", {}) if partial else {}

    def source(key: str) -> str:
        head, _, rest = key.partition(".")
        return f"{rename[head]}.{rest}" if head in rename else key

    problems = []
    for key, value in built.items():
        src = source(key)
        if src not in original:
            problems.append(Finding("weights", "", f"the design's model has {key!r}, which the original lacks."))
        elif tuple(original[src].shape) != tuple(value.shape):
            problems.append(Finding("weights", "", f"{key!r} has shape {tuple(value.shape)} in the design and "
                                                   f"{tuple(original[src].shape)} in the original."))  # fmt: skip
    if problems:
        raise ImportProblem(problems[:20], what)
    used = {source(k) for k in built}
    unused = sorted(k for k in original if k not in used)
    if unused:
        design.metadata.setdefault("import", {})["unused_weights"] = unused[:100]
    model.load_state_dict({k: original[source(k)] for k in built}, strict=True)
    if not partial:
        _check_outputs(module, model, examples, what)
    design.weights = {k: v.detach().clone() for k, v in model.state_dict().items()}


def _check_outputs(module, model, examples, what) -> None:
    modes = {m: m.training for m in module.modules()}
    try:
        module.eval()
        model.eval()
        with torch.no_grad():
            want, got = module(*examples), model(*examples)
    finally:
        for m, mode in modes.items():
            m.training = mode
    want = want if isinstance(want, (tuple, list)) else (want,)
    got = got if isinstance(got, (tuple, list)) else (got,)
    worst = 0.0
    for w, g in zip(want, got):
        if tuple(w.shape) != tuple(g.shape):
            raise ImportProblem([Finding("outputs", "", f"the design's model returns {tuple(g.shape)} where the "
                                                        f"original returns {tuple(w.shape)}.")], what)  # fmt: skip
        scale = max(1.0, float(w.abs().max()) if w.numel() else 1.0)
        worst = max(worst, float((w.double() - g.double()).abs().max()) / scale if w.numel() else 0.0)
    if len(want) != len(got) or worst > TOLERANCE:
        raise ImportProblem([Finding("outputs", "", f"the design's model differs from the original by {worst:.2e} "
                                                    f"(relative; allowed {TOLERANCE:.0e}). Please report this "
                                                    "model: an operation was mapped wrongly.")], what)  # fmt: skip
