"""Enforce a contract inside DuckDB: type every row, then give each row the reasons it breaks.

Two stages, because they happen at different times:
- `typed_sql` casts a source whose columns may be text (CSV, NDJSON) to the contract's types; a
  value that does not cast becomes a `bad_type:<column>` reason (applied when a file is taken in);
- `checked_sql` applies the rules (required, allowed values, formats, ranges, row conditions) and
  the references to other tables (applied when a bronze partition is built).

Column names and enum values come from code (the contracts), never from input; they are still
quoted as identifiers and literals so that no value can change the shape of a query.
"""

from __future__ import annotations

from collections.abc import Iterable

from data_contracts.contract import Contract


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _reasons(parts: Iterable[str]) -> str:
    parts = list(parts)
    if not parts:
        return "''"
    return "concat_ws('; ', " + ", ".join(parts) + ")"


def typed_sql(
    contract: Contract, source: str, available: set[str], keep: Iterable[str] = ()
) -> str:
    """SELECT that casts `source` to the contract's columns, keeping raw text of failed casts.

    Adds `_cast_reason` (empty when every value cast) and `_record` (the row as it arrived, JSON)
    for rows with a failed cast; columns named in `keep` (lineage) pass through unchanged.
    """
    selects, reasons, raw = [], [], []
    for column in contract.columns:
        q = ident(column.name)
        if column.name not in available:
            selects.append(f"cast(null as {column.type}) as {q}")
            continue
        selects.append(f"try_cast({q} as {column.type}) as {q}")
        if column.type != "VARCHAR":
            reasons.append(
                f"case when {q} is not null and try_cast({q} as {column.type}) is null "
                f"then {literal('bad_type:' + column.name)} end"
            )
        raw.append(f"{literal(column.name)}: cast({q} as varchar)")
    if "_parse_error" in available:
        reasons.insert(0, '"_parse_error"')
    reason = _reasons(reasons)
    record = "to_json({" + ", ".join(raw) + "})" if raw else "null"
    lineage = [ident(name) for name in keep if name in available]
    return (
        f"select {', '.join([*selects, *lineage])}, {reason} as _cast_reason, "
        f"case when {reason} <> '' then {record} end as _cast_record from {source}"
    )


def rule_reasons(contract: Contract, alias: str = "t") -> list[str]:
    """One CASE per rule, each naming the column and the rule it breaks."""
    reasons = []
    for column in contract.columns:
        q = f"{alias}.{ident(column.name)}"
        if column.required:
            reasons.append(f"case when {q} is null then {literal('missing:' + column.name)} end")
        if column.allowed:
            values = ", ".join(literal(v) for v in column.allowed)
            reasons.append(
                f"case when {q} is not null and {q} not in ({values}) "
                f"then {literal('not_allowed:' + column.name)} end"
            )
        if column.pattern:
            reasons.append(
                f"case when {q} is not null and not regexp_full_match({q}, {literal(column.pattern)}) "
                f"then {literal('bad_format:' + column.name)} end"
            )
        if column.is_text:
            reasons.append(
                f"case when length({q}) > {column.length_limit} "
                f"then {literal('too_long:' + column.name)} end"
            )
            reasons.append(
                f"case when regexp_matches({q}, {literal(column.forbidden_characters)}) "
                f"then {literal('control_character:' + column.name)} end"
            )
        if column.minimum is not None:
            reasons.append(
                f"case when {q} < {column.minimum} then {literal('below_minimum:' + column.name)} end"
            )
        if column.maximum is not None:
            reasons.append(
                f"case when {q} > {column.maximum} then {literal('above_maximum:' + column.name)} end"
            )
    for reason, predicate in contract.conditions:
        reasons.append(f"case when not coalesce(({predicate}), false) then {literal(reason)} end")
    return reasons


def checked_sql(contract: Contract, source: str, lookups: set[str]) -> str:
    """SELECT of `source` with `_reason` (empty for a good row) from rules and references.

    A reference whose lookup relation is not in `lookups` is not checked (e.g. before the first
    load of workers); the caller reports that rather than rejecting every row.
    """
    reasons = rule_reasons(contract, "t")
    joins = []
    for i, ref in enumerate(contract.references):
        if ref.lookup not in lookups:
            continue
        alias = f"ref_{i}"
        key = ident(ref.lookup_column)
        on = [f"{alias}._value = t.{ident(ref.column)}"]
        select = f"select distinct {key} as _value"
        if ref.same_organization:
            on.append(f"{alias}._organization_id = t.organization_id")
            select += ", organization_id as _organization_id"
        joins.append(f"left join ({select} from {ident(ref.lookup)}) {alias} on {' and '.join(on)}")
        when = f"({ref.when}) and " if ref.when else ""
        # Only well-formed values are looked up: a malformed phone is already its own reason.
        column = contract.column(ref.column)
        formed = (
            f"regexp_full_match(t.{ident(ref.column)}, {literal(column.pattern)}) and "
            if column.pattern
            else ""
        )
        reasons.append(
            f"case when {when}{formed}t.{ident(ref.column)} is not null and {alias}._value is null "
            f"then {literal(ref.reason)} end"
        )
    return f"select t.*, {_reasons(reasons)} as _reason from ({source}) t {' '.join(joins)}"
