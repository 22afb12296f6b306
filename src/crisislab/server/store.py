"""The web app's data folder: results, saved scenarios and policies, tokens, consoles.

Layout::

    DATA/
      results/<id>/        one folder per finished job (meta.json + Parquet files), written
                           to a temporary folder and renamed into place (atomic)
      scenarios/<name>.yaml  scenarios saved from the editor (validated before saving)
      policies/<name>.yaml   policies saved from the console (validated before saving)
      consoles/<policy>/   one policy console per policy: ledger.sqlite
      tokens.json          salted hashes of member tokens, with each token's signing key
                           encrypted by the token
      keyring.json         public keys: members' (vote signatures) and the console's
      keys/console.pem     the console's private key (signs its decisions)

Everything a finished job produced is on disk, so results survive a restart. User input
never names a path: scenarios are a shipped name, ``user:<name>`` of a saved one, or YAML
text; every name is checked by :func:`~crisislab.server.security.safe_name`.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from crisislab.errors import InputError, Problem
from crisislab.limits import MAX_YAML_BYTES, read_json_limited, read_text_limited
from crisislab.scenario import Scenario, load_scenario, scenario_from_dict, shipped
from crisislab.scenario.load import parse_yaml
from crisislab.server.security import inside, safe_name

USER_PREFIX = "user:"


def scenario_from_text(text: str, source: str = "scenario") -> Scenario:
    """Validate YAML text as a scenario exactly as the command line does (with the same
    limits on size, nesting and alias expansion, :mod:`crisislab.limits`)."""
    return scenario_from_dict(parse_yaml(text, source), source)


def atomic_write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


class ServerStore:
    """Paths and file operations of one data folder."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.results = self.root / "results"
        self.scenarios = self.root / "scenarios"
        self.policies = self.root / "policies"
        self.consoles = self.root / "consoles"
        self.tokens = self.root / "tokens.json"
        for d in (self.results, self.scenarios, self.policies, self.consoles):
            d.mkdir(parents=True, exist_ok=True)
        self.clean_temporaries()

    def clean_temporaries(self) -> None:
        """Remove half-written result folders left by a crash (names start with a dot)."""
        for d in self.results.iterdir():
            if d.name.startswith(".") and d.is_dir():
                shutil.rmtree(d, ignore_errors=True)

    # -- results ---------------------------------------------------------------------------

    def result_dir(self, rid: str) -> Path:
        return inside(self.results, rid, what="result id")

    def has_result(self, rid: str) -> bool:
        try:
            return (self.result_dir(rid) / "meta.json").is_file()
        except InputError:
            return False

    def result_meta(self, rid: str) -> dict[str, Any]:
        folder = self.result_dir(rid)
        path = folder / "meta.json"
        if not path.is_file():
            raise InputError(rid, [Problem("result id", "no result of that id", "an id from the results list")], summary="cannot be found")
        meta = read_json_limited(path, f"result {rid}", what="meta.json")
        if not isinstance(meta, dict):
            raise InputError(f"result {rid}", [Problem("meta.json", f"a JSON {type(meta).__name__}", "the meta.json object written with the result")])
        return meta

    def list_results(self) -> list[dict[str, Any]]:
        out = []
        for d in self.results.iterdir():
            if d.name.startswith(".") or not (d / "meta.json").is_file():
                continue
            try:
                m = read_json_limited(d / "meta.json", what="meta.json")
            except InputError:
                continue
            if not isinstance(m, dict):
                continue
            out.append({"id": d.name, "kind": m.get("job", m.get("kind")), "title": m.get("title", d.name), "created": m.get("created"),
                        "scenario": m.get("scenario"), "doctrines": m.get("doctrines"), "runs": m.get("runs"), "seed": m.get("seed"),
                        "report": (d / "report.html").is_file()})
        out.sort(key=lambda r: str(r.get("created") or ""), reverse=True)
        return out

    def write_result(self, rid: str, files: dict[str, Any], meta: dict[str, Any]) -> Path:
        """Write ``files`` (name → DataFrame or text) and ``meta.json`` as one atomic folder."""
        import pandas as pd

        final = self.result_dir(rid)
        if final.exists():
            raise FileExistsError(final)
        tmp = Path(tempfile.mkdtemp(prefix=f".{rid}.", dir=self.results))
        try:
            for name, content in files.items():
                if isinstance(content, pd.DataFrame):
                    content.to_parquet(tmp / name, index=False)
                else:
                    (tmp / name).write_text(str(content), encoding="utf-8")
            (tmp / "meta.json").write_text(json.dumps(meta, indent=2, default=str), encoding="utf-8")
            os.replace(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return final

    # -- scenarios -------------------------------------------------------------------------

    def saved_scenarios(self) -> list[str]:
        return sorted(p.stem for p in self.scenarios.glob("*.yaml") if not p.name.startswith("."))

    def scenario_text(self, ref: str) -> str:
        """YAML text of a shipped scenario (by name) or a saved one (``user:<name>``)."""
        if ref.startswith(USER_PREFIX):
            path = inside(self.scenarios, ref[len(USER_PREFIX):], ".yaml", what="scenario name")
            if not path.is_file():
                raise InputError(ref, [Problem("scenario", "no saved scenario of that name", f"one of: {', '.join(self.saved_scenarios()) or 'none saved yet'}")], summary="cannot be found")
            return read_text_limited(path, ref, MAX_YAML_BYTES, "YAML scenario file")
        table = shipped()
        if ref not in table:
            raise InputError(ref, [Problem("scenario", repr(ref)[:80], f"a shipped scenario ({', '.join(table)}) or user:<name> of a saved one")], summary="cannot be found")
        return table[ref].read_text(encoding="utf-8")

    def scenario(self, ref: str | None, text: str | None = None) -> Scenario:
        """The scenario named by ``ref`` or given as YAML ``text`` (validated as in the CLI)."""
        if text is not None and text.strip():
            return scenario_from_text(text, "scenario")
        ref = ref or "eu-russia"
        if ref.startswith(USER_PREFIX):
            return scenario_from_text(self.scenario_text(ref), ref)
        if ref not in shipped():
            self.scenario_text(ref)  # raises the InputError naming the choices
        return load_scenario(ref)

    def save_scenario(self, name: str, text: str) -> Scenario:
        safe_name(name, "scenario name")
        sc = scenario_from_text(text, f"{USER_PREFIX}{name}")
        atomic_write_text(inside(self.scenarios, name, ".yaml", what="scenario name"), text)
        return sc

    # -- policies --------------------------------------------------------------------------

    def saved_policies(self) -> list[str]:
        return sorted(p.stem for p in self.policies.glob("*.yaml") if not p.name.startswith("."))

    def policy_path(self, name: str) -> Path:
        return inside(self.policies, name, ".yaml", what="policy name")

    # -- signing ---------------------------------------------------------------------------

    @property
    def keyring_path(self) -> Path:
        """Public keys of the members and of the console (``keyring.json``)."""
        return self.root / "keyring.json"

    def console_key(self) -> Any:
        """The console's own key, which signs every decision it writes (``keys/console.pem``,
        made on first use, readable by its owner only; its public half is in the keyring)."""
        from crisislab.policy import signing

        path = self.root / "keys" / "console.pem"
        if path.exists():
            return signing.read_private(path)
        key = signing.new_key()
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        signing.write_private(path, key)
        ring = signing.Keyring.open(self.keyring_path)
        ring.add(signing.CONSOLE_SIGNER, signing.public_b64(key), held="server")
        ring.save()
        return key

    def console_dir(self, key: str) -> Path:
        path = inside(self.consoles, key, what="policy console")
        path.mkdir(parents=True, exist_ok=True)
        return path
