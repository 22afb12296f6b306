"""Models of EU legislative outcomes, each a small class with its source and inputs.

Every model maps issues (:class:`~crisislab.council.issue.Issue`) to predicted outcomes on
the issue's 0..100 scale. A model states

* ``name`` (used on the command line and in the JSON output), ``title``,
* ``source``: the literature it follows,
* ``uses``: the fields of the data it reads (``positions``, ``saliences``, ``rule``,
  ``procedure``, ``reference point``, ``proposal``, ``population``),
* ``fitted``: whether it has parameters estimated from data. A fitted model must be
  evaluated out of sample (:mod:`crisislab.council.evaluate` cross-validates it over whole
  proposals); ``fit(issues)`` estimates its parameters, ``params()`` reports them.

``predict(issues)`` takes a list of issues and returns one prediction per issue, in
order. Models that act on whole proposals (position exchange) group the issues by
``proposal`` themselves, so they must be given all issues of a proposal at once.

Power ("capability") comes from :func:`crisislab.council.power.capabilities`: the exact
Shapley-Shubik index of every actor in the procedure's voting game (member states under the
issue's rule with populations from a scenario, the Commission and the Parliament as the
procedure makes them needed).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from scipy.optimize import linprog

from crisislab.council.issue import SCALE, Issue
from crisislab.council.power import COMMISSION, PARLIAMENT, capabilities

_EPS = 1e-9

# --- shared pieces ------------------------------------------------------------------------


def weighted_mean(x: np.ndarray, w: np.ndarray) -> float:
    """``sum w x / sum w``; the plain mean when every weight is zero."""
    tot = float(w.sum())
    return float((w * x).sum() / tot) if tot > 0 else float(x.mean())


def nash_point(x: np.ndarray, w: np.ndarray, scale: float = SCALE, tol: float = 1e-7) -> np.ndarray:
    """Asymmetric Nash bargaining point with linear utilities and disagreement at each
    actor's worst outcome, vectorised over a leading axis.

    Maximises ``sum_i w_i log(1 - |y - x_i| / scale)`` over ``y``. The objective is
    concave, so its (sub)gradient ``sum_i w_i sign(x_i - y) / (scale - |y - x_i|)``
    falls in ``y`` and bisection on its sign between the lowest and the highest position
    finds the maximiser. ``x`` and ``w`` are ``[..., actors]``; ``nan`` positions and zero
    weights are ignored.

    >>> float(nash_point(np.array([0.0, 100.0]), np.array([1.0, 1.0]))[()])
    50.0
    >>> float(np.round(nash_point(np.array([0.0, 100.0]), np.array([3.0, 1.0])), 3)[()])
    25.0
    """
    x = np.asarray(x, dtype=float)
    w = np.where(np.isnan(x), 0.0, np.asarray(w, dtype=float))
    xf = np.where(np.isnan(x), 0.0, x)
    xf, w = np.broadcast_arrays(xf, w)
    shape = xf.shape[:-1]
    m = xf.shape[-1] if xf.ndim else 1
    from crisislab.model import kernels  # compiled: one bisection per problem

    out = kernels.nash_bisect(np.ascontiguousarray(xf.reshape(-1, m)), np.ascontiguousarray(w.reshape(-1, m)),
                              float(scale), float(tol))
    return out.reshape(shape)


def nash_point_numpy(x: np.ndarray, w: np.ndarray, scale: float = SCALE, tol: float = 1e-7) -> np.ndarray:
    """:func:`nash_point` in plain NumPy (kept as the specification of the compiled kernel)."""
    x = np.asarray(x, dtype=float)
    w = np.where(np.isnan(x), 0.0, np.asarray(w, dtype=float))
    xf = np.where(np.isnan(x), 0.0, x)
    live = w > 0
    lo = np.where(live, xf, np.inf).min(axis=-1)
    hi = np.where(live, xf, -np.inf).max(axis=-1)
    none = ~np.isfinite(lo)
    lo = np.where(none, 0.0, lo)
    hi = np.where(none, 0.0, hi)
    # each problem stops bisecting once its own interval is below ``tol`` (after at least
    # one step), so its answer never depends on the other problems it is solved with
    step = np.ones(np.shape(lo), dtype=bool)
    for _ in range(64):
        mid = 0.5 * (lo + hi)
        gap = np.maximum(scale - np.abs(mid[..., None] - xf), 1e-12)
        g = (w * np.sign(xf - mid[..., None]) / gap).sum(axis=-1)
        lo = np.where(step & (g > 0), mid, lo)
        hi = np.where(step & ~(g > 0), mid, hi)
        step = step & ((hi - lo) >= tol)
        if not step.any():
            break
    return 0.5 * (lo + hi)


def council_accepts(ys: np.ndarray, x: np.ndarray, pop: np.ndarray, rule: str, rp: float) -> np.ndarray:
    """Which outcomes ``ys`` the Council adopts against ``rp`` (member states ``x``, ``pop``).

    A state consents when it weakly prefers ``y`` to ``rp`` (linear preferences). Unanimity:
    every state consents. QMV: the consenting states are at least 55 % of the states and
    hold at least 65 % of their population, or fewer than four states withhold consent
    (TEU art. 16(4)). The reference point itself is always adopted (nothing changes).
    """
    ys = np.asarray(ys, dtype=float)
    if x.size == 0:
        return np.ones(ys.shape, dtype=bool)
    consent = np.abs(ys[:, None] - x[None, :]) <= np.abs(rp - x)[None, :] + _EPS
    if rule == "unanimity":
        ok = consent.all(axis=1)
    else:
        n = x.size
        n_yes = consent.sum(axis=1)
        ok = (n_yes >= 0.55 * n - _EPS) & (((consent * pop[None, :]).sum(axis=1) >= 0.65 * pop.sum() - _EPS)
                                          | ((n - n_yes) < 4))
    return ok | (np.abs(ys - rp) < _EPS)


def _nearest(target: float, cands: np.ndarray, ok: np.ndarray) -> float:
    c = cands[ok]
    return float(c[int(np.argmin(np.abs(c - target)))])


# --- the model protocol ---------------------------------------------------------------------


class CouncilModel:
    """Base class: metadata, ``fit`` (no-op unless the model has parameters), ``predict``."""

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    source: ClassVar[str] = ""
    uses: ClassVar[tuple[str, ...]] = ()
    fitted: ClassVar[bool] = False
    assumes: ClassVar[str] = ""

    def fit(self, issues: Sequence[Issue]) -> CouncilModel:
        return self

    def predict(self, issues: Sequence[Issue]) -> np.ndarray:
        return np.array([self.predict_one(i) for i in issues], dtype=float)

    def predict_one(self, issue: Issue) -> float:  # pragma: no cover - overridden
        raise NotImplementedError

    def params(self) -> dict[str, Any]:
        return {}

    def fresh(self) -> CouncilModel:
        """An unfitted copy with the same settings (for cross-validation)."""
        return self

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "source": self.source, "uses": list(self.uses),
                "fitted": self.fitted, "assumes": self.assumes}


class _Powered(CouncilModel):
    """A model that weights actors by their procedural power (needs member populations)."""

    def __init__(self, population: dict[str, float]) -> None:
        self.population = dict(population)

    def power(self, issue: Issue) -> np.ndarray:
        return capabilities(issue.actors, self.population, issue.rule, issue.proc)

    def fresh(self) -> CouncilModel:
        return type(self)(self.population)


class Compromise(CouncilModel):
    name = "compromise"
    title = "Compromise model (salience-weighted mean)"
    source = "van den Bos (1991); Achen (2006) in Thomson et al., The European Union Decides; data README baseline"
    uses = ("positions", "saliences")
    assumes = "every actor pulls the outcome toward its position in proportion to its salience; no voting power"

    def predict_one(self, issue: Issue) -> float:
        return weighted_mean(issue.x, issue.weights())


class PowerCompromise(_Powered):
    name = "power_compromise"
    title = "Compromise model with procedural voting power (salience x power)"
    source = "Achen (2006); van den Bos (1991); power: Shapley and Shubik (1954), Garrett and Tsebelis (1999)"
    uses = ("positions", "saliences", "rule", "procedure", "population")
    assumes = ("the outcome is the mean of positions weighted by salience times the actor's Shapley-Shubik "
               "power in the procedure's voting game (QMV or unanimity; Commission and Parliament as the "
               "procedure needs them)")

    def predict_one(self, issue: Issue) -> float:
        w = issue.s * self.power(issue)
        return weighted_mean(issue.x, w if w.sum() > 0 else issue.weights())


class PowerNash(_Powered):
    name = "power_nash"
    title = "Nash bargaining with procedural voting power"
    source = "Nash (1950); asymmetric form: Kalai (1977); EU application: Achen (2006), Schneider et al. (2010)"
    uses = ("positions", "saliences", "rule", "procedure", "population")
    assumes = ("linear utilities, disagreement at each actor's worst outcome (a decision is taken), bargaining "
               "weights salience times procedural power")

    def predict_one(self, issue: Issue) -> float:
        w = issue.s * self.power(issue)
        if w.sum() <= 0:
            w = issue.weights()
        return float(nash_point(issue.x, w))


class Procedural(_Powered):
    name = "procedural"
    title = "Procedural agenda-setting model (consultation: Commission; co-decision: Parliament and Council)"
    source = "Tsebelis (1994); Crombez (1996, 2000); Tsebelis and Garrett (2000); Steunenberg (1994)"
    uses = ("positions", "saliences", "rule", "procedure", "reference point", "population")
    assumes = ("linear preferences; an actor consents to what it likes at least as much as the reference point; "
               "under consultation the Commission proposes the point nearest its position that the Council adopts "
               "under its rule and cannot amend unanimously; under co-decision Parliament and Council settle on the "
               "adoptable point nearest the midpoint of the Parliament's position and the Council's power-weighted "
               "compromise; without a reference point only the amendment constraint binds")

    def predict_one(self, issue: Issue) -> float:
        actors = issue.actors
        is_state = np.array([a in self.population for a in actors])
        xs = issue.x[is_state]
        pop = np.array([self.population[a] for a in actors if a in self.population], dtype=float)
        power = self.power(issue)
        ws = (issue.s * power)[is_state]
        council = weighted_mean(xs, ws) if xs.size else weighted_mean(issue.x, issue.weights())
        com, ep = issue.position(COMMISSION), issue.position(PARLIAMENT)
        cod = issue.proc.upper() == "COD"
        if cod:
            target = council if ep is None else 0.5 * (ep + council)
            deciders = np.concatenate([xs, [ep]]) if ep is not None else xs
        else:
            target = council if com is None else com
            deciders = xs
        lo, hi = (float(deciders.min()), float(deciders.max())) if deciders.size else (0.0, SCALE)
        if issue.rp is None:
            return float(np.clip(target, lo, hi))
        rp = issue.rp
        cands = np.concatenate([[target, rp, lo, hi], 2.0 * issue.x - rp])
        cands = cands[(cands >= 0.0) & (cands <= SCALE)]
        ok = council_accepts(cands, xs, pop, issue.rule, rp) & (cands >= lo - _EPS) & (cands <= hi + _EPS)
        if cod and ep is not None:
            ok &= np.abs(cands - ep) <= abs(rp - ep) + _EPS
        if not ok.any():  # only the reference point survives and it lies outside the range
            return float(rp)
        return _nearest(target, cands, ok)


class PositionExchange(_Powered):
    name = "exchange"
    title = "Position exchange model (equal-gain exchanges across the issues of a proposal)"
    source = "Stokman and van Oosten (1994); Arregui, Stokman and Thomson (2006) in The European Union Decides"
    uses = ("positions", "saliences", "rule", "procedure", "proposal", "population")
    assumes = ("actors trade support: on two issues of one proposal, two actors on opposite sides of the expected "
               "outcome each move toward the other's position on the issue it cares less about, by amounts that "
               "give both the same gain; the expected outcome is the power compromise; exchanges of a round are "
               "computed on the round's starting outcomes, each actor moves at most once per issue and round, "
               "and a shift never carries the outcome past the position of the actor it serves")

    max_rounds: ClassVar[int] = 10

    def predict(self, issues: Sequence[Issue]) -> np.ndarray:
        out = np.full(len(issues), np.nan)
        groups: dict[str, list[int]] = {}
        for k, iss in enumerate(issues):
            groups.setdefault(iss.group, []).append(k)
        for idx in groups.values():
            out[idx] = self.proposal([issues[k] for k in idx])
        return out

    def predict_one(self, issue: Issue) -> float:
        return float(self.proposal([issue])[0])

    def proposal(self, issues: Sequence[Issue]) -> np.ndarray:
        """Run the exchanges on the issues of one proposal; the power compromise after them."""
        names = sorted({a for iss in issues for a in iss.actors})
        col = {a: k for k, a in enumerate(names)}
        m, n = len(issues), len(names)
        X = np.full((m, n), np.nan)
        S = np.zeros((m, n))
        C = np.zeros((m, n))
        for a, iss in enumerate(issues):
            cols = [col[x] for x in iss.actors]
            X[a, cols] = iss.x
            S[a, cols] = iss.s / SCALE
            C[a, cols] = self.power(iss)
        W = np.where(np.isnan(X), 0.0, C * S)
        fallback = [weighted_mean(iss.x, iss.weights()) for iss in issues]

        def outcomes(x: np.ndarray) -> np.ndarray:
            tot = W.sum(axis=1)
            o = (W * np.nan_to_num(x)).sum(axis=1) / np.where(tot > 0, tot, 1.0)
            return np.where(tot > 0, o, fallback)

        if m < 2:
            return outcomes(X)
        for _ in range(self.max_rounds):
            outc = outcomes(X)
            tot = W.sum(axis=1)
            deals: list[tuple[float, int, int, int, int, float, float]] = []
            for p in range(m):
                for q in range(m):
                    if p == q or tot[p] <= 0 or tot[q] <= 0:
                        continue
                    deals.extend(self._deals(X, S, W, outc, tot, p, q))
            if not deals:
                break
            deals.sort(key=lambda d: -d[0])
            moved: set[tuple[int, int]] = set()
            new = X.copy()
            for _gain, i, j, p, q, move_j, move_i in deals:
                if (j, p) in moved or (i, q) in moved:
                    continue
                moved.add((j, p))
                moved.add((i, q))
                new[p, j] += np.sign(X[p, i] - X[p, j]) * move_j
                new[q, i] += np.sign(X[q, j] - X[q, i]) * move_i
            if np.allclose(np.nan_to_num(new), np.nan_to_num(X)):
                break
            X = new
        return outcomes(X)

    @staticmethod
    def _deals(X: np.ndarray, S: np.ndarray, W: np.ndarray, outc: np.ndarray, tot: np.ndarray,
               p: int, q: int) -> list[tuple[float, int, int, int, int, float, float]]:
        """Exchanges in which ``i`` demands on ``p`` (``j`` moves there) and supplies on ``q``."""
        live = ~np.isnan(X[p]) & ~np.isnan(X[q]) & (W[p] > 0) & (W[q] > 0)
        ids = np.nonzero(live)[0]
        if ids.size < 2:
            return []
        xp, xq, sp, sq = X[p, ids], X[q, ids], S[p, ids], S[q, ids]
        wp, wq = W[p, ids] / tot[p], W[q, ids] / tot[q]
        ii, jj = np.meshgrid(np.arange(ids.size), np.arange(ids.size), indexing="ij")
        opp_p = (xp[ii] - outc[p]) * (xp[jj] - outc[p]) < 0
        opp_q = (xq[ii] - outc[q]) * (xq[jj] - outc[q]) < 0
        rel = sp[ii] * sq[jj] - sq[ii] * sp[jj]  # i cares relatively more about p than j does
        ok = opp_p & opp_q & (rel > _EPS)
        if not ok.any():
            return []
        i_, j_ = ii[ok], jj[ok]
        ratio = (sp[i_] + sp[j_]) / (sq[i_] + sq[j_])  # dq = ratio * dp gives equal gains
        # j moves fully to i's position on p; the outcome must not pass i's position
        dp = np.minimum(np.abs(xp[i_] - xp[j_]) * wp[j_], np.abs(xp[i_] - outc[p]))
        dq = ratio * dp
        # i's move on q is limited by j's position and the outcome must not pass j's position
        dq_max = np.minimum(np.abs(xq[j_] - xq[i_]) * wq[i_], np.abs(xq[j_] - outc[q]))
        over = dq > dq_max
        dq = np.where(over, dq_max, dq)
        dp = np.where(over, dq / ratio, dp)
        gain = sp[i_] * dp - sq[i_] * dq
        good = gain > 1e-9
        move_j = dp / wp[j_]
        move_i = dq / wq[i_]
        return [(float(gain[k]), int(ids[i_[k]]), int(ids[j_[k]]), p, q, float(move_j[k]), float(move_i[k]))
                for k in np.nonzero(good)[0]]


# --- the stacked model ---------------------------------------------------------------------


def lad_simplex(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Weights ``w >= 0``, ``sum w = 1`` minimising ``sum |X w - y|`` (a linear programme)."""
    n, k = X.shape
    c = np.r_[np.zeros(k), np.ones(2 * n)]
    A_eq = np.vstack([np.c_[X, -np.eye(n), np.eye(n)], np.r_[np.ones(k), np.zeros(2 * n)][None, :]])
    b_eq = np.r_[y, 1.0]
    res = linprog(c, A_eq=A_eq, b_eq=b_eq, bounds=[(0, None)] * (k + 2 * n), method="highs")
    if not res.success:  # pragma: no cover - the programme is always feasible and bounded
        raise RuntimeError(f"stacking LP failed: {res.message}")
    w = np.clip(res.x[:k], 0.0, None)
    return w / w.sum()


