"""Directional tests of the test-by-offer mechanisms M19–M24.

Paired arms over the same runs (same seed): the mechanism on vs off, or a lever at several
levels; each asserts the catalogue's direction with the paired 95 % CI excluding zero.
"""

from __future__ import annotations

import numpy as np
from tests.mechanisms.conftest import (
    arm,
    assert_negative,
    assert_positive,
    diff_ci,
    levers,
    off,
    paired_diff,
    probe,
    scenario,
)

from crisislab.experiments.compare import mean_ci
from crisislab.model.mechanisms.screening import best_deal
from crisislab.model.params import compile_scenario

RUNS = 2000


def _types(field: str, value: float, n: int = 3) -> dict[str, float]:
    """Override one parameter of every adversary type."""
    return {f"adversary.types.{i}.{field}": value for i in range(n)}


# --- M19 ------------------------------------------------------------------------------


def test_m19_screening_offer():
    """A conditional offer moves the coalition's posterior toward the true type, and each
    type accepts at its analytic rate ``p_accept_offer`` (within the binomial 95 % CI).

    One week, one offer, and an uninformative intelligence signal, so that only the
    response to the offer moves the belief."""
    runs = 4000
    ov = {"horizon_weeks": 1, "mechanisms.screening_offer.params.signal_noise": 1e6}
    silent = arm("toy-3", levers(offer=False), runs=runs, overrides=ov)
    offered = arm("toy-3", levers(offer=True), runs=runs, overrides=ov)
    sc = scenario("toy-3")
    w = np.array([t.weight for t in sc.adversary.types])
    w = w / w.sum()
    pa = np.array([t.p_accept_offer for t in sc.adversary.types])
    for i, t in enumerate(sc.adversary.types):
        sel = (offered["adversary_type"] == t.name).to_numpy()
        n = int(sel.sum())
        rate = float(offered["offer_accepted"][sel].mean())
        half = 1.96 * np.sqrt(pa[i] * (1 - pa[i]) / n)
        assert abs(rate - pa[i]) <= half, f"M19 {t.name}: accepted {rate:.3f} of {n}, analytic {pa[i]} +- {half:.3f}"
        # the posterior on the true type rises above the prior it keeps without the offer
        gain = offered["belief_true_type"][sel].to_numpy() - silent["belief_true_type"][sel].to_numpy()
        assert np.allclose(silent["belief_true_type"][sel], w[i], atol=1e-6)
        assert_positive(diff_ci(gain), f"M19 {t.name}: posterior on the true type, offer - none")
        # and its mean agrees with Bayes' rule: E[posterior] = p * post(accept) + (1 - p) * post(reject)
        post_acc = w[i] * pa[i] / (w @ pa)
        post_rej = w[i] * (1 - pa[i]) / (w @ (1 - pa))
        expected = pa[i] * post_acc + (1 - pa[i]) * post_rej
        m, lo, hi = mean_ci(offered["belief_true_type"][sel].to_numpy())
        assert lo <= expected <= hi, f"M19 {t.name}: mean posterior {m:.4f} [{lo:.4f}, {hi:.4f}], Bayes {expected:.4f}"
    overall = float(offered["offer_accepted"].mean())
    p_all = float(w @ pa)
    assert abs(overall - p_all) <= 1.96 * np.sqrt(p_all * (1 - p_all) / runs)
    # without M19 no offer is ever answered
    no_m19 = arm("toy-3", levers(offer=True), runs=runs, overrides=ov | off("screening_offer"))
    assert (no_m19["offer_accepted"] == 0).all()


# --- M20 ------------------------------------------------------------------------------


