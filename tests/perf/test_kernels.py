"""The compiled kernels compute their NumPy formulas: exactly, or within a stated ULP bound.

Arithmetic (sums, products, clips, comparisons), the counter hashes, the uniforms and every
discrete decision are compared bit for bit. Results that pass through ``log`` or ``exp`` are
compared in units in the last place: NumPy picks SIMD code paths at run time (AVX2 and
AVX-512 round ``log``/``exp`` differently from the C library that the compiled kernels call),
so bit equality there would test the CPU, not the kernel. The bounds below are what the
formulas allow (one transcendental call, then a few exact-rounded operations), not what one
machine happened to show. The golden fingerprints (``test_golden.py``) are the end-to-end
check that the simulator's own results do not depend on the CPU.

Weighted sums over members are sequential in member order (``_seqdot`` below), which is
what makes a run's result independent of the batch it is simulated in.
"""

from __future__ import annotations

import numpy as np
import pytest

from crisislab.model import kernels
from crisislab.model.rng import Slot, Streams

#: Normal draws: Marsaglia's polar method, one ``log`` (the only call whose rounding differs
#: between code paths, by at most 1-2 ULP) followed by a division, a ``sqrt`` and a product.
NORMAL_MAX_ULP = 4
#: Type posteriors: ``log`` of the prior, then ``exp`` after subtracting the row maximum,
#: then a normalisation; the subtraction can amplify a 1-ULP input difference a few times.
POSTERIOR_MAX_ULP = 32


