"""Directional tests of the negotiating-under-fire mechanisms M25–M31.

Paired arms over the same runs (same seed): the mechanism on vs off, or a lever at several
levels; each asserts the catalogue's direction with the paired 95 % CI excluding zero.
"""

from __future__ import annotations

import numpy as np
from scipy import stats
from tests.mechanisms.conftest import (
    LASTING,
    arm,
    assert_monotone,
    assert_negative,
    assert_positive,
    ci_text,
    diff_ci,
    levers,
    off,
    paired_diff,
    probe,
    scenario,
)

from crisislab.model.mechanisms.screening import best_deal, frontier, tradable_items
from crisislab.model.params import compile_scenario

RUNS = 2000


def _types(field: str, value: float, n: int = 3) -> dict[str, float]:
    return {f"adversary.types.{i}.{field}": value for i in range(n)}


# --- M25 ------------------------------------------------------------------------------


def test_m25_mediation():
    """Mediated runs settle more often; manipulation > formulation > facilitation."""

    def talks(mediator: bool):
        return levers(talks=True, link_agenda=True, mediator=mediator, sanction_floor=1)

    direct = arm("toy-3", talks(False), runs=RUNS)
    styles = ("facilitation", "formulation", "manipulation")
    mediated = [arm("toy-3", talks(True), runs=RUNS, overrides={"mediator.style": s}) for s in styles]
    assert_positive(paired_diff(direct, mediated[0], "p_settlement"), "M25 mediated (facilitation) - direct, P(settlement)")
    assert_monotone(mediated, "p_settlement", +1, "M25 mediation style", styles)
    no_m25 = arm("toy-3", talks(True), runs=RUNS, overrides=off("mediation"))
    assert (no_m25["p_settlement"].to_numpy() == direct["p_settlement"].to_numpy()).all()


# --- M26 ------------------------------------------------------------------------------


def _deescalation_share(overrides: dict | None, use: bool) -> tuple[np.ndarray, np.ndarray]:
    """Share of weeks in which the adversary stepped down, and the run's type."""
    out, rec = probe("toy-3", levers(off_ramp=use, sanction_floor=1), ("action",), runs=RUNS, overrides=overrides)
    return (rec["action"] < 0).mean(axis=1), out["adversary_type"].to_numpy()


def _gap(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
    """Difference of two independent means with its normal 95 % CI (Welch's standard error)."""
    d = float(a.mean() - b.mean())
    se = float(np.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size))
    return d, d - 1.96 * se, d + 1.96 * se


def test_m26_off_ramp():
    """Off-ramps raise P(de-escalation), most for high stature-weight types."""
    # every type given the same stature weight, at three levels
    levels = (0.1, 0.5, 0.9)
    effect = {}
    for sw in levels:
        without, _ = _deescalation_share(_types("stature_weight", sw), False)
        with_ramp, _ = _deescalation_share(_types("stature_weight", sw), True)
        effect[sw] = with_ramp - without
        assert_positive(diff_ci(effect[sw]), f"M26 off-ramp - none at stature weight {sw}")
    for lo, hi in zip(levels, levels[1:], strict=False):
        assert_positive(diff_ci(effect[hi] - effect[lo]), f"M26 off-ramp effect, stature weight {hi} - {lo}")
    # toy-3's own types: stature weight 0.6 (sincere) > 0.5 (opportunistic) > 0.3 (revisionist)
    without, types = _deescalation_share(None, False)
    with_ramp, _ = _deescalation_share(None, True)
    effect = with_ramp - without
    names = ("sincere_defensive", "opportunistic", "revisionist")
    for hi, lo in zip(names, names[1:], strict=False):  # the gap between two groups of runs, with its CI
        d = _gap(effect[types == hi], effect[types == lo])
        assert d[1] > 0, f"M26 off-ramp effect, {hi} - {lo}: {ci_text(d)}"


# --- M27 ------------------------------------------------------------------------------


def test_m27_brinkmanship():
    """Higher shared risk -> more concessions AND more catastrophes (the trade-off)."""
    risk = (0.0, 0.3, 0.6, 0.9)
    arms = [arm("toy-3", levers(risk=r, sanction_floor=1), runs=3000) for r in risk]
    assert_monotone(arms, "adversary_concessions", +1, "M27 shared risk", risk)
    assert_monotone(arms, "catastrophes", +1, "M27 shared risk", risk)
    # P(nuclear use) itself is too rare to resolve at these run counts (see test_catastrophe)
    # (shared risk also ends crises sooner by concession, so it is M27's own loss-of-control
    # risk that rises, not every accident's)
    assert_monotone(arms, "catastrophe_risk", +1, "M27 shared risk", risk)


# --- M28 ------------------------------------------------------------------------------


def test_m28_messaging_discipline():
    """Disciplined messaging lowers escalation and raises mediator trust (and narrows the
    spread of statements M09 reads)."""
    tone = (0.0, 0.5, 1.0)  # insults .. disciplined, empathetic
    res = [
        probe("toy-3", levers(messaging=m, sanction_floor=1), ("mediator_trust", "statement_sd"), runs=RUNS, overrides=LASTING)
        for m in tone
    ]
    arms = [
        out.assign(trust=rec["mediator_trust"][:, -1], sd=rec["statement_sd"].mean(axis=1)) for out, rec in res
    ]
    assert_monotone(arms, "trust", +1, "M28 messaging discipline", tone)
    assert_monotone(arms, "peak_escalation", -1, "M28 messaging discipline", tone)
    assert_monotone(arms, "p_war", -1, "M28 messaging discipline", tone)
    assert_monotone(arms, "sd", -1, "M28 messaging discipline", tone)


