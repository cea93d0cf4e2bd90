"""Every active segment's rule evaluated over its organization's workers.

The rule tree is validated against the feature catalog and evaluated by Arrow compute kernels
(coaching.segments): a rule's values never become SQL text. Segments that fail validation or
evaluation produce one row with the problem and no members; the build goes on.
"""


def model(dbt, session):
    dbt.config(materialized="table")
    from coaching.segments.membership import evaluate_segments

    features = dbt.ref("worker_features").to_arrow_table()
    segments = (
        dbt.ref("stg_store__segments")
        .filter("not is_deleted and is_active")
        .project("id, organization_id, cast(rule as varchar) as rule")
        .to_arrow_table()
        .to_pylist()
    )
    return evaluate_segments(features, segments)
