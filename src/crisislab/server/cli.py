"""``crisislab serve``: run the web app; ``crisislab serve token ...``: member tokens;
``crisislab serve key ...``: the keyring that checks signed votes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from crisislab.errors import InputError, Problem
from crisislab.output import Format, emit, err_console

DEFAULT_DATA = "crisislab-data"

DataOpt = Annotated[Path | None, typer.Option("--data", help="data folder (default: $CRISISLAB_SERVER_DATA or ./crisislab-data)")]
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="table, json or csv")]
HolderPolicyOpt = Annotated[str, typer.Option("--policy", help="policy whose veto holders the member must be among")]


def data_dir(data: Path | None) -> Path:
    root = data or Path(os.environ.get("CRISISLAB_SERVER_DATA", DEFAULT_DATA))
    if root.exists() and not root.is_dir():
        raise InputError(str(root), [Problem("--data", "a file", "a folder for the web app's data")])
    return root


serve_app = typer.Typer(help="Run the web app, and manage the tokens members vote with.", invoke_without_command=True,
                        add_completion=False)
token_app = typer.Typer(help="Member tokens for frontline veto votes (stored as salted hashes).", no_args_is_help=True)
serve_app.add_typer(token_app, name="token")
key_app = typer.Typer(help="Public keys that check the signed votes and decisions of the policy console.", no_args_is_help=True)
serve_app.add_typer(key_app, name="key")


@serve_app.callback()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", "-p", min=1, max=65535, help="port to listen on")] = 8000,
    data: DataOpt = None,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help="jobs that run at once")] = 1,
    queue: Annotated[int, typer.Option("--queue", min=0, max=1000, help="jobs that may wait; more are refused as busy")] = 4,
    max_body: Annotated[int, typer.Option("--max-body", min=1024, help="largest request body in bytes")] = 1_000_000,
    max_runs: Annotated[int, typer.Option("--max-runs", min=1, help="most runs per doctrine in one comparison")] = 20_000,
    policy: Annotated[list[str] | None, typer.Option("--policy", help="policies offered in the console (default: every shipped policy); repeat")] = None,
) -> None:
    """Run the web app (scenario editor, comparisons, results, traces, games, policy console)."""
    if ctx.invoked_subcommand is not None:
        return
    import uvicorn

    from crisislab.policy.load import shipped
    from crisislab.server.app import ServerConfig, create_app

    for p in policy or []:
        if p not in shipped():
            raise InputError("--policy", [Problem("(value)", repr(p), f"a shipped policy: {', '.join(shipped())}")])
    root = data_dir(data)
    config = ServerConfig(root, workers=workers, queue=queue, max_body=max_body, max_runs=max_runs, policies=list(policy or []))
    app = create_app(config)
    err_console.print(f"crisislab web app on http://{host}:{port}/ (data in {root.resolve()}); Ctrl+C stops it", highlight=False)
    uvicorn.run(app, host=host, port=port, log_level="warning")


def _veto_holder(member: str, policy: str) -> str:
    """MEMBER's name as the policy spells it, if it holds the no-surprises veto (else exit 2)."""
    from crisislab.policy.load import compile_loaded, load_policy

    cp = compile_loaded(load_policy(policy))
    names = {n.casefold(): n for n in cp.holder_names}
    if member.casefold() not in names:
        raise InputError("MEMBER", [Problem("(value)", repr(member), f"a holder of the no-surprises veto in {policy}: {', '.join(cp.holder_names) or 'none'}")])
    return names[member.casefold()]


@token_app.command("create")
def token_create(
    member: Annotated[str, typer.Argument(help="the member that will vote with it, e.g. Finland")],
    data: DataOpt = None,
    policy: HolderPolicyOpt = "conditionality",
    note: Annotated[str, typer.Option("--note", help="a note kept with the token (who holds it)")] = "",
    fmt: FormatOpt = Format.table,
) -> None:
    """Make a token for MEMBER. It is printed once; only its salted hash is stored."""
    from crisislab.server.security import TokenStore

    holder = _veto_holder(member, policy)
    store = TokenStore(data_dir(data) / "tokens.json")
    token, tid = store.create(holder, note)
    listed = next((t for t in store.list() if t["id"] == tid), {})
    row = {"member": holder, "token_id": tid, "token": token, "signing_key": listed.get("signing_key")}
    emit(fmt, [row], json_data=row, title="new token (shown once: give it to the member, it cannot be recovered)")


@token_app.command("list")
def token_list(data: DataOpt = None, fmt: FormatOpt = Format.table) -> None:
    """List tokens (ids, members, dates; never the tokens themselves)."""
    from crisislab.server.security import TokenStore

    emit(fmt, TokenStore(data_dir(data) / "tokens.json").list(), title="tokens")


@token_app.command("revoke")
def token_revoke(
    member: Annotated[str | None, typer.Argument(help="revoke every token of this member")] = None,
    token_id: Annotated[str | None, typer.Option("--id", help="revoke only the token with this id")] = None,
    data: DataOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Revoke the tokens of a member (or one token by id)."""
    from crisislab.server.security import TokenStore

    if member is None and token_id is None:
        raise InputError("serve token revoke", [Problem("MEMBER / --id", "neither", "a member name or a token id")])
    n = TokenStore(data_dir(data) / "tokens.json").revoke(member, token_id)
    emit(fmt, [{"revoked": n}], json_data={"revoked": n})


@key_app.command("add")
def key_add(
    member: Annotated[str, typer.Argument(help="the member that holds the key, e.g. Finland")],
    public_key: Annotated[str, typer.Argument(help="its public key, as printed by `crisislab policy key generate`")],
    data: DataOpt = None,
    policy: HolderPolicyOpt = "conditionality",
    note: Annotated[str, typer.Option("--note", help="a note kept with the key")] = "",
    fmt: FormatOpt = Format.table,
) -> None:
    """Register a key that MEMBER holds itself. The server then signs nothing for MEMBER (its
    server-held keys are deleted): its votes must be sent signed with this key."""
    from crisislab.policy.signing import parse_public
    from crisislab.server.security import TokenStore

    holder = _veto_holder(member, policy)
    parse_public(public_key, "PUBLIC_KEY")
    rec = TokenStore(data_dir(data) / "tokens.json").register_member_key(holder, public_key, note)
    row = {"member": rec["signer"], "key_id": rec["key"], "held": rec["held"]}
    emit(fmt, [row], json_data=row, title="key registered")


@key_app.command("list")
def key_list(data: DataOpt = None, fmt: FormatOpt = Format.table) -> None:
    """List the keyring: who signs with which key (public keys only)."""
    from crisislab.policy.signing import Keyring

    ring = Keyring.open(data_dir(data) / "keyring.json")
    rows = [{k: r.get(k) for k in ("signer", "key", "held", "token_id", "created", "public")} for r in ring.keys]
    emit(fmt, rows, json_data=rows, title=f"keyring ({ring.path})")


def register(app: typer.Typer) -> None:
    app.add_typer(serve_app, name="serve")