def test_m20_agenda_linkage():
    """Linking items widens the zone of agreement versus item-by-item talks: for every
    mandate breadth and adversary reservation the package's best deal leaves at least as
    much surplus to the worse-off side, strictly more for some; in simulation linked
    talks have a wider zone, settle more often and extract more concessions."""
    p = compile_scenario(scenario("toy-3"))
    n_items = len(p.agenda_names)
    wider = 0
    for breadth in range(n_items + 1):
        for r_a in np.linspace(0.0, 1.0, 21):
            _, z_item = best_deal(p, breadth, False, float(r_a))
            _, z_link = best_deal(p, breadth, True, float(r_a))
            assert z_link >= z_item - 1e-12, f"M20 breadth {breadth}, reservation {r_a}: {z_link} < {z_item}"
            wider += z_link > z_item + 1e-9
    assert wider > 20

    def talks(linked: bool):
        return levers(talks=True, link_agenda=linked, sanction_floor=1)

    item, r_item = probe("toy-3", talks(False), ("zone",), runs=RUNS)
    link, r_link = probe("toy-3", talks(True), ("zone",), runs=RUNS)
    assert_positive(diff_ci(r_link["zone"][:, 0] - r_item["zone"][:, 0]), "M20 linked - item by item, zone in week 1")
    assert_positive(paired_diff(item, link, "p_settlement"), "M20 linked - item by item, P(settlement)")
    assert_positive(paired_diff(item, link, "adversary_concessions"), "M20 linked - item by item, concessions")


# --- M21 ------------------------------------------------------------------------------


def test_m21_forswear_destabilizing():
    """A destabilising move (an escalation) while talks run ends the talks within the same
    step, every time; without M21 most such talks carry on."""
    d = levers(talks=True, sanction_floor=1)
    fields = ("talks_open", "action")
    runs = 1000
    for switched_off, expect_closed in ((False, True), (True, False)):
        ov = off("forswear_destabilizing") if switched_off else None
        _, before = probe("toy-3", d, fields, runs=runs, overrides=ov, before="forswear_destabilizing")
        _, after = probe("toy-3", d, fields, runs=runs, overrides=ov)
        assert (before["action"] == after["action"]).all()
        violation = before["talks_open"] & (before["action"] > 0)
        assert violation.sum() > 1000, "too few violations to test"
        still_open = after["talks_open"][violation]
        if expect_closed:
            assert not still_open.any(), f"M21: {still_open.sum()} of {violation.sum()} violated talks stayed open"
        else:
            assert still_open.mean() > 0.5, f"without M21 only {still_open.mean():.2f} of violated talks stayed open"


# --- M22 ------------------------------------------------------------------------------


def test_m22_preplanned_responses():
    """Pre-planned packages lower the response lag and raise deterrence (M05)."""
    def pair(extra=None):
        ad_hoc = arm("toy-3", levers(pre_planned=False, sanction_floor=1), runs=RUNS, overrides=extra)
        planned = arm("toy-3", levers(pre_planned=True, sanction_floor=1), runs=RUNS, overrides=extra)
        return ad_hoc, planned

    ad_hoc, planned = pair()
    assert (planned["response_lag"] == 0).all()
    assert_negative(paired_diff(ad_hoc, planned, "response_lag"), "M22 planned - ad hoc, response lag")
    assert_negative(paired_diff(ad_hoc, planned, "peak_escalation"), "M22 planned - ad hoc, peak escalation")
    assert_negative(paired_diff(ad_hoc, planned, "p_war"), "M22 planned - ad hoc, P(war)")
    # part of the deterrence runs through M05: the package deters more when M05 is on
    ad_hoc0, planned0 = pair(off("deterrence_inequality"))
    with_m05 = planned["peak_escalation"].to_numpy() - ad_hoc["peak_escalation"].to_numpy()
    without = planned0["peak_escalation"].to_numpy() - ad_hoc0["peak_escalation"].to_numpy()
    assert_negative(diff_ci(with_m05 - without), "M22 effect on peak escalation, M05 on - off")


# --- M23 ------------------------------------------------------------------------------


