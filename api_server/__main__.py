"""python -m api_server: operator commands (users create-admin, payments reconcile)."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys

from api_server.common.errors import DomainError
from api_server.config import Config, ConfigError
from api_server.services import Services, build_services


def _create_admin(args: argparse.Namespace, services: Services) -> int:
    password = os.environ.get("ADMIN_PASSWORD")
    if password is None:
        password = getpass.getpass("Password: ") if sys.stdin.isatty() else sys.stdin.readline()
    password = password.rstrip("\n")
    try:
        user = services.users.create_admin(args.email, password, args.full_name)
    except DomainError as exc:
        details = "; ".join(e["message"] for e in exc.errors or []) or exc.detail
        print(f"refused: {details}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(user))
    return 0


def _reconcile(args: argparse.Namespace, services: Services) -> int:
    report = services.reconciler.run()
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
    services = build_services(config)
    try:
        command = _reconcile if args.group == "payments" else _create_admin
        return command(args, services)
    finally:
        services.close()


if __name__ == "__main__":
    sys.exit(main())
