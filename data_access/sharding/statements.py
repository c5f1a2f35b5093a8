"""Single-tenant statements: the rule that lets a tenant-keyed router (MariaDB
Spider, Vitess) send every statement on the contracts database to one shard.

A statement on a tenant-keyed table is single-tenant when:
- every WHERE that reads such a table has `tenant_id = <one value>` among its
  AND-ed conditions (SELECT, UPDATE, DELETE, and subqueries alike);
- or it inserts rows that all carry the same tenant_id (INSERT ... VALUES), or
  rows of a single-tenant SELECT (INSERT ... SELECT);
- or it loads a file with `SET tenant_id = <one value>` (LOAD DATA).

`classify(sql, params)` reads the SQL text the way Django's MySQL backend writes
it (%s placeholders, backquoted names) and says which kind a statement is.
"""

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.apps import apps
from django.conf import settings

from data_access.routers import database_for_model

SHARD_KEY = "tenant_id"


def tenant_keyed_tables() -> frozenset[str]:
    """The tables of the contracts database: every one of them has a tenant_id."""
    return frozenset(
        model._meta.db_table
        for model in apps.get_models()
        if database_for_model(model) == settings.CONTRACTS_DATABASE
    )


class Kind(StrEnum):
    UNTENANTED = "untenanted"  # touches no tenant-keyed table (SET, SAVEPOINT, SHOW, ...)
    SINGLE_TENANT = "single-tenant"
    SCHEMA = "schema"  # DDL or table maintenance on a tenant-keyed table
    CROSS_TENANT = "cross-tenant"


@dataclass(frozen=True, slots=True)
class Verdict:
    kind: Kind
    tables: frozenset[str] = frozenset()
    tenants: frozenset[Any] = frozenset()
    reason: str = ""


# --- Tokens and parenthesised groups --------------------------------------------------

