"""Every journey rule as one flat row (one per keyword for keyword rules), so the state machine in
`journey_states` joins on columns instead of parsing JSON. The rule shape is coaching.journey_rules'."""


def model(dbt, session):
    dbt.config(materialized="table")
    import json

    import pyarrow as pa

    from coaching.journey_rules import FLAT_RULE_COLUMNS, flatten_rules
    from orchestration.lib.model_frames import live_rows, result

    rows = []
    for touchpoint_id, rules in live_rows(dbt.ref("stg_store__touchpoints"), "id", "rules"):
        try:
            parsed = json.loads(rules) if rules else []
        except ValueError:
            parsed = []
        rows += flatten_rules(touchpoint_id, parsed if isinstance(parsed, list) else [])
    schema = pa.schema(
        [
            ("touchpoint_id", pa.string()),
            ("rule_index", pa.int32()),
            ("rule_kind", pa.string()),
            ("keyword", pa.string()),
            ("quiz_correct", pa.bool_()),
            ("below_score", pa.int32()),
            ("segment_id", pa.string()),
            ("segment_member", pa.bool_()),
            ("goto_position", pa.int32()),
            ("after_days", pa.int32()),
        ]
    )
    assert tuple(schema.names) == FLAT_RULE_COLUMNS
    return result(session, pa.Table.from_pylist(rows, schema=schema))