def test_m23_adversary_psychology():
    """Higher paranoia -> stronger M14 hardening (aid raises resolve and escalation more);
    stature weight makes face-saving offers (M26) work."""
    fields = ("adversary_resolve",)
    res = {
        (par, aid): probe("toy-3", levers(aid=aid, sanction_floor=1), fields, runs=RUNS, overrides=_types("paranoia", par))
        for par in (0.1, 0.9)
        for aid in (0.0, 1.0)
    }

    def aid_effect(par: float, what: str) -> np.ndarray:
        (lo, r_lo), (hi, r_hi) = res[par, 0.0], res[par, 1.0]
        if what == "resolve":
            return r_hi["adversary_resolve"][:, -1] - r_lo["adversary_resolve"][:, -1]
        return hi[what].to_numpy() - lo[what].to_numpy()

    for what in ("resolve", "peak_escalation", "p_war"):
        assert_positive(diff_ci(aid_effect(0.9, what) - aid_effect(0.1, what)), f"M23 aid effect on {what}, paranoia 0.9 - 0.1")
    assert_positive(diff_ci(aid_effect(0.9, "peak_escalation")), "M23 aid 1 - 0 against a paranoid adversary, peak")

    # stature: an off-ramp raises the share of weeks the adversary steps down, more so for
    # stature-minded adversaries
    ramp = {}
    for sw in (0.1, 0.9):
        weeks = []
        for use in (False, True):
            _, rec = probe("toy-3", levers(off_ramp=use, sanction_floor=1), ("action",), runs=RUNS, overrides=_types("stature_weight", sw))
            weeks.append((rec["action"] < 0).mean(axis=1))
        ramp[sw] = weeks[1] - weeks[0]
    assert_positive(diff_ci(ramp[0.9] - ramp[0.1]), "M23 off-ramp effect on P(de-escalation), stature 0.9 - 0.1")


# --- M24 ------------------------------------------------------------------------------


def test_m24_accession_unanimity():
    """One veto blocks enlargement: the coalition seeks enlargement from week 1 and a
    single member with a veto that objects is enough to stop it."""
    d = levers(seek_enlargement=True, sanction_floor=1)
    ov = {"horizon_weeks": 8}
    # toy-3: Doveland (stance 0.25) objects below 0.25
    dv = "coalition.members.2"
    agree = arm("toy-3", d, runs=1000, overrides=ov | {f"{dv}.stance": 0.3})
    one_no = arm("toy-3", d, runs=1000, overrides=ov | {f"{dv}.stance": 0.2})
    no_veto = arm("toy-3", d, runs=1000, overrides=ov | {f"{dv}.stance": 0.2, f"{dv}.veto": False})
    assert (agree["enlarged"] == 1).all()
    assert (one_no["enlarged"] == 0).all()
    assert (no_veto["enlarged"] == 1).all()
    # EU-27 + partners: Hungary alone blocks; without its veto, or with its objection
    # withdrawn, enlargement passes
    names = [m.name for m in scenario("eu-russia").coalition.members]
    hu = f"coalition.members.{names.index('Hungary')}"
    eu = arm("eu-russia", d, runs=300, overrides=ov)
    eu_no_veto = arm("eu-russia", d, runs=300, overrides=ov | {f"{hu}.veto": False})
    eu_agree = arm("eu-russia", d, runs=300, overrides=ov | {f"{hu}.stance": 0.3})
    assert (eu["enlarged"] == 0).all()
    assert (eu_no_veto["enlarged"] == 1).all() and (eu_agree["enlarged"] == 1).all()
    # and the enlargement is what the adversary then perceives as a threat (M23)
    _, r_agree = probe("toy-3", d, ("threat_perception",), runs=1000, overrides=ov | {f"{dv}.stance": 0.3})
    _, r_block = probe("toy-3", d, ("threat_perception",), runs=1000, overrides=ov | {f"{dv}.stance": 0.2})
    diff = r_agree["threat_perception"].mean(axis=1) - r_block["threat_perception"].mean(axis=1)
    assert_positive(diff_ci(diff), "M24 enlarged - blocked, threat perception")
