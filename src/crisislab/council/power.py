"""Voting power of the Commission, the Parliament and the member states under a procedure.

The member states vote in the Council under the issue's rule (unanimity or the EU double
majority, :mod:`crisislab.games.voting`). The Commission and the Parliament enter as
players of a compound simple game whose winning coalitions follow the legislative
procedure (Garrett and Tsebelis 1999, "Why resist the temptation to apply power indices
to the European Union?", *Journal of Theoretical Politics* 11(3); Napel and Widgren 2006,
"The inter-institutional distribution of power in EU codecision", *Social Choice and
Welfare* 27(1)):

========================  =====================================================================
procedure, rule           a coalition wins when it holds ...
========================  =====================================================================
consultation, QMV         the Commission and a qualified majority of states, or every state
                          (the Council may amend a Commission proposal only unanimously)
consultation, unanimity   every state (the Commission and the Parliament are dummies)
co-decision, QMV          the Parliament and a qualified majority of states (conciliation)
co-decision, unanimity    the Parliament and every state
========================  =====================================================================

Each player's power is its exact Shapley-Shubik index in that game: the share of the
orderings of all players in which it is pivotal. The member states' part uses the same
generating-function count as :func:`crisislab.games.voting.power_indices`; the compound
game needs, per state and coalition size, the number of swings, which this module counts
by deconvolving the state's factor out of the table of coalitions (exact integers).

The Council is the set of states with a recorded position on the issue (as in
:mod:`crisislab.validation.mandate`); populations are taken from a scenario.
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache

import numpy as np

from crisislab.games.voting import _counts, min_population, population_units

#: Population unit of the power computation (people); 0.1 million keeps the tables small.
UNIT = 100_000
COMMISSION, PARLIAMENT = "com", "ep"


def _swings_by_size(weights: np.ndarray, need: list[float]) -> tuple[np.ndarray, np.ndarray]:
    """For the weighted game "``c`` yes-voters pass iff their weight >= ``need[c]``":

    * ``swing[i, c]``: coalitions of ``c`` members without ``i`` that lose and win with ``i``;
    * ``winning[c]``: winning coalitions of ``c`` members.
    """
    w = np.asarray(weights, dtype=np.int64)
    n, total = int(w.size), int(w.sum())
    G = _counts(w).astype(np.int64)
    p = np.arange(total + 1)
    lo_ok = [np.zeros(total + 1, bool) if math.isinf(need[c]) else p >= need[c] for c in range(n + 1)]
    winning = np.array([int(G[c][lo_ok[c]].sum()) for c in range(n + 1)], dtype=np.int64)
    swing = np.zeros((n, n), dtype=np.int64)
    for i, wi in enumerate(int(x) for x in w):
        prev = np.zeros(total + 1, dtype=np.int64)  # coalitions without i of size c - 1
        for c in range(n):
            cur = G[c].copy()
            if c > 0 and wi <= total:
                cur[wi:] -= prev[: total + 1 - wi]
            # without i: size c, weight p; loses (p < need[c]) and wins with i (p + wi >= need[c + 1])
            with_i = np.zeros(total + 1, bool)
            if not math.isinf(need[c + 1]):
                with_i = p + wi >= need[c + 1]
            swing[i, c] = int(cur[~lo_ok[c] & with_i].sum())
            prev = cur
    return swing, winning


def _order_weight(k: int, N: int) -> Fraction:
    """Probability that the predecessors of a player are one given set of ``k`` players."""
    return Fraction(1, N * math.comb(N - 1, k))


@lru_cache(maxsize=4096)
def procedural_power(
    states: tuple[str, ...],
    populations: tuple[float, ...],
    rule: str,
    proc: str,
    with_commission: bool = True,
    with_parliament: bool = True,
) -> dict[str, float]:
    """Shapley-Shubik index of every player of the procedure's compound game.

    ``states`` and ``populations`` (millions) describe the Council; ``rule`` is ``qmv`` or
    ``unanimity``; ``proc`` is ``COD`` (co-decision) or anything else (consultation).
    The Commission and the Parliament are players only when present
    (``with_commission``, ``with_parliament``); an absent institution's condition is
    dropped (its consent is then not needed). The indices sum to 1.

    >>> p = procedural_power(("de", "fr", "it"), (80.0, 60.0, 60.0), "unanimity", "COD")
    >>> round(p["ep"], 4), round(p["de"], 4)
    (0.25, 0.25)
    >>> p = procedural_power(("de", "fr", "it"), (80.0, 60.0, 60.0), "unanimity", "CNS")
    >>> p["com"], p["ep"], round(p["de"], 4)
    (0.0, 0.0, 0.3333)
    """
    n = len(states)
    if n == 0:
        specials = [a for a, on in ((COMMISSION, with_commission), (PARLIAMENT, with_parliament)) if on]
        return {a: 1.0 / len(specials) for a in specials} if specials else {}
    w = population_units(populations, UNIT)
    w = np.maximum(w, 1)
    need = min_population(rule, n, int(w.sum()))
    cod = proc.upper() == "COD"
    ep_needed = cod and with_parliament
    com_needed = (not cod) and rule == "qmv" and with_commission
    # the special players present, and which of them are not dummies
    specials = [a for a, on in ((COMMISSION, with_commission), (PARLIAMENT, with_parliament)) if on]
    N = n + len(specials)
    if n == 1:
        swing = np.array([[1]], dtype=np.int64)
        winning = np.array([0, 1], dtype=np.int64)
    else:
        swing, winning = _swings_by_size(w, need)
    all_states = np.zeros(n + 1, dtype=np.int64)
    all_states[n] = 1  # the grand coalition of states: the unanimity alternative under CNS-QMV

    def state_win_counts(has_com: bool, has_ep: bool) -> np.ndarray:
        """Winning state coalitions by size, given which institutions are in the coalition."""
        if ep_needed and not has_ep:
            return np.zeros(n + 1, dtype=np.int64)
        if com_needed and not has_com:
            return all_states
        return winning

    out: dict[str, Fraction] = {}
    subsets = [(c, e) for c in ((False, True) if with_commission else (False,))
               for e in ((False, True) if with_parliament else (False,))]
    # states: swing in the states' part given the institutions already in
    for i, a in enumerate(states):
        tot = Fraction(0)
        for has_com, has_ep in subsets:
            t = int(has_com) + int(has_ep)
            if ep_needed and not has_ep:
                continue
            if com_needed and not has_com:
                counts = np.zeros(n, dtype=np.int64)
                counts[n - 1] = 1  # only completing the grand coalition wins
            else:
                counts = swing[i]
            for c in range(n):
                if counts[c]:
                    tot += int(counts[c]) * _order_weight(t + c, N)
        out[a] = tot
    # institutions: pivotal when their arrival turns a losing coalition into a winning one
    for name, is_com in ((COMMISSION, True), (PARLIAMENT, False)):
        if name not in specials:
            continue
        other_present = with_parliament if is_com else with_commission
        tot = Fraction(0)
        for other in ((False, True) if other_present else (False,)):
            has_com, has_ep = (True, other) if is_com else (other, True)
            before = state_win_counts(False, has_ep) if is_com else state_win_counts(has_com, False)
            after = state_win_counts(has_com, has_ep)
            t = int(other)
            for c in range(n + 1):
                d = int(after[c]) - int(before[c])
                if d > 0:
                    tot += d * _order_weight(t + c, N)
        out[name] = tot
    return {k: float(v) for k, v in out.items()}


def capabilities(
    actors: tuple[str, ...],
    population: dict[str, float],
    rule: str,
    proc: str,
) -> np.ndarray:
    """Power of each of ``actors`` (DEU codes) on one issue, in the order given.

    Member states without a population entry get power 0 (they are not in the Council).
    """
    states = tuple(a for a in actors if a in population)
    pops = tuple(float(population[a]) for a in states)
    p = procedural_power(states, pops, rule, proc, COMMISSION in actors, PARLIAMENT in actors)
    return np.array([p.get(a, 0.0) for a in actors], dtype=float)
