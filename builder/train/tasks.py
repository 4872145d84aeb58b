"""What a task means for training: its loss, the model's inputs and targets, and its metrics."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..design import Design
from . import metrics


class Task:
    """Classification, regression, forecasting, sequence labeling, (denoising) autoencoder, VAE."""

    def __init__(self, name: str, cfg, design: Design, dataset, output_ids: list[str]):
        self.name, self.cfg, self.dataset = name, cfg, dataset
        self.n_classes = len(dataset.spec.classes)
        self.output_ids = output_ids
        self.noise = cfg.input_noise or (0.3 if name == "denoising" else 0.0)
        self.loss_name = cfg.loss if cfg.loss != "auto" else self._default_loss(design)
        self.vae = _vae_outputs(design, output_ids) if name == "vae" else None

    def _default_loss(self, design: Design) -> str:
        if self.name in ("classification", "sequence_labeling"):
            last = design.source_of(self.output_ids[0])
            if last is not None and last.type == "LogSoftmax":
                return "nll"
            shape = _output_shape(design, self.output_ids[0])
            return "bce_with_logits" if shape == (1,) else "cross_entropy"
        return "mse"

    # -- training ---------------------------------------------------------------------------------------------
    def inputs(self, x: torch.Tensor, training: bool, gen: torch.Generator | None = None) -> torch.Tensor:
        if self.noise and x.is_floating_point() and (training or self.name == "denoising"):
            noise = torch.randn(x.shape, generator=gen, device=x.device) if gen is not None else torch.randn_like(x)
            return x + self.noise * noise
        return x

    def target(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return x if self.name in ("autoencoder", "denoising", "vae") else y

    def loss(self, out, target: torch.Tensor) -> torch.Tensor:
        if self.vae is not None:
            recon, mu, logvar = (out[i] for i in self.vae)
            rec = F.mse_loss(recon, target, reduction="sum") / len(target)
            kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp()) / len(target)
            return rec + kl
        out = out[0] if isinstance(out, tuple) else out
        name = self.loss_name
        if name == "cross_entropy":
            if out.dim() == 3:  # (N, T, C) per-step scores
                return F.cross_entropy(out.transpose(1, 2), target, label_smoothing=self.cfg.label_smoothing)
            return F.cross_entropy(out, target, label_smoothing=self.cfg.label_smoothing)
        if name == "nll":
            return F.nll_loss(out.transpose(1, 2) if out.dim() == 3 else out, target)
        if name == "bce_with_logits":
            t = target.float().reshape(out.shape)
            if self.cfg.label_smoothing:
                t = t * (1 - self.cfg.label_smoothing) + 0.5 * self.cfg.label_smoothing
            return F.binary_cross_entropy_with_logits(out, t)
        fn = {"mse": F.mse_loss, "l1": F.l1_loss, "huber": F.huber_loss}[name]
        return fn(out, target.reshape(out.shape) if out.numel() == target.numel() else target)

    # -- evaluation -----------------------------------------------------------------------------------------
    def metrics(self, outs: list, targets: torch.Tensor, loss: float) -> dict:
        out = torch.cat([o[self.vae[0]] if self.vae else (o[0] if isinstance(o, tuple) else o) for o in outs])
        result = {"loss": loss}
        if self.name == "classification":
            pred = (out.reshape(-1) > 0).long() if out.shape[-1] == 1 else out.argmax(-1)
            result.update(metrics.classification(pred.cpu(), targets.cpu(), self.n_classes))
        elif self.name == "sequence_labeling":
            pred = out.argmax(-1)
            result["accuracy"] = float((pred == targets).float().mean())
            result["sequence_accuracy"] = float((pred == targets).all(-1).float().mean())
        elif self.name in ("regression", "forecasting"):
            result.update(metrics.regression(out.cpu(), targets.cpu().reshape(out.shape), self.dataset.y_std))
        else:
            result["mse"] = float(F.mse_loss(out.cpu(), targets.cpu()))
        return result

    @property
    def counts_correct(self) -> bool:
        return self.name in ("classification", "sequence_labeling")

    @property
    def per_sample(self) -> int:
        return self.dataset.spec.input_shape[0] if self.name == "sequence_labeling" else 1

    def correct_function(self):
        """A function (out, target) -> number of correct predictions, as a tensor (no host sync)."""
        if self.loss_name == "bce_with_logits":
            return lambda out, target: ((out.reshape(-1) > 0) == target.reshape(-1).bool()).sum()
        return lambda out, target: (out.argmax(-1) == target).sum()

    @property
    def monitor(self) -> str:
        return "loss"  # lower is better; the best checkpoint and early stopping follow validation loss


def _output_shape(design: Design, output_id: str):
    from ..validate import validate

    return validate(design).nodes[output_id].shape


def _vae_outputs(design: Design, output_ids: list[str]) -> tuple[int, int, int]:
    """Indexes of (reconstruction, mu, logvar) among the model's outputs, found from the Reparameterize node:
    mu and logvar are the Outputs fed by its two inputs; the reconstruction is the remaining Output."""
    rep = next((n for n in design.nodes if n.type == "Reparameterize"), None)
    if rep is None:
        raise ValueError("a VAE needs a Reparameterize node whose inputs are mu and logvar")
    src = {e.target_port: e.source for e in design.edges if e.target == rep.id}
    feeds = {e.target: e.source for e in design.edges if e.target in output_ids}
    mu = next((i for i, o in enumerate(output_ids) if feeds.get(o) == src.get(0)), None)
    logvar = next((i for i, o in enumerate(output_ids) if feeds.get(o) == src.get(1)), None)
    rest = [i for i in range(len(output_ids)) if i not in (mu, logvar)]
    if mu is None or logvar is None or len(rest) != 1:
        raise ValueError(
            "a VAE needs three Outputs: the reconstruction, and mu and logvar (the two inputs of the "
            f"Reparameterize node {rep.id!r}). Add Output nodes after them."
        )
    return rest[0], mu, logvar
