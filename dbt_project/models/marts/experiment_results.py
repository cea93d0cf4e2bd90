"""Readouts of every experiment (dbt Python model calling coaching.stats).

One row per treatment variant x metric x dimension: the always-valid ("safe to peek") interval and
p-value that decide, and the fixed-horizon Bayesian figures beside them (lift with its 95%
credible interval, chance to beat control, expected losses), a status (never a NaN passed off as
a number), the sample ratio check, the design (days run and planned, minimum weeks and sample) and
the experiment's decision on its primary metric with guardrails.
"""


def model(dbt, session):
    dbt.config(materialized="table")
    from coaching.stats.readout import results
    from orchestration.lib.model_frames import as_pandas, result

    stats = as_pandas(dbt.ref("int_experiment_metric_stats"))
    designs = as_pandas(dbt.ref("int_experiment_designs"))
    return result(session, results(stats, designs=designs))