_TOKEN = re.compile(
    r"""
      (?P<space>\s+)
    | (?P<name>`(?:[^`]|``)*`)
    | (?P<string>'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*")
    | (?P<param>%s)
    | (?P<number>\d+(?:\.\d+)?)
    | (?P<word>[A-Za-z_][A-Za-z0-9_$]*)
    | (?P<op><=>|<=|>=|<>|!=|%%|\|\||&&|.)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # name (identifier), word (keyword or bare identifier), param, number, string, op
    text: str  # identifiers unquoted and lower-cased, keywords upper-cased
    param: int = -1  # position of a %s among the statement's placeholders

    def is_word(self, *words: str) -> bool:
        return self.kind == "word" and self.text in words

    @property
    def identifier(self) -> str | None:
        return self.text.lower() if self.kind in ("name", "word") else None


def _tokens(sql: str) -> list[Token]:
    tokens, params = [], 0
    for match in _TOKEN.finditer(sql):
        kind, text = match.lastgroup, match.group()
        if kind == "space":
            continue
        if kind == "name":
            tokens.append(Token("name", text[1:-1].replace("``", "`").lower()))
        elif kind == "word":
            tokens.append(Token("word", text.upper()))
        elif kind == "param":
            tokens.append(Token("param", text, params))
            params += 1
        else:
            tokens.append(Token(kind, text))
    return tokens


@functools.lru_cache(maxsize=4096)
def _parse(sql: str) -> tuple[list, int]:
    """The statement as nested lists (one per parenthesised group), and its placeholder count."""
    root: list = []
    stack = [root]
    count = 0
    for token in _tokens(sql):
        if token.text == "(" and token.kind == "op":
            group: list = []
            stack[-1].append(group)
            stack.append(group)
        elif token.text == ")" and token.kind == "op" and len(stack) > 1:
            stack.pop()
        else:
            count += token.kind == "param"
            stack[-1].append(token)
    return root, count


# --- The rule -------------------------------------------------------------------------------

SCHEMA_WORDS = {"CREATE", "ALTER", "DROP", "TRUNCATE", "RENAME", "ANALYZE", "OPTIMIZE", "REPAIR"}
# Words that end a WHERE clause (at its own nesting level).
WHERE_ENDS = {"GROUP", "ORDER", "LIMIT", "HAVING", "FOR", "WINDOW", "RETURNING", "UNION", "ON"}
# Words that cannot be a table alias.
NOT_ALIASES = WHERE_ENDS | {
    "WHERE",
    "JOIN",
    "INNER",
    "LEFT",
    "RIGHT",
    "CROSS",
    "STRAIGHT_JOIN",
    "SET",
    "VALUES",
    "VALUE",
    "SELECT",
    "USE",
    "FORCE",
    "IGNORE",
    "PARTITION",
    "FIELDS",
    "COLUMNS",
    "LINES",
    "CHARACTER",
    "LOCK",
    "INTO",
    "FROM",
}


class _Values:
    """The values a statement's placeholders take, over one row or many (executemany)."""

    def __init__(self, params: Any, many: bool) -> None:
        if params is None or isinstance(params, dict):
            rows: list[Sequence] = []
        elif many:
            rows = [list(row) for row in params]
        else:
            rows = [list(params)]
        self.rows = rows

    def of(self, token: Token) -> set:
        if token.kind == "number":
            return {int(float(token.text))}
        if token.kind == "string":
            return {token.text[1:-1]}
        if token.kind == "param" and self.rows and all(token.param < len(r) for r in self.rows):
            return {row[token.param] for row in self.rows}
        return set()


@dataclass
class _Findings:
    tables: set[str]
    tenants: set
    problems: list[str]


def _split(items: list, separator: str) -> list[list]:
    parts: list[list] = [[]]
    for item in items:
        if isinstance(item, Token) and item.kind == "op" and item.text == separator:
            parts.append([])
        else:
            parts[-1].append(item)
    return parts


def _table_refs(scope: list, tables: frozenset[str]) -> list[tuple[str, str | None]]:
    """(table, alias) of the tenant-keyed tables this nesting level reads or writes.

    A name followed by "." qualifies a column; any other occurrence is a table.
    """
    refs = []
    for index, item in enumerate(scope):
        if not isinstance(item, Token) or item.identifier not in tables:
            continue
        following = scope[index + 1 : index + 3]
        if following and isinstance(following[0], Token) and following[0].text == ".":
            continue
        alias = None
        if following and isinstance(following[0], Token) and following[0].is_word("AS"):
            following = following[1:]
        if (
            following
            and isinstance(following[0], Token)
            and following[0].kind in ("name", "word")
            and following[0].text not in NOT_ALIASES
        ):
            alias = following[0].identifier
        refs.append((item.identifier, alias))
    return refs


def _where(scope: list) -> list | None:
    for index, item in enumerate(scope):
        if isinstance(item, Token) and item.is_word("WHERE"):
            clause = []
            for rest in scope[index + 1 :]:
                if isinstance(rest, Token) and rest.kind == "word" and rest.text in WHERE_ENDS:
                    break
                clause.append(rest)
            return clause
    return None


def _conjuncts(clause: list) -> list[list] | None:
    """The AND-ed conditions of a WHERE clause, flattening parentheses; None if it
    has an OR (or XOR) at its top level, where no condition holds for every row."""
    conjuncts: list[list] = [[]]
    between = False
    for item in clause:
        if isinstance(item, Token):
            if item.is_word("OR", "XOR") or item.text == "||":
                return None
            if item.is_word("BETWEEN"):
                between = True
            elif item.is_word("AND") or item.text == "&&":
                if between:
                    between = False
                else:
                    conjuncts.append([])
                    continue
        conjuncts[-1].append(item)
    flat: list[list] = []
    for conjunct in conjuncts:
        if len(conjunct) == 1 and isinstance(conjunct[0], list):
            inner = _conjuncts(conjunct[0])
            flat.extend(inner if inner is not None else [conjunct])
        else:
            flat.append(conjunct)
    return flat


def _tenant_equality(conjunct: list) -> tuple[str | None, Token] | None:
    """(qualifier, value token) when the condition is `[qualifier.]tenant_id = value`,
    `value = [qualifier.]tenant_id` or `[qualifier.]tenant_id IN (value)`."""
    tokens = conjunct
    if (
        len(tokens) >= 3
        and all(isinstance(t, Token) for t in tokens[:3])
        and tokens[1].text == "="
        and tokens[0].kind in ("param", "number")
    ):
        tokens = [*tokens[2:], tokens[1], tokens[0]]
    qualifier = None
    if (
        len(tokens) >= 3
        and isinstance(tokens[1], Token)
        and tokens[1].text == "."
        and isinstance(tokens[0], Token)
    ):
        qualifier, tokens = tokens[0].identifier, tokens[2:]
    if len(tokens) != 3 or not isinstance(tokens[0], Token) or tokens[0].identifier != SHARD_KEY:
        return None
    operator, value = tokens[1], tokens[2]
    if isinstance(operator, Token) and operator.text == "=" and isinstance(value, Token):
        return (qualifier, value) if value.kind in ("param", "number", "string") else None
    if (
        isinstance(operator, Token)
        and operator.is_word("IN")
        and isinstance(value, list)
        and len(value) == 1
        and isinstance(value[0], Token)
    ):
        return qualifier, value[0]
    return None


def _check_scope(scope: list, tables: frozenset[str], values: _Values, found: _Findings) -> None:
    """One nesting level: its tenant-keyed tables must each be filtered on one tenant."""
    for part in _union_parts(scope):
        refs = _table_refs(part, tables)
        if refs:
            found.tables.update(table for table, _ in refs)
            clause = _where(part)
            conjuncts = _conjuncts(clause) if clause is not None else None
            equalities = [
                equality
                for conjunct in conjuncts or []
                if (equality := _tenant_equality(conjunct)) is not None
            ]
            for table, alias in refs:
                names = {table, alias} if len(refs) > 1 else {table, alias, None}
                matching = [value for qualifier, value in equalities if qualifier in names]
                if not matching:
                    found.problems.append(f"reads {table} without {SHARD_KEY} = one value")
                for value in matching:
                    found.tenants.update(values.of(value))
        for item in part:
            if isinstance(item, list):
                _check_scope(item, tables, values, found)


def _union_parts(scope: list) -> list[list]:
    parts: list[list] = [[]]
    for item in scope:
        if isinstance(item, Token) and item.is_word("UNION"):
            parts.append([])
        else:
            parts[-1].append(item)
    return parts


def _check_insert(statement: list, tables: frozenset[str], values: _Values, found: _Findings):
    """INSERT/REPLACE INTO table (columns) VALUES (...), ... | SELECT ..."""
    select_at = next(
        (
            i
            for i, item in enumerate(statement)
            if isinstance(item, Token) and item.is_word("SELECT")
        ),
        None,
    )
    head = statement if select_at is None else statement[:select_at]
    refs = _table_refs(head, tables)
    found.tables.update(table for table, _ in refs)
    if select_at is not None:
        _check_scope(statement[select_at:], tables, values, found)
        return
    if not refs:
        return
    columns = next((item for item in head if isinstance(item, list)), None)
    names = [
        part[0].identifier if len(part) == 1 and isinstance(part[0], Token) else None
        for part in _split(columns or [], ",")
    ]
    if SHARD_KEY not in names:
        found.problems.append(f"inserts into {refs[0][0]} without {SHARD_KEY}")
        return
    position = names.index(SHARD_KEY)
    after_values = False
    for item in head:
        if isinstance(item, Token) and item.is_word("VALUES", "VALUE"):
            after_values = True
        elif after_values and isinstance(item, list):
            cell = _split(item, ",")[position]
            if len(cell) == 1 and isinstance(cell[0], Token) and (tenant := values.of(cell[0])):
                found.tenants.update(tenant)
            else:
                found.problems.append(f"inserts a row whose {SHARD_KEY} is not a plain value")
        elif after_values and isinstance(item, Token) and item.text != ",":
            break  # ON DUPLICATE KEY UPDATE, RETURNING


def _check_load(statement: list, tables: frozenset[str], values: _Values, found: _Findings):
    """LOAD DATA ... INTO TABLE table ... SET tenant_id = value."""
    refs = _table_refs(statement, tables)
    found.tables.update(table for table, _ in refs)
    if not refs:
        return
    for index, item in enumerate(statement):
        if isinstance(item, Token) and item.is_word("SET"):
            for assignment in _split(statement[index + 1 :], ","):
                equality = _tenant_equality(assignment)
                if equality is not None:
                    found.tenants.update(values.of(equality[1]))
                    return
    found.problems.append(f"loads into {refs[0][0]} without SET {SHARD_KEY} = one value")


def classify(
    sql: str, params: Any = None, *, tables: frozenset[str], many: bool = False
) -> Verdict:
    """What kind of statement `sql` is with respect to the tenant-keyed `tables`."""
    statement, _ = _parse(sql)
    first = next((t for t in statement if isinstance(t, Token)), None)
    if first is None:
        return Verdict(Kind.UNTENANTED)
    verb = first.text
    if verb == "EXPLAIN":
        statement = statement[1:]
        verb = next((t.text for t in statement if isinstance(t, Token)), "")
    values = _Values(params, many)
    found = _Findings(tables=set(), tenants=set(), problems=[])
    if verb in SCHEMA_WORDS:
        refs = _table_refs(statement, tables)
        if not refs:
            return Verdict(Kind.UNTENANTED)
        return Verdict(Kind.SCHEMA, frozenset(t for t, _ in refs), reason=f"{verb} statement")
    if verb in ("INSERT", "REPLACE"):
        _check_insert(statement, tables, values, found)
    elif verb == "LOAD":
        _check_load(statement, tables, values, found)
    elif verb in ("SELECT", "UPDATE", "DELETE", "WITH"):
        _check_scope(statement, tables, values, found)
    if not found.tables:
        return Verdict(Kind.UNTENANTED)
    if not found.problems and len(found.tenants) > 1:
        found.problems.append(f"names {len(found.tenants)} tenants")
    if not found.problems and not found.tenants:
        found.problems.append("names no tenant value")
    return Verdict(
        Kind.CROSS_TENANT if found.problems else Kind.SINGLE_TENANT,
        frozenset(found.tables),
        frozenset(found.tenants),
        "; ".join(dict.fromkeys(found.problems)),
    )
