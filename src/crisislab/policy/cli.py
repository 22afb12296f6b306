"""Commands ``crisislab policy ...`` and ``crisislab events ...``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from crisislab.errors import InputError, Problem
from crisislab.output import Format, console, emit, err_console
from crisislab.policy.cameo import load_table
from crisislab.policy.events import FORMATS, EventReader, resolve_events
from crisislab.policy.explain import describe_policy, explain_decision, summary
from crisislab.policy.ledger import parse_anchor, verify
from crisislab.policy.load import compile_loaded, load_policy, policy_hash, shipped
from crisislab.policy.replay import replay
from crisislab.policy.schema import json_schema

FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="table, json or csv")]
PolicyArg = Annotated[str, typer.Argument(help="shipped policy name (see `policy list`) or a YAML file")]
CameoOpt = Annotated[
    Path | None,
    typer.Option("--cameo", help="folder with cameo-codes.csv (or the reference data folder); default: CRISISLAB_DATA, else the shipped root-code table"),
]
EventsFormatOpt = Annotated[str, typer.Option("--events-format", help=f"layout of the events file: {', '.join(FORMATS)}")]
SkipBadOpt = Annotated[Path | None, typer.Option("--skip-bad", help="write bad lines to this file (JSON Lines) and go on, instead of stopping at the first")]

policy_app = typer.Typer(help="The Conditionality Framework as policy-as-code: check, replay, verify, explain.", no_args_is_help=True)
events_app = typer.Typer(help="CAMEO-coded event streams: check a file, export a simulated run.", no_args_is_help=True)


@policy_app.command("list")
def list_policies(fmt: FormatOpt = Format.table) -> None:
    """List the policies that ship with crisislab."""
    rows = []
    for name in shipped():
        p = load_policy(name)
        rows.append({
            "name": name,
            "title": p.title,
            "preconditions": "on" if p.block("preconditions") else "off",
            "mandate": "on" if p.block("mandate") else "off",
            "triggers": "on" if p.block("triggers") else "off",
            "no_surprises": "on" if p.block("no_surprises") else "off",
        })
    emit(fmt, rows, title="Policies")


@policy_app.command("schema")
def schema() -> None:
    """Print the JSON Schema of policy files (for editors)."""
    print(json.dumps(json_schema(), indent=2))


@policy_app.command("check")
def check(policy: PolicyArg, cameo: CameoOpt = None, fmt: FormatOpt = Format.table) -> None:
    """Validate a policy and explain it in plain words."""
    table = load_table(cameo)
    p = load_policy(policy)
    cp = compile_loaded(p, table)
    rows = describe_policy(cp)
    if fmt is Format.json:
        emit(fmt, rows, json_data={"policy": p.name, "valid": True, "sha256": policy_hash(p), "cameo_table": table.level, "warnings": cp.warnings, "rules": rows})
        return
    emit(fmt, rows, title=f"Policy {p.name}: valid")
    if fmt is Format.table:
        err_console.print(f"CAMEO codes checked against the {table.level} table ({table.source}).", highlight=False)


def _timeline_row(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "entry": body.get("entry"),
        "date": body.get("date"),
        "decision": body.get("kind"),
        "rule": body.get("rule"),
        "why": summary(body),
        "events": len(body.get("events", [])),
        "line": body.get("at_line"),
    }


@policy_app.command("replay")
def replay_cmd(
    policy: PolicyArg,
    events: Annotated[str, typer.Argument(help="events file: CSV, TSV (ICEWS layout too) or JSON Lines; `example` for the shipped invented example")],
    ledger: Annotated[Path, typer.Option("--ledger", "-l", help="SQLite ledger to append the decisions to (created if missing)")],
    skip_bad: SkipBadOpt = None,
    cameo: CameoOpt = None,
    events_format: EventsFormatOpt = "auto",
    until: Annotated[str | None, typer.Option("--until", help="after the last event, run timers (vote deadlines, round ends) up to this date, YYYY-MM-DD")] = None,
    limit: Annotated[int, typer.Option("--limit", min=0, help="decisions to print (0: all); the ledger always holds all")] = 200,
    fmt: FormatOpt = Format.table,
) -> None:
    """Replay an event stream through a policy; print the decision timeline; write the ledger."""
    keep = limit if limit > 0 else 10**12
    res = replay(policy, events, ledger, cameo=cameo, fmt=events_format, skip_bad=skip_bad, until=until, keep=keep)
    head = f"{res.end_seq}:{res.head_hash}"
    rows = [_timeline_row(b) for b in res.rows]
    if fmt is Format.json:
        emit(fmt, rows, json_data={
            "policy": res.policy,
            "events_file": res.events_file,
            "ledger": res.ledger,
            "entries": [res.start_seq, res.end_seq],
            "head": head,
            "counts": res.counts(),
            "skipped_to": res.skip_file if res.stats.skipped else None,
            "final": {"tranche_level": res.final_level, "talks_open": res.talks_open, "vote_open": res.vote_open},
            "decisions": rows,
        })
        return
    emit(fmt, rows, title=f"{res.policy} on {Path(res.events_file).name}: decision timeline")
    s = res.stats
    lines = [
        f"{s.lines} lines: {s.events} events replayed, {s.skipped} bad lines skipped"
        + (f" (written to {res.skip_file})" if s.skipped else "")
        + f"; {res.decisions} decisions"
        + (f" ({', '.join(f'{k} {v}' for k, v in res.by_kind.items())})" if res.by_kind else ""),
        f"ledger {res.ledger}: entries {res.start_seq}..{res.end_seq}; head {head}",
    ]
    if res.decisions > len(rows):
        lines.append(f"showing the first {len(rows)} decisions; see them all with --limit 0 or `crisislab policy explain`")
    target = console if fmt is Format.table else err_console
    for line in lines:
        target.print(line, highlight=False, soft_wrap=True)


@policy_app.command("verify")
def verify_cmd(
    ledger: Annotated[Path, typer.Argument(help="a ledger written by `policy replay`")],
    head: Annotated[str | None, typer.Option("--head", help="an anchor SEQ:HASH kept elsewhere (as printed by `policy replay`)")] = None,
    deep: Annotated[bool, typer.Option("--deep", help="also check that every entry is stored as canonical JSON")] = False,
    keys: Annotated[Path | None, typer.Option("--keys", help="keyring with the members' and the console's public keys "
                                              "(keyring.json of the web app's data folder, or a copy kept elsewhere); "
                                              "needed for a policy console's ledger")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Check the ledger's hash chain and, for a console's ledger, every signed vote and decision
    against the keyring; name the first bad entry (exit code 2 if there is one)."""
    from crisislab.policy.signing import Keyring

    anchor = parse_anchor(head) if head is not None else None
    keyring = Keyring.load(keys) if keys is not None else None
    res = verify(ledger, anchor=anchor, deep=deep, keyring=keyring)
    d = res.as_dict()
    rows = [{"field": k, "value": ", ".join(v) if isinstance(v, list) else v} for k, v in d.items()]
    emit(fmt, [d] if fmt is Format.csv else rows, json_data=d, title="Ledger verification")
    if not res.ok:
        expected = "an unbroken hash chain" + (" and valid signatures" if res.signed else "")
        raise InputError(str(ledger), [Problem(f"entry {res.first_bad}", res.problem, expected)], summary="fails verification")
    if res.signed and keyring is None:
        raise InputError(str(ledger), [Problem("--keys", "a policy console's ledger, whose votes and decisions are signed, and no keyring",
                                               "--keys KEYRING (the members' public keys) to check every signature")],
                         summary="is verified only in part")


