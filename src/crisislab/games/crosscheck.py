"""Adapter to an independent solver (Gambit, via ``pygambit``) for cross-checks.

Each finite game is written out as a Gambit extensive-form game (the ``.efg`` text
format, so the adapter depends on Gambit's stable file format rather than on its
tree-building API) with exact rational payoffs, and solved by Gambit:

* ``enummixed_solve`` enumerates the extreme Nash equilibria of the strategic form of a
  two-player game (used for the screening and mediation games, where every
  equilibrium matters);
* ``logit_solve`` follows the principal branch of the agent logit quantal response
  equilibrium to its limit, which is a sequential equilibrium (used for the games
  with a unique sequential equilibrium: deterrence, bargaining, brinkmanship);
* ``qre.logit_solve_lambda`` gives the logit QRE at a finite precision, to check the
  simulator's logit choice rule.

Actions carry labels unique across the game (``accept|sincere``) so equilibria come
back as a flat ``{action: probability}`` map. ``pygambit`` is a test dependency
(``pip install crisislab[test]``); it is imported on first use, and solving without it
raises ``ImportError`` with that advice.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from crisislab.games import bargaining, brinkmanship, deterrence, mediation, screening


def _gambit() -> Any:
    """Import pygambit on first use, with advice if it is missing."""
    try:
        import pygambit
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ImportError("the Gambit cross-checks need pygambit: pip install 'crisislab[test]'") from exc
    return pygambit


def q(x: float | Fraction | int) -> Fraction:
    """An exact rational for a parameter value (decimal text of the float)."""
    return x if isinstance(x, Fraction) else Fraction(repr(float(x)))


@dataclass
class Terminal:
    payoffs: tuple[Fraction, ...]


@dataclass
class Chance:
    branches: list[tuple[str, Fraction, Any]]


@dataclass
class Move:
    player: int  # 1-based
    infoset: str
    actions: list[tuple[str, Any]]


@dataclass
class Tree:
    """A game tree that serialises to Gambit's EFG format."""

    title: str
    players: list[str]
    root: Any
    _infosets: dict[tuple[int, str], int] = field(default_factory=dict)

    def efg(self) -> str:
        lines = [f'EFG 2 R "{self.title}" {{ ' + " ".join(f'"{p}"' for p in self.players) + " }", '""', ""]
        counters = {"outcome": 0, "chance": 0}
        per_player: dict[int, int] = {}

        def fmt(x: Fraction) -> str:
            return str(x.numerator) if x.denominator == 1 else f"{x.numerator}/{x.denominator}"

        def walk(node: Any) -> None:
            if isinstance(node, Terminal):
                counters["outcome"] += 1
                pays = ", ".join(fmt(p) for p in node.payoffs)
                lines.append(f't "" {counters["outcome"]} "" {{ {pays} }}')
            elif isinstance(node, Chance):
                counters["chance"] += 1
                acts = " ".join(f'"{a}" {fmt(p)}' for a, p, _ in node.branches)
                lines.append(f'c "" {counters["chance"]} "" {{ {acts} }} 0')
                for _, _, child in node.branches:
                    walk(child)
            else:
                key = (node.player, node.infoset)
                if key not in self._infosets:
                    per_player[node.player] = per_player.get(node.player, 0) + 1
                    self._infosets[key] = per_player[node.player]
                acts = " ".join(f'"{a}"' for a, _ in node.actions)
                lines.append(f'p "" {node.player} {self._infosets[key]} "{node.infoset}" {{ {acts} }} 0')
                for _, child in node.actions:
                    walk(child)

        walk(self.root)
        return "\n".join(lines) + "\n"

    def game(self) -> Any:
        return _gambit().read_efg(io.StringIO(self.efg()))


def behaviour(profile: Any) -> dict[str, float]:
    """Flatten a Gambit behaviour profile to ``{action label: probability}``."""
    out: dict[str, float] = {}
    for mb in profile:
        for _history, ma in mb:
            for action, prob in ma:
                out[str(action)] = float(prob)
    return out


def nash_all(tree: Tree) -> list[dict[str, float]]:
    """All extreme Nash equilibria (two players), as behaviour maps (exact rationals),
    each with Gambit's expected payoffs under ``payoff|<player>``."""
    res = _gambit().nash.enummixed_solve(tree.game(), rational=True)
    out = []
    for eq in res.equilibria:
        b = behaviour(eq.as_behavior())
        b.update({f"payoff|{pl}": float(eq.payoffs[pl]) for pl in tree.players})
        out.append(b)
    return out


def logit_limit(tree: Tree) -> dict[str, float]:
    """The limit of the principal logit QRE branch: a sequential equilibrium."""
    res = _gambit().nash.logit_solve(tree.game(), maxregret=1e-10)
    return behaviour(res.equilibrium)


