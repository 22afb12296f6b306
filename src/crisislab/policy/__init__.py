"""The Conditionality Framework as policy-as-code (see ``docs/policy.md``).

A policy file (:mod:`~crisislab.policy.schema`) states preconditions for talks, the envoy's
mandate, automatic penalty triggers and the frontline no-surprises rule. The engine applies
it to CAMEO-coded events (:mod:`~crisislab.policy.events`) one at a time
(:class:`ReplayEngine`) or over many simulated runs at once (:class:`VectorEngine`), and
every decision goes to a hash-chained ledger (:mod:`~crisislab.policy.ledger`).

>>> cp = compile_loaded(load_policy("conditionality"))
>>> [b for b in cp.order if cp.policy.block(b) is not None]
['triggers', 'preconditions', 'mandate', 'no_surprises']
"""

from crisislab.policy.cameo import CameoTable, load_table, roots_table
from crisislab.policy.compiled import CompiledPolicy
from crisislab.policy.engine import KINDS, Decision, ReplayEngine, replay_events
from crisislab.policy.events import (
    Event,
    EventReader,
    read_events,
    resolve_events,
    write_events_csv,
)
from crisislab.policy.ledger import Ledger, VerifyResult, verify
from crisislab.policy.load import (
    DEFAULT_POLICY,
    compile_loaded,
    load_policy,
    policy_from_dict,
    policy_hash,
    shipped,
)
from crisislab.policy.replay import ReplayResult, replay
from crisislab.policy.schema import Policy, json_schema
from crisislab.policy.vector import ClassTable, VectorEngine

__all__ = [
    "DEFAULT_POLICY",
    "KINDS",
    "CameoTable",
    "ClassTable",
    "CompiledPolicy",
    "Decision",
    "Event",
    "EventReader",
    "Ledger",
    "Policy",
    "ReplayEngine",
    "ReplayResult",
    "VectorEngine",
    "VerifyResult",
    "compile_loaded",
    "json_schema",
    "load_policy",
    "load_table",
    "policy_from_dict",
    "policy_hash",
    "read_events",
    "replay",
    "replay_events",
    "resolve_events",
    "roots_table",
    "shipped",
    "verify",
    "write_events_csv",
]
