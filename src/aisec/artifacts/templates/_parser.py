"""A parser for the Jinja that chat templates are written in, building jinja2's own nodes.

jinja2's ``Parser`` descends thirteen functions for every operand and asks its token
stream three questions per token; it is most of what is left of the SSTI check once
lexing is fast. ``fast_parse`` takes the tokens of ``_template_lexer.fast_tokens`` and
returns the tree ``Environment.parse`` returns: the same node classes, fields and line
numbers (only ``environment``, which nothing here reads, is left ``None``).

Each ``_Parser`` method is jinja2 3.1's ``Parser.parse_<name>`` (``subparse`` and
``expression`` aside) with its quirks kept: which token's line a node gets, tuples that
ignore ``extra_end_rules``, a test taking the next primary as its argument. Only operands
are short-cut: an operand no operator follows skips the precedence levels, which would
return it unchanged. Where it stops, it raises ``_UnsupportedError`` and ``fast_parse``
returns ``None``, so that the caller lets jinja2 parse the template: every syntax error
(jinja2 words the message), the tags chat templates do not use (``include``, ``import``,
``extends``, ``block``, ``with``...), assignment targets other than names, and nesting
deeper than ``_MAX_DEPTH`` (so that this parser never accepts what jinja2 could not
parse within the recursion limit).
"""

from __future__ import annotations

from typing import Any, TypeVar

from jinja2 import nodes

from aisec.artifacts.templates._lexer import RawToken

__all__ = ["EXTENSION_TAGS", "fast_parse"]

# The tags of the scanner environment's extensions, parsed here as they parse them:
# jinja2.ext.loopcontrols, jinja2.ext.do, and _template_ast's {% generation %}.
EXTENSION_TAGS = frozenset({"break", "continue", "do", "generation"})
# jinja2 spends up to ~15 frames per nesting level; 32 levels stay far below the default
# recursion limit, so any template accepted here is one jinja2 parses too.
_MAX_DEPTH = 32
_EOF: RawToken = (0, "eof", "")

_N = TypeVar("_N", bound=nodes.Node)
_B = TypeVar("_B", bound=nodes.BinExpr)
_F = TypeVar("_F", nodes.Filter, nodes.Test)
_new = object.__new__


class _UnsupportedError(Exception):
    """Raised where this parser stops; jinja2's parser then parses the template."""


def _make(cls: type[_N], lineno: int | None, *values: object) -> _N:
    """``cls(*values, lineno=lineno)`` without Node.__init__'s argument checks: all the
    fields or none (the caller sets them, as jinja2 does for ``If``)."""
    node: _N = _new(cls)
    for name, value in zip(cls.fields, values, strict=bool(values)):
        setattr(node, name, value)
    node.lineno = lineno  # type: ignore[assignment]  # None for an Operand, as in jinja2
    node.environment = None
    return node


# The same for the frequent nodes, with the attributes set one by one in jinja2's order
# (three times faster than the loop above).


def _const(lineno: int, value: Any) -> nodes.Const:
    node = _new(nodes.Const)
    node.value = value
    node.lineno = lineno
    node.environment = None
    return node


def _name(lineno: int, name: str, ctx: str) -> nodes.Name:
    node = _new(nodes.Name)
    node.name = name
    node.ctx = ctx
    node.lineno = lineno
    node.environment = None
    return node


def _getattr(lineno: int, subject: nodes.Expr, attr: str) -> nodes.Getattr:
    node = _new(nodes.Getattr)
    node.node = subject
    node.attr = attr
    node.ctx = "load"
    node.lineno = lineno
    node.environment = None
    return node


def _getitem(lineno: int, subject: nodes.Expr, arg: nodes.Expr) -> nodes.Getitem:
    node = _new(nodes.Getitem)
    node.node = subject
    node.arg = arg
    node.ctx = "load"
    node.lineno = lineno
    node.environment = None
    return node


def _binary(cls: type[_B], lineno: int, left: nodes.Expr, right: nodes.Expr) -> _B:
    node = _new(cls)
    node.left = left
    node.right = right
    node.lineno = lineno
    node.environment = None
    return node


def _operand(op: str, expr: nodes.Expr) -> nodes.Operand:
    node = _new(nodes.Operand)
    node.op = op
    node.expr = expr
    node.lineno = None  # type: ignore[assignment]  # jinja2 gives no line either
    node.environment = None
    return node