def logit_at(tree: Tree, lam: float) -> dict[str, float]:
    """The agent logit QRE at precision ``lam`` (probabilities proportional to exp(lam * value))."""
    res = _gambit().qre.logit_solve_lambda(tree.game(), lam=[lam])
    return behaviour(res[0].profile)


# --------------------------------------------------------------------------- deterrence


def deterrence_tree(p: deterrence.Params) -> Tree:
    """Coalition picks ``n`` premature contacts; the adversary then aggresses or holds."""
    d = p.model_dump()
    branches = []
    for n in range(p.max_contacts + 1):
        cost = float(deterrence.expected_cost(d, deterrence.permanence_after(d, n)))
        margin = q(p.gain) - q(cost)
        talk = n * q(p.talk_benefit)
        adv = Move(2, f"after{n}", [(f"aggress|{n}", Terminal((talk - q(p.coalition_loss), margin))), (f"hold|{n}", Terminal((talk, Fraction(0))))])
        branches.append((f"contacts|{n}", adv))
    return Tree("deterrence talk game", ["coalition", "adversary"], Move(1, "root", branches))


def deterrence_choice_tree(p: deterrence.Params) -> Tree:
    """The adversary's single choice at the current permanence (for the logit QRE check)."""
    cost = float(deterrence.expected_cost(p.model_dump(), deterrence.permanence_after(p.model_dump(), p.contacts)))
    return Tree("deterrence choice", ["adversary", "nobody"], Move(1, "choice", [("aggress", Terminal((q(p.gain) - q(cost), Fraction(0)))), ("hold", Terminal((Fraction(0), Fraction(0))))]))


# --------------------------------------------------------------------------- screening


def screening_tree(p: screening.Params) -> Tree:
    """The offer subgame: nature draws the type, the adversary answers, the coalition responds."""

    def branch(t: str, deal: float, war: float, sq: float, cdeal: float, cwar: float, csq: float) -> Any:
        after_reject = Move(1, "after_reject", [("respond", Terminal((q(cwar), q(war)))), ("hold_back", Terminal((q(csq), q(sq))))])
        return Move(2, t, [(f"accept|{t}", Terminal((q(cdeal), q(deal)))), (f"reject|{t}", after_reject)])

    root = Chance(
        [
            ("sincere", q(p.prior_sincere), branch("sincere", p.sincere_deal, p.sincere_war, p.sincere_status_quo, p.coalition_deal_sincere, p.coalition_war_sincere, p.coalition_status_quo_sincere)),
            ("aggressive", 1 - q(p.prior_sincere), branch("aggressive", p.aggressive_deal, p.aggressive_war, p.aggressive_status_quo, p.coalition_deal_aggressive, p.coalition_war_aggressive, p.coalition_status_quo_aggressive)),
        ]
    )
    return Tree("screening offer subgame", ["coalition", "adversary"], root)


def screening_pbe(p: screening.Params) -> list[dict[str, float]]:
    """Gambit's Nash equilibria of the offer subgame that are perfect Bayesian.

    The only information set that can be off the path is the coalition's after a
    rejection; an equilibrium is kept if the coalition's response there is a best
    reply to the Bayes posterior (when reached) or to some belief (when not).
    """
    A = p.coalition_war_sincere - p.coalition_status_quo_sincere
    B = p.coalition_war_aggressive - p.coalition_status_quo_aggressive
    out = []
    for b in nash_all(screening_tree(p)):
        a_s, a_g, r = b["accept|sincere"], b["accept|aggressive"], b["respond"]
        rej = p.prior_sincere * (1 - a_s) + (1 - p.prior_sincere) * (1 - a_g)
        if rej > 0:
            mu = p.prior_sincere * (1 - a_s) / rej
            gain = mu * A + (1 - mu) * B
            ok = (r == 1 and gain >= 0) or (r == 0 and gain <= 0) or abs(gain) < 1e-12
        else:
            ok = (r == 1 and max(A, B) >= 0) or (r == 0 and min(A, B) <= 0) or (min(A, B) <= 0 <= max(A, B))
        if ok:
            out.append({"a_sincere": a_s, "a_aggressive": a_g, "respond": r, "coalition_payoff": b["payoff|coalition"]})
    return out


# --------------------------------------------------------------------------- bargaining


