"""The ``conditionality`` doctrine: the Conditionality Framework run by the policy engine.

Every simulated week the doctrine turns what the coalition observes into CAMEO-coded
events, feeds them to :class:`crisislab.policy.vector.VectorEngine` (the same rules, and the
same policy file, that ``crisislab policy replay`` applies to real event streams) and acts
on the engine's decisions:

========================================  ==============================================
observed last week (per run)               events fed this week (day = 7 x week)
========================================  ==============================================
rung 1 after a climb                       adversary threatens force (138)
rung 2-3                                   show of force (150), plus mobilisation (154)
                                           after a climb
rung 4 and up                              fighting (190 / 195, 2042 at nuclear use)
de-escalation                              de-escalation (087) reported by two monitors
change sustained (verified weeks > 0)      international access (086) and intent to
                                           de-escalate (0356), two monitors
a climb while talks are open               accusation (112) and threat (138) in the forum
a talks round is open                      the envoy's offer of sanctions relief (0351, a
                                           tradable item), and once the change has held
                                           ``offer_outside_weeks``, an offer on alliance
                                           enlargement (035, outside the mandate)
no round and no vote open                the envoy asks for talks (036)
a frontline vote is open (after that)      each holder vetoes (129), consents (051) or
                                           stays silent, from its trust and stance
every week                                 the coalition's situation statement (010),
                                           which no rule reads: it dates the stream
========================================  ==============================================

and then: ``talks`` is the engine's open round, ``sanction_floor`` the tranche its
triggers have reached. The model is told that the framework is in force through its flags:
``veto`` (outreach went through the frontline vote, so it does not bypass them, M07) and
``triggers`` (pre-approved responses, so no response lag, M02). ``require_earned`` is left
off: whether talks are earned is decided by the engine, not by the model's own gate.

The mandate block checks the envoy's offers: an offer outside the mandate, or past the
round's limit of offers, is a limit hit (``mandate_limit``). A week in which the envoy hits
its mandate's limit, the coalition asks the capitals to widen the mandate
(``widen_mandate``): the Council votes on it (M08, :mod:`crisislab.council.interface`) and a
wider mandate reaches more deals (M20). Without the block, offers are not checked, the envoy
never learns where its mandate ends, and no widening is asked for.

Parameters ``earned_talks``, ``mandate``, ``triggers`` and ``veto`` switch the blocks (a),
(b) (its mandate part) and (c) of the policy off for ablations; ``policy`` names another
policy file.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from crisislab.doctrines.base import Doctrine
from crisislab.model.mechanisms.registry import SOURCES
from crisislab.model.params import Params
from crisislab.model.state import Actions, Observation
from crisislab.policy.cameo import roots_table
from crisislab.policy.compiled import CompiledPolicy
from crisislab.policy.engine import Decision
from crisislab.policy.events import Event
from crisislab.policy.load import load_policy, policy_from_dict
from crisislab.policy.vector import VectorEngine

ADVERSARY, DEFENDER, ENVOY = "Adversary", "Defender", "Coalition"
MONITORS = ("monitor A", "monitor B")
FORUM = "talks"
WAR_CODES = {4: "190", 5: "195", 6: "195", 7: "2042"}


class Conditionality(Doctrine):
    name = "conditionality"
    source = SOURCES["000"]
    summary = "Talks only as a reward for verified change, automatic penalty triggers, and a frontline veto over outreach."
    levers = ("talks", "high_level", "require_earned", "triggers", "veto", "centralised", "hotline", "respond", "aid", "messaging", "link_agenda", "sanction_floor", "widen_mandate")
    mechanisms = ("conditionality_framework", "credibility_decay", "domestic_exploitation", "validation_trap", "frontline_trust", "escalation_dominance", "mandate_paradox")
    defaults: ClassVar[dict[str, Any]] = {
        "earned_talks": True,
        "mandate": True,
        "triggers": True,
        "veto": True,
        "aid": 0.5,
        "hotline": True,
        "policy": "conditionality",
        # how frontline holders vote: veto when their trust is below veto_trust, or when they
        # are hawkish (stance >= veto_stance) and the change has held fewer than
        # veto_verified_weeks; consent when dovish (stance < consent_stance) or the change has
        # held long enough; otherwise stay silent
        "veto_trust": 0.4,
        "veto_stance": 0.7,
        "veto_verified_weeks": 2,
        "consent_stance": 0.55,
        # the envoy offers on an item outside its mandate once the change has held this long
        "offer_outside_weeks": 2,
        "record": False,
        "names": None,  # {"adversary", "defender", "envoy"} actor names for exported events
    }

    # -- set-up -------------------------------------------------------------------------

    def reset(self, params: Params, runs: int) -> None:
        super().reset(params, runs)
        names = dict(self.params["names"] or {})
        self.adv = str(names.get("adversary", ADVERSARY))
        self.dfd = str(names.get("defender", DEFENDER))
        self.envoy = str(names.get("envoy", ENVOY))
        self.holders = [n for n, h in zip(params.member_names, params.veto_holder, strict=True) if h]
        self.holder_idx = np.array([i for i, h in enumerate(params.veto_holder) if h], dtype=np.int64)
        self.cp = self.compile(params)
        self.engine = VectorEngine(self.cp, runs, start_day=0, record=bool(self.params["record"]))
        cl = self.engine.classes
        table = self.cp.table
        self.codes: dict[str, tuple[int, int]] = {}

        def reg(key: str, source: str, target: str, code: str, forum: str | None = None,
                agenda: str | None = None) -> None:
            g10 = table.goldstein10(code)
            assert g10 is not None
            self.codes[key] = (cl.id_for(source, target, code, forum, agenda), g10)

        reg("clock", self.envoy, self.envoy, "010")
        reg("threat", self.adv, self.dfd, "138")
        reg("posture", self.adv, self.dfd, "150")
        reg("mobilise", self.adv, self.dfd, "154")
        for rung, code in WAR_CODES.items():
            reg(f"war{rung}", self.adv, self.dfd, code)
        reg("deesc", self.adv, self.dfd, "087")
        reg("access", self.adv, self.dfd, "086")
        reg("intent", self.adv, self.dfd, "0356")
        reg("accuse_forum", self.adv, self.envoy, "112", FORUM)
        reg("threat_forum", self.adv, self.envoy, "138", FORUM)
        reg("request", self.envoy, self.adv, "036")
        reg("offer_relief", self.envoy, self.adv, "0351", FORUM)
        reg("offer_outside", self.envoy, self.adv, "035", FORUM, "alliance_enlargement")
        for m in self.holders:
            reg(f"veto:{m}", m, self.envoy, "129")
            reg(f"consent:{m}", m, self.envoy, "051")
        cl.arrays()
        self.limits_seen = np.zeros(runs, np.int64)
        self.log: list[tuple[int, int, np.ndarray, np.ndarray, np.ndarray]] = []  # (week, pub, valid, cls, g10)

    def compile(self, params: Params) -> CompiledPolicy:
        """The policy with the scenario's actors and the blocks switched by the parameters."""
        data = load_policy(self.params["policy"]).model_dump(mode="json")
        data["actors"] = {
            "adversary": [self.adv],
            "defender": [self.dfd],
            "envoy": [self.envoy],
            "coalition": [self.envoy, *params.member_names],
            "frontline": list(self.holders) or [self.envoy],
        }
        for block, key in (("preconditions", "earned_talks"), ("mandate", "mandate"), ("triggers", "triggers"), ("no_surprises", "veto")):
            if data.get(block) is not None:
                data[block]["enabled"] = bool(data[block].get("enabled", True)) and bool(self.params[key])
        if data.get("no_surprises") is not None:
            data["no_surprises"]["holders"] = ["frontline"]
            if not self.holders:
                data["no_surprises"]["enabled"] = False
        return CompiledPolicy(policy_from_dict(data, f"policy {self.params['policy']} for {params.name}"), roots_table())

    # -- one week -----------------------------------------------------------------------

    def _feed(self, week: int, key: str | np.ndarray, valid: np.ndarray, pub: int) -> None:
        if not valid.any():
            return
        if isinstance(key, str):
            cls = np.full(self.runs, self.codes[key][0], np.int64)
            g10 = np.full(self.runs, self.codes[key][1], np.int64)
        else:
            cls, g10 = key
        day = np.full(self.runs, 7 * week, np.int64)
        self.engine.feed(day, cls, g10, None, np.full(self.runs, pub, np.int64), valid)
        if self.params["record"]:
            self.log.append((week, pub, valid.copy(), cls.copy(), g10.copy()))

    def _pick(self, choices: list[tuple[np.ndarray, str]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per run, the first key whose condition holds (``valid`` false where none does)."""
        cls = np.zeros(self.runs, np.int64)
        g10 = np.zeros(self.runs, np.int64)
        valid = np.zeros(self.runs, bool)
        for cond, key in choices:
            m = cond & ~valid
            cls[m], g10[m] = self.codes[key]
            valid |= m
        return cls, g10, valid

    def act(self, obs: Observation) -> Actions:
        pr = self.params
        eng = self.engine
        w = obs.week
        eng.advance_to(7 * w)
        # the coalition's weekly situation statement: no rule reads it, but it dates the
        # stream, so that an exported stream replays with the same clock
        self._feed(w, "clock", np.ones(self.runs, bool), 2)
        rung, last, ver = obs.rung, obs.last_action, obs.verified_weeks
        climbed = last > 0
        # what the adversary did, as monitors report it
        choices = [(rung >= r, f"war{r}") for r in (7, 6, 5, 4)]
        choices += [(rung >= 2, "posture"), ((rung == 1) & climbed, "threat")]
        cls, g10, valid = self._pick(choices)
        self._feed(w, (cls, g10), valid, 0)  # type: ignore[arg-type]
        self._feed(w, "mobilise", (rung >= 2) & (rung <= 3) & climbed, 0)
        for pub in (0, 1):
            cls, g10, valid = self._pick([(last < 0, "deesc"), ((last == 0) & (ver > 0), "access" if pub == 0 else "intent")])
            self._feed(w, (cls, g10), valid, pub)  # type: ignore[arg-type]
        # abuse of the forum while talks are open
        in_talks = eng.talks_open.copy()
        self._feed(w, "accuse_forum", in_talks & climbed, 0)
        self._feed(w, "threat_forum", in_talks & climbed, 1)
        # the envoy asks for talks
        ask = ~eng.talks_open & ~eng.vote_open & ~obs.settled
        self._feed(w, "request", ask, 2)
        # the frontline holders answer an open vote within the week
        voting = eng.vote_open.copy()
        if voting.any() and self.holders:
            trust = obs.frontline_trust[:, self.holder_idx]
            stance = obs.stance[:, self.holder_idx]
            held = (ver >= pr["veto_verified_weeks"])[:, None]
            veto = (trust < pr["veto_trust"]) | ((stance >= pr["veto_stance"]) & ~held)
            consent = ~veto & ((stance < pr["consent_stance"]) | held)
            for j, m in enumerate(self.holders):
                cls, g10, valid = self._pick([(voting & veto[:, j], f"veto:{m}"), (voting & consent[:, j], f"consent:{m}")])
                self._feed(w, (cls, g10), valid, 2)  # type: ignore[arg-type]
        # the envoy's offers in an open round, checked against the mandate
        offering = eng.talks_open & ~obs.settled
        self._feed(w, "offer_relief", offering, 2)
        self._feed(w, "offer_outside", offering & (ver >= pr["offer_outside_weeks"]), 2)
        limits = eng.counts["mandate_limit"]
        widen = limits > self.limits_seen
        self.limits_seen = limits.copy()
        talks = eng.talks_open & ~obs.settled
        floor = np.minimum(eng.level, obs.n_tranches)
        return Actions(
            talks=talks,
            high_level=True,
            require_earned=False,
            triggers=self.cp.policy.block("triggers") is not None,
            veto=self.cp.policy.block("no_surprises") is not None or (not self.holders and bool(pr["veto"])),
            centralised=True,
            hotline=bool(pr["hotline"]),
            respond=True,
            sanction_floor=floor,
            aid=pr["aid"],
            messaging=0.6,
            link_agenda=True,
            widen_mandate=widen,
        )

    # -- export -------------------------------------------------------------------------

    def events(self, run: int, start_day: int = 0) -> list[Event]:
        """The events fed for one run (needs ``record=True``), dated from ``start_day``."""
        cl = self.engine.classes
        out: list[Event] = []
        for week, pub, valid, cls, g10 in self.log:
            if not valid[run]:
                continue
            source, target, code, forum, agenda = cl.keys[int(cls[run])]
            publisher = MONITORS[pub] if pub < 2 else "coalition records"
            out.append(Event(start_day + 7 * week, source, target, code, int(g10[run]), None, publisher, forum, agenda))
        return out

    def decisions(self, run: int) -> list[Decision]:
        """The engine's decisions for one run (needs ``record=True``)."""
        return self.engine.decisions(run)
