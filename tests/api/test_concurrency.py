"""Many requests at once: more than there are worker threads and store connections together.

This once deadlocked (threads waiting for connections held by finished requests waiting for a
thread to serialize their response); every request must now complete."""

from __future__ import annotations

import asyncio

import httpx

from api.main import create_app
from tests.api.conftest import Api
from tests.api.factories import create_body


def test_a_burst_of_requests_all_complete(api: Api) -> None:
    org = api.organization()
    for _ in range(3):
        api.client.post("/workers", json=create_body("workers", {}), headers=org.admin)
    app = create_app(api.settings)

    async def burst() -> list[int]:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
                calls = [client.get("/workers?limit=2", headers=org.admin) for _ in range(64)]
                answers = await asyncio.wait_for(asyncio.gather(*calls), timeout=120)
        return [a.status_code for a in answers]

    assert asyncio.run(burst()) == [200] * 64
