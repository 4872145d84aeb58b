"""torchvision's weights into the templates: from a file or the hub cache, with torchvision's own renames; a file
that does not fit names the first differing key and the expected shape. Weights are made up here (zeros with a
marker per tensor) from the reference key lists: nothing is downloaded."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from builder.importer.pretrained import TORCHVISION, WeightsError, find_weights, load_pretrained
from builder.plan import build_model

REFERENCE = Path(__file__).resolve().parents[1] / "reference" / "torchvision"
ROOT = Path(__file__).resolve().parents[2]


def made_up(name: str) -> dict:
    """A state_dict with torchvision's keys and shapes for ``name``; tensor i holds i at its first entry."""
    ref = json.loads((REFERENCE / f"{name}.json").read_text())
    out = {}
    for i, (key, shape) in enumerate(ref["state_dict"]):
        t = torch.zeros(shape, dtype=torch.int64 if key.endswith("num_batches_tracked") else torch.float32)
        t.view(-1)[:1] = i
        out[key] = t
    return out


def old_densenet_keys(state: dict) -> dict:
    """The key style of torchvision's published DenseNet file (``norm.1`` for ``norm1``; no step counters)."""
    return {re.sub(r"(denselayer\d+\.(?:norm|relu|conv))([12])\.", r"\1.\2.", k): v for k, v in state.items()
            if not k.endswith("num_batches_tracked")}  # fmt: skip


@pytest.mark.parametrize("name", sorted(TORCHVISION))
def test_each_torchvision_template_loads_torchvisions_weights(name, tmp_path):
    state = made_up(name)
    if name == "densenet121":
        state = old_densenet_keys(state)  # as the published file has them
        assert any(".norm.1." in k for k in state)
    if name == "googlenet":
        state = {**state, **{k: v for k, v in made_up("googlenet_aux").items() if k.startswith("aux")}}
    path = tmp_path / f"{name}-0123abcd.pth"
    torch.save(state, path)
    design = load_pretrained(name, path)
    model = build_model(design)
    want = made_up(name)
    if name == "densenet121":
        want = {k: torch.zeros((), dtype=torch.int64) if k.endswith("num_batches_tracked") else v
                for k, v in want.items()}  # fmt: skip
    got = model.state_dict()
    assert list(got) == list(want)
    assert all(torch.equal(got[k], want[k]) for k in want)


def test_the_hub_cache_is_searched_and_nothing_else(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    assert find_weights("resnet18") is None
    with pytest.raises(WeightsError, match="never downloads"):
        load_pretrained("resnet18")
    folder = tmp_path / "hub" / "checkpoints"
    folder.mkdir(parents=True)
    torch.save(made_up("resnet18"), folder / "resnet18-f37072fd.pth")
    assert find_weights("resnet18") == folder / "resnet18-f37072fd.pth"
    assert torch.equal(load_pretrained("resnet18").weights["fc.bias"], made_up("resnet18")["fc.bias"])


def test_weights_that_do_not_fit_name_the_first_differing_key(tmp_path):
    state = made_up("resnet18")
    state["layer2.0.conv1.weight"] = torch.zeros(128, 64, 5, 5)
    with pytest.raises(WeightsError, match=r"'layer2.0.conv1.weight' has shape \[128, 64, 5, 5\].*\[128, 64, 3, 3\]"):
        load_pretrained("resnet18", state)
    del state["layer2.0.conv1.weight"]
    with pytest.raises(WeightsError, match=r"no 'layer2.0.conv1.weight' \(expected shape \[128, 64, 3, 3\]\)"):
        load_pretrained("resnet18", state)
    with pytest.raises(WeightsError, match="resnet50"):  # another model's file
        load_pretrained("resnet50", made_up("resnet18"))
    with pytest.raises(WeightsError, match="not a template with torchvision weights"):
        load_pretrained("lenet5", {})


def test_the_cli_writes_the_design_and_its_weights(tmp_path):
    path = tmp_path / "mobilenet_v2-7ebf99e0.pth"
    torch.save(made_up("mobilenet_v2"), path)
    r = subprocess.run([sys.executable, "-m", "builder", "pretrained", "mobilenet_v2", "--weights", str(path), "-o",
                        str(tmp_path / "m.json")], cwd=ROOT, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "m.pt").is_file() and "torchvision's weights" in r.stdout
