"""Every active segment's rule evaluated over its organization's workers.

The rule tree is validated against the feature catalog, then run as a parameterized query
(coaching.segments): column names come from the catalog and the rule's values are bound
parameters, so a rule never becomes SQL text. Segments that fail validation or evaluation produce
one row with the problem and no members; the build goes on.
"""


def model(dbt, session):
    dbt.config(materialized="table")
    from coaching.segments.membership import evaluate_segments_in_duckdb

    dbt.ref("worker_features").create_view("segment_features", replace=True)
    segments = [
        {"id": row[0], "organization_id": row[1], "rule": row[2]}
        for row in dbt.ref("stg_store__segments")
        .filter("not is_deleted and is_active")
        .project("id, organization_id, cast(rule as varchar)")
        .fetchall()
    ]
    table = evaluate_segments_in_duckdb(session, "segment_features", segments)
    session.execute("drop view segment_features")
    return session.table(table)
