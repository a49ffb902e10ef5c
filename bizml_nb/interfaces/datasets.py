"""Small, seeded, generated data sets for the worked examples (numpy only, vectorised).

- :func:`recsys_interactions`: users' interactions with items, split into a
  training matrix and held-out items per user, for a toy recommender;
- :func:`ndcg_at_k`: the mean NDCG@k of a score matrix on those held-out items;
- :func:`ab_history`: a table of past A/B tests (offline ML change, measured
  business change), to fit a link from with ``%bizml link ML KPI --fit history.csv``;
- :func:`classifier_drift`: a binary classifier's labelled reference period and a
  later period with covariate shift or concept drift, for label-free monitoring
  (``bizml_nb.monitor``).

Everything is generated from a seed, so the same call returns the same data on
every run. The data are illustrations, not measurements of any real system.

>>> data = recsys_interactions(n_users=50, n_items=40, seed=1)
>>> data.train.shape, data.held_out.shape
((50, 40), (50, 5))
>>> history = ab_history(n=6, seed=1)
>>> list(history.columns)
['ml_delta', 'business_delta', 'label']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import pandas as pd

    FloatArray = npt.NDArray[np.float64]
    IntArray = npt.NDArray[np.intp]


@dataclass(frozen=True)
class Interactions:
    """Generated interactions: what each user saw in training, and what they did next.

    ``train`` is a users x items matrix with 1.0 where the user interacted with
    the item in the training period and 0.0 elsewhere. ``held_out`` holds, per
    user, the item ids of their later interactions (never in ``train``): the
    items a good recommender should rank first.
    """

    train: FloatArray
    held_out: IntArray

    @property
    def n_users(self) -> int:
        return int(self.train.shape[0])

    @property
    def n_items(self) -> int:
        return int(self.train.shape[1])


def recsys_interactions(
    n_users: int = 500,
    n_items: int = 300,
    *,
    rank: int = 6,
    taste_scale: float = 0.5,
    popularity_scale: float = 1.5,
    n_train: int = 20,
    n_held_out: int = 5,
    seed: int = 0,
) -> Interactions:
    """Interactions of ``n_users`` with ``n_items``: item popularity plus a low-rank taste.

    The affinity of user u for item i is ``popularity[i] + taste[u, i]``, with
    ``popularity ~ Normal(0, popularity_scale)`` per item and ``taste = taste_scale *
    U @ V`` for standard normal ``U`` (users x ``rank``) and ``V`` (``rank`` x items).
    Each user interacts with ``n_train + n_held_out`` distinct items drawn without
    replacement with probabilities proportional to ``exp(affinity)`` (the Gumbel
    top-k trick), in a random order; the last ``n_held_out`` are held out. The same seed
    gives the same data on every CPU.

    A large ``popularity_scale`` makes a popularity ranking hard to beat; a large
    ``taste_scale`` rewards personalised models.

    >>> data = recsys_interactions(n_users=3, n_items=10, n_train=4, n_held_out=2, seed=0)
    >>> data.train.sum(axis=1).tolist()
    [4.0, 4.0, 4.0]
    >>> bool((data.train[0, data.held_out[0]] == 0).all())
    True
    """
    import numpy as np

    per_user = n_train + n_held_out
    if min(n_users, n_items, rank, n_held_out) < 1 or n_train < 0:
        raise ValueError("n_users, n_items, rank and n_held_out must be positive")
    if per_user > n_items:
        raise ValueError(f"n_train + n_held_out ({per_user}) exceeds n_items ({n_items})")
    rng = np.random.default_rng(seed)
    user_factors = rng.standard_normal((n_users, rank))
    item_factors = rng.standard_normal((rank, n_items))
    taste = taste_scale * user_factors @ item_factors
    popularity = rng.normal(scale=popularity_scale, size=n_items)
    keys = taste + popularity + rng.gumbel(size=(n_users, n_items))
    # The per_user largest keys, largest first, ties by item id: a stable sort, because
    # the order they are shuffled from must not depend on the CPU (numpy's SIMD argsort
    # and argpartition order ties and partitions differently with AVX2, AVX-512 or neither).
    chosen = np.argsort(-keys, axis=1, kind="stable")[:, :per_user]
    order = np.argsort(rng.random((n_users, per_user)), axis=1, kind="stable")
    chosen = np.take_along_axis(chosen, order, axis=1)
    train = np.zeros((n_users, n_items))
    np.put_along_axis(train, chosen[:, :n_train], 1.0, axis=1)
    return Interactions(train=train, held_out=chosen[:, n_train:].astype(np.intp))


def ndcg_at_k(
    scores: npt.ArrayLike,
    held_out: npt.ArrayLike,
    k: int = 10,
    *,
    exclude: npt.ArrayLike | None = None,
) -> float:
    """Mean NDCG@k over users of the ranking ``scores`` (users x items) on ``held_out`` items.

    Relevance is binary: an item is relevant to a user when it is in that
    user's row of ``held_out`` (item ids). Items where ``exclude`` is non-zero
    (e.g. the training matrix: already seen) are never recommended. Ties are
    broken by item id. The ideal DCG puts the ``min(k, n_held_out)`` relevant items
    first, so a perfect ranking scores 1.0.

    >>> import numpy as np
    >>> held = np.array([[2, 0]])
    >>> ndcg_at_k(np.array([[0.9, 0.1, 1.0, 0.0]]), held, k=2)
    1.0
    >>> round(ndcg_at_k(np.array([[0.9, 1.0, 0.0, 0.5]]), held, k=2), 4)
    0.3869
    """
    import numpy as np

    matrix = np.array(scores, dtype=float)
    relevant = np.asarray(held_out, dtype=np.intp)
    if matrix.ndim != 2 or relevant.ndim != 2 or relevant.shape[0] != matrix.shape[0]:
        raise ValueError("scores must be users x items and held_out users x n (item ids)")
    if k < 1:
        raise ValueError("k must be at least 1")
    if exclude is not None:
        matrix[np.asarray(exclude) != 0] = -np.inf
    k = min(k, matrix.shape[1])
    top = np.argsort(-matrix, axis=1, kind="stable")[:, :k]
    hits = (top[:, :, None] == relevant[:, None, :]).any(axis=2)
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    ideal = discounts[: min(k, relevant.shape[1])].sum()
    return float(np.mean(hits @ discounts) / ideal)


def ab_history(
    n: int = 12,
    *,
    slope: float = 0.1,
    noise: float = 0.001,
    intercept: float = 0.0,
    ml_range: tuple[float, float] = (-0.01, 0.04),
    seed: int = 0,
) -> pd.DataFrame:
    """A table of ``n`` past A/B tests: offline ML change against measured KPI change.

    ``ml_delta`` is uniform on ``ml_range``; ``business_delta = intercept + slope *
    ml_delta + Normal(0, noise)`` (the noise stands for the A/B test's sampling error
    and everything else the offline metric misses). ``label`` names each test
    (``AB-01``, ``AB-02``, ...). The columns are what ``%bizml link ML KPI --fit``
    reads; write the table with ``to_csv(path, index=False)``.

    >>> history = ab_history(n=3, slope=0.1, noise=0.0, seed=0)
    >>> history["label"].tolist()
    ['AB-01', 'AB-02', 'AB-03']
    >>> bool(((history["business_delta"] - 0.1 * history["ml_delta"]).abs() < 1e-12).all())
    True
    """
    import numpy as np
    import pandas as pd

    if n < 1:
        raise ValueError("n must be at least 1")
    if noise < 0:
        raise ValueError("noise must not be negative")
    low, high = ml_range
    rng = np.random.default_rng(seed)
    ml_delta = rng.uniform(low, high, size=n)
    business_delta = intercept + slope * ml_delta + rng.normal(scale=noise, size=n)
    width = max(2, len(str(n)))
    labels = [f"AB-{i:0{width}d}" for i in range(1, n + 1)]
    return pd.DataFrame({"ml_delta": ml_delta, "business_delta": business_delta, "label": labels})


@dataclass(frozen=True)
class ClassifierDrift:
    """A binary classifier's labelled reference period and a later analysis period.

    Both frames hold the features ``x0, x1, ...`` (and ``segment`` when asked for), the
    model's ``proba`` and ``prediction``, the true ``target`` and a ``timestamp``.
    ``shifted`` names the features whose distribution moves (covariate shift; empty
    otherwise); the drift applies from analysis row ``drift_from`` on.
    """

    reference: pd.DataFrame
    analysis: pd.DataFrame
    features: tuple[str, ...]
    shifted: tuple[str, ...]
    drift_from: int
    kind: str


DRIFT_KINDS = ("none", "covariate", "concept")


def classifier_drift(
    n_reference: int = 50_000,
    n_analysis: int = 100_000,
    *,
    n_features: int = 6,
    drift: str = "covariate",
    n_shifted: int = 2,
    shift: float = 1.0,
    drift_from: float = 0.5,
    overconfidence: float = 2.0,
    segment: bool = True,
    rows_per_day: int = 5_000,
    seed: int = 0,
) -> ClassifierDrift:
    """A classifier's data with known truth: no drift, covariate shift, or concept drift.

    Features are independent standard normals; the true ``P(y=1 | x) = sigmoid(x @ w - 0.5)``
    with ``w_j = 1.5 * (-0.7)**j`` (the later features barely matter). The model ranks
    perfectly but is overconfident: ``proba = sigmoid(overconfidence * (x @ w - 0.5))``,
    ``prediction = proba >= 0.5``; so its probabilities need calibrating. ``segment``
    (``a``, ``b``, ``c`` with shares 0.5, 0.3, 0.2) is an uninformative categorical feature.

    From analysis row ``int(drift_from * n_analysis)`` on:

    - ``"covariate"``: the first ``n_shifted`` features' means move by ``shift``
      (P(x) moves, P(y | x) stays): label-free estimates remain valid;
    - ``"concept"``: the sign of the first ``n_shifted`` weights flips in the true
      ``P(y | x)`` while the features keep their distribution: the model gets worse and
      nothing in the unlabelled data shows it;
    - ``"none"``: the analysis period is drawn like the reference.

    ``timestamp`` advances by ``1 / rows_per_day`` days a row from 2026-01-01, the
    analysis period right after the reference.

    >>> data = classifier_drift(1_000, 2_000, n_features=3, seed=1)
    >>> list(data.analysis.columns)
    ['x0', 'x1', 'x2', 'segment', 'proba', 'prediction', 'target', 'timestamp']
    >>> data.shifted, data.drift_from
    (('x0', 'x1'), 1000)
    """
    import numpy as np
    import pandas as pd

    if drift not in DRIFT_KINDS:
        raise ValueError(f"drift must be one of {', '.join(DRIFT_KINDS)} (not {drift!r})")
    if min(n_reference, n_analysis, n_features) < 1:
        raise ValueError("n_reference, n_analysis and n_features must be positive")
    if not 0 <= n_shifted <= n_features:
        raise ValueError(f"n_shifted must lie between 0 and n_features ({n_features})")
    if not 0.0 <= drift_from <= 1.0:
        raise ValueError("drift_from must lie between 0 and 1 (a share of the analysis rows)")
    if rows_per_day < 1:
        raise ValueError("rows_per_day must be positive")
    rng = np.random.default_rng(seed)
    names = tuple(f"x{j}" for j in range(n_features))
    weights = 1.5 * (-0.7) ** np.arange(n_features)
    start = int(drift_from * n_analysis)
    n = n_reference + n_analysis
    x = rng.standard_normal((n, n_features))
    late = slice(n_reference + start, n)
    if drift == "covariate":
        x[late, :n_shifted] += shift
    logit = x @ weights - 0.5
    true_logit = logit.copy()
    if drift == "concept":
        flipped = weights.copy()
        flipped[:n_shifted] *= -1.0
        true_logit[late] = x[late] @ flipped - 0.5
    target = (rng.random(n) < 1.0 / (1.0 + np.exp(-true_logit))).astype(np.int64)
    proba = 1.0 / (1.0 + np.exp(-overconfidence * logit))
    columns: dict[str, object] = {name: x[:, j] for j, name in enumerate(names)}
    if segment:
        codes = rng.choice(3, size=n, p=[0.5, 0.3, 0.2])
        columns["segment"] = pd.Categorical.from_codes(codes, categories=pd.Index(["a", "b", "c"]))
    columns["proba"] = proba
    columns["prediction"] = (proba >= 0.5).astype(np.int64)
    columns["target"] = target
    step = np.int64(round(86_400e9 / rows_per_day))
    columns["timestamp"] = np.datetime64("2026-01-01T00:00:00", "ns") + np.arange(n) * step
    frame = pd.DataFrame(columns)
    reference = frame.iloc[:n_reference].reset_index(drop=True)
    analysis = frame.iloc[n_reference:].reset_index(drop=True)
    shifted = names[:n_shifted] if drift == "covariate" else ()
    return ClassifierDrift(reference, analysis, names, shifted, start, drift)


__all__ = [
    "ClassifierDrift",
    "Interactions",
    "ab_history",
    "classifier_drift",
    "ndcg_at_k",
    "recsys_interactions",
]