@dataclass
class _Fold:
    train: np.ndarray
    test: np.ndarray


def proposal_folds(groups: Sequence[str], k: int, seed: int) -> list[_Fold]:
    """``k`` folds of whole proposals: proposals shuffled by ``seed``, dealt round-robin."""
    names = sorted(set(groups))
    order = np.random.default_rng(seed).permutation(len(names))
    fold_of = {names[j]: r % k for r, j in enumerate(order)}
    f = np.array([fold_of[g] for g in groups])
    return [_Fold(np.nonzero(f != r)[0], np.nonzero(f == r)[0]) for r in range(min(k, len(names)))]


def out_of_fold(model: CouncilModel, issues: Sequence[Issue], k: int, seed: int) -> np.ndarray:
    """Predictions for every issue from a copy of ``model`` fitted without its proposal."""
    if not model.fitted:
        return model.predict(issues)
    pred = np.full(len(issues), np.nan)
    for fold in proposal_folds([i.group for i in issues], k, seed):
        m = model.fresh().fit([issues[j] for j in fold.train])
        pred[fold.test] = m.predict([issues[j] for j in fold.test])
    return pred


class Stacked(CouncilModel):
    name = "stacked"
    title = "Stacked ensemble: convex combination of the literature models, least absolute error"
    source = "Wolpert (1992); Breiman (1996), stacked regressions with non-negative weights"
    uses = ("positions", "saliences", "rule", "procedure", "reference point", "proposal", "population")
    fitted = True
    assumes = ("the outcome is a weighted average of the component models' predictions; the weights are "
               "non-negative, sum to one and minimise the mean absolute error on the training proposals "
               "(components with parameters of their own enter with out-of-fold predictions)")

    def __init__(self, components: Sequence[CouncilModel], inner_folds: int = 5, seed: int = 0) -> None:
        self.components = list(components)
        self.inner_folds = inner_folds
        self.seed = seed
        self.w: np.ndarray | None = None

    def fresh(self) -> Stacked:
        return Stacked([c.fresh() for c in self.components], self.inner_folds, self.seed)

    def _matrix(self, issues: Sequence[Issue], train: bool) -> np.ndarray:
        cols = [out_of_fold(c, issues, self.inner_folds, self.seed) if train else c.predict(issues)
                for c in self.components]
        return np.column_stack(cols)

    def fit(self, issues: Sequence[Issue]) -> Stacked:
        Xtr = self._matrix(issues, train=True)
        y = np.array([i.out for i in issues], dtype=float)
        ok = ~np.isnan(y)
        self.w = lad_simplex(Xtr[ok], y[ok])
        self.components = [c.fit(issues) if c.fitted else c for c in self.components]
        return self

    def predict(self, issues: Sequence[Issue]) -> np.ndarray:
        if self.w is None:
            raise RuntimeError("the stacked model must be fitted before it predicts")
        return self._matrix(issues, train=False) @ self.w

    def predict_one(self, issue: Issue) -> float:
        return float(self.predict([issue])[0])

    def params(self) -> dict[str, Any]:
        if self.w is None:
            return {}
        return {"weights": {c.name: float(v) for c, v in zip(self.components, self.w, strict=True)}}

    def set_weights(self, weights: dict[str, float]) -> Stacked:
        """Use given weights (e.g. from a shipped fit) instead of fitting."""
        missing = [c.name for c in self.components if c.name not in weights]
        if missing:
            raise ValueError(f"no weight for component(s) {', '.join(missing)}")
        w = np.array([float(weights[c.name]) for c in self.components])
        self.w = w / w.sum()
        return self


