"""Tasks as a registry, like layers: each task is one registered object that says which designs and datasets
it fits (with the fix), where its outputs are — found by their role in the graph, never by a node's name —, its
target, its loss ("auto" resolved from the design: BCE for one logit, NLL after a LogSoftmax), its metrics, and
the plain settings the training recipe (:mod:`builder.train.recipe`) runs with.

Adding a task is one subclass and one :func:`register` call; the engine, the exported train.py, the probes and
the pages read everything task-specific from here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from .plan import Plan
from .plan import plan as make_plan
from .registry import REGISTRY, Params, fmt_shape, width_source
from .validate import ERROR, WARNING, Issue

if TYPE_CHECKING:
    from .data.registry import Dataset, DatasetSpec


def error(node: str | None, message: str) -> Issue:
    return Issue(node, None, ERROR, message)


def warning(node: str | None, message: str) -> Issue:
    return Issue(node, None, WARNING, message)


class TaskMismatch(ValueError):
    """A design that does not have the outputs a task needs; ``issues`` say which and how to fix it."""

    def __init__(self, issues: list[Issue]):
        super().__init__(issues[0].message)
        self.issues = issues


class Task:
    """One task. Subclasses set the class attributes and override what differs."""

    name: ClassVar[str]
    title: ClassVar[str]
    data: ClassVar[tuple[str, ...]] = ()  # dataset tasks it trains on (empty: any)
    reconstructs: ClassVar[bool] = False  # the target is the input itself
    counts_correct: ClassVar[bool] = False  # the training loop counts correct predictions (accuracy)
    class_dim: ClassVar[int] = -1  # the outputs' dim that holds the class scores (segmentation: 1, N×C×H×W)
    networks: ClassVar[tuple[str, ...]] = ()  # the networks it trains together, from one file (a GAN's)

    # -- which designs and datasets it fits -----------------------------------------------------------------
    def fits(self, plan: Plan, spec: DatasetSpec) -> list[Issue]:
        """Every issue that stops ``plan`` from training on ``spec`` for this task (warnings included)."""
        if not plan.valid:
            return plan.report.errors
        if plan.multi:
            return [
                error(
                    None,
                    f"this file holds several networks ({', '.join(plan.networks)}); only "
                    "a GAN trains several. Set training.task to 'gan', or train one network.",
                )
            ]
        if self.data and spec.task not in self.data:
            wants = " or ".join(self.data)
            return [
                error(
                    None,
                    f"task {self.name} trains on {wants} datasets; {spec.name} is a "
                    f"{spec.task} dataset. Pick a {wants} dataset, or set training.task to "
                    f"{spec.task}.",
                )
            ]
        issues = _input_issues(plan, spec)
        if issues is None:
            return self._one_input(plan, spec)
        try:
            roles = self.outputs(plan)
        except TaskMismatch as e:
            return issues + e.issues
        return issues + self.check_outputs(plan, spec, roles)

    def _one_input(self, plan: Plan, spec: DatasetSpec) -> list[Issue]:
        ins = plan.inputs
        return [
            Issue(
                ins[1] if len(ins) > 1 else None,
                None,
                ERROR,
                f"{spec.title} gives one input per sample but the design has {len(ins)} Input nodes "
                f"({', '.join(map(repr, ins))}). Keep one Input.",
            )
        ]

    def outputs(self, plan: Plan) -> dict[str, int]:
        """Where the task's outputs are: role -> index among the model's outputs. Raises TaskMismatch."""
        outs = plan.outputs
        if len(outs) != 1:
            node = outs[1] if len(outs) > 1 else None
            raise TaskMismatch(
                [
                    error(
                        node,
                        f"task {self.name} trains one output but the design has "
                        f"{len(outs)} Output nodes ({', '.join(map(repr, outs))}). "
                        "Keep one Output.",
                    )
                ]
            )
        return {"prediction": 0}

    def main_output(self, plan: Plan) -> str:
        """The Output node the task judges (the prediction, or the reconstruction)."""
        roles = self.outputs(plan)
        return plan.outputs[roles.get("prediction", roles.get("reconstruction", 0))]

    def check_outputs(self, plan: Plan, spec: DatasetSpec, roles: dict[str, int]) -> list[Issue]:
        return []

    # -- training -----------------------------------------------------------------------------------------------
    def loss(self, plan: Plan, cfg) -> str:
        """The loss name the recipe trains with: the configured one, or this task's usual one for ``auto``."""
        return cfg["loss"] if cfg["loss"] != "auto" else "mse"

    def noise(self, cfg) -> float:
        """Gaussian noise std added to the inputs while training."""
        return float(cfg["input_noise"])

    def eval_noise(self, cfg) -> float:
        """Noise added to the inputs when evaluating (a denoiser is judged on noisy inputs)."""
        return 0.0

    def recipe(self, plan: Plan, cfg) -> Params:
        """The recipe's settings: the checked training settings ``cfg`` plus the task's part (the resolved loss,
        the target, the noise, which output is which), as plain values (written into the exported train.py)."""
        return Params(
            {
                **cfg,
                "task": self.name,
                "loss": self.loss(plan, cfg),
                "target": "x" if self.reconstructs else "y",
                "noise": self.noise(cfg),
                "eval_noise": self.eval_noise(cfg),
                "outputs": self.outputs(plan),
            }
        )

    def per_sample(self, spec: DatasetSpec) -> int:
        """Predictions per sample (for accuracy): one, or one per step."""
        return 1

    # -- evaluation -------------------------------------------------------------------------------------------
    def metrics(self, out, target, loss: float, dataset: Dataset) -> dict:
        """Metrics of the concatenated main outputs ``out`` against ``target``."""
        import torch.nn.functional as F

        return {"loss": loss, "mse": float(F.mse_loss(out.cpu(), target.cpu()))}


