"""Mechanisms M01–M31, one module per family of MECHANISMS.md.

* :mod:`.cohesion` — coalition leverage and cohesion (000_2925941e4be23cd7.txt), M01–M12
* :mod:`.catastrophe` — talking to avoid catastrophe (001_c1f1fff7db0dc79a.txt), M13–M18
* :mod:`.screening` — test by offer (002_b0d57d2106c091ca.txt), M19–M24
* :mod:`.negotiation` — negotiating under fire (003_6e275725a3b18bd7.txt), M25–M31

Each mechanism is a function ``(state, params, actions, rng) -> state`` named exactly as
the mechanism (``credibility_decay``) and tagged with its ID. A switched-off mechanism
contributes nothing (``params.s(name)`` is 0 and the engine skips pure-effect steps).
"""

from crisislab.model.mechanisms.registry import MECHANISMS, MechanismInfo, by_name, names

__all__ = ["MECHANISMS", "MechanismInfo", "by_name", "names"]
