"""A short, human summary of a simulation manifest."""

from __future__ import annotations

from typing import Any


def describe(manifest: dict[str, Any]) -> str:
    counts = manifest["counts"]
    messages = manifest["messages"]
    orgs = manifest["organizations"]
    lines = [
        "Simulated world:",
        f"  organizations  {len(orgs)} ({sum(o['type'] == 'client' for o in orgs)} client, "
        f"{sum(o['type'] == 'expert' for o in orgs)} expert): "
        + ", ".join(o["slug"] for o in orgs),
        f"  workers        {counts['workers']}   enrollments {counts['enrollments']}   "
        f"segments {counts['segments']}   experiments {counts['experiments']}",
        f"  messages       {messages['outbound']} sent + {messages['follow_ups']} nudges, "
        f"{messages['delivered']} delivered, {messages['replies_24h']} replies, "
        f"{messages['opt_outs']} opt-outs",
        f"  events         {manifest['events']['landing']} in landing files, "
        f"{manifest['events']['store']} in the store",
        f"  dirty rows     {sum(manifest['dirty'].values())} planted: "
        + ", ".join(f"{source} {count}" for source, count in _by_source(manifest["dirty"]).items())
        + " (by kind in the manifest)",
        "Planted effects on the 24 h reply rate (observed rate in brackets):",
    ]
    slugs = {o["id"]: o["slug"] for o in manifest["organizations"]}
    for experiment in manifest["experiments"]:
        arms = []
        for v in experiment["variants"]:
            rate = v["replies_24h"] / v["delivered_messages"] if v["delivered_messages"] else 0.0
            planted = "" if v["is_control"] else f" {v['planted_reply_lift']:+.2f}"
            arms.append(f"{v['key']}{planted} ({rate:.1%})")
        where = slugs.get(experiment["organization_id"], "")
        lines.append(f"  {where:<34} {experiment['name']:<32} {'  '.join(arms)}")
    return "\n".join(lines)


def _by_source(dirty: dict[str, int]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for key, count in dirty.items():
        source = key.rsplit(".", 1)[0].replace(".", " ").replace("_", " ")
        totals[source] = totals.get(source, 0) + count
    return totals