TASKS: dict[str, Task] = {}


def register(task: Task) -> Task:
    assert task.name not in TASKS, task.name
    TASKS[task.name] = task
    return task


def get_task(name: str) -> Task:
    if name not in TASKS:
        raise KeyError(f"unknown task {name!r}; known: {', '.join(TASKS)}")
    return TASKS[name]


def check_fit(design, spec: DatasetSpec, task: str | None = None) -> list[Issue]:
    """Issues that stop ``design`` (or a plan) from training on ``spec`` for ``task`` (default: the dataset's)."""
    return get_task(task or spec.task).fits(make_plan(design), spec)


# -- shared checks ----------------------------------------------------------------------------------------------
def _input_issues(plan: Plan, spec: DatasetSpec) -> list[Issue] | None:
    """The single Input against the dataset's samples; None when there is not exactly one Input."""
    if len(plan.inputs) != 1:
        return None
    nid, report, issues = plan.inputs[0], plan.report, []
    x, want = report.nodes[nid], spec.input_shape
    if x.shape != want:
        msg = f"Input {nid!r} is {fmt_shape(x.shape)} but {spec.name} gives {fmt_shape(want)} samples"
        issues.append(error(nid, f"{msg}: set its shape to {list(want)}."))
    if x.dtype != spec.dtype:
        what = "token ids" if spec.dtype == "int64" else "real values"
        msg = f"Input {nid!r} has dtype {x.dtype} but {spec.name} gives {what} ({spec.dtype})"
        issues.append(error(nid, f"{msg}: set its dtype to {spec.dtype}."))
    embeddings = [n.id for n in plan.flat.nodes if n.type == "Embedding" and n.id in report.resolved]
    for e in embeddings if spec.vocab_size else []:
        size = report.resolved[e]["num_embeddings"]
        if size < spec.vocab_size:
            msg = f"Embedding {e!r} has num_embeddings={size} but {spec.name} uses {spec.vocab_size} token ids"
            issues.append(error(e, f"{msg}: set num_embeddings to at least {spec.vocab_size}."))
    return issues


def width_fix(plan: Plan, output_id: str, want: int) -> str:
    """How to make ``output_id`` ``want`` wide: name the layer, and its parameter, that sets its width."""
    design, report = plan.flat, plan.report
    origin = width_source({n.id: n.type for n in design.nodes}, report.inputs, output_id)
    node = design.node(origin) if origin is not None else None
    if node is not None and REGISTRY[node.type].width:
        return f"set the {REGISTRY[node.type].width} of {node.type} {node.id!r} to {want}"
    return f"end the model with a Linear of out_features={want}"


