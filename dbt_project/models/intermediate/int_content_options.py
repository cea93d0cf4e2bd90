"""Every answer option of every content item as one flat row, so the messages mart matches a tap or
a typed reply to an option with joins instead of parsing JSON. The option shape is
coaching.interactive's (the API validates it on the way in; anything unreadable reads as no
options, and the reply is then read as typed text, as before options existed)."""


def model(dbt, session):
    dbt.config(materialized="table")
    import pyarrow as pa

    from coaching.interactive import options_digest, parse_options
    from orchestration.lib.model_frames import live_rows, result

    rows = []
    for content_id, organization_id, raw in live_rows(
        dbt.ref("stg_store__content"), "id", "organization_id", "options"
    ):
        options = parse_options(raw)
        digest = options_digest(options)
        for position, option in enumerate(options, start=1):
            rows.append(
                {
                    "content_id": content_id,
                    "organization_id": organization_id,
                    "position": position,
                    "payload": option.payload,
                    "option_text": option.text,
                    "is_correct": option.correct,
                    "score": option.score,
                    "option_count": len(options),
                    "options_digest": digest,
                }
            )
    schema = pa.schema(
        [
            ("content_id", pa.string()),
            ("organization_id", pa.string()),
            ("position", pa.int32()),
            ("payload", pa.string()),
            ("option_text", pa.string()),
            ("is_correct", pa.bool_()),
            ("score", pa.int32()),
            ("option_count", pa.int32()),
            ("options_digest", pa.string()),
        ]
    )
    return result(session, pa.Table.from_pylist(rows, schema=schema))