def _call(
    lineno: int,
    subject: nodes.Expr,
    args: list[nodes.Expr],
    kwargs: list[nodes.Keyword],
    dyn_args: nodes.Expr | None,
    dyn_kwargs: nodes.Expr | None,
) -> nodes.Call:
    node = _new(nodes.Call)
    node.node = subject
    node.args = args
    node.kwargs = kwargs
    node.dyn_args = dyn_args
    node.dyn_kwargs = dyn_kwargs
    node.lineno = lineno
    node.environment = None
    return node


def _filter(
    cls: type[_F],
    lineno: int,
    subject: nodes.Expr | None,
    name: str,
    args: list[nodes.Expr],
    kwargs: list[nodes.Keyword],
    dyn_args: nodes.Expr | None,
    dyn_kwargs: nodes.Expr | None,
) -> _F:
    node = _new(cls)
    node.node = subject  # type: ignore[assignment]  # None in a filter block or set block
    node.name = name
    node.args = args
    node.kwargs = kwargs  # type: ignore[assignment]  # jinja2 annotates list[Pair]
    node.dyn_args = dyn_args
    node.dyn_kwargs = dyn_kwargs
    node.lineno = lineno
    node.environment = None
    return node


_MATH1 = {"add": nodes.Add, "sub": nodes.Sub}
_MATH2 = {"mul": nodes.Mul, "div": nodes.Div, "floordiv": nodes.FloorDiv, "mod": nodes.Mod}
_COMPARE = frozenset({"eq", "ne", "lt", "lteq", "gt", "gteq"})
# the operators of a precedence level and the tighter ones
_MATH2_DOWN = frozenset({*_MATH2, "pow"})
_CONCAT_DOWN = _MATH2_DOWN | {"tilde"}
_MATH1_DOWN = _CONCAT_DOWN | set(_MATH1)
# the tokens after an operand that an enclosing precedence level would act on
_BINARY_TYPES = _MATH1_DOWN | _COMPARE
_BINARY_NAMES = frozenset({"if", "or", "and", "in", "not"})
_TUPLE_END = frozenset({"variable_end", "block_end", "rparen"})
_TEST_ARGUMENT = frozenset({"name", "string", "integer", "float", "lparen", "lbracket", "lbrace"})
_RESERVED = frozenset({"true", "false", "none", "True", "False", "None"})


def fast_parse(tokens: list[RawToken]) -> nodes.Template | None:
    """The tree jinja2 parses from ``tokens``, or ``None`` where this parser stops."""
    last = tokens[-1][0] if tokens else 1
    parser = _Parser([*tokens, *([(last, *_EOF[1:])] * 4)])
    try:
        return _make(nodes.Template, 1, parser.subparse(None))
    except (_UnsupportedError, IndexError, RecursionError):
        return None


