"""``python -m intake [serve|migrate|seed-demo]``."""

from __future__ import annotations

from intake.bootstrap import create_app, create_runtime
from intake.config import IntakeSettings
from intake.entrypoints.demo_seed import demo_users_table, seed_demo
from shared.service_main import main_of, run_service_cli


async def _print(text: str) -> None:
    print(text)


def _main() -> None:
    settings = IntakeSettings.from_env()
    run_service_cli(
        settings.service,
        create_app=lambda: create_app(settings),
        migrate=create_runtime(settings).migrate,
        extra_commands={
            "seed-demo": lambda: seed_demo(settings),
            "demo-users": lambda: _print(demo_users_table()),
        },
    )


main = main_of("etapa-intake", _main)

if __name__ == "__main__":
    main()