# -- the tasks --------------------------------------------------------------------------------------------------
class Classification(Task):
    name, title, data, counts_correct = "classification", "Classification", ("classification",), True

    def check_outputs(self, plan, spec, roles):
        main = plan.outputs[roles["prediction"]]
        y, n = plan.shape(main), len(spec.classes)
        if y not in ((n,), (1,)) or (y == (1,) and n != 2):
            flatten = " (and add a Flatten before it)." if len(y) > 1 else "."
            return [
                error(
                    main,
                    f"Output {main!r} gives {fmt_shape(y)} but {spec.name} has {n} classes: "
                    f"{width_fix(plan, main, n)}{flatten}",
                )
            ]
        if y == (1,):
            return [
                warning(
                    main,
                    f"Output {main!r} gives one logit for {spec.name}'s 2 classes: it "
                    "trains with binary cross-entropy (BCE with logits).",
                )
            ]
        return []

    def loss(self, plan, cfg):
        if cfg["loss"] != "auto":
            return cfg["loss"]
        main = plan.outputs[self.outputs(plan)["prediction"]]
        last = plan.flat.source_of(main)
        if last is not None and last.type == "LogSoftmax":
            return "nll"
        return "bce_with_logits" if plan.shape(main) == (1,) else "cross_entropy"

    def metrics(self, out, target, loss, dataset):
        from .train import metrics

        pred = (out.reshape(-1) > 0).long() if out.shape[-1] == 1 else out.argmax(-1)
        return {"loss": loss, **metrics.classification(pred.cpu(), target.cpu(), len(dataset.spec.classes))}


class SequenceLabeling(Classification):
    name, title, data = "sequence_labeling", "Sequence labeling", ("sequence_labeling",)

    def check_outputs(self, plan, spec, roles):
        main = plan.outputs[roles["prediction"]]
        y, want = plan.shape(main), (spec.input_shape[0], len(spec.classes))
        if y != want:
            return [
                error(
                    main,
                    f"Output {main!r} gives {fmt_shape(y)} but {spec.name} needs one score "
                    f"per class at every step, {fmt_shape(want)}: keep the time dim and "
                    f"{width_fix(plan, main, want[1])}.",
                )
            ]
        return []

    def per_sample(self, spec):
        return spec.input_shape[0]

    def metrics(self, out, target, loss, dataset):
        pred = out.argmax(-1)
        return {
            "loss": loss,
            "accuracy": float((pred == target).float().mean()),
            "sequence_accuracy": float((pred == target).all(-1).float().mean()),
        }


class Segmentation(Classification):
    """A class for every pixel: the output keeps the image's height and width, one score map per class (or one
    logit map for two classes); scored by pixel accuracy and IoU."""

    name, title, data, class_dim = "segmentation", "Segmentation", ("segmentation",), 1

    def check_outputs(self, plan, spec, roles):
        main = plan.outputs[roles["prediction"]]
        y, n, size = plan.shape(main), len(spec.classes), tuple(spec.input_shape[1:])
        if y is None or len(y) != 3 or y[1:] != size or y[0] not in (n, 1) or (y[0] == 1 and n != 2):
            return [
                error(
                    main,
                    f"Output {main!r} gives {fmt_shape(y)} but {spec.name} needs a score map per class at the "
                    f"input's size, {fmt_shape((n, *size))} (or {fmt_shape((1, *size))} for one logit per pixel): "
                    f"keep the height and width (upsample with ConvTranspose2d) and {width_fix(plan, main, n)}.",
                )
            ]
        return []

    def loss(self, plan, cfg):
        if cfg["loss"] != "auto":
            return cfg["loss"]
        main = plan.outputs[self.outputs(plan)["prediction"]]
        return "bce_with_logits" if plan.shape(main)[0] == 1 else "cross_entropy"

    def per_sample(self, spec):
        return int(spec.input_shape[1] * spec.input_shape[2])

    def metrics(self, out, target, loss, dataset):
        from .train import metrics

        pred = (out[:, 0] > 0).long() if out.shape[1] == 1 else out.argmax(self.class_dim)
        return {"loss": loss, **metrics.segmentation(pred.cpu(), target.cpu(), len(dataset.spec.classes))}


class Regression(Task):
    name, title, data = "regression", "Regression", ("regression", "forecasting")

    def check_outputs(self, plan, spec, roles):
        main = plan.outputs[roles["prediction"]]
        y, n = plan.shape(main), len(spec.targets)
        if y != (n,):
            return [
                error(
                    main,
                    f"Output {main!r} gives {fmt_shape(y)} but {spec.name} has {n} "
                    f"target(s): {width_fix(plan, main, n)}.",
                )
            ]
        return []

    def metrics(self, out, target, loss, dataset):
        from .train import metrics

        return {"loss": loss, **metrics.regression(out.cpu(), target.cpu().reshape(out.shape), dataset.y_std)}


class Forecasting(Regression):
    name, title = "forecasting", "Forecasting"


