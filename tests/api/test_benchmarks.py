"""Anonymized benchmarks over the published marts: an admin sees their organization beside its
pool, or why there is none; the platform sees every pool; no one sees another organization."""

from __future__ import annotations

from coaching.domain import Role
from tests.api.conftest import Api
from tests.api.test_reads import publish

POOLS = (
    "select * from (values "
    "('nurse', '100-999', 6, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, null, null, null, date '2026-11-20'), "
    "('driver', '1-99', 5, 0.1, 0.1, 0.1, 0.2, 0.2, 0.2, 0.9, 0.9, 0.9, date '2026-11-20')"
    ") t(worker_type, size_band, organizations, reply_rate_p25, reply_rate_median, "
    "reply_rate_p75, completion_share_p25, completion_share_median, completion_share_p75, "
    "retention_share_p25, retention_share_median, retention_share_p75, as_of_date)"
)


def publish_metrics(api: Api, *rows: tuple[str, str, str, int, float]) -> None:
    values = ", ".join(
        f"('{org}', '{kind}', '{band}', {workers}, {reply}, 0.65, 0.8, date '2026-11-20')"
        for org, kind, band, workers, reply in rows
    )
    publish(
        api,
        "organization_metrics",
        f"select * from (values {values}) t(organization_id, worker_type, size_band, workers, "
        "reply_rate, completion_share, retention_share, as_of_date)",
    )


def test_an_admin_sees_their_organization_beside_its_pool(api: Api) -> None:
    mine, alone, stranger = api.organization(), api.organization(), api.organization()
    publish_metrics(
        api, (mine.id, "nurse", "100-999", 320, 0.45), (alone.id, "cook", "1-99", 12, 0.9)
    )
    publish(api, "organization_benchmarks", POOLS)
    answer = api.client.get("/reads/benchmarks", headers=mine.admin)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["worker_type"], body["size_band"], body["workers"]) == ("nurse", "100-999", 320)
    assert body["similar_organizations"] == 6 and body["withheld"] is None
    metrics = {m["metric"]: m for m in body["metrics"]}
    assert metrics["reply_rate"]["median"] == 0.3
    assert metrics["reply_rate"]["difference_from_median"] == 0.15
    assert metrics["reply_rate"]["position"] == "above_p75"
    assert metrics["completion_share"]["position"] == "median_to_p75"
    # The pool withholds retention (too few of its organizations had a value): no comparison.
    assert metrics["retention_share"]["value"] == 0.8
    assert metrics["retention_share"]["median"] is None
    assert metrics["retention_share"]["position"] is None

    # Too few organizations like this one: its own figures, and why there is nothing to compare.
    small = api.client.get("/reads/benchmarks", headers=alone.admin).json()
    assert small["similar_organizations"] is None and "fewer than 5" in small["withheld"]
    assert {m["metric"]: m["value"] for m in small["metrics"]}["reply_rate"] == 0.9
    assert all(m["median"] is None for m in small["metrics"])

    # An organization the pipeline has not measured is told so, and sees no one else's row.
    unmeasured = api.client.get("/reads/benchmarks", headers=stranger.admin)
    assert unmeasured.status_code == 200 and unmeasured.json()["metrics"] == []
    assert mine.id not in unmeasured.text and alone.id not in unmeasured.text


def test_only_admins_read_benchmarks_and_a_missing_mart_is_explained(api: Api) -> None:
    org = api.organization()
    missing = api.client.get("/reads/benchmarks", headers=org.admin)
    assert missing.status_code == 409 and "published" in missing.json()["detail"]
    publish_metrics(api, (org.id, "nurse", "100-999", 320, 0.45))
    publish(api, "organization_benchmarks", POOLS)
    for role in Role:
        answer = api.client.get("/reads/benchmarks", headers=org.headers[role])
        assert answer.status_code == (200 if role is Role.ADMIN else 403), (role, answer.text)


def test_the_platform_lists_every_pool_with_its_token_only(api: Api) -> None:
    org = api.organization()
    publish(api, "organization_benchmarks", POOLS)
    assert api.client.get("/platform/benchmarks", headers=org.admin).status_code == 401
    platform = {"Authorization": f"Bearer {api.settings.platform_token}"}
    body = api.client.get("/platform/benchmarks", headers=platform).json()
    assert body["minimum_organizations"] == 5
    pools = {(p["worker_type"], p["size_band"]): p for p in body["items"]}
    assert set(pools) == {("nurse", "100-999"), ("driver", "1-99")}
    assert pools[("driver", "1-99")]["metrics"]["retention_share"]["median"] == 0.9
    assert pools[("nurse", "100-999")]["organizations"] == 6


def test_a_mart_naming_organizations_is_never_read_across_tenants(api: Api) -> None:
    """Published by mistake with organization ids, the pools are refused, not served."""
    org = api.organization()
    publish(
        api, "organization_benchmarks", f"select '{org.id}' as organization_id, * from ({POOLS})"
    )
    platform = {"Authorization": f"Bearer {api.settings.platform_token}"}
    answer = api.client.get("/platform/benchmarks", headers=platform)
    assert answer.status_code == 500 and org.id not in answer.text
