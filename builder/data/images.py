"""Images: scikit-learn's 8×8 digits (and a 28×28 resize), generated shapes, and the sample photos."""

import numpy as np

from .registry import DatasetSpec, register

DIGITS = tuple(str(i) for i in range(10))
SHAPES = ("circle", "square", "triangle")


def _digits(seed):
    from sklearn.datasets import load_digits

    d = load_digits()
    return (d.images / 16.0).astype(np.float32)[:, None], d.target  # (n, 1, 8, 8) in [0, 1]


def _digits28(seed):
    import torch
    import torch.nn.functional as F

    x, y = _digits(seed)
    big = F.interpolate(torch.from_numpy(x), size=(28, 28), mode="bilinear", align_corners=False)
    return big.clamp(0, 1).numpy(), y


_YY, _XX = np.mgrid[0:28, 0:28] + 0.5


def _shape_mask(kind: int, r: float, cx: float, cy: float) -> np.ndarray:
    """A filled circle (0), square (1) or upward triangle (2) of radius ``r`` at (cx, cy) on the 28×28 grid."""
    yy, xx = _YY, _XX
    if kind == 0:
        return (xx - cx) ** 2 + (yy - cy) ** 2 <= r * r
    if kind == 1:
        half = r * 0.85
        return (np.abs(xx - cx) <= half) & (np.abs(yy - cy) <= half)
    top, base = cy - r, cy + r * 0.8  # below the two slanted edges, above the base
    width = (yy - top) / (base - top) * r
    return (yy >= top) & (yy <= base) & (np.abs(xx - cx) <= width)


def _shapes(seed, n=3000, rgb=False, noise=0.05):
    """Filled circles, squares and triangles of random size and position on a 28×28 canvas (the label is the
    shape), drawn with numpy; RGB variants get a random colour on a dark background."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, 3 if rgb else 1, 28, 28), np.float32)
    y = np.arange(n) % 3
    for i in range(n):
        r = rng.uniform(5, 10)
        cx, cy = rng.uniform(r + 1, 27 - r, 2)
        mask = _shape_mask(int(y[i]), r, cx, cy)
        colour = rng.uniform(0.5, 1.0, (3, 1, 1)) if rgb else np.ones((1, 1, 1))
        x[i] = mask[None] * colour
    x += rng.normal(0, noise, x.shape).astype(np.float32)
    return np.clip(x, 0, 1), y


def _shape_masks(seed, n=2000, noise=0.1):
    """Segmentation: one to three shapes of random kind, size and position per 28×28 image, each brighter than the
    background around it, over uneven lighting (a gradient as bright in places as a shape) and pixel noise; the
    target is the mask (1 on a shape's pixels, 0 elsewhere). No single brightness threshold separates them: a
    model needs each pixel's neighbourhood."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, 1, 28, 28), np.float32)
    y = np.zeros((n, 28, 28), np.int64)
    for i in range(n):
        gx, gy = rng.uniform(-0.3, 0.3, 2)
        x[i, 0] = 0.3 + gx * (_XX - 14) / 14 + gy * (_YY - 14) / 14
        for _ in range(rng.integers(1, 4)):
            r = rng.uniform(3, 7)
            cx, cy = rng.uniform(r, 28 - r, 2)
            mask = _shape_mask(int(rng.integers(3)), r, cx, cy)
            y[i][mask] = 1
        x[i, 0] += y[i] * rng.uniform(0.25, 0.45)
    x += rng.normal(0, noise, x.shape).astype(np.float32)
    return np.clip(x, 0, 1), y


register(DatasetSpec("digits", "Digits 8×8", "scikit-learn's 1,797 handwritten digits, 8×8 grayscale, scaled to "
                     "[0, 1].", "classification", (1, 8, 8), "float32", _digits, classes=DIGITS, group="Images",
                     normalize="none"))  # fmt: skip
register(DatasetSpec("digits28", "Digits 28×28", "The same digits resized to 28×28 (bilinear), the size of MNIST "
                     "and of LeNet's input.", "classification", (1, 28, 28), "float32", _digits28, classes=DIGITS,
                     group="Images", normalize="none"))  # fmt: skip
register(DatasetSpec("shapes", "Shapes 28×28", "Generated circles, squares and triangles of random size and "
                     "position, grayscale, with pixel noise.", "classification", (1, 28, 28), "float32", _shapes,
                     classes=SHAPES, group="Images", normalize="none", options={"n": 3000, "noise": 0.05}))  # fmt: skip
register(DatasetSpec("shape_masks", "Shape masks 28×28 (segmentation)", "One to three generated shapes per image "
                     "over uneven lighting and noise; the target is a mask marking every shape pixel — per-pixel "
                     "labels for encoder–decoder (FCN, U-Net) models, scored by IoU.", "segmentation", (1, 28, 28),
                     "float32", _shape_masks, classes=("background", "shape"), group="Images", normalize="none",
                     options={"n": 2000, "noise": 0.1}))  # fmt: skip
register(DatasetSpec("shapes_rgb", "Shapes 28×28 RGB", "Generated coloured circles, squares and triangles.",
                     "classification", (3, 28, 28), "float32", lambda seed, n, noise: _shapes(seed, n, True, noise),
                     classes=SHAPES, group="Images", normalize="none", options={"n": 3000, "noise": 0.05}))  # fmt: skip


def sample_photos(size: int | None = None) -> dict[str, np.ndarray]:
    """scikit-learn's two sample photos (china, flower) as (3, H, W) float arrays in [0, 1], for probing
    feature maps; ``size`` resizes the short side keeping the aspect ratio."""
    from sklearn.datasets import load_sample_images

    photos = load_sample_images()
    out = {}
    for name, img in zip(("china", "flower"), photos.images):
        arr = (img.astype(np.float32) / 255.0).transpose(2, 0, 1)
        if size:
            import torch
            import torch.nn.functional as F

            h, w = arr.shape[1:]
            scale = size / min(h, w)
            arr = F.interpolate(torch.from_numpy(arr)[None], size=(round(h * scale), round(w * scale)),
                                mode="bilinear", align_corners=False)[0].clamp(0, 1).numpy()  # fmt: skip
        out[name] = arr
    return out
