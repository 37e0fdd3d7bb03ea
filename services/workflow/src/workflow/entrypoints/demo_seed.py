"""Demo flows for ``make run``: the service types of the seed article, plus a lab order."""

from __future__ import annotations

from shared.clock import system_clock
from shared.database import create_pool
from shared.demo import DEMO_CHAIN_ID
from shared.logging import get_logger
from shared.runtime import migrate_service_database
from shared.settings import refuse_demo_outside_development
from workflow.adapters.postgres.stores import PostgresStores
from workflow.config import MIGRATIONS, WorkflowSettings
from workflow.domain.calendar import DayCounting
from workflow.domain.flow import Stage
from workflow.usecases.save_flow_version import publish_flow

log = get_logger(__name__)

B, C = DayCounting.BUSINESS, DayCounting.CALENDAR

# Each ends with the customer's link (ETAPA_TRACKING_BASE_URL/a/<token>) and fits in two SMS
# segments with accents (UCS-2) and one when the chain asks for GSM-7 only.
OPENED_SMS = (
    "Olá {nome}! OS {numero_os} recebida na {filial}. Previsão: {data_prometida}. Acompanhe: {link}"
)
READY_SMS = "Olá {nome}! OS {numero_os} pronta para retirada na {filial}. Horários: {link}"
READY = Stage(
    "pronto-para-retirada",
    "Pronto para retirada",
    0,
    B,
    description="Cliente avisado; aguardando a retirada na loja",
    sms_template=READY_SMS,
    responsible_role="attendant",
    pauses_clock=True,
)

DEMO_FLOWS: dict[str, tuple[str, tuple[Stage, ...]]] = {
    "venda-oculos-grau": (
        "Venda de óculos de grau",
        (
            Stage(
                "conferencia",
                "Conferência da receita",
                1,
                B,
                description="Conferir receita, medidas e armação",
                sms_template=OPENED_SMS,
                responsible_role="attendant",
                customer_name="Pedido recebido",
            ),
            Stage(
                "envio-laboratorio",
                "Envio ao laboratório",
                1,
                B,
                description="Pedido enviado ao laboratório",
                lab_statuses=("received",),
                visible_to_customer=False,
            ),
            Stage(
                "producao",
                "Produção no laboratório",
                5,
                B,
                description="Surfaçagem, tratamento e corte das lentes",
                lab_statuses=("in_production", "surfacing", "coating", "edging"),
                customer_name="Produção das lentes",
            ),
            Stage(
                "montagem",
                "Montagem",
                1,
                B,
                description="Montagem das lentes na armação",
                lab_statuses=("assembly", "shipped"),
                responsible_role="technician",
            ),
            Stage(
                "controle-qualidade",
                "Controle de qualidade",
                1,
                B,
                description="Conferência final do óculos",
                lab_statuses=("quality_check",),
                visible_to_customer=False,
            ),
            READY,
        ),
    ),
    "troca": (
        "Troca",
        (
            Stage(
                "analise",
                "Análise da troca",
                1,
                B,
                description="Avaliar o motivo da troca",
                sms_template=OPENED_SMS,
            ),
            Stage(
                "fornecedor",
                "Aguardando fornecedor",
                3,
                B,
                description="Novo produto pedido ao fornecedor",
            ),
            READY,
        ),
    ),
    "reparo": (
        "Reparo",
        (
            Stage(
                "avaliacao",
                "Avaliação técnica",
                1,
                B,
                description="Diagnóstico do reparo",
                sms_template=OPENED_SMS,
                responsible_role="technician",
            ),
            Stage(
                "conserto",
                "Conserto",
                3,
                B,
                description="Solda, troca de peças ou ajuste",
                responsible_role="technician",
            ),
            READY,
        ),
    ),
    "venda-lentes-contato": (
        "Venda de lentes de contato",
        (
            Stage(
                "pedido-fornecedor",
                "Pedido ao fornecedor",
                1,
                B,
                description="Pedido das lentes ao fornecedor",
                sms_template=OPENED_SMS,
            ),
            Stage(
                "entrega-fornecedor",
                "Entrega do fornecedor",
                5,
                C,
                description="Transporte das lentes até a loja",
            ),
            READY,
        ),
    ),
    "venda-armacao": (
        "Venda de armação",
        (
            Stage(
                "ajuste",
                "Ajuste da armação",
                1,
                B,
                description="Ajuste ao rosto do cliente",
                responsible_role="technician",
            ),
            READY,
        ),
    ),
}


async def seed_demo(settings: WorkflowSettings) -> None:
    refuse_demo_outside_development(settings.service)
    await migrate_service_database(settings.service.database_direct_url, MIGRATIONS)
    pool = await create_pool(settings.service.database_direct_url)
    try:
        async with pool.acquire() as conn, conn.transaction():
            for code, (name, stages) in DEMO_FLOWS.items():
                # The same checks as over HTTP; an unchanged flow makes no new version.
                await publish_flow(
                    PostgresStores(conn),
                    DEMO_CHAIN_ID,
                    code,
                    name,
                    stages,
                    now=system_clock(),
                    actor="demo",
                )
    finally:
        await pool.close()
    log.info("demo_flows_seeded", service_types=sorted(DEMO_FLOWS))
