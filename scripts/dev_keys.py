"""Write a development signing key pair to .etapa/jwt/ unless one is there already.

``make run`` points the services at it (``*_FILE`` variables). Production brings its own pair:
``ETAPA_JWT_PUBLIC_KEY`` for every service and ``INTAKE_JWT_PRIVATE_KEY`` for intake only.
"""

from __future__ import annotations

import sys
from pathlib import Path

from shared.auth import generate_key_pair


def main(directory: str = ".etapa/jwt") -> None:
    target = Path(directory)
    private_path, public_path = target / "private.pem", target / "public.pem"
    if private_path.exists() and public_path.exists():
        return
    target.mkdir(parents=True, exist_ok=True)
    private, public = generate_key_pair()
    private_path.write_text(private)
    private_path.chmod(0o600)
    public_path.write_text(public)
    print(f"wrote a development key pair to {target}/")


if __name__ == "__main__":
    main(*sys.argv[1:])
