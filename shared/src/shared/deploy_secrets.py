"""``python -m shared.deploy_secrets DIR``: every secret an installation needs, one file each.

The one-shot ``keys`` job of ``docker-compose.yml`` runs it into the services' secret volumes,
and ``make k8s-secrets`` into the directory a Kubernetes overlay's ``secretGenerator`` reads.
Each service gets a directory holding only what it reads (``*_FILE`` settings point at them):

    DIR/intake/private.pem       INTAKE_JWT_PRIVATE_KEY_FILE   (only intake signs tokens)
    DIR/intake/operator-key      INTAKE_OPERATOR_KEY_FILE
    DIR/<service>/public.pem     ETAPA_JWT_PUBLIC_KEY_FILE     (intake, workflow, notifier, console)
    DIR/notifier/callback-token  NOTIFIER_CALLBACK_TOKEN_FILE
    DIR/console/secret-key       CONSOLE_SECRET_KEY_FILE

Rules, per secret: a value given in the environment (``INTAKE_JWT_PRIVATE_KEY``,
``INTAKE_OPERATOR_KEY``, ``NOTIFIER_CALLBACK_TOKEN``, ``CONSOLE_SECRET_KEY``) is written, after
the same checks the services make (no demo value, at least 24 characters outside development);
otherwise a file already there is kept (a restart changes nothing); otherwise a new random one
is made. The public key is always derived from the private one. Files are 0600, directories
0700. It prints which secrets it wrote or kept, never their values.
"""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Mapping
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_private_key,
)

from shared.auth import generate_key_pair
from shared.settings import SettingsError, check_secret

SERVICES_WITH_PUBLIC_KEY = ("intake", "workflow", "notifier", "console")
SHARED_SECRETS = (
    # (variable given in the environment, service directory, file name)
    ("INTAKE_OPERATOR_KEY", "intake", "operator-key"),
    ("NOTIFIER_CALLBACK_TOKEN", "notifier", "callback-token"),
    ("CONSOLE_SECRET_KEY", "console", "secret-key"),
)


def public_key_of(private_pem: str) -> str:
    """The PEM public key of an Ed25519 private key; refuses any other key."""
    try:
        key = load_pem_private_key(private_pem.encode(), password=None)
    except ValueError:
        raise SettingsError("INTAKE_JWT_PRIVATE_KEY is not a PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SettingsError("INTAKE_JWT_PRIVATE_KEY must be an Ed25519 key (EdDSA tokens)")
    return key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".new")
    temporary.write_text(text)
    temporary.chmod(0o600)
    temporary.replace(path)


def write_secrets(directory: Path, env: Mapping[str, str]) -> list[str]:
    """Write (or keep) every secret under ``directory``; one line per secret saying which."""
    environment = env.get("ETAPA_ENV", "production")
    report = []

    private_path = directory / "intake" / "private.pem"
    if given := env.get("INTAKE_JWT_PRIVATE_KEY"):
        private, origin = given.replace("\\n", "\n"), "from INTAKE_JWT_PRIVATE_KEY"
    elif private_path.exists():
        private, origin = private_path.read_text(), "kept"
    else:
        private, origin = generate_key_pair()[0], "generated"
    public = public_key_of(private)
    _write(private_path, private)
    for service in SERVICES_WITH_PUBLIC_KEY:
        _write(directory / service / "public.pem", public)
    report.append(f"token key pair: {origin}")

    for name, service, file_name in SHARED_SECRETS:
        path = directory / service / file_name
        if given := env.get(name):
            check_secret(name, given, environment)
            _write(path, given)
            report.append(f"{name}: from the environment")
        elif path.exists():
            check_secret(name, path.read_text().strip(), environment)
            report.append(f"{name}: kept")
        else:
            _write(path, secrets.token_urlsafe(32))
            report.append(f"{name}: generated")
    return report


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m shared.deploy_secrets DIRECTORY", file=sys.stderr)
        return 2
    directory = Path(argv[0])
    try:
        report = write_secrets(directory, os.environ)
    except SettingsError as exc:
        print(f"etapa secrets: {exc}", file=sys.stderr)
        return 1
    for line in report:
        print(f"etapa secrets in {directory}: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