def bargaining_tree(p: bargaining.Params) -> Tree:
    """Finite bargaining: offers that make one type indifferent; types; accept or fight.

    Indifferent types accept in the analytic solution; here war is made worse for the
    adversary by a tenth of the spacing between types, so the tie is broken the same way,
    strictly, without changing any other comparison.
    """
    costs = bargaining.type_costs(p)
    n = costs.size
    width = q(p.cost_high) - q(p.cost_low)
    tie_break = width / (10 * n) if width > 0 else Fraction(1, 1000)
    offers = [max(Fraction(0), q(p.p_win) - q(float(c))) for c in costs]
    war_c = 1 - q(p.p_win) - q(p.cost_coalition)
    branches = []
    for j, x in enumerate(offers):
        chance = Chance(
            [
                (
                    f"type{k}|{j}",
                    Fraction(1, n),
                    Move(2, f"o{j}t{k}", [(f"accept|{j}|{k}", Terminal((1 - x, x))), (f"fight|{j}|{k}", Terminal((war_c, q(p.p_win) - q(float(costs[k])) - tie_break)))]),
                )
                for k in range(n)
            ]
        )
        branches.append((f"offer|{j}", chance))
    return Tree("bargaining", ["coalition", "adversary"], Move(1, "offer", branches))


# --------------------------------------------------------------------------- mediation


def mediation_tree(p: mediation.Params) -> Tree:
    """Nature: type, then the mediator's signal; mediator: message; coalition: offer.

    The adversary's replies are folded into the payoffs (accepting an offer at least
    its war value is dominant). Players: coalition, mediator.
    """
    pw, cA = q(p.p_win), q(p.cost_coalition)
    xg, xs = pw - q(p.cost_strong), pw - q(p.cost_weak)
    war_c = 1 - pw - cA
    b, w, th = q(p.mediator_bias), q(p.peace_weight), q(p.mediator_accuracy)

    def outcome(strong: bool, generous: bool) -> Terminal:
        if generous:
            uc, ua, war = 1 - xg, xg, 0
        elif strong:
            uc, ua, war = war_c, pw - q(p.cost_strong), 1
        else:
            uc, ua, war = 1 - xs, xs, 0
        return Terminal((uc, b * uc + (1 - b) * ua - w * war))

    def coalition_after(msg: str, strong: bool) -> Move:
        return Move(1, f"heard_{msg}", [(f"generous|{msg}", outcome(strong, True)), (f"stingy|{msg}", outcome(strong, False))])

    def mediator(signal: str, strong: bool) -> Move:
        return Move(2, f"signal_{signal}", [(f"say_strong|{signal}", coalition_after("strong", strong)), (f"say_weak|{signal}", coalition_after("weak", strong))])

    def signals(strong: bool) -> Chance:
        right = "strong" if strong else "weak"
        wrong = "weak" if strong else "strong"
        return Chance([(f"sig_{right}|{strong}", th, mediator(right, strong)), (f"sig_{wrong}|{strong}", 1 - th, mediator(wrong, strong))])

    root = Chance([("strong", q(p.prior_strong), signals(True)), ("weak", 1 - q(p.prior_strong), signals(False))])
    return Tree("mediation", ["coalition", "mediator"], root)


def mediation_outcomes(p: mediation.Params) -> set[tuple[float, float]]:
    """Distinct outcome maps of Gambit's equilibria: P(generous | signal strong / weak)."""
    out = set()
    for b in nash_all(mediation_tree(p)):
        res = []
        for sig in ("strong", "weak"):
            pg = b[f"say_strong|{sig}"] * b["generous|strong"] + b[f"say_weak|{sig}"] * b["generous|weak"]
            res.append(round(pg, 9))
        out.add((res[0], res[1]))
    return out


# --------------------------------------------------------------------------- brinkmanship


def brinkmanship_tree(p: brinkmanship.Params) -> Tree:
    """Nature draws resolve; players alternate between backing down and escalating."""
    K = p.rungs
    rho = [q(float(r)) for r in brinkmanship.risks(K, p.risk_step)]
    vA, vC, cI, cC, wR = (q(x) for x in (p.stake_adversary, p.stake_coalition, p.cost_irresolute, p.cost_coalition, p.resolute_catastrophe))

    def stage(k: int, resolute: bool) -> Any:
        tag = "R" if resolute else "I"
        cat_adv = wR if resolute else -cI
        catastrophe = Terminal((-cC, cat_adv))
        if brinkmanship.mover(k) == "adversary":
            back = Terminal((vC, Fraction(0)))
            label, infoset, player = f"{tag}{k}", f"adv{tag}{k}", 2
        else:
            back = Terminal((Fraction(0), vA))
            label, infoset, player = f"C{k}", f"coal{k}", 1
        after: Terminal | Chance
        if k == K or rho[k - 1] == 1:
            after = catastrophe
        else:
            after = Chance([(f"boom|{tag}{k}", rho[k - 1], catastrophe), (f"calm|{tag}{k}", 1 - rho[k - 1], stage(k + 1, resolute))])
        return Move(player, infoset, [(f"back|{label}", back), (f"escalate|{label}", after)])

    root = Chance([("resolute", q(p.prior_resolute), stage(1, True)), ("irresolute", 1 - q(p.prior_resolute), stage(1, False))])
    return Tree("brinkmanship", ["coalition", "adversary"], root)
