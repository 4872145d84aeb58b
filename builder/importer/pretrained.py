"""torchvision's published ImageNet weights for the templates that reproduce its models, from a local file.

Nothing is downloaded: the weights come from a file the user names, or from torch's hub cache folder
(``$TORCH_HOME/hub/checkpoints``, where ``torchvision.models.*(weights=...)`` keeps what it downloaded). The
templates' module names are torchvision's, so a checkpoint loads as it is, after the renames torchvision itself
applies when loading: DenseNet's old key style (``denselayer1.norm.1.weight`` → ``denselayer1.norm1.weight``), and
missing BatchNorm step counters (files older than torch 0.4.1) start at 0, GoogLeNet's auxiliary classifiers, which the aux-free template does not have, are dropped.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ..design import Design

# template -> the file-name pattern torchvision's weight files have (e.g. resnet18-f37072fd.pth)
TORCHVISION = {
    "alexnet": "alexnet-*.pth", "vgg11": "vgg11-*.pth", "vgg16": "vgg16-*.pth", "resnet18": "resnet18-*.pth",
    "resnet34": "resnet34-*.pth", "resnet50": "resnet50-*.pth", "googlenet": "googlenet-*.pth",
    "densenet121": "densenet121-*.pth", "mobilenet_v2": "mobilenet_v2-*.pth",
}  # fmt: skip
_DENSE = re.compile(r"^(.*denselayer\d+\.(?:norm|relu|conv))\.((?:[12])\.(?:weight|bias|running_mean|running_var))$")


class WeightsError(ValueError):
    """Weights that do not fit: the message names the first key that differs and the shape expected there."""


def hub_folder() -> Path:
    """torch's hub checkpoint folder, as torch.hub computes it (TORCH_HOME, else XDG_CACHE_HOME/torch)."""
    home = os.environ.get("TORCH_HOME") or os.path.join(os.environ.get("XDG_CACHE_HOME", "~/.cache"), "torch")
    return Path(home).expanduser() / "hub" / "checkpoints"


def find_weights(template: str) -> Path | None:
    """The newest torchvision weight file for ``template`` in the hub cache, or None."""
    pattern = TORCHVISION.get(template)
    folder = hub_folder()
    if pattern is None or not folder.is_dir():
        return None
    found = sorted(folder.glob(pattern), key=lambda p: p.stat().st_mtime)
    return found[-1] if found else None


def torchvision_keys(template: str, state: dict) -> dict:
    """``state`` with the renames torchvision applies on loading, and what the template leaves out dropped."""
    out = {}
    for key, value in state.items():
        if template == "densenet121":
            m = _DENSE.match(key)
            key = m.group(1) + m.group(2) if m else key
        if template == "googlenet" and key.startswith(("aux1.", "aux2.")):
            continue
        out[key] = value
    return out


def load_pretrained(template: str, weights: str | os.PathLike | dict | None = None) -> Design:
    """The template ``template`` carrying torchvision's weights (``design.weights``), read from ``weights`` (a
    file or a state_dict) or, when None, from the hub cache. WeightsError when there is no such file or the
    weights do not fit (naming the first differing key and its expected shape)."""
    from ..export.state import read_weights
    from ..plan import plan
    from ..templates import load_template

    if template not in TORCHVISION:
        raise WeightsError(f"{template!r} is not a template with torchvision weights; these are: "
                           f"{', '.join(TORCHVISION)}")  # fmt: skip
    if weights is None:
        weights = find_weights(template)
        if weights is None:
            raise WeightsError(f"no {TORCHVISION[template]} in {hub_folder()}: give the weight file (LayerLoom "
                               "never downloads; torchvision's file for this model is the one to use).")  # fmt: skip
    design = load_template(template)
    state = torchvision_keys(template, read_weights(weights))
    own = plan(design).initial_model().state_dict()
    for key, value in own.items():
        if key not in state and key.endswith("num_batches_tracked"):  # files saved before torch 0.4.1 lack them
            state[key] = value.new_zeros(())
        if key not in state:
            raise WeightsError(f"the weights have no {key!r} (expected shape {list(value.shape)}): is this "
                               f"{template}'s file?")  # fmt: skip
        if tuple(state[key].shape) != tuple(value.shape):
            raise WeightsError(f"{key!r} has shape {list(state[key].shape)} in the weights; {template} expects "
                               f"{list(value.shape)}.")  # fmt: skip
    extra = [k for k in state if k not in own]
    if extra:
        raise WeightsError(f"the weights have {len(extra)} key(s) {template} lacks, the first {extra[0]!r}.")
    design.weights = {k: state[k] for k in own}
    return design
