"""``python -m workflow [serve|migrate|seed-demo]``."""

from __future__ import annotations

from shared.service_main import run_service_cli
from workflow.bootstrap import create_app, create_runtime
from workflow.config import WorkflowSettings
from workflow.entrypoints.demo_seed import seed_demo


def main() -> None:
    settings = WorkflowSettings.from_env()
    run_service_cli(
        settings.service,
        create_app=lambda: create_app(settings),
        migrate=create_runtime(settings).migrate,
        extra_commands={"seed-demo": lambda: seed_demo(settings)},
    )


if __name__ == "__main__":
    main()
