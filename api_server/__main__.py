"""python -m api_server: operator commands (users create-admin, payments reconcile)."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys

from api_server.common.errors import DomainError
from api_server.config import Config, ConfigError
from api_server.core import build_core


def _create_admin(args: argparse.Namespace, config: Config) -> int:
    password = os.environ.get("ADMIN_PASSWORD")
    if password is None:
        password = getpass.getpass("Password: ") if sys.stdin.isatty() else sys.stdin.readline()
    password = password.rstrip("\n")
    # Only the core: the gateway SDKs would more than double this command's start-up.
    core = build_core(config)
    try:
        user = core.users.create_admin(args.email, password, args.full_name)
    except DomainError as exc:
        details = "; ".join(e["message"] for e in exc.errors or []) or exc.detail
        print(f"refused: {details}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 1
    finally:
        core.close()
    print(json.dumps(user))
    return 0


def _reconcile(args: argparse.Namespace, config: Config) -> int:
    # Imported here, not above: create-admin must not pay for the whole API's imports.
    from api_server.services import build_services

    services = build_services(config)
    try:
        report = services.reconciler.run()
    finally:
        services.close()
    print(json.dumps(report, indent=2))
    return 1 if report["errors"] else 0


def main(argv: list[str] | None = None) -> int:
    """Parses the command line and runs one command."""
    parser = argparse.ArgumentParser(prog="python -m api_server")
    groups = parser.add_subparsers(dest="group", required=True)
    users = groups.add_parser("users").add_subparsers(dest="command", required=True)
    admin = users.add_parser("create-admin", help="create an active admin account")
    admin.add_argument("email")
    admin.add_argument("--full-name", default="Administrator")
    admin.epilog = "The password comes from ADMIN_PASSWORD or standard input."
    payments = groups.add_parser("payments").add_subparsers(dest="command", required=True)
    payments.add_parser("reconcile", help="settle unfinished payments with the gateways")
    args = parser.parse_args(argv)
    # Commands need the database and the gateways' secrets, not a server or a JWT secret.
    try:
        config = Config.from_env(signs_tokens=False)
    except ConfigError as exc:
        print(f"configuration: {exc}", file=sys.stderr)
        return 2
    command = _reconcile if args.group == "payments" else _create_admin
    return command(args, config)


if __name__ == "__main__":
    sys.exit(main())
