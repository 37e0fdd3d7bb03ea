"""Revisão do processo: each type's review schedule, and one type's review page.

The page shows the period's figures beside the previous period's, a what-if form (keep,
remove, reorder or add stages, change planned days) with current-vs-draft charts, the
planned-days suggestions ("Aplicar" puts one in the draft), "Salvar como nova versão" and the
form that records the review. Every button posts the whole form and gets the page back, so it
works without JavaScript; workflow decides who may do what (its 403 is shown on the page).
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template

from console.adapters.api_client import ApiRefusal
from console.domain.problems import in_portuguese
from console.domain.process_review import (
    COUNTING_LABELS,
    STATE_LABELS,
    DraftRow,
    apply_suggestion,
    comparison_view,
    draft_changed,
    draft_stages,
    figure_rows,
    read_draft,
    rows_of,
    stage_rows,
)
from console.entrypoints.http.pages import Visit, page
from console.usecases import process_review as usecase

CODE_PATH = "{code:str}"


async def _render(
    request: Request[Any, Any, Any],
    visit: Visit,
    code: str,
    *,
    rows: list[DraftRow] | None = None,
    result: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    message: str = "",
    refusal: str = "",
    saved_version: int | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    branch = visit.branch.branch_id if visit.branch else None
    data = await usecase.load_review(visit.api, visit.token, code, branch)
    stages = data.service_type["stages"]
    review = data.review
    return page(
        request,
        visit,
        "process_review.html",
        status_code=status_code,
        code=code,
        review=review,
        state_label=STATE_LABELS.get(review.get("review_state") or "", "sem responsável"),
        figures=figure_rows(review["period"], review["previous_period"]),
        stages=stage_rows(review["period"], review["previous_period"]),
        causes=review["period"]["late_causes"],
        previous_causes=review["previous_period"]["late_causes"],
        suggestions=data.suggestions,
        history=data.history,
        rows=rows if rows is not None else rows_of(stages),
        countings=COUNTING_LABELS,
        comparison=comparison_view(result) if result else None,
        result=result,
        errors=errors or {},
        message=message,
        refusal=refusal,
        saved_version=saved_version,
        form=form or {},
        service_type=data.service_type,
    )


class ProcessReviewController(Controller):
    @get("/revisao", name="process_reviews")
    async def schedules(
        self, request: Request[Any, Any, Any], visit: NamedDependency[Visit]
    ) -> Template:
        items = await usecase.schedules(visit.api, visit.token)
        return page(
            request,
            visit,
            "process_reviews.html",
            items=items,
            state_labels=STATE_LABELS,
            me=str(visit.principal.user_id),
        )

    @get(f"/revisao/{CODE_PATH}", name="process_review")
    async def review(
        self, request: Request[Any, Any, Any], visit: NamedDependency[Visit], code: FromPath[str]
    ) -> Template:
        return await _render(request, visit, code)

    @post(f"/revisao/{CODE_PATH}", name="process_review_act")
    async def act(
        self, request: Request[Any, Any, Any], visit: NamedDependency[Visit], code: FromPath[str]
    ) -> Template:
        form = {key: str(value) for key, value in (await request.form()).items()}
        action = form.get("acao", "simular")
        if action == "registrar":
            return await _record(request, visit, code, form)
        data = await usecase.load_review(visit.api, visit.token, code, None)
        stages = data.service_type["stages"]
        rows, errors = read_draft(stages, form)
        message = ""
        if action.startswith("aplicar:"):
            _, key, days = action.split(":", 2)
            if days.isdigit():
                rows = apply_suggestion(rows, key, int(days))
                message = "Sugestão aplicada ao rascunho."
        if errors:
            return await _render(
                request, visit, code, rows=rows, errors=errors, status_code=400,
                message="Corrija os campos indicados.",
            )  # fmt: skip
        branch = visit.branch.branch_id if visit.branch else None
        if action == "salvar":
            if not draft_changed(rows, stages):
                return await _render(
                    request, visit, code, rows=rows, status_code=400,
                    message="O rascunho é igual ao fluxo atual: nada a salvar.",
                )  # fmt: skip
            try:
                saved = await usecase.save_version(
                    visit.api, visit.token, code, data.service_type["name"],
                    draft_stages(rows, stages, with_hours=False),
                )  # fmt: skip
            except ApiRefusal as refusal:
                return await _render(
                    request, visit, code, rows=rows, status_code=refusal.status,
                    refusal=in_portuguese(refusal.message),
                )  # fmt: skip
            version = int(saved["version"])
            return await _render(
                request, visit, code, saved_version=version,
                message=f"Versão {version} salva: as novas OS usam este fluxo.",
            )  # fmt: skip
        try:
            result = await usecase.what_if(
                visit.api, visit.token, code, draft_stages(rows, stages), branch
            )
        except ApiRefusal as refusal:
            return await _render(
                request, visit, code, rows=rows, status_code=refusal.status,
                refusal=in_portuguese(refusal.message),
            )  # fmt: skip
        return await _render(request, visit, code, rows=rows, result=result, message=message)


async def _record(
    request: Request[Any, Any, Any], visit: Visit, code: str, form: dict[str, str]
) -> Template:
    errors = {}
    findings = form.get("achados", "").strip()
    decisions = form.get("decisoes", "").strip()
    if not findings:
        errors["achados"] = "Escreva o que a revisão encontrou."
    if not decisions:
        errors["decisoes"] = "Escreva o que foi decidido."
    version_text = form.get("versao", "").strip()
    version = None
    if version_text:
        if version_text.isdigit() and int(version_text) >= 1:
            version = int(version_text)
        else:
            errors["versao"] = "Use o número de uma versão do fluxo (ex.: 2)."
    if errors:
        return await _render(
            request, visit, code, errors=errors, form=form, status_code=400,
            message="Corrija os campos indicados.",
        )  # fmt: skip
    try:
        await usecase.record_review(visit.api, visit.token, code, findings, decisions, version)
    except ApiRefusal as refusal:
        field_errors = (
            {"versao": in_portuguese(refusal.message)}
            if "resulting_version" in refusal.message
            else {}
        )
        return await _render(
            request, visit, code, errors=field_errors, form=form, status_code=refusal.status,
            refusal="" if field_errors else in_portuguese(refusal.message),
        )  # fmt: skip
    return await _render(request, visit, code, message="Revisão registrada.")
