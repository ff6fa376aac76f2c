"""Sign-in, token refresh, sign-out and the signed-in user's own account."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.identity import accounts, sign_in
from services.identity.accounts import user_out
from services.identity.models import User
from services.identity.schemas import (
    LoginIn,
    MeOut,
    PasswordChange,
    RefreshIn,
    RoleHeld,
    TokenPair,
)
from services.kit.authz.enforcer import Authorizer
from services.kit.authz.roles import Role
from services.kit.db import transaction
from services.kit.errors import NotFound
from services.kit.guard import CurrentActor, Session
from services.kit.settings import Settings


async def _reserve_attempt(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, login: str, client: str
) -> sign_in.Attempt:
    """A slot for this attempt, committed before its password is checked (the check is slow
    and holds no connection); waits while the slots left are held by checks under way."""
    while True:
        async with transaction(sessionmaker) as session:
            outcome = await sign_in.reserve_attempt(session, settings, login, client)
        if isinstance(outcome, sign_in.Refused):
            raise outcome.error
        if isinstance(outcome, sign_in.Attempt):
            return outcome
        await asyncio.sleep(outcome.retry_in)


class AuthController(Controller):
    path = "/v1/auth"
    tags = ["identity"]

    @post("/login", opt={"public": True}, status_code=HTTP_200_OK)
    async def login(self, request: Request[Any, Any, Any], data: JSONBody[LoginIn]) -> TokenPair:
        """Sign in with a mobile number or email; returns an access and a refresh token."""
        app = request.app.state
        client = request.client.host if request.client else "unknown"
        attempt = await _reserve_attempt(app.sessionmaker, app.settings, data.login, client)
        verified = await sign_in.check_password(app.settings, attempt, data.password)
        async with transaction(app.sessionmaker) as session:
            if isinstance(verified, sign_in.Refused):
                await sign_in.record_failure(session, attempt)
                outcome: TokenPair | sign_in.Refused = verified
            else:
                outcome = await sign_in.complete_sign_in(session, app.settings, verified)
        if isinstance(outcome, sign_in.Refused):
            raise outcome.error
        return outcome

    @post("/refresh", opt={"public": True}, status_code=HTTP_200_OK)
    async def refresh(
        self, request: Request[Any, Any, Any], data: JSONBody[RefreshIn]
    ) -> TokenPair:
        """Trade a refresh token for a new pair; a reused one revokes its whole family."""
        app = request.app.state
        async with transaction(app.sessionmaker) as session:
            outcome = await sign_in.rotate_refresh(session, app.settings, data.refresh_token)
        if isinstance(outcome, sign_in.Refused):
            raise outcome.error
        return outcome

    @post("/logout", opt={"public": True}, status_code=HTTP_204_NO_CONTENT)
    async def logout(self, request: Request[Any, Any, Any], data: JSONBody[RefreshIn]) -> None:
        """End the session the refresh token belongs to (all its rotations)."""
        sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
        async with transaction(sessionmaker) as session:
            await sign_in.sign_out(session, data.refresh_token)


class MeController(Controller):
    path = "/v1/me"
    tags = ["identity"]

    @get("/", opt={"authenticated": True})
    async def me(
        self, request: Request[Any, Any, Any], session: Session, actor: CurrentActor
    ) -> MeOut:
        """The signed-in account and every role it holds, by tenant."""
        user = await session.get(User, actor.user_id)
        if user is None:
            raise NotFound("No such user.")
        authorizer: Authorizer = request.app.state.authorizer
        roles = [
            RoleHeld(role=Role(role), domain=domain)
            for role, domain in authorizer.roles_of(user.id)
        ]
        return MeOut(user=user_out(user), roles=roles)

    @post("/password", opt={"authenticated": True}, status_code=HTTP_204_NO_CONTENT)
    async def change_password(
        self,
        request: Request[Any, Any, Any],
        session: Session,
        actor: CurrentActor,
        data: JSONBody[PasswordChange],
    ) -> None:
        """Change the password; every refresh token of the account is revoked."""
        settings: Settings = request.app.state.settings
        await accounts.change_password(
            session, settings, actor, data.current_password, data.new_password
        )
