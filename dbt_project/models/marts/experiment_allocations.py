"""Current allocation weights per experiment variant (dbt Python model calling coaching.stats).

Adaptive experiments get Thompson-sampling weights from the posterior of their primary metric,
after a burn-in and with a floor per arm; the others keep their planned weights.
"""


def model(dbt, session):
    dbt.config(materialized="table")
    import hashlib

    import numpy as np
    import pandas as pd

    from coaching.stats.allocation import thompson_weights

    stats = (
        dbt.ref("int_experiment_metric_stats")
        .filter("metric = 'reply_rate_24h' and dimension = 'all'")
        .df()
    )
    experiments = dbt.ref("stg_store__experiments").project("id as experiment_id, is_adaptive").df()
    stats = stats.merge(experiments, on="experiment_id", how="left").sort_values(
        ["experiment_id", "variant_key"]
    )
    parts = []
    for experiment_id, rows in stats.groupby("experiment_id", sort=True):
        planned = rows["weight"].to_numpy(dtype=float)[None, :]
        current, reason = planned[0] / planned.sum(), "fixed weights"
        if bool(rows["is_adaptive"].iloc[0]):
            trials = rows["n"].to_numpy(dtype=float)[None, :]
            current = thompson_weights(
                rows["successes"].to_numpy(dtype=float)[None, :],
                trials,
                planned,
                seed=int(hashlib.sha256(experiment_id.encode()).hexdigest()[:8], 16),  # stable
            )[0]
            reason = (
                "thompson sampling"
                if trials.min() >= 100
                else "burn-in: planned weights until 100 per arm"
            )
        parts.append(
            pd.DataFrame(
                {
                    "experiment_id": experiment_id,
                    "organization_id": rows["organization_id"].to_numpy(),
                    "variant_id": rows["variant_id"].to_numpy(),
                    "variant_key": rows["variant_key"].to_numpy(),
                    "is_adaptive": bool(rows["is_adaptive"].iloc[0]),
                    "planned_weight": rows["weight"].to_numpy(dtype=float),
                    "current_weight": np.round(current, 6),
                    "reason": reason,
                }
            )
        )
    return (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame(
            columns=[
                "experiment_id",
                "organization_id",
                "variant_id",
                "variant_key",
                "is_adaptive",
                "planned_weight",
                "current_weight",
                "reason",
            ]
        )
    )