key_app = typer.Typer(help="Ed25519 keys for members that sign their own veto votes.", no_args_is_help=True)
policy_app.add_typer(key_app, name="key")


@key_app.command("generate")
def key_generate(
    out: Annotated[Path, typer.Option("--out", "-o", help="file to write the private key to (PEM; readable by you only)")],
    fmt: FormatOpt = Format.table,
) -> None:
    """Make a key pair: the private key goes to --out (keep it), the public key is printed
    (give it to the web app's administrator: `crisislab serve key add MEMBER PUBLIC_KEY`)."""
    from crisislab.policy import signing

    if out.exists():
        raise InputError(str(out), [Problem("--out", "an existing file", "a new file (a key is never overwritten)")])
    key = signing.new_key()
    try:
        signing.write_private(out, key)
    except OSError as exc:
        raise InputError(str(out), [Problem("--out", f"an unwritable file ({exc.strerror})", "a file the key can be written to")]) from None
    public = signing.public_b64(key)
    row = {"private_key_file": str(out), "public_key": public, "key_id": signing.key_id(public)}
    emit(fmt, [row], json_data=row, title="new signing key")


@key_app.command("sign")
def key_sign(
    key: Annotated[Path, typer.Argument(help="your private key file (from `policy key generate`)")],
    payload: Annotated[str, typer.Argument(help="the payload to sign, exactly as given by GET /api/policy/<policy>/vote/payload ('-': read it from stdin)")],
    fmt: FormatOpt = Format.table,
) -> None:
    """Sign a vote payload; print the signature object to send with the vote."""
    import sys

    from crisislab.policy import signing

    text = sys.stdin.read().rstrip("\n") if payload == "-" else payload
    try:
        json.loads(text)
    except ValueError:
        raise InputError("PAYLOAD", [Problem("(value)", repr(text)[:60], "the JSON payload of /vote/payload, unchanged")]) from None
    sig = signing.sign(signing.read_private(key), text.encode("utf-8"))
    out = {"key": sig["key"], "sig": sig["sig"]}
    emit(fmt, [out], json_data=out, title="signature (send it as the vote's \"signature\")")


