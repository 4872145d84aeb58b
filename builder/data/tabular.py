"""2-D toy sets (the TensorFlow Playground four, plus moons) and scikit-learn's tabular datasets."""

import numpy as np

from .registry import DatasetSpec, register

PLAYGROUND = {"n": 1000, "noise": 0.1}


def _xor(seed, n, noise):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (n, 2))
    y = (x[:, 0] * x[:, 1] < 0).astype(np.int64)  # opposite quadrants share a class
    return x + rng.normal(0, noise, x.shape), y


def _circle(seed, n, noise):
    rng = np.random.default_rng(seed)
    r = np.concatenate([rng.uniform(0, 0.5, n // 2), rng.uniform(0.7, 1.0, n - n // 2)])
    a = rng.uniform(0, 2 * np.pi, n)
    x = np.stack([r * np.cos(a), r * np.sin(a)], 1)
    y = (np.arange(n) >= n // 2).astype(np.int64)  # inner disc 0, outer ring 1
    return x + rng.normal(0, noise, x.shape), y


def _gaussians(seed, n, noise):
    rng = np.random.default_rng(seed)
    y = (np.arange(n) % 2).astype(np.int64)
    centers = np.where(y[:, None] == 1, 0.5, -0.5)
    return centers + rng.normal(0, 0.2 + noise, (n, 2)), y


def _spiral(seed, n, noise):
    rng = np.random.default_rng(seed)
    y = (np.arange(n) % 2).astype(np.int64)
    t = rng.uniform(0, 1, n) * 2.5 * np.pi + 0.3
    r = t / (2.5 * np.pi + 0.3)
    a = t + np.pi * y  # the second arm is the first turned by half a turn
    x = np.stack([r * np.cos(a), r * np.sin(a)], 1)
    return x + rng.normal(0, noise * 0.5, x.shape), y


def _ring(seed, n, noise):
    """Eight Gaussian modes on a circle: the classic test of whether a GAN covers every mode."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 8
    angle = y * (2 * np.pi / 8)
    x = np.stack([np.cos(angle), np.sin(angle)], 1) + rng.normal(0, 0.02 + noise * 0.5, (n, 2))
    return x, y


def _rare(seed, n, noise, share=0.05):
    """A rare class (``share`` of the points) in a small disc at the centre, the common class around it: a model
    that always answers "common" is right 95% of the time and useless — accuracy hides it, recall and F1 do not."""
    rng = np.random.default_rng(seed)
    n_rare = int(round(n * share))
    r = np.concatenate([np.sqrt(rng.uniform(0, 0.3**2, n_rare)), np.sqrt(rng.uniform(0.4**2, 1.0, n - n_rare))])
    a = rng.uniform(0, 2 * np.pi, n)
    x = np.stack([r * np.cos(a), r * np.sin(a)], 1)
    y = (np.arange(n) < n_rare).astype(np.int64)
    return x + rng.normal(0, noise, x.shape), y


def _moons(seed, n, noise):
    from sklearn.datasets import make_moons

    return make_moons(n_samples=n, noise=noise, random_state=seed)


for key, fn, title, text in [
    ("xor", _xor, "XOR", "Points in the four quadrants; opposite quadrants share a class. Not linearly separable: "
     "a perceptron fails, one hidden layer succeeds."),
    ("circle", _circle, "Circle", "An inner disc against an outer ring: a boundary a straight line cannot draw."),
    ("gaussians", _gaussians, "Two gaussians", "Two overlapping blobs: the easy, linearly separable case."),
    ("spiral", _spiral, "Spiral", "Two interleaved spiral arms: the hardest Playground set; needs depth."),
    ("moons", _moons, "Moons", "Two interleaving half-circles (scikit-learn's make_moons)."),
]:  # fmt: skip
    register(DatasetSpec(key, title, text + " 2 features, 2 classes; `noise` sets the jitter.", "classification",
                         (2,), "float32", fn, classes=("0", "1"), group="2-D", options=dict(PLAYGROUND)))  # fmt: skip
register(DatasetSpec("rare", "Rare class", "A rare class (5% of the points) in a small disc, the common class around "
                     "it: always answering 'common' scores 95% accuracy with zero recall on the rare class. The set "
                     "for accuracy vs precision, recall and F1.", "classification", (2,), "float32", _rare,
                     classes=("common", "rare"), group="2-D", options={"n": 4000, "noise": 0.02}))  # fmt: skip
register(DatasetSpec("ring", "Ring of 8 gaussians", "Eight tight clusters on a circle (label: the cluster): the "
                     "2-D distribution GANs are tested on — does the generator cover every mode?", "classification",
                     (2,), "float32", _ring, classes=tuple(map(str, range(8))), group="2-D",
                     options={"n": 4000, "noise": 0.0}))  # fmt: skip


def _sklearn(loader_name):
    def load(seed):
        import sklearn.datasets as sk

        bunch = getattr(sk, loader_name)()
        return bunch.data.astype(np.float32), bunch.target

    return load


register(DatasetSpec("iris", "Iris", "Fisher's 150 iris flowers: 4 measurements, 3 species.", "classification",
                     (4,), "float32", _sklearn("load_iris"), classes=("setosa", "versicolor", "virginica"),
                     group="Tabular"))  # fmt: skip
register(DatasetSpec("wine", "Wine", "178 wines from three cultivars, 13 chemical measurements.", "classification",
                     (13,), "float32", _sklearn("load_wine"), classes=("class_0", "class_1", "class_2"),
                     group="Tabular"))  # fmt: skip
register(DatasetSpec("breast_cancer", "Breast cancer", "569 tumours, 30 features of cell nuclei: malignant or "
                     "benign.", "classification", (30,), "float32", _sklearn("load_breast_cancer"),
                     classes=("malignant", "benign"), group="Tabular"))  # fmt: skip
register(DatasetSpec("diabetes", "Diabetes", "442 patients, 10 baseline variables; target: disease progression "
                     "after one year (regression).", "regression", (10,), "float32", _sklearn("load_diabetes"),
                     targets=("progression",), group="Tabular"))  # fmt: skip


USERS, ITEMS = 200, 300


def _ratings(seed, n=40000, noise=0.3):
    """A generated ratings matrix: users and items with 4 hidden tastes each, a rating 1–5 from their agreement
    (a dot product) plus each user's and item's bias and noise; ``n`` observed (user, item) pairs. Ids share one
    range: users 0…199, items 200…499, so one size fits every Embedding."""
    rng = np.random.default_rng(seed)
    u, v = rng.normal(0, 1, (USERS, 4)), rng.normal(0, 1, (ITEMS, 4))
    bu, bi = rng.normal(0, 0.3, USERS), rng.normal(0, 0.3, ITEMS)
    users, items = rng.integers(0, USERS, n), rng.integers(0, ITEMS, n)
    score = (u[users] * v[items]).sum(1) / 2 + bu[users] + bi[items] + rng.normal(0, noise, n)
    return np.stack([users, items + USERS], 1).astype(np.int64), np.clip(3 + score, 1, 5).astype(np.float32)


register(DatasetSpec("ratings", "Ratings (users × items)", f"{USERS} generated users rate {ITEMS} items from 1 to 5; "
                     "each sample is a (user id, item id) pair and its rating. The recommender's set: a user "
                     "embedding and an item embedding whose dot product predicts the rating (matrix "
                     f"factorization). Ids: users 0–{USERS - 1}, items {USERS}–{USERS + ITEMS - 1}.", "regression",
                     (2,), "int64", _ratings, targets=("rating",), group="Tabular", normalize="none",
                     options={"n": 40000, "noise": 0.3}, vocab_size=USERS + ITEMS))  # fmt: skip
