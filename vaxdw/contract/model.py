"""Types that describe a source table, its columns, and how each lands in ``raw``."""

from __future__ import annotations

from dataclasses import dataclass, field

SOURCE_SCHEMA = "ops"
RAW_SCHEMA = "raw"


@dataclass(frozen=True)
class Column:
    name: str
    source_type: str
    meaning: str
    raw_type: str | None = None  # type in raw when it differs (legacy text columns are typed on load)
    code_table: str | None = None
    nullable: bool = True

    @property
    def landing_type(self) -> str:
        return self.raw_type or self.source_type

    @property
    def needs_cast_check(self) -> bool:
        """True where the source holds free text that must parse as the raw type."""
        return self.raw_type is not None and self.raw_type != self.source_type


@dataclass(frozen=True)
class Table:
    name: str
    title: str  # Chinese business name
    description: str
    key: str
    columns: tuple[Column, ...]
    watermark: str = "updated_at"
    indexes: tuple[str, ...] = field(default_factory=tuple)
    # columns the warehouse reads current rows by (raw partial indexes, where _is_current), besides the key
    current_indexes: tuple[tuple[str, ...], ...] = field(default_factory=tuple)

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]

    def source_ddl(self) -> str:
        lines = [
            f"    {col.name} {col.source_type}"
            + ("" if col.nullable else " not null")
            + (" primary key" if col.name == self.key else "")
            for col in self.columns
        ]
        ddl = f"create table if not exists {SOURCE_SCHEMA}.{self.name} (\n" + ",\n".join(lines) + "\n);\n"
        ddl += (
            f"create index if not exists {self.name}_{self.watermark}_idx "
            f"on {SOURCE_SCHEMA}.{self.name} ({self.watermark});\n"
        )
        for index in self.indexes:
            ddl += f"create index if not exists {self.name}_{index}_idx on {SOURCE_SCHEMA}.{self.name} ({index});\n"
        return ddl

    def raw_ddl(self) -> str:
        lines = [f"    {col.name} {col.landing_type}" for col in self.columns]
        lines += ["    _load_id bigint not null", "    _loaded_at timestamptz not null default now()",
                  "    _is_current boolean not null default false", "    _superseded_load_id bigint"]
        return (
            f"create table if not exists {RAW_SCHEMA}.{self.name} (\n" + ",\n".join(lines) + "\n);\n"
            # raw is append-only in load order: a BRIN index finds a load's rows at a fraction of a btree's size
            f"create index if not exists {self.name}_load_brin on {RAW_SCHEMA}.{self.name} using brin (_load_id);\n"
        )

    def current_index_ddl(self) -> str:
        """Indexes of the current versions (vaxdw.extract_load.current): the key, unique, and current_indexes;
        and of the superseded versions by the load that superseded them."""
        ddl = (f"create unique index if not exists {self.name}_current_key "
               f"on {RAW_SCHEMA}.{self.name} ({self.key}) where _is_current;\n")
        for columns in self.current_indexes:
            ddl += (f"create index if not exists {self.name}_current_{'_'.join(columns)} "
                    f"on {RAW_SCHEMA}.{self.name} ({', '.join(columns)}) where _is_current;\n")
        # the versions superseded since a load (few: the day's edits), for the models that follow them
        ddl += (f"create index if not exists {self.name}_current_superseded on {RAW_SCHEMA}.{self.name} "
                f"(_superseded_load_id) where _superseded_load_id is not null;\n")
        return ddl