def _seqdot(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    acc = np.zeros(x.shape[0])
    for j in range(x.shape[1]):
        acc = acc + x[:, j] * w[j]
    return acc


def _spread(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    return np.sqrt(_seqdot((x - _seqdot(x, w)[:, None]) ** 2, w))


@pytest.fixture(params=[3, 29, 100])
def data(request):
    m = request.param
    g = np.random.default_rng(m)
    w = g.random(m)
    return {
        "x": g.random((257, m)),
        "w": w / w.sum(),
        "fl": g.random(m) < 0.3,
        "flags": g.random(257) < 0.5,
        "rung": g.integers(0, 8, 257),
        "g": g,
    }


@pytest.mark.parametrize("seed", [0, 7, 2**64 - 1])
@pytest.mark.parametrize("members", [None, 1, 2, 29])
def test_streams_kernels_match_numpy(seed, members):
    s = Streams(seed, np.arange(500, 1500))
    for step in (0, 1, 51, 700):
        for slot in (Slot.CHOICE, Slot.STATEMENT, Slot.COURT):
            np.testing.assert_array_equal(s.uniform(step, slot, members), s.uniform_numpy(step, slot, members))
            np.testing.assert_array_max_ulp(
                s.normal(step, slot, members), s.normal_numpy(step, slot, members), maxulp=NORMAL_MAX_ULP
            )


def test_rowdot_and_spread(data):
    x, w = data["x"], data["w"]
    np.testing.assert_array_equal(kernels.rowdot(x, w), _seqdot(x, w))
    np.testing.assert_array_equal(kernels.weighted_sd(x, w), _spread(x, w))
    b = x > 0.5
    np.testing.assert_array_equal(kernels.rowdot(b, w), _seqdot(b, w))
    # a run's sum does not depend on the other runs in its batch
    np.testing.assert_array_equal(kernels.rowdot(x[5:6], w), kernels.rowdot(x, w)[5:6])


def test_frontline_update(data):
    x, fl, bypass = data["x"], data["fl"], data["flags"]
    support = data["g"].random(x.shape)
    n = x.shape[0]
    # coefficients per run (a batch of parameter points): each run uses its own
    c1, rec, c2 = data["g"].uniform(0.0, 0.2, n), np.full(n, 0.02), data["g"].uniform(0.0, 0.2, n)
    idx = np.nonzero(fl)[0]
    target = data["g"].random(n)
    t, s, intel = kernels.frontline_update(x, support, bypass, fl, idx, c1, rec, c2, target)
    f = fl[None, :]
    trust = x - c1[:, None] * bypass[:, None] * x * f
    trust = trust + rec[:, None] * (target[:, None] - trust) * f
    trust = np.clip(np.where(f, trust, 1.0), 0.0, 1.0)
    np.testing.assert_array_equal(t, trust)
    np.testing.assert_array_equal(s, np.clip(support - c2[:, None] * (1.0 - trust) * f, 0.0, 1.0))
    if idx.size:
        np.testing.assert_array_equal(intel, _seqdot(trust[:, idx], np.ones(idx.size)) / idx.size)


def test_contagion_update(data):
    x, w, rung = data["x"], data["w"], data["rung"]
    inten = data["g"].random(x.shape[0])
    n = x.shape[0]
    full = lambda v: np.full(n, v)  # noqa: E731
    for exposure in (data["g"].random((1, x.shape[1])) * 0.1, data["g"].random(x.shape) * 0.1):  # shared, per run
        decay = data["g"].uniform(0.1, 0.5, n)
        cost, s, weekly, low = kernels.contagion_update(x, inten, exposure, rung, w, decay, full(0.05), full(0.2))
        assert low == bool((s < 0.2).any())
        c = inten[:, None] * exposure
        np.testing.assert_array_equal(cost, c)
        np.testing.assert_array_equal(s, np.clip(x - decay[:, None] * c + 0.05 * (rung / 7.0)[:, None] * (1.0 - x), 0.0, 1.0))
        np.testing.assert_array_equal(weekly, _seqdot(c, w))


def test_dissent_update(data):
    x, w, op = data["x"], data["w"], data["flags"]
    c = data["g"].uniform(0.0, 0.1, x.shape[0])
    stance, pol = kernels.dissent_update(x, w, op, c)
    expect = np.clip(x + c[:, None] * op[:, None] * np.sign(x - _seqdot(x, w)[:, None]), 0.0, 1.0)
    np.testing.assert_array_equal(stance, expect)
    np.testing.assert_array_equal(pol, _spread(expect, w))


def test_statement_spread(data):
    x, w = data["x"], data["w"]
    scale = data["g"].random(x.shape[0])
    noise = data["g"].standard_normal(x.shape)
    np.testing.assert_array_equal(kernels.statement_spread(x, scale, noise, w), _spread(x + scale[:, None] * noise, w))



def test_clip_semantics_match_numpy():
    """Values exactly at or beyond the bounds, signed zeros and NaN clip as in NumPy."""
    for v in (-0.0, 0.0, -1e-300, 1.0, 1.0 + 1e-16, np.nan, 0.5, 2.0, -np.inf):
        got, expect = kernels._clip01(v), np.clip(np.float64(v), 0.0, 1.0)
        assert (got == expect or (np.isnan(got) and np.isnan(expect))) and np.signbit(got) == np.signbit(expect), v


def test_logit_choice(data):
    g = data["g"]
    n = 2000
    ude, uesc = g.normal(0, 2, n), g.normal(0, 2, n)
    ude[:5] = 0.0  # ties with the hold option
    draw = g.random(n)
    lam = g.uniform(0.5, 3.0, n)  # per run
    u = np.stack([ude, np.zeros_like(uesc), uesc], axis=1) * lam[:, None]
    u -= u.max(axis=1, keepdims=True)
    w = np.exp(u)
    cdf = np.cumsum(w, axis=1) / w.sum(axis=1, keepdims=True)
    expect = (draw[:, None] > cdf[:, :2]).sum(axis=1) - 1
    np.testing.assert_array_equal(kernels.logit_choice(ude, uesc, lam, draw), expect)


@pytest.mark.parametrize("types", [1, 3, 9])
def test_type_signal_update(types):
    g = np.random.default_rng(types)
    n = 500
    belief = g.dirichlet(np.ones(types), n)
    belief[:3, 0] = 0.0  # below the floor
    x = g.integers(0, types, n) + g.normal(0, 0.7, n)
    noise = 0.3 + g.random(n)
    t = np.arange(types)[None, :]
    post = np.log(np.maximum(belief, 1e-300)) - 0.5 * ((x[:, None] - t) / noise[:, None]) ** 2
    post = np.exp(post - post.max(axis=1, keepdims=True))
    got = kernels.type_signal_update(belief, x, noise)
    np.testing.assert_array_max_ulp(got, post / post.sum(axis=1, keepdims=True), maxulp=POSTERIOR_MAX_ULP)
    # the compiled kernel itself is deterministic: the same inputs give the same bits
    np.testing.assert_array_equal(got, kernels.type_signal_update(belief, x, noise))


@pytest.mark.parametrize("members", [2, 7, 8, 27])
def test_nash_bisect_matches_its_numpy_specification(members):
    from crisislab.council.models import nash_point, nash_point_numpy

    g = np.random.default_rng(members)
    x = g.uniform(0, 100, (400, members))
    x[g.random(x.shape) < 0.1] = np.nan  # missing actors
    w = g.uniform(0, 1, x.shape) * (g.random(x.shape) > 0.2)
    np.testing.assert_array_equal(nash_point(x, w), nash_point_numpy(x, w))
    binary = np.where(g.random((300, members)) < 0.5, 0.0, 100.0)  # the accession vote's positions
    np.testing.assert_array_equal(nash_point(binary, np.ones(members)), nash_point_numpy(binary, np.ones(members)))
    # a problem's answer does not depend on the others solved with it
    np.testing.assert_array_equal(nash_point(x[7:8], w[7:8]), nash_point(x, w)[7:8])
    np.testing.assert_array_equal(nash_point_numpy(x[7:8], w[7:8]), nash_point_numpy(x, w)[7:8])
