"""Every active segment's rule evaluated over its organization's workers.

The rule tree is validated against the feature catalog, then run as a parameterized query
(coaching.segments): column names come from the catalog and the rule's values are bound
parameters, so a rule never becomes SQL text. Segments that fail validation or evaluation produce
one row with the problem and no members; the build goes on.
"""


def model(dbt, session):
    dbt.config(materialized="table")
    from coaching.segments.membership import evaluate_segments_in_duckdb
    from orchestration.lib.model_frames import in_duckdb, live_rows

    segments = [
        {"id": id_, "organization_id": organization_id, "rule": rule}
        for id_, organization_id, rule in live_rows(
            dbt.ref("stg_store__segments"), "id", "organization_id", "rule",
            where=("is_deleted", "is_active"),
        )
    ]  # fmt: skip
    return in_duckdb(
        session,
        {"segment_features": dbt.ref("worker_features")},
        lambda connection: evaluate_segments_in_duckdb(connection, "segment_features", segments),
    )