# --- M29 ------------------------------------------------------------------------------


def test_m29_cross_domain_stratagems():
    """Cross-domain moves raise coalition dissent (polarisation)."""
    p_cyber = (0.0, 0.25, 0.5)
    arms = [
        arm("toy-3", levers(sanction_floor=1), runs=RUNS, overrides={"mechanisms.cross_domain_stratagems.params.p_cyber": x})
        for x in p_cyber
    ]
    assert_monotone(arms, "cyber_ops", +1, "M29 propensity", p_cyber)
    assert_monotone(arms, "polarisation", +1, "M29 propensity", p_cyber)


# --- M30 ------------------------------------------------------------------------------


def test_m30_economic_contagion():
    """High-exposure members defect first; contagion lowers cohesion over time.

    EU-27 + partners under the isolation doctrine (sanctions ratchet up) for 52 weeks."""
    sc = scenario("eu-russia")
    p = compile_scenario(sc)
    threshold = p.k["economic_contagion"]["defect_below"]
    on, r_on = probe("eu-russia", "isolation", ("support",), runs=1000)
    _, r_off = probe("eu-russia", "isolation", ("support",), runs=1000, overrides=off("economic_contagion"))
    support = r_on["support"]  # [runs, weeks, members]
    weeks = support.shape[1]
    below = support < threshold
    first_defection = np.where(below.any(axis=1), below.argmax(axis=1) + 1, weeks + 1).astype(float)
    order = np.argsort(-p.trade_exposure)
    top, rest = order[:5], order[5:]
    gap = first_defection[:, top].mean(axis=1) - first_defection[:, rest].mean(axis=1)
    assert_negative(diff_ci(gap), "M30 first defection week, 5 most exposed - the rest")
    # across members: the more exposed, the sooner support falls by 0.1 from its start
    fallen = support < support[:, :1, :] - 0.1
    first_fall = np.where(fallen.any(axis=1), fallen.argmax(axis=1) + 1, weeks + 1).mean(axis=0)
    rho, pval = stats.spearmanr(p.trade_exposure, first_fall)
    assert rho < -0.8 and pval < 0.01, f"M30 rank correlation exposure vs week support falls: {rho:.2f} (p={pval:.2g})"
    # without M30 nobody defects, and sanctions cost the sanctioners nothing
    assert not (r_off["support"] < threshold).any()
    off_out = arm("eu-russia", "isolation", runs=1000, overrides=off("economic_contagion"))
    assert_positive(paired_diff(off_out, on, "coalition_cost"), "M30 on - off, coalition cost")
    # cohesion: the gap to the no-contagion runs widens quarter by quarter
    cohesion_gap = (r_on["support"] - r_off["support"]) @ p.weight  # [runs, weeks]
    quarters = [12, 25, 38, 51]
    assert_negative(diff_ci(cohesion_gap[:, quarters[0]]), "M30 cohesion on - off after one quarter")
    for a, b in zip(quarters, quarters[1:], strict=False):
        assert_negative(diff_ci(cohesion_gap[:, b] - cohesion_gap[:, a]), f"M30 cohesion gap, week {b + 1} - week {a + 1}")
    assert np.allclose(cohesion_gap[:, -1], on["final_cohesion"].to_numpy() - (r_off["support"][:, -1] @ p.weight))


# --- M31 ------------------------------------------------------------------------------


def _red_line_moves(p) -> tuple[int, int, int]:
    """Over every mandate breadth, linked and item-by-item agendas and a grid of adversary
    reservations: how many frontier deals and best deals move a red-line item away from
    the coalition's position, and how many best deals were checked."""
    red = p.red_line
    n = len(p.agenda_names)
    moved_frontier = moved_best = checked = 0
    for breadth in range(n + 3):
        for linked in (False, True):
            deals, _, _ = frontier(p, breadth, linked)
            moved_frontier += int((np.abs(deals[:, red] - p.pos_c[red]) > 1e-12).any(axis=1).sum())
            for r_a in np.linspace(0.0, 1.0, 21):
                deal, _ = best_deal(p, breadth, linked, float(r_a))
                checked += 1
                moved_best += int((np.abs(deal[red] - p.pos_c[red]) > 1e-12).any())
    return moved_frontier, moved_best, checked


def test_m31_non_negotiable_concessions():
    """No generated deal ever trades a red-line item; with M31 off some deal does."""
    cases = {
        "toy-3": scenario("toy-3"),
        "eu-russia": scenario("eu-russia"),
        # a second red line, on the item the adversary values most relative to the coalition
        "toy-3, enlargement a red line too": scenario("toy-3", {"agenda.0.red_line": True}),
        # without M08 the envoy's mandate no longer limits what is tradable: only M31 guards
        "toy-3, no mandate limit (M08 off)": scenario("toy-3", off("mandate_paradox")),
    }
    for label, sc in cases.items():
        p = compile_scenario(sc)
        assert p.red_line.any()
        for breadth in range(len(p.agenda_names) + 3):
            assert not tradable_items(p, breadth)[p.red_line].any(), f"M31 {label}: red line tradable at breadth {breadth}"
        moved_frontier, moved_best, checked = _red_line_moves(p)
        assert checked > 0 and moved_frontier == 0 and moved_best == 0, f"M31 {label}: {moved_frontier} frontier and {moved_best} best deals move a red line"
        # switched off, a wide enough mandate does trade the red line
        p_off = compile_scenario(sc.with_overrides(off("non_negotiable_concessions")))
        moved_frontier, moved_best, _ = _red_line_moves(p_off)
        assert moved_frontier > 0 and moved_best > 0, f"M31 off, {label}: no deal moved a red line"
