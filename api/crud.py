"""One router factory for every tenant resource: list (filter, sort, cursor), read, create,
update, soft delete. Scoping and audit happen in the session (api.tenancy); what differs per
resource is declared in a `Resource`, so forty routes share one tested implementation.

(No `from __future__ import annotations` here: FastAPI reads the annotations of the functions
built inside `crud_router`, and they must be real classes, not strings.)
"""

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar, get_args

from fastapi import Query, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model
from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.deps import Principal, RowId, TenantSessionDep, reader, writer
from api.problems import (
    RESPONSES,
    FieldProblem,
    Problem,
    field_problem,
    integrity_problem,
    location,
    not_found,
)
from api.routing import StoreRouter
from coaching.domain import Role
from coaching.store.tables import TenantOwned

T = TypeVar("T")
log = logging.getLogger(__name__)
Hook = Callable[[Session, Principal, Any], None]


class UnreadableRow(BaseModel):
    id: str
    reason: str


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` for the next page; absent on the last page."
    )
    unreadable: list[UnreadableRow] = Field(
        default=[],
        description="Rows of this page the store holds in a shape no reader expects (written "
        "around the API): listed here by id, so one bad row never fails the whole list. "
        "PATCH repairs them.",
    )


@dataclass(frozen=True)
class Resource:
    name: str  # URL segment and OpenAPI tag, e.g. "workers"
    label: str  # singular, for messages: "worker"
    model: type[TenantOwned]
    read: type[BaseModel]
    create: type[BaseModel]
    update: type[BaseModel]
    writers: frozenset[Role]
    readers: frozenset[Role] | None = None  # None: every role of the organization
    filters: tuple[str, ...] = ()
    # A filter on a sealed column compares its lookup hash column instead (filter -> column).
    lookups: Mapping[str, str] = field(default_factory=dict)
    sorts: tuple[str, ...] = ("created_at",)
    references: Mapping[str, type[TenantOwned]] = field(default_factory=dict)
    prepare: Callable[[dict[str, Any]], dict[str, Any]] = lambda values: values
    check: Hook | None = None  # invariants that need the store, run before every flush
    creatable: bool = True  # False when a resource's own router creates rows


# A page's cursor is the id of its last row: the next page starts after that row's place in
# whatever sort the request names (its value is read from the row).
CURSOR_PATTERN = r"^[0-9a-f][0-9a-f-]{0,63}$"


def article(noun: str) -> str:
    """ "an enrollment", "a worker": the summaries people read in the API reference."""
    return f"{'an' if noun[:1].lower() in 'aeio' else 'a'} {noun}"  # 'a user'


def list_query_model(resource: Resource) -> type[BaseModel]:
    """The list endpoint's query parameters: equality filters, sort, cursor and page size."""
    fields: dict[str, Any] = {}
    for name in resource.filters:
        field = resource.read.model_fields[name]
        annotation = field.annotation
        text = annotation is str or str in get_args(annotation)
        # Text holds to the shape a create accepts (an E.164 phone, a language code), so a
        # malformed filter is a 422 rather than a silently empty page. Other types keep the read
        # model's own, which a query string can spell ("true" for a boolean).
        created = resource.create.model_fields.get(name)
        if text and created is not None:
            field = created
            annotation = field.annotation
        bound = {"max_length": 200} if text else {}
        constrained = Annotated[annotation, *field.metadata] if field.metadata else annotation
        fields[name] = (
            constrained | None,
            Field(default=None, description=f"Equal to {name}.", **bound),
        )
    orders = [*resource.sorts, *(f"-{name}" for name in resource.sorts)]
    fields["sort"] = (
        Literal[tuple(orders)],  # type: ignore[valid-type]
        Field(default=resource.sorts[0], description="A field; a leading '-' sorts descending."),
    )
    fields["cursor"] = (
        str | None,
        Field(default=None, pattern=CURSOR_PATTERN, description="`next_cursor` of a page."),
    )
    fields["limit"] = (int, Field(default=50, ge=1, le=200))
    return create_model(
        f"{resource.read.__name__}ListQuery",
        __config__=ConfigDict(extra="forbid"),
        **fields,
    )


def load(session: Session, resource: Resource, row_id: str) -> Any:
    """A live row of the caller's organization, or 404 (a foreign id looks like a missing one)."""
    row = session.get(resource.model, row_id)
    if row is None or row.deleted_at is not None:
        raise not_found(resource.label)
    return row


def check_references(session: Session, resource: Resource, values: Mapping[str, Any]) -> None:
    for name, model in resource.references.items():
        value = values.get(name)
        if value is None:
            continue
        row = session.get(model, value)
        if row is None or row.deleted_at is not None:
            raise field_problem(f"body.{name}", f"no such {model.__tablename__} row here", 404)


def json_response(document: BaseModel) -> Response:
    """`document` serialized once, by pydantic's own encoder. Returned from a route with a
    `response_model`, it skips FastAPI's second validation and encoding of an answer that is
    already a validated model (on the read mix a fifth of a list request's time), while the
    OpenAPI document still names the model."""
    return Response(document.model_dump_json(), media_type="application/json")


def read_columns(resource: Resource) -> tuple[Any, ...]:
    """The mapped columns a resource's read model shows. A list selects them as plain rows
    instead of loading ORM objects: on the workers list, loading 51 objects and validating them
    from their attributes was most of a request's time. The tenant criteria (api.tenancy) still
    apply, since the columns are the mapped entity's."""
    return tuple(getattr(resource.model, name) for name in resource.read.model_fields)


def page(session: Session, resource: Resource, query: BaseModel) -> dict[str, Any]:
    model = resource.model
    params = query.model_dump()
    sort: str = params.pop("sort")
    cursor: str | None = params.pop("cursor")
    limit: int = params.pop("limit")
    descending = sort.startswith("-")
    column = getattr(model, sort.lstrip("-"))
    statement = select(*read_columns(resource)).where(model.deleted_at.is_(None))
    for name, value in params.items():
        if value is not None:
            statement = statement.where(getattr(model, resource.lookups.get(name, name)) == value)
    if cursor:
        anchor = session.get(model, cursor)
        if anchor is None:
            raise Problem(404, "no row of this organization has the cursor's id")
        value = getattr(anchor, sort.lstrip("-"))
        if descending:
            after = or_(column < value, and_(column == value, model.id < anchor.id))
        else:
            after = or_(column > value, and_(column == value, model.id > anchor.id))
        statement = statement.where(after)
    order = (column.desc(), model.id.desc()) if descending else (column.asc(), model.id.asc())
    rows = session.execute(statement.order_by(*order).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    items, unreadable = [], []
    validate, names = resource.read.model_validate, resource.read.model_fields
    for row in rows:
        try:
            # A plain dict: pydantic reads a Row's mapping one `.get` per field, a dict natively.
            items.append(validate(dict(zip(names, row, strict=True))))
        except ValidationError as exc:
            log.warning("unreadable %s row %s: %s", resource.name, row.id, exc)
            unreadable.append(UnreadableRow(id=row.id, reason=_reasons(exc)))
    return {
        "items": items,
        "next_cursor": rows[-1].id if more and rows else None,
        "unreadable": unreadable,
    }


def _reasons(exc: ValidationError) -> str:
    return "; ".join(f"{location(e['loc'])}: {e['msg']}" for e in exc.errors()[:5])


def answer(
    session: Session, read: type[BaseModel], row: Any, changed: Iterable[str] = ()
) -> BaseModel:
    """The response, built before the commit: a change the store refuses (named by the field of
    `changed` it concerns) or that would leave the row unreadable is rolled back and refused,
    never stored behind a 500."""
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise integrity_problem(exc, tuple(changed)) from None
    try:
        response = read.model_validate(row)
    except ValidationError as exc:
        session.rollback()
        raise Problem(
            422,
            f"the change would leave the row unreadable: {_reasons(exc)}",
            [
                FieldProblem(path=f"body.{location(e['loc'])}", reason=e["msg"])
                for e in exc.errors()
            ],
        ) from None
    session.commit()
    return response


def readable(read: type[BaseModel], row: Any, label: str) -> BaseModel:
    try:
        return read.model_validate(row)
    except ValidationError as exc:
        raise Problem(
            409, f"the stored {label} cannot be read ({_reasons(exc)}); PATCH it to repair"
        ) from None


def crud_router(resource: Resource) -> StoreRouter:
    router = StoreRouter(prefix=f"/{resource.name}", tags=[resource.name], responses=RESPONSES)
    Read, Create, Update = resource.read, resource.create, resource.update
    ListQuery = list_query_model(resource)
    ReadPage = Page[Read]  # type: ignore[valid-type]
    label = resource.label
    Reader = Annotated[Principal, reader(resource.readers, resource.name)]
    Writer = Annotated[Principal, writer(resource.writers, resource.name)]

    @router.get("", response_model=ReadPage, summary=f"List {resource.name}")
    def list_rows(
        query: Annotated[ListQuery, Query()],  # type: ignore[valid-type]
        _: Reader,
        session: TenantSessionDep,
    ) -> Any:
        return json_response(ReadPage(**page(session, resource, query)))

    @router.get("/{row_id}", response_model=Read, summary=f"Read {article(label)}")
    def read_row(row_id: RowId, _: Reader, session: TenantSessionDep) -> Any:
        return json_response(readable(Read, load(session, resource, row_id), label))

    def create_row(
        body: Create,  # type: ignore[valid-type]
        principal: Writer,
        session: TenantSessionDep,
    ) -> Any:
        values = resource.prepare(body.model_dump())
        check_references(session, resource, values)
        row = resource.model(**values)
        session.add(row)
        if resource.check:
            resource.check(session, principal, row)
        return answer(session, Read, row)

    if resource.creatable:
        router.post("", response_model=Read, status_code=201, summary=f"Create {article(label)}")(
            create_row
        )

    @router.patch("/{row_id}", response_model=Read, summary=f"Change {article(label)}")
    def update_row(
        row_id: RowId,
        body: Update,  # type: ignore[valid-type]
        principal: Writer,
        session: TenantSessionDep,
    ) -> Any:
        row = load(session, resource, row_id)
        values = resource.prepare(body.model_dump(exclude_unset=True))
        check_references(session, resource, values)
        for name, value in values.items():
            setattr(row, name, value)
        if resource.check:
            resource.check(session, principal, row)
        return answer(session, Read, row, values)

    @router.delete("/{row_id}", status_code=204, summary=f"Delete {article(label)} (soft)")
    def delete_row(row_id: RowId, _: Writer, session: TenantSessionDep) -> Response:
        row = load(session, resource, row_id)
        row.deleted_at = datetime.now(UTC)
        session.commit()
        return Response(status_code=204)

    return router
