"""What each Olist CSV file must look like, derived from the schema models.

Deriving the file format from `loaders.schema` keeps one source of truth: a
column added to a model is expected in its file, with the model's type and
nullability deciding how a field is checked.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import BigInteger, DateTime, Float, Integer, Numeric, SmallInteger, Table

from .schema import DATA_TABLES

#: The PostgreSQL type each column kind is staged as (both readers stage into it).
SQL_TYPES = {
    "text": "text",
    "zip": "text",
    "int": "bigint",
    "money": "numeric",
    "float": "double precision",
    "timestamp": "timestamp",
}


@dataclass(frozen=True)
class ColumnSpec:
    name: str  # column in the database
    header: str  # header in the CSV file
    kind: str  # text | zip | int | money | float | timestamp
    required: bool
    minimum: int | None = None  # bounds of an int column (the schema's CHECK constraints)
    maximum: int | None = None

    @property
    def aliases(self) -> tuple[str, ...]:
        """Headers accepted for this column: the file's spelling and the corrected one."""
        return (self.header,) if self.header == self.name else (self.header, self.name)


@dataclass(frozen=True)
class ForeignKeySpec:
    columns: tuple[str, ...]
    parent_table: str
    parent_columns: tuple[str, ...]


@dataclass(frozen=True)
class FileSpec:
    table: str
    file: str
    columns: tuple[ColumnSpec, ...]
    key: tuple[str, ...]  # natural key: unique within the file ((), when there is none)
    foreign_keys: tuple[ForeignKeySpec, ...]
    optional: bool

    @property
    def stem(self) -> str:
        return self.file.removesuffix(".csv")

    def column(self, name: str) -> ColumnSpec:
        return next(c for c in self.columns if c.name == name)


def _kind(column) -> str:
    if column.info.get("kind"):
        return column.info["kind"]
    t = column.type
    if isinstance(t, Numeric) and not isinstance(t, Float):
        return "money"
    if isinstance(t, Float):
        return "float"
    if isinstance(t, SmallInteger | Integer | BigInteger):
        return "int"
    if isinstance(t, DateTime):
        return "timestamp"
    return "text"


def _file_spec(table: Table) -> FileSpec:
    columns = []
    for c in table.columns:
        header = c.info.get("csv", c.name)
        if header is None:  # surrogate key, not in the file
            continue
        columns.append(
            ColumnSpec(
                c.name, header, _kind(c), required=not c.nullable,
                minimum=c.info.get("min"), maximum=c.info.get("max"),
            )
        )
    csv_names = {c.name for c in columns}
    key = tuple(c.name for c in table.primary_key.columns if c.name in csv_names)
    fks = tuple(
        ForeignKeySpec(
            tuple(e.parent.name for e in fk.elements),
            fk.referred_table.name,
            tuple(e.column.name for e in fk.elements),
        )
        for fk in sorted(table.foreign_key_constraints, key=lambda f: f.referred_table.name)
    )
    return FileSpec(
        table=table.name,
        file=table.info["file"],
        columns=tuple(columns),
        key=key,
        foreign_keys=fks,
        optional=bool(table.info.get("optional")),
    )


#: File specs in load order (parents before children).
FILES: tuple[FileSpec, ...] = tuple(_file_spec(t) for t in DATA_TABLES)
BY_TABLE: dict[str, FileSpec] = {f.table: f for f in FILES}
BY_FILE: dict[str, FileSpec] = {f.file: f for f in FILES}
