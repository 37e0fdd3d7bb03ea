"""The review page: workflow's analytics for a period and a branch, as charts."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from console.adapters.api_client import ApiClient, Service
from console.domain.charts import BarChart
from console.domain.review import (
    OnTime,
    Period,
    StageChart,
    lead_time_chart,
    on_time_view,
    slowest_chart,
    stage_charts,
)

LEAD_GROUPS = ("service_type", "branch", "lab")


@dataclass(frozen=True, slots=True)
class Review:
    period: Period
    on_time: OnTime
    lead_times: dict[str, BarChart]
    stages: list[StageChart]
    slowest: BarChart

    @property
    def empty(self) -> bool:
        return self.on_time.delivered == 0 and not self.stages


async def load_review(api: ApiClient, token: str, period: Period, branch_id: str | None) -> Review:
    params: dict[str, str | int | list[str]] = {
        "from": period.first.isoformat(),
        "to": period.last.isoformat(),
    }
    if branch_id:
        params["branch"] = branch_id

    async def analytics(path: str, **extra: str | int) -> Any:
        return await api.get(
            Service.WORKFLOW, f"/api/v1/analytics/{path}", token=token, params={**params, **extra}
        )

    on_time, stages, slowest, types, *leads = await asyncio.gather(
        analytics("on-time"),
        analytics("stage-times"),
        analytics("slowest-stages", limit=5),
        api.get_all(Service.WORKFLOW, "/api/v1/service-types", token=token),
        *(analytics("lead-times", by=group) for group in LEAD_GROUPS),
    )
    names = {str(t["code"]): str(t["name"]) for t in types}
    return Review(
        period=period,
        on_time=on_time_view(on_time),
        lead_times={
            group: lead_time_chart(body["items"], names if group == "service_type" else {})
            for group, body in zip(LEAD_GROUPS, leads, strict=True)
        },
        stages=stage_charts(stages["items"], names, branch_id),
        slowest=slowest_chart(slowest["items"], names, branch_id),
    )
