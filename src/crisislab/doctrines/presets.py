"""The six doctrines named in the sources. Which one does best is never written here: it
comes out of the model and its parameters, above all the adversary's type."""

from __future__ import annotations

import numpy as np

from crisislab.doctrines.base import Doctrine, every, type_index
from crisislab.doctrines.conditionality import Conditionality  # run by the policy engine
from crisislab.model.mechanisms.registry import SOURCES
from crisislab.model.state import Actions, Observation


class Isolation(Doctrine):
    name = "isolation"
    source = SOURCES["001"]
    summary = "No talks and no channels; sanctions ratchet up on a schedule and on every escalation; steady aid."
    levers = ("talks", "hotline", "sanction_floor", "respond", "aid")
    mechanisms = ("deterrence_inequality", "credibility_decay", "misperception", "economic_contagion")
    defaults = {"ratchet_weeks": 13, "aid": 0.5}

    def act(self, obs: Observation) -> Actions:
        floor = min(1 + obs.week // max(int(self.params["ratchet_weeks"]), 1), obs.n_tranches)
        return Actions(talks=False, hotline=False, respond=True, sanction_floor=floor, aid=self.params["aid"])


class UnilateralOutreach(Doctrine):
    name = "unilateral_outreach"
    source = SOURCES["000"]
    summary = "No common channel: members whose costs or stance push them open their own channels to the adversary."
    levers = ("unilateral", "centralised", "respond", "aid", "hotline")
    mechanisms = ("leverage_dilution", "credibility_decay", "frontline_trust", "selective_engagement", "economic_contagion")
    defaults = {"stance_below": 0.3, "cost_above": 0.004, "support_below": 0.55, "contact_every": 4, "aid": 0.5}

    def act(self, obs: Observation) -> Actions:
        pr = self.params
        pushed = (obs.stance < pr["stance_below"]) | (obs.member_cost > pr["cost_above"]) | (obs.support < pr["support_below"])
        m = obs.stance.shape[1]
        turn = (obs.week + np.arange(m)) % max(int(pr["contact_every"]), 1) == 0
        return Actions(unilateral=pushed & turn[None, :], centralised=False, respond=True, aid=pr["aid"], hotline=False)


class OpenChannels(Doctrine):
    name = "open_channels"
    source = SOURCES["001"]
    summary = "Regular, coordinated talks with a hotline and no preconditions; high-level meetings at a fixed rhythm."
    levers = ("talks", "high_level", "hotline", "centralised", "respond", "aid", "messaging")
    mechanisms = ("misperception", "dialogue_consistency", "zero_sum_misreading", "domestic_exploitation", "credibility_decay")
    defaults = {"talk_every": 1, "high_level_every": 4, "aid": 0.5}

    def act(self, obs: Observation) -> Actions:
        pr = self.params
        return Actions(
            talks=every(obs.week, int(pr["talk_every"])),
            high_level=every(obs.week, int(pr["high_level_every"])),
            hotline=True,
            centralised=True,
            respond=True,
            aid=pr["aid"],
            messaging=0.6,
        )


class TestByOffer(Doctrine):
    name = "test_by_offer"
    source = SOURCES["002"]
    summary = "Offer talks on condition of demobilisation; accept → package talks with destabilising moves forsworn; reject → pre-planned responses fire."
    levers = ("offer", "talks", "high_level", "pre_planned", "link_agenda", "seek_enlargement", "hotline", "centralised", "respond", "aid")
    mechanisms = ("screening_offer", "agenda_linkage", "forswear_destabilizing", "preplanned_responses", "accession_unanimity")
    defaults = {"reoffer_every": 8, "surge_above": 0.6, "aid": 0.5}

    def act(self, obs: Observation) -> Actions:
        pr = self.params
        accepted = obs.offer_state == 1
        offer = ~accepted & ~obs.talks_open & every(obs.week, int(pr["reoffer_every"]))
        rev = type_index(obs, "revisionist", -1)
        aid = np.where(obs.belief[:, rev] > pr["surge_above"], 1.0, pr["aid"])
        return Actions(
            offer=offer,
            talks=accepted,
            high_level=accepted,
            pre_planned=True,
            link_agenda=True,
            seek_enlargement=obs.offer_state == 2,
            hotline=True,
            centralised=True,
            respond=True,
            aid=aid,
        )


class MediatedOfframp(Doctrine):
    name = "mediated_offramp"
    source = SOURCES["003"]
    summary = "Talks through a trusted mediator, a face-saving exit, disciplined messaging, calibrated risk, red lines held."
    levers = ("talks", "high_level", "mediator", "off_ramp", "messaging", "risk", "link_agenda", "hotline", "centralised", "respond", "aid")
    mechanisms = ("mediation", "off_ramp", "messaging_discipline", "brinkmanship", "non_negotiable_concessions")
    defaults = {"risk": 0.15, "messaging": 0.9, "aid": 0.5}

    def act(self, obs: Observation) -> Actions:
        pr = self.params
        return Actions(
            talks=True,
            high_level=False,
            mediator=True,
            off_ramp=True,
            messaging=pr["messaging"],
            risk=pr["risk"],
            link_agenda=True,
            hotline=True,
            centralised=True,
            respond=True,
            aid=pr["aid"],
        )


PRESETS: dict[str, type[Doctrine]] = {
    cls.name: cls for cls in (Isolation, UnilateralOutreach, Conditionality, OpenChannels, TestByOffer, MediatedOfframp)
}
