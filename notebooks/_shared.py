"""What every analyst notebook needs: the published marts of one organization, by name.

A notebook reads one organization at a time (its ORGANIZATION parameter, a slug from `coach orgs`,
or the organization with the most workers when it is None): two organizations' "Onboarding"
programs never share a bar, and nothing of another tenant is shown. Each mart is a DuckDB view
already filtered to the organization, so a notebook's SQL names marts as tables. Entities are
labelled by name from `entity_names`, never by id. Workers are never named: the analytics marts
carry a pseudonymous `worker_key` and no phone, name or free text (the marts that name people are
published apart, under `lake/restricted/`, which notebooks do not read).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from coaching.settings import get_settings


class OrganizationMarts:
    """The published marts (lake/gold/*.parquet) of one organization, as DuckDB views."""

    def __init__(self, organization: str | None = None, gold: Path | None = None) -> None:
        self.gold = gold or Path(get_settings().lake_dir) / "gold"
        if not (self.gold / "entity_names.parquet").exists():
            raise FileNotFoundError(
                f"no published marts under {self.gold}: run `make demo` (or `coach build`) first"
            )
        self.con = duckdb.connect()
        self.id, self.name, self.slug = self._resolve(organization)
        for path in sorted(self.gold.glob("*.parquet")):
            source = f"read_parquet('{path}')"
            columns = {
                row[0] for row in self.con.sql(f"describe select * from {source}").fetchall()
            }
            where = f" where organization_id = '{self.id}'" if "organization_id" in columns else ""
            self.con.execute(f'create view "{path.stem}" as select * from {source}{where}')
        self._labels = (
            self.df("select entity_kind, entity_id, label from entity_names")
            .set_index(["entity_kind", "entity_id"])["label"]
            .to_dict()
        )

    def _resolve(self, organization: str | None) -> tuple[str, str, str]:
        names = f"read_parquet('{self.gold / 'entity_names.parquet'}')"
        known = self.con.sql(
            f"""
            select o.entity_id, o.name, o.slug, count(w.worker_key) as workers
            from {names} o
            left join read_parquet('{self.gold / "workers.parquet"}') w
                on w.organization_id = o.entity_id
            where o.entity_kind = 'organization'
            group by all order by workers desc, o.slug
            """
        ).fetchall()
        if organization is None:
            if not known:
                raise LookupError("the marts hold no organization")
            return known[0][:3]
        for entity_id, name, slug, _ in known:
            if organization in (slug, name, entity_id):
                return entity_id, name, slug
        slugs = ", ".join(row[2] for row in known)
        raise LookupError(f"no organization {organization!r}; the marts hold: {slugs}")

    def df(self, sql: str) -> pd.DataFrame:
        """A query over the organization's marts (each mart is a view of its name)."""
        return self.con.sql(sql).df()

    def label(self, kind: str, entity_id: str | None) -> str:
        """The entity's name (unique within the organization and kind)."""
        if entity_id is None or pd.isna(entity_id):
            return "(none)"
        return self._labels.get((kind, entity_id), f"(unknown {kind})")

    def labelled(self, frame: pd.DataFrame, kind: str, column: str, into: str) -> pd.DataFrame:
        """`frame` with `into` holding the label of the `kind` whose id is in `column`."""
        frame = frame.copy()
        frame[into] = [self.label(kind, value) for value in frame[column]]
        return frame

    def __repr__(self) -> str:
        return f"{self.name} ({self.slug})"


def nothing_to_show(ax, what: str) -> None:  # type: ignore[no-untyped-def]
    """An empty chart that says why it is empty, instead of a blank frame or an error."""
    ax.text(0.5, 0.5, what, ha="center", va="center", transform=ax.transAxes, color="dimgray")
    ax.set_xticks([])
    ax.set_yticks([])


def stacked_bars(  # type: ignore[no-untyped-def]
    frame: pd.DataFrame,
    rows: str,
    parts: str,
    values: str,
    empty: str,
    shares: bool = False,
    colormap: str = "tab10",
    width: float = 11,
):
    """One horizontal bar per `rows` value, stacked by `parts` (as shares of the bar when
    `shares`), the legend outside the data; an empty frame draws a chart that says `empty`."""
    import matplotlib.pyplot as plt

    height = 0.45 * max(frame[rows].nunique(), 1) + 1.5
    fig, ax = plt.subplots(figsize=(width, height))
    if frame.empty:
        nothing_to_show(ax, empty)
        return fig, ax
    table = frame.pivot_table(index=rows, columns=parts, values=values, aggfunc="sum", fill_value=0)
    if shares:
        table = table.div(table.sum(axis=1), axis=0)
    table.plot(kind="barh", stacked=True, ax=ax, colormap=colormap)
    ax.legend(title=parts.replace("_", " "), fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    return fig, ax
