"""SQL in tool arguments, judged on sqlparse's tokens rather than on patterns.

Two kinds of SQL argument:

- ``value``: the argument is one value that the tool puts into a query. It must be a number
  or plain words and numbers with no quote, comment, statement separator, operator or SQL
  keyword that changes a query's logic (``OR``, ``UNION``, ``SELECT``...). ``1 OR 2=2``,
  ``x' OR 'a'='a``, ``1;DROP TABLE t`` and ``'|| (SELECT ...) ||'`` (quotes that break out
  of the tool's own quotes) are denied; one apostrophe inside a word (``O'Brien``) is not.
- ``query``: the argument is a whole statement. It must be one statement of a declared type
  (default ``SELECT``), with no comment, no second statement, no subquery, no set operation
  (``UNION``...), no comparison between two constants or ``OR <constant>`` (tautologies),
  no dangerous function (``sleep``, ``load_file``, ``xp_cmdshell``...), and - when the
  argument declares ``tables`` - only those tables after FROM / JOIN / INTO / UPDATE.

The input is bounded (``max_chars``) before it is tokenized.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import Any

__all__ = ["check_sql_query", "check_sql_value"]

MAX_SQL_CHARS = 8192

# keywords that change what a query does when they appear inside a value
_LOGIC_KEYWORDS = frozenset(
    {
        "OR", "AND", "XOR", "NOT", "UNION", "INTERSECT", "EXCEPT", "MINUS", "SELECT", "INSERT",
        "UPDATE", "DELETE", "DROP", "ALTER", "CREATE", "TRUNCATE", "REPLACE", "MERGE", "EXEC",
        "EXECUTE", "CALL", "WAITFOR", "DELAY", "INTO", "FROM", "WHERE", "HAVING", "LIKE",
        "RLIKE", "REGEXP", "BETWEEN", "IS", "CASE", "WHEN", "GRANT", "REVOKE", "DECLARE",
        "LIMIT", "OFFSET", "PROCEDURE", "OUTFILE", "DUMPFILE", "SHUTDOWN", "ORDER BY",
        "GROUP BY", "DIV", "MOD", "SET", "VALUES", "JOIN", "ON", "IN", "ATTACH", "PRAGMA",
        "COPY", "LOAD", "HANDLER", "KILL", "USE",
    }
)  # fmt: skip
_SET_OPERATIONS = frozenset({"UNION", "UNION ALL", "INTERSECT", "EXCEPT", "MINUS"})
_DANGEROUS_FUNCTIONS = frozenset(
    {
        "SLEEP", "PG_SLEEP", "PG_SLEEP_FOR", "BENCHMARK", "WAITFOR", "LOAD_FILE",
        "XP_CMDSHELL", "SP_EXECUTESQL", "PG_READ_FILE", "PG_READ_BINARY_FILE", "PG_LS_DIR",
        "LO_IMPORT", "LO_EXPORT", "DBLINK", "DBLINK_EXEC", "OPENROWSET", "OPENDATASOURCE",
        "OPENQUERY", "UTL_HTTP", "UTL_INADDR", "DBMS_PIPE", "LOAD_EXTENSION", "READFILE",
        "WRITEFILE", "SYSTEM", "RANDOMBLOB", "EXTRACTVALUE", "UPDATEXML", "GET_LOCK",
        "QUERY_TO_XML", "QUERY_TO_XML_AND_XMLSCHEMA", "CURRENT_SETTING", "SET_CONFIG",
        "PG_TERMINATE_BACKEND", "PG_CANCEL_BACKEND", "LO_GET", "LO_FROM_BYTEA", "PG_STAT_FILE",
        "SYS_EVAL", "SYS_EXEC", "XP_DIRTREE", "XP_FILEEXIST", "XP_REGREAD", "SP_OACREATE",
        "DBMS_XMLGEN", "DBMS_LOCK", "HTTPURITYPE",
    }
)  # fmt: skip
_SELECT_WRITES = frozenset({"INTO", "PROCEDURE", "FOR UPDATE", "LOCK"})
_TABLE_KEYWORDS = frozenset({"FROM", "JOIN", "INTO", "UPDATE", "TABLE"})
_WORD = re.compile(r"[^\W\d_]{1,40}")
_APOSTROPHE = re.compile(r"[^\W\d_]'[^\W\d_]")
_SAFE_OPS = frozenset("@-+/:.")
_VALUE_SAFE_PUNCT = frozenset({".", ",", ":", "-", "+", "@", "/", "_"})


def _tokens(sql: str) -> list[tuple[str, str]]:
    from sqlparse import lexer

    tokenize: Any = lexer.tokenize
    return [(str(ttype), value) for ttype, value in tokenize(sql)]


def _significant(tokens: list[tuple[str, str]]) -> Iterator[tuple[int, str, str]]:
    for i, (ttype, value) in enumerate(tokens):
        if not ttype.startswith("Token.Text"):
            yield i, ttype, value


def _is_literal(ttype: str, value: str) -> bool:
    return ttype.startswith("Token.Literal") or (
        ttype.startswith("Token.Keyword") and value.upper() in ("TRUE", "FALSE", "NULL")
    )


def check_sql_value(value: str, max_chars: int = MAX_SQL_CHARS) -> str | None:
    """Why ``value`` is not one harmless SQL value, or None (also judged in NFKC form:
    fullwidth quotes and letters become ASCII in tools that normalise their input)."""
    if not value.isascii() and len(value) <= max_chars:
        folded = unicodedata.normalize("NFKC", value)
        if folded != value:
            problem = _check_sql_value(folded, max_chars)
            if problem:
                return problem
    return _check_sql_value(value, max_chars)


def _check_sql_value(value: str, max_chars: int) -> str | None:
    if len(value) > max_chars:
        return f"SQL value longer than {max_chars} characters"
    if "\x00" in value:
        return "NUL in an SQL value"
    # one apostrophe inside a word (O'Brien) is a name, not a quote; any other quote is not
    m = _APOSTROPHE.search(value)
    if m and value.count("'") == 1:
        word = _WORD.match(value, m.end() - 1)
        if word and word.group().upper() in _LOGIC_KEYWORDS | {"TRUE", "FALSE", "NULL"}:
            return f"quote before SQL keyword {word.group().upper()}"
        value = value[: m.start() + 1] + value[m.end() - 1 :]
    sig = list(_significant(_tokens(value)))
    if len(sig) == 1 and sig[0][1].startswith("Token.Literal.Number"):
        return None
    for _, ttype, text in sig:
        upper = " ".join(text.upper().split())
        if ttype.startswith(("Token.Comment", "Token.Error")):
            return f"SQL {'comment' if 'Comment' in ttype else 'quote'} in a value"
        if ttype.startswith("Token.Literal.String"):
            return "quoted string inside a value"
        if ttype.startswith("Token.Keyword") and upper in _LOGIC_KEYWORDS:
            return f"SQL keyword {upper} in a value"
        if ttype.startswith(("Token.Operator", "Token.Wildcard")) and not set(text) <= _SAFE_OPS:
            return f"SQL operator {text!r} in a value"
        if ttype.startswith("Token.Punctuation") and text not in _VALUE_SAFE_PUNCT:
            return f"SQL punctuation {text!r} in a value"
        if ttype.startswith("Token.Name.Builtin") or ttype.startswith("Token.Name.Placeholder"):
            continue
    for ch in ("'", '"', "`", "\\", ";", "--", "/*", "*/", "#", "|", "=", "<", ">", "(", ")"):
        if ch in value:
            return f"SQL metacharacter {ch!r} in a value"
    return None


def check_sql_query(
    sql: str,
    statements: frozenset[str] = frozenset({"SELECT"}),
    tables: frozenset[str] | None = None,
    max_chars: int = MAX_SQL_CHARS,
) -> str | None:
    """Why ``sql`` is not one allowed statement, or None (see the module's docstring)."""
    if not sql.isascii() and len(sql) <= max_chars:
        folded = unicodedata.normalize("NFKC", sql)
        if folded != sql:
            problem = _check_sql_query(folded, statements, tables, max_chars)
            if problem:
                return problem
    return _check_sql_query(sql, statements, tables, max_chars)


def _check_sql_query(
    sql: str, statements: frozenset[str], tables: frozenset[str] | None, max_chars: int
) -> str | None:
    if len(sql) > max_chars:
        return f"SQL longer than {max_chars} characters"
    if "\x00" in sql:
        return "NUL in SQL"
    tokens = _tokens(sql)
    sig = list(_significant(tokens))
    if not sig:
        return "empty SQL"
    # one statement: a ';' may only end the text
    for n, (_, ttype, text) in enumerate(sig):
        if ttype.startswith("Token.Comment"):
            return "comment in SQL"
        if ttype.startswith("Token.Error"):
            return f"SQL the tokenizer cannot read ({text[:10]!r})"
        if ttype == "Token.Punctuation" and text == ";" and n != len(sig) - 1:
            return "more than one SQL statement"
    first_type, first = sig[0][1], sig[0][2].upper()
    kind = first if first_type.startswith("Token.Keyword") else ""
    if kind == "WITH":
        return "common table expressions are not allowed"
    if kind not in statements:
        return f"statement {kind or first[:20]!r} is not one of {', '.join(sorted(statements))}"
    dml = 0
    for n, (_, ttype, text) in enumerate(sig):
        upper = " ".join(text.upper().split())
        if ttype.startswith("Token.Keyword.DML") or ttype.startswith("Token.Keyword.DDL"):
            dml += 1
            if dml > 1:
                return f"subquery or second statement ({upper})"
        if ttype.startswith("Token.Keyword") and upper in _SET_OPERATIONS:
            return f"set operation {upper}"
        if ttype.startswith("Token.Keyword") and upper in ("INTO OUTFILE", "OUTFILE", "DUMPFILE"):
            return f"{upper} in SQL"
        if ttype.startswith("Token.Keyword") and kind == "SELECT" and upper in _SELECT_WRITES:
            return f"{upper} in a SELECT (writes or runs code)"
        if ttype.startswith("Token.Name") and upper in _DANGEROUS_FUNCTIONS:
            return f"function {upper}"
        if ttype.startswith("Token.Keyword") and upper in _DANGEROUS_FUNCTIONS:
            return f"function {upper}"
        if ttype == "Token.Operator.Comparison" and 0 < n < len(sig) - 1:
            left, right = sig[n - 1], sig[n + 1]
            if _is_literal(left[1], left[2]) and _is_literal(right[1], right[2]):
                return f"comparison between two constants ({left[2]} {text} {right[2]})"
            if _name_chain(sig, n, -1) and _name_chain(sig, n, -1) == _name_chain(sig, n, 1):
                return f"comparison of {'.'.join(_name_chain(sig, n, 1))} with itself"
            match_all = right[1].startswith("Token.Literal.String") and not right[2].strip("'\"%")
            if upper in ("LIKE", "ILIKE") and match_all:
                return f"{upper} {right[2]} matches everything"
        is_or = ttype.startswith("Token.Keyword") and upper in ("OR", "XOR")
        if (is_or or (ttype == "Token.Operator" and text == "||")) and not _has_column(sig, n + 1):
            return f"constant condition after {upper} (a tautology)"
    if tables is not None:
        bad = [t for t in _tables(sig) if t.lower() not in tables]
        if bad:
            return f"table {bad[0]!r} is not one of {', '.join(sorted(tables))}"
    return None


_CONDITION_END = frozenset(
    {"AND", "OR", "XOR", "ORDER BY", "GROUP BY", "LIMIT", "HAVING", "OFFSET", "UNION", "WHERE"}
)


def _has_column(sig: list[tuple[int, str, str]], start: int) -> bool:
    """Whether the condition starting at ``start`` (up to the next AND / OR / clause, or
    the parenthesis that closes around it) names a column: a condition without one is a
    constant, which after OR makes the whole WHERE true (or is a probe)."""
    depth = 0
    for n in range(start, len(sig)):
        _, ttype, text = sig[n]
        upper = " ".join(text.upper().split())
        if text == "(":
            depth += 1
        elif text == ")":
            depth -= 1
            if depth < 0:
                return False
        elif depth == 0 and ttype.startswith("Token.Keyword") and upper in _CONDITION_END:
            return False
        elif ttype.startswith("Token.Name") and not ttype.startswith("Token.Name.Builtin"):
            is_call = n + 1 < len(sig) and sig[n + 1][2] == "("
            if not is_call:
                return True
    return False


def _name_chain(sig: list[tuple[int, str, str]], n: int, step: int) -> list[str]:
    """The dotted name next to the operator at ``n`` (``a.b.c``), lower-case, or []."""
    parts: list[str] = []
    i = n + step
    while 0 <= i < len(sig):
        _, ttype, text = sig[i]
        if ttype.startswith("Token.Name"):
            parts.append(text.strip('`"[]').lower())
        elif text != ".":
            break
        i += step
    return parts if step > 0 else parts[::-1]


def _tables(sig: list[tuple[int, str, str]]) -> Iterator[str]:
    """Names after FROM / JOIN / INTO / UPDATE (and after commas in a FROM list)."""
    expecting = False
    in_list = False
    for n, (_, ttype, text) in enumerate(sig):
        upper = text.upper()
        if ttype.startswith("Token.Keyword") and (
            upper in _TABLE_KEYWORDS or upper.endswith(" JOIN")
        ):
            expecting, in_list = True, upper == "FROM"
            continue
        if expecting:
            if ttype.startswith("Token.Name") or ttype.startswith("Token.Literal.String.Symbol"):
                name = text.strip('`"[]')
                # schema.table: the table is the last part
                while n + 2 < len(sig) and sig[n + 1][2] == ".":
                    n += 2
                    name = name + "." + sig[n][2].strip('`"[]')
                yield name
                expecting = False
                continue
            yield text  # anything else where a table belongs (a subquery, a function)
            expecting = False
            continue
        if in_list and ttype == "Token.Punctuation" and text == ",":
            expecting = True
        elif ttype.startswith("Token.Keyword") and upper not in ("AS",):
            in_list = False
