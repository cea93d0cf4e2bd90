"""Bayesian readouts of every experiment (dbt Python model calling coaching.stats).

One row per treatment variant x metric x dimension: lift with its 95% credible interval, chance
to beat control, expected losses, a status (never a NaN passed off as a number), the sample ratio
check, and the experiment's decision on its primary metric with guardrails.
"""


def model(dbt, session):
    dbt.config(materialized="table")
    from coaching.stats.readout import results

    stats = dbt.ref("int_experiment_metric_stats").df()
    return results(stats)
