"""Generative building blocks: the VAE's reparameterization step."""

from ..registry import VEC, Example, LayerSpec, ShapeError, fmt_shape, register, src


@register
class Reparameterize(LayerSpec):
    examples = (Example({}, [VEC, VEC]),)
    category = "Generative"
    doc = (
        "The VAE's sampling step: z = mu + σ·ε with σ = exp(logvar/2) and ε ~ N(0, 1) while training, so "
        "gradients flow through mu and logvar; z = mu in eval mode. Port 0 takes mu, port 1 logvar (same shape)."
    )
    min_inputs = max_inputs = 2
    port_names = ("mu", "logvar")
    torch_class = "Reparameterize"
    helpers = ("Reparameterize",)

    def infer(self, p, ins):
        mu, logvar = ins
        if mu.shape != logvar.shape:
            raise ShapeError(
                f"mu from {src(0)} is {fmt_shape(mu.shape)} but logvar from {src(1)} is {fmt_shape(logvar.shape)}. "
                "Expected equal shapes. Give both heads the same out_features."
            )
        return mu