class Autoencoder(Task):
    name, title, reconstructs = "autoencoder", "Autoencoder (reconstruction)", True

    def outputs(self, plan):
        return {"reconstruction": super().outputs(plan)["prediction"]}

    def check_outputs(self, plan, spec, roles):
        main = plan.outputs[roles["reconstruction"]]
        y = plan.shape(main)
        if y != spec.input_shape:
            return [
                error(
                    main,
                    f"Output {main!r} gives {fmt_shape(y)} but a reconstruction of "
                    f"{spec.name} must be {fmt_shape(spec.input_shape)}: end the decoder "
                    f"with a Reshape to {list(spec.input_shape)}.",
                )
            ]
        return []


class Denoising(Autoencoder):
    name, title = "denoising", "Denoising autoencoder"

    def noise(self, cfg):
        return float(cfg["input_noise"]) or 0.3

    def eval_noise(self, cfg):
        return self.noise(cfg)


class VAE(Autoencoder):
    name, title = "vae", "Variational autoencoder"

    def outputs(self, plan):
        """(reconstruction, mu, logvar) from the Reparameterize node: mu and logvar are the Outputs fed by its
        two inputs; the reconstruction is the remaining Output."""
        design, report = plan.flat, plan.report
        rep = next((n.id for n in design.nodes if n.type == "Reparameterize"), None)
        if rep is None:
            raise TaskMismatch(
                [
                    error(
                        None,
                        "a VAE needs a Reparameterize node whose inputs are mu and logvar (see the vae template).",
                    )
                ]
            )
        mu_src, logvar_src = (report.inputs.get(rep) or [None, None])[:2]
        feeds = {o: (report.inputs.get(o) or [None])[0] for o in plan.outputs}
        mu = next((i for i, o in enumerate(plan.outputs) if feeds[o] == mu_src), None)
        logvar = next((i for i, o in enumerate(plan.outputs) if feeds[o] == logvar_src), None)
        rest = [i for i in range(len(plan.outputs)) if i not in (mu, logvar)]
        if mu is None or logvar is None or len(rest) != 1:
            raise TaskMismatch(
                [
                    error(
                        rep,
                        "a VAE needs three Outputs: the reconstruction, and mu and "
                        "logvar (the two inputs of the Reparameterize node "
                        f"{rep!r}). Add Output nodes after them.",
                    )
                ]
            )
        return {"reconstruction": rest[0], "mu": mu, "logvar": logvar}

    def loss(self, plan, cfg):
        return "vae"  # the reconstruction's summed squared error plus the KL divergence, per sample


class GAN(Task):
    name, title, networks = "gan", "GAN (generator and discriminator)", ("generator", "discriminator")

    def fits(self, plan, spec):
        """A GAN file has networks 'generator' (noise -> a sample) and 'discriminator' (a sample -> one logit)."""
        missing = [k for k in self.networks if k not in plan.networks]
        if missing:
            return [
                error(
                    None,
                    "a GAN needs networks named 'generator' and 'discriminator' in one "
                    f"file; missing: {', '.join(missing)}.",
                )
            ]
        if not plan.valid:
            return plan.report.errors
        issues = []
        for role in self.networks:
            issues += self._network(role, plan.networks[role], spec)
        return issues

    def _network(self, role: str, net: Plan, spec: DatasetSpec) -> list[Issue]:
        ins, outs = net.inputs, net.outputs
        if len(ins) != 1 or len(outs) != 1:
            return [error(None, f"the {role} needs exactly one Input and one Output.")]
        node = outs[0] if role == "generator" else ins[0]
        issues, sample = [], net.shape(node)
        if sample != spec.input_shape:
            where = f"Output {node!r}" if role == "generator" else f"Input {node!r}"
            issues.append(
                error(
                    f"{role}/{node}",
                    f"the {role}'s {where} is {fmt_shape(sample)} but "
                    f"{spec.name} samples are {fmt_shape(spec.input_shape)}"
                    f": make it {list(spec.input_shape)}.",
                )
            )
        if role == "discriminator" and net.shape(outs[0]) != (1,):
            issues.append(
                error(
                    f"discriminator/{outs[0]}",
                    "the discriminator must give one real-vs-fake logit, (N, 1), but gives "
                    f"{fmt_shape(net.shape(outs[0]))}: end it with a Linear of out_features=1.",
                )
            )
        return issues

    def loss(self, plan, cfg):
        return "non-saturating GAN"

    def outputs(self, plan):
        return {}  # each network has one output; the GAN loop knows which is which


for _task in (
    Classification(),
    SequenceLabeling(),
    Segmentation(),
    Regression(),
    Forecasting(),
    Autoencoder(),
    Denoising(),
    VAE(),
    GAN(),
):
    register(_task)
