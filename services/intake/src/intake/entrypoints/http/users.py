"""Staff accounts over HTTP: chain admins manage everyone, branch managers their branches' staff."""

from __future__ import annotations

from dataclasses import asdict
from uuid import UUID

from litestar import Controller, get, patch, post
from litestar.di import NamedDependency
from litestar.exceptions import ClientException, NotFoundException, PermissionDeniedException
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED

from intake.domain.records import User
from intake.domain.users import EmailTaken, UnknownBranches
from intake.entrypoints.http.errors import ConflictException
from intake.entrypoints.http.schemas import UserIn, UserOut, UserPatch
from intake.usecases import manage_users
from intake.usecases.ports import NewId, Passwords, Transactions
from shared.auth import Principal, Role
from shared.clock import Clock
from shared.pagination import DEFAULT_PAGE_SIZE, Limit, Offset, Page, page_of

MANAGEABLE_BY_BRANCH_MANAGER = (Role.ATTENDANT, Role.VIEWER)


def _check_may_grant(principal: Principal, role: Role, branch_ids: frozenset[UUID]) -> None:
    """A branch manager hands out only attendant and viewer roles, only in their branches."""
    principal.require_role(Role.CHAIN_ADMIN, Role.BRANCH_MANAGER, action="gerenciar usuários")
    if principal.role is Role.CHAIN_ADMIN:
        return
    if role not in MANAGEABLE_BY_BRANCH_MANAGER:
        raise PermissionDeniedException(
            "Gerente de filial só cadastra atendentes e usuários de consulta."
        )
    if not branch_ids or not branch_ids <= principal.branch_ids:
        raise PermissionDeniedException(
            "Gerente de filial só cadastra usuários nas próprias filiais (branch_ids)."
        )


def _check_may_manage(principal: Principal, user: User) -> None:
    if principal.role is Role.CHAIN_ADMIN:
        return
    _check_may_grant(principal, Role(user.role), frozenset(user.branch_ids))


class UserController(Controller):
    path = "/api/v1/users"
    tags = ["directory"]

    @post("/", status_code=HTTP_201_CREATED)
    async def create_user(
        self,
        data: JSONBody[UserIn],
        transactions: NamedDependency[Transactions],
        passwords: NamedDependency[Passwords],
        new_id: NamedDependency[NewId],
        principal: NamedDependency[Principal],
    ) -> UserOut:
        """Add a staff member to the caller's chain."""
        branch_ids = frozenset(data.branch_ids)
        _check_may_grant(principal, data.role, branch_ids)
        new = manage_users.NewUser(data.email, data.name, data.role, branch_ids, data.password)
        try:
            user = await manage_users.create_user(
                transactions, passwords, principal.chain_id, new, new_id
            )
        except EmailTaken as exc:
            raise ConflictException(f"email: {exc}") from None
        except UnknownBranches as exc:
            raise ClientException(f"branch_ids: unknown branches {exc}") from None
        return UserOut(**asdict(user))

    @get("/")
    async def list_users(
        self,
        transactions: NamedDependency[Transactions],
        principal: NamedDependency[Principal],
        limit: Limit = DEFAULT_PAGE_SIZE,
        offset: Offset = 0,
    ) -> Page:
        """The chain's staff (a branch manager sees their branches' staff)."""
        principal.require_role(Role.CHAIN_ADMIN, Role.BRANCH_MANAGER, action="ver usuários")
        users = await manage_users.list_users(
            transactions, principal.chain_id, principal.visible_branches(), limit, offset
        )
        return page_of([UserOut(**asdict(u)) for u in users], limit, offset)

    @get("/{user_id:uuid}")
    async def get_user(
        self,
        user_id: FromPath[UUID],
        transactions: NamedDependency[Transactions],
        principal: NamedDependency[Principal],
    ) -> UserOut:
        return UserOut(**asdict(await _visible_user(transactions, principal, user_id)))

    @patch("/{user_id:uuid}")
    async def update_user(
        self,
        user_id: FromPath[UUID],
        data: JSONBody[UserPatch],
        transactions: NamedDependency[Transactions],
        passwords: NamedDependency[Passwords],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
    ) -> UserOut:
        """Change a user's name, role, branches, password or whether they may sign in.

        Deactivating a user or changing their role, branches or password revokes the tokens
        they hold, on every service, within a second or two (``shared.token_validity``).
        """
        current = await _visible_user(transactions, principal, user_id)
        _check_may_manage(principal, current)
        changes = data.model_dump(exclude_unset=True, exclude_none=True)
        if "role" in changes or "branch_ids" in changes:
            _check_may_grant(
                principal,
                changes.get("role", Role(current.role)),
                frozenset(changes.get("branch_ids", current.branch_ids)),
            )
        if user_id == principal.user_id and ("role" in changes or changes.get("active") is False):
            raise ClientException("Você não pode mudar o próprio perfil nem se desativar.")
        if not changes:
            return UserOut(**asdict(current))
        try:
            user = await manage_users.update_user(
                transactions,
                passwords,
                principal.chain_id,
                user_id,
                manage_users.UserChanges(
                    name=data.name,
                    role=data.role,
                    branch_ids=None if data.branch_ids is None else frozenset(data.branch_ids),
                    active=data.active,
                    password=data.password,
                ),
                clock(),
            )
        except UnknownBranches as exc:
            raise ClientException(f"branch_ids: unknown branches {exc}") from None
        assert user is not None
        return UserOut(**asdict(user))


async def _visible_user(transactions: Transactions, principal: Principal, user_id: UUID) -> User:
    principal.require_role(Role.CHAIN_ADMIN, Role.BRANCH_MANAGER, action="ver usuários")
    user = await manage_users.get_user(transactions, principal.chain_id, user_id)
    visible = principal.visible_branches()
    if user is None or (visible is not None and not visible & set(user.branch_ids)):
        raise NotFoundException(f"user {user_id} not found")
    return user
