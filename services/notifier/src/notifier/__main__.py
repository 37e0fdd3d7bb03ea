"""``python -m notifier [serve|migrate]``."""

from __future__ import annotations

from notifier.bootstrap import create_app, create_runtime
from notifier.config import NotifierSettings
from shared.service_main import main_of, run_service_cli


def _main() -> None:
    settings = NotifierSettings.from_env()
    run_service_cli(
        settings.service,
        create_app=lambda: create_app(settings),
        migrate=create_runtime(settings).migrate,
    )


main = main_of("etapa-notifier", _main)

if __name__ == "__main__":
    main()