# --- the registry ---------------------------------------------------------------------------

ModelFactory = Callable[[dict[str, float]], CouncilModel]


def stacked(population: dict[str, float]) -> Stacked:
    """The project's ensemble over the four literature models with power, plus the
    salience-only compromise."""
    return Stacked([Compromise(), PowerCompromise(population), PowerNash(population),
                    Procedural(population), PositionExchange(population)])


FACTORIES: dict[str, ModelFactory] = {
    "compromise": lambda pop: Compromise(),
    "power_compromise": PowerCompromise,
    "power_nash": PowerNash,
    "procedural": Procedural,
    "exchange": PositionExchange,
    "stacked": stacked,
}


class Reference(CouncilModel):
    """A fixed rule of :mod:`crisislab.validation.deu3` (a scale reference or an older model),
    reported beside the Council models so that every model is judged the same way."""

    fitted = False

    def __init__(self, name: str, rule: Callable[[Issue], float], title: str, source: str,
                 uses: tuple[str, ...]) -> None:
        self._name, self._rule, self._title, self._source, self._uses = name, rule, title, source, uses

    def predict_one(self, issue: Issue) -> float:
        return float(self._rule(issue))

    def describe(self) -> dict[str, Any]:
        return {"name": self._name, "title": self._title, "source": self._source, "uses": list(self._uses),
                "fitted": False, "assumes": ""}
