"""Export a standalone training script, and the data it trains on.

train.py = the model's own source + LayerLoom's training recipe (:mod:`builder.train.recipe`, copied as source,
so the script trains exactly as the engine does) + a short main() that runs on one process or under
``torchrun --nproc_per_node=N`` with DistributedDataParallel (gloo on CPU, nccl on CUDA). Its settings are the
design's training section resolved by the task (the loss "auto" is already the task's loss). Beside it,
data.npz holds the dataset exactly as the engine trains on it (split and normalized; plain arrays), and
train.py reads it by default: it needs torch and numpy, nothing from LayerLoom. With the same seed, one epoch
of train.py gives the validation loss the engine gives (tests/export/test_train_script.py).
"""

from __future__ import annotations

import inspect
import io
import os
from dataclasses import dataclass
from pathlib import Path

from ..codegen import doc_text
from ..design import Design, atomic_write
from ..plan import Plan, plan
from ..registry import literal
from .weights import ExportError

MAX_DATA_BYTES = 512 * 2**20  # data.npz: the bundled sets are at most ~30 MB; CIFAR-10 as float32 is ~740 MB
MARKER = "# -- recipe "  # train.py contains recipe.py from the line after this one
ENGINE_ONLY = ("device", "amp", "log_every", "probe_every", "histogram_every", "dataset_options")

MAIN = '''


# -- the script ----------------------------------------------------------------------


def load_data(path):
    """{split: (x, y)} from an .npz with X_train, y_train, X_val, y_val (plain arrays)."""
    with np.load(path, allow_pickle=False) as z:
        return {s: (z[f"X_{s}"], z[f"y_{s}"]) for s in ("train", "val")}


def train_epoch(net, step, x, y, order):
    """One pass over this process's batches; (sum of losses, samples) as a tensor."""
    net.train()
    total = torch.zeros(2, device=x.device)
    for idx in order:
        loss, _ = step(x[idx], y[idx])
        total += torch.stack([loss * len(idx), loss.new_tensor(float(len(idx)))])
    return total


def arguments():
    here = Path(__file__).resolve().parent
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=CONFIG["epochs"])
    parser.add_argument(
        "--data",
        default=str(here / "data.npz"),
        help=".npz with X_train, y_train, X_val, y_val (default: data.npz beside this file)",
    )
    parser.add_argument(
        "--out", default="model.pt", help="where rank 0 saves the state_dict"
    )
    return parser.parse_args()


def setup():
    """(rank, world size, device): torchrun sets WORLD_SIZE; else one process."""
    distributed = "WORLD_SIZE" in os.environ
    if distributed:
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    rank = dist.get_rank() if distributed else 0
    world = dist.get_world_size() if distributed else 1
    device = torch.device("cpu")
    if torch.cuda.is_available():
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
    return rank, world, device


def main():
    args = arguments()
    if not Path(args.data).is_file():
        raise SystemExit(
            f"no data file {args.data}: give --data FILE.npz (X_train, y_train, X_val, "
            "y_val), or export again from LayerLoom, which writes data.npz here"
        )
    rank, world, device = setup()
    c = dict(CONFIG, epochs=args.epochs)
    data = load_data(args.data)
    x, y = (torch.as_tensor(a).to(device) for a in data["train"])
    vx, vy = (torch.as_tensor(a).to(device) for a in data["val"])
    model = new_model(build_model, c["seed"]).to(device)
    net = model
    if world > 1:
        net = DDP(model, device_ids=[device.index] if device.type == "cuda" else None)
    gen = torch.Generator(device=device).manual_seed(c["seed"])
    steps = -(-(len(x) // world) // c["batch_size"])  # batches per epoch, on each rank
    opt = make_optimizer(c, net.parameters())
    sched = make_schedule(c, opt, steps)
    loss_fn = make_loss(c)
    step = make_step(net, opt, sched, c, loss_fn, gen)
    best, stale, history = float("inf"), 0, []
    for epoch in range(1, args.epochs + 1):
        order = batches(len(x), c, gen, device, rank, world)
        total = train_epoch(net, step, x, y, order)
        if world > 1:
            dist.all_reduce(total)
        val, _ = evaluate(model, c, loss_fn, vx, vy, c["eval_batch"])
        end_epoch(c, sched, val)
        train_loss = float(total[0] / total[1])
        history.append({"epoch": epoch, "train_loss": train_loss, "val_loss": val})
        if rank == 0:
            print(f"epoch {epoch}: train loss {train_loss:.4f}, val loss {val:.4f}")
        best, stale = (val, 0) if val < best else (best, stale + 1)
        if c["early_stopping"] and stale >= c["early_stopping"]:
            break
    if rank == 0:
        torch.save(model.state_dict(), args.out)
        Path(args.out).with_suffix(".json").write_text(json.dumps(history, indent=1))
        print(f"saved {args.out} and its losses, {Path(args.out).with_suffix('.json')}")
    if world > 1:
        dist.barrier()  # every rank finishes together before the group goes away
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
'''


@dataclass(frozen=True)
class TrainScript:
    path: Path
    data_path: Path | None  # data.npz beside it (None when not written)
    data_problem: str = ""  # why data.npz was not written


