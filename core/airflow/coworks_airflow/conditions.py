"""``when:`` conditions: the small expression language of ``core/src/workflow/condition.rs``, parsed
and evaluated here with the same grammar and rules (the DAG holds the condition as a string literal;
nothing of it is ever run as Python).

Paths (``conf.x``, ``tasks.<id>.status``, ``tasks.<id>.body.x``) read values as templates do;
literals are numbers, quoted text (a backslash escapes the next character), ``true``, ``false``,
``null`` and lists of literals; comparisons ``== != < <= > >= in``, ``not in``; then ``not``,
``and``, ``or`` and parentheses. Values of different JSON types are never equal (``true`` is not
``1``); ordering needs two numbers or two texts; a value alone is true unless it is ``null``,
``false``, ``0``, empty text, an empty list or mapping."""

import re

from coworks_airflow.templates import lookup

#: The longest condition read, in bytes, and the deepest nesting (as the core's).
MAX_LEN = 4096
MAX_DEPTH = 64

_NUMBER = re.compile(r"-?[0-9][0-9.]*")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_INT = re.compile(r"-?[0-9]+")
_FLOAT = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_KEYWORDS = {"true": True, "false": False, "null": None}
_OPS2 = ("==", "!=", "<=", ">=")
_OPS1 = ("<", ">", "(", ")", "[", "]", ",")


class ConditionError(ValueError):
    """A condition that cannot be read or evaluated in this run."""


def _lex(text):
    if len(text.encode("utf-8")) > MAX_LEN:
        raise ConditionError(f"a condition has at most {MAX_LEN} bytes")
    toks, i = [], 0
    while i < len(text):
        c = text[i]
        if c in " \t\r\n":
            i += 1
            continue
        m = _WORD.match(text, i)
        if m:
            toks.append(("word", m.group(0)))
            i = m.end()
            continue
        m = _NUMBER.match(text, i)
        if m:
            lit = m.group(0)
            if _INT.fullmatch(lit):
                toks.append(("lit", int(lit)))
            elif _FLOAT.fullmatch(lit):
                toks.append(("lit", float(lit)))
            else:
                raise ConditionError(f"`{lit}` is not a number")
            i = m.end()
            continue
        if c in "'\"":
            out, j = [], i + 1
            while j < len(text) and text[j] != c:
                if text[j] == "\\" and j + 1 < len(text):
                    j += 1
                out.append(text[j])
                j += 1
            if j >= len(text):
                raise ConditionError("text not closed by its quote")
            toks.append(("lit", "".join(out)))
            i = j + 1
            continue
        op = next((o for o in _OPS2 if text.startswith(o, i)), None) or next((o for o in _OPS1 if o == c), None)
        if op is None:
            raise ConditionError(f"unexpected `{c}`")
        toks.append(("op", op))
        i += len(op)
    return toks