@policy_app.command("explain")
def explain_cmd(
    ledger: Annotated[Path, typer.Argument(help="a ledger written by `policy replay`")],
    decision: Annotated[int, typer.Option("--decision", "-d", min=1, help="the ledger entry number of the decision")],
    fmt: FormatOpt = Format.table,
) -> None:
    """Say why a decision in the ledger was made: the rule, the numbers and the events."""
    if not ledger.exists():
        raise InputError(str(ledger), [Problem("(path)", "no such file", "a ledger written by `policy replay`")], summary="cannot be found")
    ex = explain_decision(str(ledger), decision)
    if fmt is Format.json:
        emit(fmt, [], json_data=ex)
        return
    events = [
        {k: e.get(k) for k in ("line", "date", "source", "target", "cameo", "goldstein", "publisher", "forum", "agenda")}
        for e in ex["events"]
    ]
    if fmt is Format.csv:
        emit(fmt, events)
        return
    head = [
        {"field": "decision", "value": f"entry {ex['entry']}: {ex['kind']} on {ex['date']} by rule {ex['rule']}"},
        {"field": "why", "value": ex["summary"]},
        {"field": "rule says", "value": ex["rule_text"] or "-"},
        {"field": "policy", "value": f"{ex['policy']} on {ex['events_file']}"},
        {"field": "event handled", "value": f"line {ex['at_line']}" if ex["at_line"] else "none (a timer at the start of the day)"},
        {"field": "chain", "value": ex["chain"]},
    ]
    for c in (ex["detail"] or {}).get("conditions", []) or []:
        head.append({"field": f"condition {c.get('condition')}", "value": ", ".join(f"{k}={v}" for k, v in c.items() if k != "condition")})
    emit(fmt, head, title="Why")
    if events:
        emit(fmt, events, title=f"Events that justify it ({len(events)})")


