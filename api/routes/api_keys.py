"""Creating an API key: the only moment its secret exists outside the caller's hands."""

from __future__ import annotations

from typing import Annotated, Any

from api.deps import Principal, TenantSessionDep, writer
from api.problems import RESPONSES
from api.routing import StoreRouter
from api.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyRead
from api.security import new_api_key
from coaching.domain import ADMINS
from coaching.store.tables import ApiKey

router = StoreRouter(prefix="/api-keys", tags=["api-keys"], responses=RESPONSES)


@router.post(
    "",
    response_model=ApiKeyCreated,
    status_code=201,
    summary="Create an API key for a service account",
    description="The response carries the key once; only its hash is stored. Send it as "
    "`Authorization: Bearer <key>`.",
)
def create_api_key(
    body: ApiKeyCreate,
    principal: Annotated[Principal, writer(ADMINS, "API keys")],
    session: TenantSessionDep,
) -> Any:
    secret = new_api_key()
    row = ApiKey(
        name=body.name,
        role=body.role,
        expires_at=body.expires_at,
        prefix=secret.prefix,
        key_hash=secret.key_hash,
    )
    session.add(row)
    session.commit()
    return {**ApiKeyRead.model_validate(row).model_dump(), "key": secret.key}
