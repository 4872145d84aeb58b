"""Regularization layers: active while training, the identity in eval mode."""

from ..params import Float
from ..registry import IMG, VEC, Example, LayerSpec, register


@register
class Dropout(LayerSpec):
    keeps_width = True
    examples = (
        Example({}, [VEC]),
        Example({"p": 0.1}, [IMG]),
    )
    category = "Regularization"
    doc = (
        "Zeroes each value with probability p while training and scales the rest by 1/(1−p); does nothing in "
        "eval mode. Fights overfitting by preventing co-adaptation of units."
    )
    params = {"p": Float(0.5, "probability of zeroing a value", min=0, max=1, required=True)}
    torch_class = "nn.Dropout"


@register
class Dropout2d(LayerSpec):
    keeps_width = True
    examples = (Example({"p": 0.2}, [IMG]),)
    category = "Regularization"
    doc = "Zeroes whole channels of a (N, C, H, W) feature map with probability p while training (spatial dropout)."
    params = {"p": Float(0.5, "probability of zeroing a channel", min=0, max=1, required=True)}
    torch_class = "nn.Dropout2d"

    def infer(self, p, ins):
        self.expect_rank(ins, 3, "C, H, W")
        return ins[0]


@register
class GaussianNoise(LayerSpec):
    keeps_width = True
    examples = (Example({"std": 0.3}, [IMG]),)
    category = "Regularization"
    doc = (
        "Adds Gaussian noise with standard deviation std while training; the identity in eval mode. Makes a "
        "denoising autoencoder when put right after the Input, and regularizes like data augmentation."
    )
    params = {"std": Float(0.1, "standard deviation of the noise", min=0, required=True)}
    torch_class = "GaussianNoise"
    helpers = ("GaussianNoise",)
