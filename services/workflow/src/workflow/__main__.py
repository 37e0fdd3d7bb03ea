"""``python -m workflow [serve|migrate|seed-demo]``."""

from __future__ import annotations

from shared.service_main import main_of, run_service_cli
from workflow.bootstrap import create_app, create_runtime
from workflow.config import WorkflowSettings
from workflow.entrypoints.demo_history import seed_demo_history
from workflow.entrypoints.demo_seed import seed_demo


def _main() -> None:
    settings = WorkflowSettings.from_env()
    run_service_cli(
        settings.service,
        create_app=lambda: create_app(settings),
        migrate=create_runtime(settings).migrate,
        extra_commands={
            "seed-demo": lambda: seed_demo(settings),
            "seed-demo-history": lambda: seed_demo_history(settings),
        },
    )


main = main_of("etapa-workflow", _main)

if __name__ == "__main__":
    main()
