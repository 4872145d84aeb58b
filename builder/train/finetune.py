"""Fine-tuning in a run: start from the design's weights, leave frozen layers out, a lower rate for the rest."""

from __future__ import annotations

from pathlib import Path

import torch

from ..finetune import frozen_nodes
from ..probes.capture import module_of
from .errors import TrainError

INIT = "init.pt"  # a run folder's starting weights (copied from the design when the run is created)


def write_init(run_dir: Path, p, weights) -> None:
    """Copy the weights a run starts from into its folder (so the run is whole by itself, and resumable)."""
    from ..design import atomic_write
    from ..export.state import read_weights

    state = read_weights(weights, p.design.name)
    atomic_write(run_dir / INIT, lambda tmp: torch.save(state, tmp))


def _keep_statistics(module: torch.nn.Module, args) -> None:
    """A frozen BatchNorm runs in eval mode even while the model trains: it normalises with its running statistics
    and leaves them as they were (what freezing a pretrained backbone means; torchvision's FrozenBatchNorm2d)."""
    module.train(False)


def prepare(model: torch.nn.Module, p, c, run_dir: Path | None) -> list:
    """Load the run's starting weights into ``model`` (every layer they fit), freeze the frozen layers, and return
    what the optimizer trains: all trainable parameters, or two groups when the pretrained layers train at
    ``pretrained_lr`` × lr. TrainError when every layer is frozen."""
    loaded: set[str] = set()
    init = run_dir / INIT if run_dir is not None else None
    if init is not None and init.is_file():
        state = torch.load(init, map_location="cpu", weights_only=True)
        own = model.state_dict()
        fits = {k: v for k, v in state.items() if k in own and tuple(own[k].shape) == tuple(v.shape)}
        model.load_state_dict(fits, strict=False)
        loaded = set(fits)
    for nid in frozen_nodes(p):
        module = module_of(model, nid)
        if module is not None:
            for param in module.parameters():
                param.requires_grad_(False)
            for m in module.modules():  # a frozen norm keeps normalising with the statistics it came with
                if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                    m.register_forward_pre_hook(_keep_statistics)
    named = [(k, v) for k, v in model.named_parameters() if v.requires_grad]
    if not named and any(True for _ in model.parameters()):
        raise TrainError("every layer with weights is frozen: nothing would train. Unfreeze some layers (a new "
                         "head, say).")  # fmt: skip
    if c["pretrained_lr"] == 1.0 or not loaded:
        return [v for _, v in named]
    fresh = [v for k, v in named if k not in loaded]
    old = [v for k, v in named if k in loaded]
    groups = [{"params": fresh}] if fresh else []
    if old:
        groups.append({"params": old, "lr": c["lr"] * c["pretrained_lr"]})
    return groups
