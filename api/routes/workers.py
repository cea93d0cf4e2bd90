"""Bulk import of workers from a CSV file, with an error per rejected row."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any

from fastapi import Query, Request
from pydantic import ValidationError
from sqlalchemy import select

from api.deps import Principal, TenantSessionDep, writer
from api.problems import RESPONSES, Problem, location
from api.routing import StoreRouter
from api.schemas import ImportResult, ImportRowError, WorkerCreate
from coaching.domain import PROGRAM_ROLES
from coaching.store.tables import Worker

router = StoreRouter(prefix="/workers", tags=["workers"], responses=RESPONSES)
COLUMNS = frozenset(WorkerCreate.model_fields) - {"attributes"}
MAX_ROWS = 50_000
MAX_CSV_CHARACTERS = 250_000  # four bytes a character at most: within the API's 1 MiB body limit
_COLUMN = "(" + "|".join(sorted(COLUMNS)) + ")"
HEADER_PATTERN = rf"^\ufeff?({_COLUMN},)*phone_e164(,{_COLUMN})*(\r?\n|$)"


def _rows(text: str) -> csv.DictReader[str]:
    reader = csv.DictReader(io.StringIO(text))
    header = set(reader.fieldnames or [])
    if "phone_e164" not in header:
        raise Problem(422, "the CSV needs a header row with at least a phone_e164 column")
    if unknown := sorted(header - COLUMNS):
        raise Problem(
            422, f"unknown columns {', '.join(unknown)}; known: {', '.join(sorted(COLUMNS))}"
        )
    return reader


@router.post(
    "/import",
    response_model=ImportResult,
    summary="Import workers from CSV",
    description="One worker per row, columns named as the worker fields (phone_e164 required). "
    "Valid rows are created, each rejected row is reported with its line, field and reason. "
    "With dry_run=true nothing is stored.",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {
                    # A header row naming phone_e164 among its columns, then the rows.
                    "schema": {
                        "type": "string",
                        "pattern": HEADER_PATTERN,
                        "maxLength": MAX_CSV_CHARACTERS,
                    },
                    "example": "phone_e164,display_name,team,language\n+254700000001,Amina,Coast A,sw\n",
                }
            },
        }
    },
)
async def import_workers(
    request: Request,
    principal: Annotated[Principal, writer(PROGRAM_ROLES, "workers")],
    session: TenantSessionDep,
    dry_run: Annotated[bool, Query()] = False,
) -> Any:
    raw = await request.body()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Problem(422, "the CSV is not UTF-8 text") from None
    if len(text) > MAX_CSV_CHARACTERS:
        raise Problem(422, f"an import is at most {MAX_CSV_CHARACTERS} characters")
    try:
        reader = _rows(text)
        candidates: list[tuple[int, WorkerCreate]] = []
        errors: list[ImportRowError] = []
        for row in reader:
            line = reader.line_num
            if len(candidates) + len(errors) >= MAX_ROWS:
                raise Problem(413, f"at most {MAX_ROWS} rows per import")
            if None in row:  # more cells than header columns
                errors.append(ImportRowError(line=line, path="", reason="more cells than columns"))
                continue
            # Cells are trimmed here: spreadsheets pad them, and the API takes no blanks.
            values = {k.strip(): v.strip() for k, v in row.items() if v and v.strip()}
            try:
                candidates.append((line, WorkerCreate.model_validate(values)))
            except ValidationError as exc:
                errors += [
                    ImportRowError(line=line, path=location(e["loc"]), reason=e["msg"])
                    for e in exc.errors()
                ]
    except csv.Error as exc:
        raise Problem(422, f"not a readable CSV: {exc}") from None
    taken_phones = set(session.scalars(select(Worker.phone_e164)))
    taken_ids = set(
        session.scalars(select(Worker.external_id).where(Worker.external_id.is_not(None)))
    )
    accepted: list[Worker] = []
    for line, worker in candidates:
        if worker.phone_e164 in taken_phones:
            errors.append(ImportRowError(line=line, path="phone_e164", reason="phone already used"))
            continue
        if worker.external_id and worker.external_id in taken_ids:
            errors.append(
                ImportRowError(line=line, path="external_id", reason="external_id already used")
            )
            continue
        taken_phones.add(worker.phone_e164)
        if worker.external_id:
            taken_ids.add(worker.external_id)
        accepted.append(Worker(**worker.model_dump()))
    if not dry_run:
        session.add_all(accepted)
        session.commit()
    errors.sort(key=lambda e: e.line)
    rejected = len({e.line for e in errors})
    return ImportResult(created=0 if dry_run else len(accepted), rejected=rejected, errors=errors)