def recipe_source() -> str:
    """The recipe module's code, from the line after its marker: what train.py contains."""
    from ..train import recipe

    text = inspect.getsource(recipe)
    return text[text.index("\n", text.index(MARKER)) + 1 :].strip("\n") + "\n"


def script_text(p: Plan, settings: dict) -> str:
    """train.py's text for plan ``p`` trained with the recipe ``settings``."""
    config = "CONFIG = {\n" + "".join(f'    "{k}": {_value(v)},\n' for k, v in settings.items()) + "}\n"
    body = p.generated.body
    imports = ["argparse", "json", *(["math"] if "math" in p.generated.imports else []), "os"]
    doc = (
        f'"""Train the {settings["task"]} model {doc_text(p.design.name)!r} on {settings["dataset"]}.\n\n'
        "Run: python train.py (it reads data.npz beside it), or torchrun --nproc_per_node=N\n"
        'train.py (DistributedDataParallel). Exported by LayerLoom; needs torch and numpy.\n"""\n\n'
    )
    head = doc + "".join(f"import {m}\n" for m in imports) + "from pathlib import Path\n\n"
    head += "import numpy as np\nimport torch\nimport torch.distributed as dist\nimport torch.nn.functional as F\n"
    head += "from torch import nn\nfrom torch.nn.parallel import DistributedDataParallel as DDP\n\n"
    recipe = "\n\n\n# -- the training recipe (LayerLoom's builder/train/recipe) --------------------------\n\n\n"
    return head + config + "\n\n" + body.rstrip("\n") + recipe + recipe_source().rstrip("\n") + MAIN


def resolve(design: Design | Plan | str | os.PathLike | dict):
    """(plan, checked settings, the recipe's settings, why the data cannot be written or "") for an export of
    ``design``'s training; ExportError when no train.py can be written."""
    from ..data import get_spec
    from ..tasks import TaskMismatch, get_task
    from ..train.config import resolve_config
    from ..validate import ERROR

    p = plan(design)
    if p.multi:
        names = ", ".join(p.networks)
        raise ExportError(
            f"train.py covers single-network designs; this file holds several networks ({names}), and "
            "a GAN trains with both together: python -m builder train design.json"
        )
    p.require()
    cfg, issues = resolve_config(p.design)
    if issues:
        raise ExportError("the training settings have errors: " + "; ".join(i.message for i in issues))
    task = get_task(cfg.task)
    if task.networks:
        raise ExportError(
            "train.py covers single-network tasks; a GAN trains a generator and a discriminator "
            "together, from one file holding both: python -m builder train design.json"
        )
    try:
        c = task.recipe(p, cfg)
    except TaskMismatch as e:
        raise ExportError(f"train.py cannot be written: {e}") from None
    misfit = [i for i in task.fits(p, get_spec(cfg.dataset)) if i.severity == ERROR]
    why = ""
    if misfit:
        why = (
            f"no data.npz: the design does not fit its training dataset, {cfg.dataset} ({misfit[0].message.rstrip('.')}"
            "). Run train.py with --data FILE.npz holding data it fits."
        )
    return p, cfg, c, why


def export_train_script(design: Design | Plan | str | os.PathLike | dict, path, data: bool = True) -> TrainScript:
    """Write train.py for ``design`` (its training section, resolved) to ``path``, and with ``data`` the
    dataset it trains on as data.npz beside it (not when the design does not fit it: the script is still
    written, to train on another .npz)."""
    from .. import budget

    p, cfg, c, misfit = resolve(design)
    settings = {k: v for k, v in c.items() if k not in ENGINE_ONLY}
    settings["eval_batch"] = budget.eval_batch(p.report, budget.available("cpu"))
    path = Path(path)
    atomic_write(path, script_text(p, settings))
    if not data or misfit:
        return TrainScript(path, None, misfit)
    try:
        return TrainScript(path, write_data(cfg, path.with_name("data.npz")))
    except ExportError as e:
        return TrainScript(path, None, str(e))


def write_data(cfg, path: Path) -> Path:
    """The run's dataset (split and normalized as the engine sees it) as plain arrays in an .npz."""
    import numpy as np

    from ..data import load_dataset

    d = load_dataset(cfg.dataset, seed=cfg.seed, **cfg.dataset_options)
    arrays = {f"{a}_{s}": d.split(s)[i] for s in ("train", "val", "test") for i, a in enumerate("Xy")}
    size = sum(a.nbytes for a in arrays.values())
    if size > MAX_DATA_BYTES:
        raise ExportError(
            f"data.npz would be {size / 2**20:,.0f} MiB, over the {MAX_DATA_BYTES // 2**20} MiB limit for "
            f"an exported dataset: run train.py with --data FILE.npz of {cfg.dataset}"
        )
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return atomic_write(path, buf.getvalue())


def _value(v) -> str:
    if isinstance(v, dict):
        return "{" + ", ".join(f"{literal(k)}: {_value(x)}" for k, x in v.items()) + "}"
    if isinstance(v, (tuple, list)):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    return literal(v)
