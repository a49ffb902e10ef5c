"""The generated data sets of the worked examples: seeded, shaped as documented, the same
on every CPU. (Their speed is measured in benchmarks/bench_core.py, not asserted here.)"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bizml_nb.interfaces.datasets import ab_history, ndcg_at_k, recsys_interactions


def test_recsys_interactions_are_deterministic_with_a_seed() -> None:
    first = recsys_interactions(n_users=60, n_items=50, seed=3)
    again = recsys_interactions(n_users=60, n_items=50, seed=3)
    other = recsys_interactions(n_users=60, n_items=50, seed=4)
    np.testing.assert_array_equal(first.train, again.train)
    np.testing.assert_array_equal(first.held_out, again.held_out)
    assert not np.array_equal(first.train, other.train)


def test_recsys_interactions_shapes_and_split() -> None:
    data = recsys_interactions(n_users=40, n_items=30, n_train=8, n_held_out=3, seed=0)
    assert data.train.shape == (40, 30)
    assert (data.n_users, data.n_items) == (40, 30)
    assert data.held_out.shape == (40, 3)
    assert set(np.unique(data.train)) <= {0.0, 1.0}
    assert (data.train.sum(axis=1) == 8).all()
    # held-out items are distinct per user and never in that user's training row
    rows = np.arange(40)[:, None]
    assert (data.train[rows, data.held_out] == 0).all()
    assert all(len(set(row)) == 3 for row in data.held_out.tolist())


def test_recsys_interactions_refuses_impossible_sizes() -> None:
    with pytest.raises(ValueError, match="exceeds n_items"):
        recsys_interactions(n_users=5, n_items=10, n_train=8, n_held_out=3)


def test_ndcg_of_a_perfect_ranking_is_one() -> None:
    data = recsys_interactions(n_users=50, n_items=40, seed=1)
    perfect = np.zeros(data.train.shape)
    np.put_along_axis(perfect, data.held_out, 1.0, axis=1)
    assert ndcg_at_k(perfect, data.held_out, k=10, exclude=data.train) == pytest.approx(1.0)
    assert ndcg_at_k(perfect, data.held_out, k=3) == pytest.approx(1.0)


def test_ndcg_of_a_random_ranking_is_low() -> None:
    data = recsys_interactions(n_users=300, n_items=200, seed=2)
    random = np.random.default_rng(0).random(data.train.shape)
    score = ndcg_at_k(random, data.held_out, k=10, exclude=data.train)
    # 5 relevant items among 180 unseen: a random top 10 holds about 0.28 of them
    assert 0.0 < score < 0.1


def test_ndcg_never_recommends_excluded_items() -> None:
    held = np.array([[1]])
    scores = np.array([[5.0, 1.0, 0.0]])
    assert ndcg_at_k(scores, held, k=1) == 0.0
    assert ndcg_at_k(scores, held, k=1, exclude=np.array([[1, 0, 0]])) == 1.0


def test_a_personal_model_beats_popularity_on_the_generated_data() -> None:
    data = recsys_interactions(seed=13)
    popularity = np.broadcast_to(data.train.sum(axis=0), data.train.shape)
    u, s, vt = np.linalg.svd(data.train, full_matrices=False)
    low_rank = (u[:, :6] * s[:6]) @ vt[:6]
    pop = ndcg_at_k(popularity, data.held_out, exclude=data.train)
    svd = ndcg_at_k(low_rank, data.held_out, exclude=data.train)
    assert 0.1 < pop < svd < 1.0


def test_ab_history_columns_determinism_and_slope() -> None:
    history = ab_history(n=200, slope=0.06, noise=0.0005, ml_range=(-0.02, 0.06), seed=5)
    assert list(history.columns) == ["ml_delta", "business_delta", "label"]
    assert len(history) == 200
    assert history["label"].iloc[0] == "AB-001"
    assert history["ml_delta"].between(-0.02, 0.06).all()
    pd.testing.assert_frame_equal(
        history, ab_history(n=200, slope=0.06, noise=0.0005, ml_range=(-0.02, 0.06), seed=5)
    )
    slope = np.polyfit(history["ml_delta"], history["business_delta"], 1)[0]
    assert slope == pytest.approx(0.06, abs=0.005)


def test_ab_history_fits_into_a_link() -> None:
    from bizml_nb.impact.evidence import fit_history

    history = ab_history(n=14, slope=0.06, noise=0.0008, ml_range=(-0.02, 0.06), seed=19)
    fit = fit_history(history)
    assert fit.grade in ("strong", "weak")
    assert fit.interval[0] < 0.06 < fit.interval[1]


def tie_heavy_scores(users: int = 200, items: int = 300, seed: int = 0) -> np.ndarray:
    """Scores with many ties, as popularity counts have: small integers."""
    return np.random.default_rng(seed).integers(0, 4, size=(users, items)).astype(float)


def test_ndcg_breaks_ties_by_item_id_whatever_numpy_sort_kernel_runs() -> None:
    """On rows of tied scores numpy's default argsort orders ties differently with AVX2,
    AVX-512 or neither; ndcg_at_k ranks ties by item id, as documented, so it equals the
    NDCG of that explicit order (np.lexsort: score first, then item id) on every CPU."""
    scores = tie_heavy_scores()
    held = np.random.default_rng(1).permuted(np.tile(np.arange(300), (200, 1)), axis=1)[:, :5]
    items = np.broadcast_to(np.arange(300), scores.shape)
    top = np.stack([np.lexsort((items[u], -scores[u]))[:10] for u in range(200)])
    hits = (top[:, :, None] == held[:, None, :]).any(axis=2)
    discounts = 1.0 / np.log2(np.arange(2, 12))
    expected = float(np.mean(hits @ discounts) / discounts[:5].sum())
    assert ndcg_at_k(scores, held, k=10) == pytest.approx(expected, rel=1e-12)
    # and exactly what a stable sort gives, one user at a time (no batch kernel involved)
    for u in (0, 57, 199):
        one = ndcg_at_k(scores[u : u + 1], held[u : u + 1], k=10)
        first = [int(i) for i in top[u]]
        gains = sum(1.0 / np.log2(r + 2) for r, i in enumerate(first) if i in set(held[u]))
        assert one == pytest.approx(gains / discounts[:5].sum(), rel=1e-12)


def test_a_tie_at_the_cut_goes_to_the_lower_item_id() -> None:
    """Ten items tied for the top 10 of eleven: the eleventh by id is the one left out."""
    scores = np.ones((1, 300))
    scores[0, :11] = 2.0
    assert ndcg_at_k(scores, np.array([[9]]), k=10) == pytest.approx(1 / np.log2(11))
    assert ndcg_at_k(scores, np.array([[10]]), k=10) == 0.0


def test_recsys_interactions_hold_the_largest_keys_in_a_seeded_order() -> None:
    """The items a user interacts with are the n_train + n_held_out largest of the
    documented keys (popularity + taste + Gumbel noise), shuffled by the seed: the same
    items and the same split as the function's own draws replayed here."""
    n_users, n_items, rank, per_user = 30, 40, 3, 9
    data = recsys_interactions(n_users, n_items, rank=rank, n_train=6, n_held_out=3, seed=8)
    rng = np.random.default_rng(8)
    taste = 0.5 * rng.standard_normal((n_users, rank)) @ rng.standard_normal((rank, n_items))
    keys = taste + rng.normal(scale=1.5, size=n_items) + rng.gumbel(size=(n_users, n_items))
    shuffle = rng.random((n_users, per_user))
    for u in range(n_users):
        largest = np.lexsort((np.arange(n_items), -keys[u]))[:per_user]
        ordered = largest[np.lexsort((np.arange(per_user), shuffle[u]))]
        assert set(np.flatnonzero(data.train[u])) == set(ordered[:6].tolist())
        assert data.held_out[u].tolist() == ordered[6:].tolist()