class _Parser:
    def __init__(self, tokens: list[RawToken]) -> None:
        # ends in a few eof tokens: jinja2's stream stays at eof once there
        self.tokens = tokens
        self.i = 0
        self.depth = 0

    # ---- the token stream -------------------------------------------------------------

    def next(self) -> RawToken:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def expect(self, type_: str) -> RawToken:
        token = self.tokens[self.i]
        if token[1] != type_:
            raise _UnsupportedError
        self.i += 1
        return token

    def expect_name(self, value: str) -> RawToken:
        token = self.tokens[self.i]
        if token[1] != "name" or token[2] != value:
            raise _UnsupportedError
        self.i += 1
        return token

    def skip_name(self, value: str) -> bool:
        token = self.tokens[self.i]
        if token[1] == "name" and token[2] == value:
            self.i += 1
            return True
        return False

    def deeper(self) -> None:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise _UnsupportedError

    # ---- statements -------------------------------------------------------------------

    def subparse(self, end_names: frozenset[str] | None) -> list[nodes.Node]:
        self.deeper()
        tokens = self.tokens
        body: list[nodes.Node] = []
        data: list[nodes.Node] = []
        while True:
            lineno, type_, value = tokens[self.i]
            if type_ == "data":
                if value:
                    data.append(_make(nodes.TemplateData, lineno, value))
                self.i += 1
            elif type_ == "variable_begin":
                self.i += 1
                data.append(self.tuple_())
                self.expect("variable_end")
            elif type_ == "block_begin":
                if data:
                    body.append(_make(nodes.Output, data[0].lineno, data))
                    data = []
                self.i += 1
                token = tokens[self.i]
                if end_names is not None and token[1] == "name" and token[2] in end_names:
                    self.depth -= 1
                    return body
                rv = self.statement()
                if isinstance(rv, list):
                    body.extend(rv)
                else:
                    body.append(rv)
                self.expect("block_end")
            elif type_ == "eof":
                break
            else:
                raise _UnsupportedError
        if data:
            body.append(_make(nodes.Output, data[0].lineno, data))
        self.depth -= 1
        return body

    def statement(self) -> nodes.Node | list[nodes.Node]:
        token = self.tokens[self.i]
        if token[1] != "name":
            raise _UnsupportedError
        tag = token[2]
        if tag == "if":
            return self.if_()
        if tag == "set":
            return self.set_()
        if tag == "for":
            return self.for_()
        if tag == "macro":
            return self.macro()
        if tag == "print":
            return self.print_()
        if tag == "call":
            return self.call_block()
        if tag == "filter":
            return self.filter_block()
        # the extensions' tags, parsed as their parse() methods do
        if tag == "break" or tag == "continue":
            lineno = self.next()[0]
            return _make(nodes.Break if tag == "break" else nodes.Continue, lineno)
        if tag == "do":
            lineno = self.next()[0]
            return _make(nodes.ExprStmt, lineno, self.tuple_())
        if tag == "generation":
            self.next()
            return self.statements(frozenset({"endgeneration"}), drop_needle=True)
        raise _UnsupportedError  # another tag or an unknown one

    def statements(self, end_names: frozenset[str], drop_needle: bool = False) -> list[nodes.Node]:
        if self.tokens[self.i][1] == "colon":
            self.i += 1
        self.expect("block_end")
        result = self.subparse(end_names)
        if self.tokens[self.i][1] == "eof":
            raise _UnsupportedError
        if drop_needle:
            self.i += 1
        return result

    def set_(self) -> nodes.Assign | nodes.AssignBlock:
        lineno = self.next()[0]
        target = self.assign_target(with_namespace=True)
        if self.tokens[self.i][1] == "assign":
            self.i += 1
            return _make(nodes.Assign, lineno, target, self.tuple_())
        filter_node = self.filter(None)
        body = self.statements(frozenset({"endset"}), drop_needle=True)
        return _make(nodes.AssignBlock, lineno, target, filter_node, body)

    def for_(self) -> nodes.For:
        lineno = self.expect_name("for")[0]
        target = self.assign_target()
        self.expect_name("in")
        iter_ = self.tuple_(with_condexpr=False)
        test = None
        if self.skip_name("if"):
            test = self.expression()
        recursive = self.skip_name("recursive")
        body = self.statements(frozenset({"endfor", "else"}))
        if self.next()[2] == "endfor":
            else_: list[nodes.Node] = []
        else:
            else_ = self.statements(frozenset({"endfor"}), drop_needle=True)
        return _make(nodes.For, lineno, target, iter_, body, else_, test, recursive)

    def if_(self) -> nodes.If:
        node = result = _make(nodes.If, self.expect_name("if")[0])
        while True:
            node.test = self.tuple_(with_condexpr=False)
            node.body = self.statements(frozenset({"elif", "else", "endif"}))
            node.elif_ = []
            node.else_ = []
            token = self.next()
            if token[2] == "elif":
                node = _make(nodes.If, self.tokens[self.i][0])
                result.elif_.append(node)
                continue
            if token[2] == "else":
                result.else_ = self.statements(frozenset({"endif"}), drop_needle=True)
            break
        return result

    def macro(self) -> nodes.Macro:
        lineno = self.next()[0]
        name = self.assign_name().name
        args, defaults = self.signature()
        body = self.statements(frozenset({"endmacro"}), drop_needle=True)
        return _make(nodes.Macro, lineno, name, args, defaults, body)

    def signature(self) -> tuple[list[nodes.Name], list[nodes.Expr]]:
        args: list[nodes.Name] = []
        defaults: list[nodes.Expr] = []
        self.expect("lparen")
        while self.tokens[self.i][1] != "rparen":
            if args:
                self.expect("comma")
            arg = self.assign_name()
            arg.ctx = "param"
            if self.tokens[self.i][1] == "assign":
                self.i += 1
                defaults.append(self.expression())
            elif defaults:
                raise _UnsupportedError  # non-default argument follows default argument
            args.append(arg)
        self.expect("rparen")
        return args, defaults

    def call_block(self) -> nodes.CallBlock:
        lineno = self.next()[0]
        if self.tokens[self.i][1] == "lparen":
            args, defaults = self.signature()
        else:
            args, defaults = [], []
        call = self.expression()
        if not isinstance(call, nodes.Call):
            raise _UnsupportedError
        body = self.statements(frozenset({"endcall"}), drop_needle=True)
        return _make(nodes.CallBlock, lineno, call, args, defaults, body)

    def filter_block(self) -> nodes.FilterBlock:
        lineno = self.next()[0]
        filter_node = self.filter(None, start_inline=True)
        body = self.statements(frozenset({"endfilter"}), drop_needle=True)
        return _make(nodes.FilterBlock, lineno, body, filter_node)

    def print_(self) -> nodes.Output:
        lineno = self.next()[0]
        items: list[nodes.Node] = []
        while self.tokens[self.i][1] != "block_end":
            if items:
                self.expect("comma")
            items.append(self.expression())
        return _make(nodes.Output, lineno, items)

    def assign_name(self) -> nodes.Name:
        """parse_assign_target(name_only=True)"""
        lineno, _, name = self.expect("name")
        if name in _RESERVED:
            raise _UnsupportedError  # can't assign to a constant
        return _name(lineno, name, "store")

    def assign_target(self, with_namespace: bool = False) -> nodes.Expr:
        """parse_assign_target() for targets made of names: a name, a namespace attribute
        (``ns.x``) or a tuple of those; jinja2 sets their ``ctx`` to "store"."""
        target = self.tuple_(simplified=True, with_namespace=with_namespace)
        items = target.items if isinstance(target, nodes.Tuple) else [target]
        for item in items:
            if isinstance(item, nodes.Name):
                item.ctx = "store"
            elif not isinstance(item, nodes.NSRef):
                raise _UnsupportedError
        if isinstance(target, nodes.Tuple):
            target.ctx = "store"
        return target

    # ---- expressions ------------------------------------------------------------------

    def expression(self, with_condexpr: bool = True) -> nodes.Expr:
        """parse_expression, short-cut for the usual operand without an operator after it:
        the first operand goes down the precedence levels already parsed."""
        self.deeper()
        lineno, type_, value = self.tokens[self.i]
        if type_ == "name" and value == "not":
            node = self.condexpr(None, 0) if with_condexpr else self.or_(None, 0)
        else:
            node = self.unary()
            _, type_, value = self.tokens[self.i]
            if type_ in _BINARY_TYPES or (type_ == "name" and value in _BINARY_NAMES):
                node = self.condexpr(node, lineno) if with_condexpr else self.or_(node, lineno)
        self.depth -= 1
        return node

    # Each level takes the operand parsed by ``expression`` (``first``, starting on line
    # ``lineno``) or, when ``first`` is None, parses it as jinja2 does.

    def condexpr(self, first: nodes.Expr | None, lineno: int) -> nodes.Expr:
        if first is None:
            lineno = self.tokens[self.i][0]
        expr1 = self.or_(first, lineno)
        while self.skip_name("if"):
            expr2 = self.or_(None, 0)
            expr3 = None
            if self.skip_name("else"):
                self.deeper()
                expr3 = self.condexpr(None, 0)
                self.depth -= 1
            expr1 = _make(nodes.CondExpr, lineno, expr2, expr1, expr3)
            lineno = self.tokens[self.i][0]
        return expr1

    def or_(self, first: nodes.Expr | None, lineno: int) -> nodes.Expr:
        if first is None:
            lineno = self.tokens[self.i][0]
        left = self.and_(first, lineno)
        while self.skip_name("or"):
            left = _binary(nodes.Or, lineno, left, self.and_(None, 0))
            lineno = self.tokens[self.i][0]
        return left

    def and_(self, first: nodes.Expr | None, lineno: int) -> nodes.Expr:
        if first is None:
            lineno = self.tokens[self.i][0]
        left = self.not_(first, lineno)
        while self.skip_name("and"):
            left = _binary(nodes.And, lineno, left, self.not_(None, 0))
            lineno = self.tokens[self.i][0]
        return left

    def not_(self, first: nodes.Expr | None, lineno: int) -> nodes.Expr:
        if first is None:
            token = self.tokens[self.i]
            if token[1] == "name" and token[2] == "not":
                self.i += 1
                self.deeper()
                node = _make(nodes.Not, token[0], self.not_(None, 0))
                self.depth -= 1
                return node
        return self.compare(first, lineno)

    def compare(self, first: nodes.Expr | None, lineno: int) -> nodes.Expr:
        if first is None:
            lineno = self.tokens[self.i][0]
            first = self.unary()
        expr = self.math1(first, lineno) if self.tokens[self.i][1] in _MATH1_DOWN else first
        ops: list[nodes.Operand] = []
        while True:
            _, type_, value = self.tokens[self.i]
            if type_ in _COMPARE:
                self.i += 1
                ops.append(_operand(type_, self.math1(None, 0)))
            elif type_ == "name" and value == "in":
                self.i += 1
                ops.append(_operand("in", self.math1(None, 0)))
            elif (
                type_ == "name"
                and value == "not"
                and self.tokens[self.i + 1][1] == "name"
                and self.tokens[self.i + 1][2] == "in"
            ):
                self.i += 2
                ops.append(_operand("notin", self.math1(None, 0)))
            else:
                break
            lineno = self.tokens[self.i][0]
        if not ops:
            return expr
        return _make(nodes.Compare, lineno, expr, ops)

    # From here down a level parses its first operand (a unary) itself when not given
    # one, and hands it to the next level only if an operator of that level or a tighter
    # one follows: a level without its operators returns the operand as it is.

    def math1(self, first: nodes.Expr | None, lineno: int) -> nodes.Expr:
        if first is None:
            lineno = self.tokens[self.i][0]
            first = self.unary()
        left = self.concat(first, lineno) if self.tokens[self.i][1] in _CONCAT_DOWN else first
        while (cls := _MATH1.get(self.tokens[self.i][1])) is not None:
            self.i += 1
            left = _binary(cls, lineno, left, self.concat(None, 0))
            lineno = self.tokens[self.i][0]
        return left

    def concat(self, first: nodes.Expr | None, lineno: int) -> nodes.Expr:
        if first is None:
            lineno = self.tokens[self.i][0]
            first = self.unary()
        if self.tokens[self.i][1] in _MATH2_DOWN:
            first = self.math2(first, lineno)
        if self.tokens[self.i][1] != "tilde":
            return first
        args = [first]
        while self.tokens[self.i][1] == "tilde":
            self.i += 1
            args.append(self.math2(None, 0))
        return _make(nodes.Concat, lineno, args)

    def math2(self, first: nodes.Expr | None, lineno: int) -> nodes.Expr:
        if first is None:
            lineno = self.tokens[self.i][0]
            first = self.unary()
        left = self.pow(first, lineno) if self.tokens[self.i][1] == "pow" else first
        while (cls := _MATH2.get(self.tokens[self.i][1])) is not None:
            self.i += 1
            left = _binary(cls, lineno, left, self.pow(None, 0))
            lineno = self.tokens[self.i][0]
        return left

    def pow(self, first: nodes.Expr | None, lineno: int) -> nodes.Expr:
        if first is None:
            lineno = self.tokens[self.i][0]
            first = self.unary()
        left = first
        while self.tokens[self.i][1] == "pow":
            self.i += 1
            left = _binary(nodes.Pow, lineno, left, self.unary())
            lineno = self.tokens[self.i][0]
        return left

    def unary(self, with_filter: bool = True) -> nodes.Expr:
        tokens = self.tokens
        lineno, type_, _ = tokens[self.i]
        node: nodes.Expr
        if type_ == "sub" or type_ == "add":
            self.i += 1
            self.deeper()
            node = _make(nodes.Neg if type_ == "sub" else nodes.Pos, lineno, self.unary(False))
            self.depth -= 1
        else:
            node = self.primary()
        node = self.postfix(node)
        if with_filter:  # parse_filter_expr
            while True:
                _, type_, value = tokens[self.i]
                if type_ == "pipe":
                    node = self.filter(node)
                elif type_ == "name" and value == "is":
                    node = self.test(node)
                elif type_ == "lparen":
                    node = self.call(node)
                else:
                    break
        return node

    def primary(self, with_namespace: bool = False) -> nodes.Expr:
        tokens = self.tokens
        lineno, type_, value = tokens[self.i]
        self.i += 1
        if type_ == "name":
            if value in ("true", "false", "True", "False"):
                return _const(lineno, value in ("true", "True"))
            if value in ("none", "None"):
                return _const(lineno, None)
            if with_namespace and tokens[self.i][1] == "dot":
                self.i += 1
                return _make(nodes.NSRef, lineno, value, self.expect("name")[2])
            return _name(lineno, value, "load")
        if type_ == "string":
            if tokens[self.i][1] != "string":
                return _const(lineno, value)
            buf = [value]
            while tokens[self.i][1] == "string":
                buf.append(tokens[self.i][2])
                self.i += 1
            return _const(lineno, "".join(buf))
        if type_ == "integer" or type_ == "float":
            return _const(lineno, value)
        if type_ == "lparen":
            node = self.tuple_(explicit_parentheses=True)
            self.expect("rparen")
            return node
        self.i -= 1
        if type_ == "lbracket":
            return self.list_()
        if type_ == "lbrace":
            return self.dict_()
        raise _UnsupportedError  # unexpected token

    def tuple_(
        self,
        simplified: bool = False,
        with_condexpr: bool = True,
        explicit_parentheses: bool = False,
        with_namespace: bool = False,
    ) -> nodes.Expr:
        tokens = self.tokens
        lineno = tokens[self.i][0]
        args: list[nodes.Expr] = []
        is_tuple = False
        while True:
            if args:
                self.expect("comma")
            # jinja2's is_tuple_end: its extra_end_rules ("name:in" after a for target)
            # reach Token.test_any as one tuple argument and never match
            if tokens[self.i][1] in _TUPLE_END:
                break
            if simplified:
                args.append(self.primary(with_namespace))
            else:
                args.append(self.expression(with_condexpr))
            if tokens[self.i][1] != "comma":
                break
            is_tuple = True
            lineno = tokens[self.i][0]
        if not is_tuple:
            if args:
                return args[0]
            if not explicit_parentheses:
                raise _UnsupportedError  # expected an expression
        return _make(nodes.Tuple, lineno, args, "load")

    def list_(self) -> nodes.List:
        lineno = self.expect("lbracket")[0]
        items: list[nodes.Expr] = []
        while self.tokens[self.i][1] != "rbracket":
            if items:
                self.expect("comma")
            if self.tokens[self.i][1] == "rbracket":
                break
            items.append(self.expression())
        self.expect("rbracket")
        return _make(nodes.List, lineno, items)

    def dict_(self) -> nodes.Dict:
        lineno = self.expect("lbrace")[0]
        items: list[nodes.Pair] = []
        while self.tokens[self.i][1] != "rbrace":
            if items:
                self.expect("comma")
            if self.tokens[self.i][1] == "rbrace":
                break
            key = self.expression()
            self.expect("colon")
            items.append(_make(nodes.Pair, key.lineno, key, self.expression()))
        self.expect("rbrace")
        return _make(nodes.Dict, lineno, items)

    def postfix(self, node: nodes.Expr) -> nodes.Expr:
        tokens = self.tokens
        while True:
            type_ = tokens[self.i][1]
            if type_ == "dot" or type_ == "lbracket":
                node = self.subscript(node)
            elif type_ == "lparen":
                node = self.call(node)
            else:
                return node

    def subscript(self, node: nodes.Expr) -> nodes.Getattr | nodes.Getitem:
        tokens = self.tokens
        lineno, type_, _ = tokens[self.i]
        self.i += 1
        if type_ == "dot":
            attr_lineno, attr_type, attr = tokens[self.i]
            self.i += 1
            if attr_type == "name":
                return _getattr(lineno, node, attr)
            if attr_type != "integer":
                raise _UnsupportedError  # expected name or number
            arg: nodes.Expr = _const(attr_lineno, attr)
            return _getitem(lineno, node, arg)
        args: list[nodes.Expr] = []
        while tokens[self.i][1] != "rbracket":
            if args:
                self.expect("comma")
            args.append(self.subscribed())
        self.expect("rbracket")
        arg = args[0] if len(args) == 1 else _make(nodes.Tuple, lineno, args, "load")
        return _getitem(lineno, node, arg)

    def subscribed(self) -> nodes.Expr:
        tokens = self.tokens
        lineno = tokens[self.i][0]
        args: list[nodes.Expr | None]
        if tokens[self.i][1] == "colon":
            self.i += 1
            args = [None]
        else:
            node = self.expression()
            if tokens[self.i][1] != "colon":
                return node
            self.i += 1
            args = [node]
        type_ = tokens[self.i][1]
        if type_ == "colon":
            args.append(None)
        elif type_ not in ("rbracket", "comma"):
            args.append(self.expression())
        else:
            args.append(None)
        if tokens[self.i][1] == "colon":
            self.i += 1
            if tokens[self.i][1] not in ("rbracket", "comma"):
                args.append(self.expression())
            else:
                args.append(None)
        else:
            args.append(None)
        return _make(nodes.Slice, lineno, *args)

    def call_args(
        self,
    ) -> tuple[list[nodes.Expr], list[nodes.Keyword], nodes.Expr | None, nodes.Expr | None]:
        tokens = self.tokens
        self.expect("lparen")
        args: list[nodes.Expr] = []
        kwargs: list[nodes.Keyword] = []
        dyn_args: nodes.Expr | None = None
        dyn_kwargs: nodes.Expr | None = None
        require_comma = False
        while tokens[self.i][1] != "rparen":
            if require_comma:
                self.expect("comma")
                if tokens[self.i][1] == "rparen":
                    break
            _, type_, value = tokens[self.i]
            if type_ == "mul":
                if dyn_args is not None or dyn_kwargs is not None:
                    raise _UnsupportedError  # invalid syntax for function call expression
                self.i += 1
                dyn_args = self.expression()
            elif type_ == "pow":
                if dyn_kwargs is not None:
                    raise _UnsupportedError
                self.i += 1
                dyn_kwargs = self.expression()
            elif type_ == "name" and tokens[self.i + 1][1] == "assign":
                if dyn_kwargs is not None:
                    raise _UnsupportedError
                self.i += 2
                arg = self.expression()
                kwargs.append(_make(nodes.Keyword, arg.lineno, value, arg))
            else:
                if dyn_args is not None or dyn_kwargs is not None or kwargs:
                    raise _UnsupportedError
                args.append(self.expression())
            require_comma = True
        self.expect("rparen")
        return args, kwargs, dyn_args, dyn_kwargs

    def call(self, node: nodes.Expr) -> nodes.Call:
        lineno = self.tokens[self.i][0]
        args, kwargs, dyn_args, dyn_kwargs = self.call_args()
        return _call(lineno, node, args, kwargs, dyn_args, dyn_kwargs)

    def filter(self, node: nodes.Expr | None, start_inline: bool = False) -> Any:
        tokens = self.tokens
        while start_inline or tokens[self.i][1] == "pipe":
            if not start_inline:
                self.i += 1
            lineno, _, name = self.expect("name")
            while tokens[self.i][1] == "dot":
                self.i += 1
                name += "." + self.expect("name")[2]
            if tokens[self.i][1] == "lparen":
                args, kwargs, dyn_args, dyn_kwargs = self.call_args()
            else:
                args, kwargs, dyn_args, dyn_kwargs = [], [], None, None
            node = _filter(nodes.Filter, lineno, node, name, args, kwargs, dyn_args, dyn_kwargs)
            start_inline = False
        return node

    def test(self, node: nodes.Expr) -> nodes.Expr:
        tokens = self.tokens
        lineno = self.next()[0]
        negated = self.skip_name("not")
        name = self.expect("name")[2]
        while tokens[self.i][1] == "dot":
            self.i += 1
            name += "." + self.expect("name")[2]
        dyn_args = dyn_kwargs = None
        kwargs: list[nodes.Keyword] = []
        _, type_, value = tokens[self.i]
        if type_ == "lparen":
            args, kwargs, dyn_args, dyn_kwargs = self.call_args()
        elif type_ in _TEST_ARGUMENT and not (type_ == "name" and value in ("else", "or", "and")):
            if type_ == "name" and value == "is":
                raise _UnsupportedError  # you cannot chain multiple tests with is
            args = [self.postfix(self.primary())]
        else:
            args = []
        test = _filter(nodes.Test, lineno, node, name, args, kwargs, dyn_args, dyn_kwargs)
        return _make(nodes.Not, lineno, test) if negated else test