class _Parser:
    def __init__(self, toks):
        self.toks, self.at, self.depth = toks, 0, 0

    def peek(self):
        return self.toks[self.at] if self.at < len(self.toks) else (None, None)

    def is_word(self, w):
        return self.peek() == ("word", w)

    def nested(self, f):
        if self.depth >= MAX_DEPTH:
            raise ConditionError(f"a condition nests `not` and parentheses at most {MAX_DEPTH} deep")
        self.depth += 1
        try:
            return f()
        finally:
            self.depth -= 1

    def or_(self):
        left = self.and_()
        while self.is_word("or"):
            self.at += 1
            left = ("or", left, self.and_())
        return left

    def and_(self):
        left = self.not_()
        while self.is_word("and"):
            self.at += 1
            left = ("and", left, self.not_())
        return left

    def not_(self):
        if self.is_word("not"):
            self.at += 1
            return ("not", self.nested(self.not_))
        return self.cmp()

    def cmp(self):
        left = self.operand()
        kind, v = self.peek()
        if kind == "op" and v in ("==", "!=", "<", "<=", ">", ">="):
            op = v
        elif self.is_word("in"):
            op = "in"
        elif self.is_word("not") and self.at + 1 < len(self.toks) and self.toks[self.at + 1] == ("word", "in"):
            self.at += 1
            op = "not in"
        else:
            return left
        self.at += 1
        return ("cmp", op, left, self.operand())

    def operand(self):
        kind, v = self.peek()
        if (kind, v) == ("op", "("):
            self.at += 1
            inner = self.nested(self.or_)
            if self.peek() != ("op", ")"):
                raise ConditionError("expected `)`")
            self.at += 1
            return inner
        if (kind, v) == ("op", "["):
            self.at += 1
            items = []
            while self.peek() != ("op", "]"):
                items.append(self.literal())
                if self.peek() == ("op", ","):
                    self.at += 1
                elif self.peek() != ("op", "]"):
                    raise ConditionError("expected `,` or `]`")
            self.at += 1
            return ("lit", items)
        if kind == "word" and v not in ("and", "or", "not", "in"):
            self.at += 1
            if v in _KEYWORDS:
                return ("lit", _KEYWORDS[v])
            if v.split(".")[0] == "item":
                raise ConditionError(
                    f"`{v}`: a condition is decided once, before the task runs (and before a `for_each` "
                    "calls it per item): it reads `conf.x` and `tasks.<id>...`, not `item`"
                )
            return ("path", v)
        if kind == "lit":
            return ("lit", self.literal())
        raise ConditionError("expected a path (`conf.x`, `tasks.<id>.body.x`), a literal or `(`")

    def literal(self):
        kind, v = self.peek()
        if kind == "lit":
            self.at += 1
            return v
        if kind == "word" and v in _KEYWORDS:
            self.at += 1
            return _KEYWORDS[v]
        raise ConditionError("expected a literal")


def parse(text):
    """A condition's tree (tuples), or :class:`ConditionError`."""
    toks = _lex(text)
    if not toks:
        raise ConditionError("the condition is empty")
    p = _Parser(toks)
    tree = p.or_()
    if p.at < len(toks):
        raise ConditionError("expected `and`, `or` or the end")
    return tree


def _kind(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


def truthy(v):
    """Whether a value counts as true (as the core's ``truthy``)."""
    if v is None or v is False:
        return False
    if _kind(v) == "number":
        return v != 0
    if isinstance(v, (str, list, dict)):
        return len(v) > 0
    return True


def equal(a, b):
    """Equality of JSON values: same kind and value; numbers by value."""
    ka, kb = _kind(a), _kind(b)
    if ka != kb:
        return False
    if ka == "array":
        return len(a) == len(b) and all(equal(x, y) for x, y in zip(a, b))
    if ka == "object":
        return a.keys() == b.keys() and all(equal(v, b[k]) for k, v in a.items())
    return a == b


def _value(tree, read):
    tag = tree[0]
    if tag == "lit":
        return tree[1]
    if tag == "path":
        return read(tree[1])
    if tag == "not":
        return not truthy(_value(tree[1], read))
    if tag == "and":
        return truthy(_value(tree[1], read)) and truthy(_value(tree[2], read))
    if tag == "or":
        return truthy(_value(tree[1], read)) or truthy(_value(tree[2], read))
    _, op, left, right = tree
    a, b = _value(left, read), _value(right, read)
    if op == "==":
        return equal(a, b)
    if op == "!=":
        return not equal(a, b)
    if op in ("in", "not in"):
        if not isinstance(b, list):
            raise ConditionError(f"`{op}` needs a list on its right, found {_kind(b)}")
        return any(equal(a, i) for i in b) == (op == "in")
    ka, kb = _kind(a), _kind(b)
    if not (ka == kb and ka in ("number", "string")):
        raise ConditionError(f"cannot order {ka} and {kb} with `{op}` (two numbers or two texts)")
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def holds(text, context, mapped=()):
    """Whether the condition ``text`` holds in this run (paths read with the templates' ``lookup``;
    ``mapped``: the tasks mapped over ``for_each``, whose results are lists)."""
    try:
        return truthy(_value(parse(text), lambda path: lookup(path, context, mapped=mapped)))
    except ConditionError as e:
        raise ConditionError(f"`when: {text}`: {e}") from None
