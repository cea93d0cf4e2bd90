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
        f"{sum(o['type'] == 'expert' for o in orgs)} expert)",
        f"  workers        {counts['workers']}   enrollments {counts['enrollments']}   "
        f"segments {counts['segments']}   experiments {counts['experiments']}",
        f"  messages       {messages['outbound']} sent + {messages['follow_ups']} nudges, "
        f"{messages['delivered']} delivered, {messages['replies_24h']} replies, "
        f"{messages['opt_outs']} opt-outs",
        f"  events         {manifest['events']['landing']} in landing files, "
        f"{manifest['events']['store']} in the store",
        f"  dirty rows     {sum(manifest['dirty'].values())} planted "
        f"({', '.join(f'{k} {v}' for k, v in manifest['dirty'].items())})",
        "Planted experiment effects (absolute change in 24 h reply rate):",
    ]
    for experiment in manifest["experiments"]:
        arms = []
        for v in experiment["variants"]:
            rate = v["replies_24h"] / v["delivered_messages"] if v["delivered_messages"] else 0.0
            arms.append(f"{v['key']} {v['planted_reply_lift']:+.2f} (observed {rate:.1%})")
        lines.append(f"  {experiment['name']:<34} {'; '.join(arms)}")
    return "\n".join(lines)
