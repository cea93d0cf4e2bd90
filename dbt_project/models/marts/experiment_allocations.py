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
    from orchestration.lib.model_frames import as_pandas, result

    stats = as_pandas(dbt.ref("int_experiment_metric_stats"))
    experiments = as_pandas(dbt.ref("stg_store__experiments"))
    stats = stats[(stats["metric"] == "reply_rate_24h") & (stats["dimension"] == "all")]
    experiments = experiments.rename(columns={"id": "experiment_id"})[
        ["experiment_id", "is_adaptive"]
    ]
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
    return result(session, allocations(parts))


def allocations(parts):
    """The weights as one frame, typed even when no experiment runs (an engine cannot store a
    column of unknown type)."""
    import pandas as pd

    if parts:
        return pd.concat(parts, ignore_index=True)
    columns = {
        "experiment_id": "string", "organization_id": "string", "variant_id": "string",
        "variant_key": "string", "is_adaptive": "bool", "planned_weight": "float64",
        "current_weight": "float64", "reason": "string",
    }  # fmt: skip
    return pd.DataFrame({name: pd.Series(dtype=kind) for name, kind in columns.items()})