@events_app.command("check")
def events_check(
    events: Annotated[str, typer.Argument(help="events file: CSV, TSV (ICEWS layout too) or JSON Lines; `example` for the shipped invented example")],
    skip_bad: SkipBadOpt = None,
    cameo: CameoOpt = None,
    events_format: EventsFormatOpt = "auto",
    fmt: FormatOpt = Format.table,
) -> None:
    """Read an events file and report what it holds (and its first bad line)."""
    path = resolve_events(events)
    reader = EventReader(path, load_table(cameo), fmt=events_format, skip_bad=skip_bad)
    for _ in reader:
        pass
    d = reader.stats.as_dict()
    d["skipped_to"] = str(skip_bad) if skip_bad is not None and reader.stats.skipped else None
    rows = [{"field": k, "value": v} for k, v in d.items()]
    for p in reader.stats.problems[:5]:
        rows.append({"field": "bad line", "value": p.render()})
    emit(fmt, [d] if fmt is Format.csv else rows, json_data=d | {"first_problems": [p.render() for p in reader.stats.problems]}, title=f"Events in {path.name}")


@events_app.command("export")
def events_export(
    scenario: Annotated[str, typer.Argument(help="shipped scenario name or YAML file")] = "eu-russia",
    out: Annotated[Path, typer.Option("--out", "-o", help="CSV file to write the events to")] = Path("events.csv"),
    run: Annotated[int, typer.Option("--run", "-r", min=0, help="run index")] = 0,
    seed: Annotated[int, typer.Option("--seed", "-s", min=0, help="experiment seed")] = 0,
    policy: Annotated[str, typer.Option("--policy", help="policy the conditionality doctrine runs")] = "conditionality",
    start_date: Annotated[str, typer.Option("--start-date", help="date of week 0, YYYY-MM-DD")] = "2025-01-06",
    fmt: FormatOpt = Format.table,
) -> None:
    """Export the event stream the `conditionality` doctrine fed to the policy engine in one simulated run.

    Also writes the policy as the doctrine ran it (the scenario's actors in place of the
    shipped ones) next to the events, so that `crisislab policy replay` reproduces the run's
    decisions.
    """
    from datetime import date as _date

    import yaml

    from crisislab.api import simulate_full
    from crisislab.doctrines.conditionality import Conditionality
    from crisislab.scenario import load_scenario

    try:
        start = _date.fromisoformat(start_date).toordinal()
    except ValueError:
        raise InputError("--start-date", [Problem("(option)", repr(start_date), "a date as YYYY-MM-DD")]) from None
    sc = load_scenario(scenario)
    names = {"adversary": sc.adversary.name, "defender": sc.defender.name, "envoy": "European Union" if sc.name == "eu-russia" else sc.coalition.name}
    doc = Conditionality(record=True, names=names, policy=policy)
    res = simulate_full(sc, doc, runs=1, seed=seed, run_offset=run)
    events = doc.events(0, start)
    decisions = doc.decisions(0)
    from crisislab.policy.events import iso_day, write_events_csv

    try:
        with out.open("w", encoding="utf-8", newline="") as fh:
            write_events_csv(fh, events)
        policy_out = out.with_suffix(".policy.yaml")
        policy_out.write_text(
            f"# The policy `{policy}` as the conditionality doctrine ran it on scenario {sc.name}\n"
            + yaml.safe_dump(doc.cp.policy.model_dump(mode="json", exclude_none=True), sort_keys=False, allow_unicode=True),
            encoding="utf-8",
        )
    except OSError as exc:
        raise InputError(str(out), [Problem("(path)", f"an unwritable file ({exc.strerror})", "a file the events can be written to")]) from None
    last_week = int(res.outcomes.shape[0] and sc.horizon_weeks // sc.step_weeks) - 1
    until = iso_day(start + 7 * max(last_week, 0))
    d = {
        "scenario": sc.name, "run": run, "seed": seed, "events": len(events), "decisions": len(decisions),
        "events_file": str(out), "policy_file": str(policy_out), "replay_until": until,
        "replay": f"crisislab policy replay {policy_out} {out} --ledger LEDGER --until {until}",
    }
    rows = [{"field": k, "value": v} for k, v in d.items()]
    emit(fmt, [d] if fmt is Format.csv else rows, json_data=d, title="Exported event stream")


def register(app: typer.Typer) -> None:
    """Add the ``policy`` and ``events`` command groups."""
    app.add_typer(policy_app, name="policy")
    app.add_typer(events_app, name="events")
