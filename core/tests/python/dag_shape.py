"""Checks generated DAG files with Python's own parser (`ast`), without importing them.

Reads a JSON list of {"name", "text"} from stdin. For each DAG: it must parse, and define only what
the generator writes — a docstring, the imports, one `with DAG(...) as dag:` block whose body only
assigns operators to names and chains them with `>>` — with no call other than the generator's
(the DAG, the operators, `datetime.datetime`, `datetime.timedelta`) and no expression other than
literals, names of the tasks and `datetime.timezone.utc`. A task mapped over a list is written
`name = CwsCallOperator.partial(...).expand(item=<items task>.output)` (or `CwsWaitSensor.partial`, a mapped
wait) and nothing else. Prints one JSON line
`CWS-RESULT {"name": {"error": ...} | {"docstring", "dag", "tasks": [...], "edges": [...]}}`,
the literal values read back with `ast.literal_eval`.
"""

import ast
import json
import sys

OPERATORS = {
    "CwsCallOperator",
    "CwsResultOperator",
    "CwsBranchOperator",
    "CwsFailRunOperator",
    "CwsItemsOperator",
    "CwsPythonOperator",
    "CwsWaitSensor",
    "CwsWhenOperator",
    "S3KeySensor",
}
#: The operators a task mapped over ``for_each`` is written with (``.partial(...).expand(...)``).
MAPPABLE = {"CwsCallOperator", "CwsWaitSensor"}
CALLS = {("datetime", "datetime"), ("datetime", "timedelta")}
IMPORTS = [
    (None, ["datetime"]),
    ("airflow.providers.amazon.aws.sensors.s3", ["S3KeySensor"]),
    ("airflow.sdk", ["DAG"]),
    (
        "coworks_airflow",
        [
            "CwsBranchOperator",
            "CwsCallOperator",
            "CwsFailRunOperator",
            "CwsItemsOperator",
            "CwsPythonOperator",
            "CwsResultOperator",
            "CwsWaitSensor",
            "CwsWhenOperator",
        ],
    ),
]


class Refused(Exception):
    pass


def dotted(node):
    if isinstance(node, ast.Name):
        return (node.id,)
    if isinstance(node, ast.Attribute):
        return dotted(node.value) + (node.attr,)
    raise Refused(f"unexpected {type(node).__name__} at line {node.lineno}")


def value(node, tasks):
    """The literal value of an argument; refuses anything the generator does not write."""
    if isinstance(node, ast.Constant):
        if not isinstance(node.value, (str, int, float, bool, type(None))):
            raise Refused(f"constant {node.value!r} at line {node.lineno}")
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
        return ast.literal_eval(node)
    if isinstance(node, ast.List):
        return [value(e, tasks) for e in node.elts]
    if isinstance(node, ast.Dict):
        out = {}
        for k, v in zip(node.keys, node.values):
            if not (isinstance(k, ast.Constant) and isinstance(k.value, str)):
                raise Refused(f"dict key at line {node.lineno}")
            out[k.value] = value(v, tasks)
        return out
    if isinstance(node, ast.Attribute):
        if dotted(node) != ("datetime", "timezone", "utc"):
            raise Refused(f"attribute {'.'.join(dotted(node))} at line {node.lineno}")
        return "utc"
    if isinstance(node, ast.Call):
        if dotted(node.func) not in CALLS:
            raise Refused(f"call of {'.'.join(dotted(node.func))} at line {node.lineno}")
        args = [value(a, tasks) for a in node.args]
        kwargs = {k.arg: value(k.value, tasks) for k in node.keywords if k.arg}
        if len(kwargs) != len(node.keywords):
            raise Refused(f"**kwargs at line {node.lineno}")
        return {"call": ".".join(dotted(node.func)), "args": args, "kwargs": kwargs}
    raise Refused(f"unexpected {type(node).__name__} at line {getattr(node, 'lineno', '?')}")


def call(node, allowed, tasks):
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in allowed):
        raise Refused(f"not a call of {sorted(allowed)} at line {node.lineno}")
    if node.args:
        raise Refused(f"positional arguments at line {node.lineno}")
    kwargs = {}
    for k in node.keywords:
        if k.arg is None or k.arg in kwargs:
            raise Refused(f"bad keyword at line {node.lineno}")
        kwargs[k.arg] = value(k.value, tasks)
    return node.func.id, kwargs


def mapped_call(node, tasks):
    """``CwsCallOperator.partial(...).expand(item=<task>.output)`` (or ``CwsWaitSensor.partial``): the
    class, the call's arguments and the items task, or ``None`` when ``node`` is not of that form."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "expand"):
        return None
    inner = node.func.value
    if not (isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute) and inner.func.attr == "partial"
            and isinstance(inner.func.value, ast.Name) and inner.func.value.id in MAPPABLE):
        raise Refused(f"`.expand` of something else than `CwsCallOperator.partial(...)` at line {node.lineno}")
    cls = inner.func.value.id
    fake = ast.Call(func=ast.Name(id=cls), args=inner.args, keywords=inner.keywords)
    fake.lineno = node.lineno
    _, kwargs = call(fake, {cls}, tasks)
    if node.args or len(node.keywords) != 1 or node.keywords[0].arg != "item":
        raise Refused(f"`.expand` takes `item=` only, at line {node.lineno}")
    source = node.keywords[0].value
    if not (isinstance(source, ast.Attribute) and source.attr == "output" and isinstance(source.value, ast.Name)
            and source.value.id in tasks):
        raise Refused(f"`.expand(item=...)` of something else than a task's `.output` at line {node.lineno}")
    return cls, kwargs, tasks[source.value.id]


def check(text):
    tree = ast.parse(text)
    body = list(tree.body)
    if not (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)):
        raise Refused("no docstring first")
    docstring = body.pop(0).value.value
    expected = list(IMPORTS)
    while body and isinstance(body[0], (ast.Import, ast.ImportFrom)):
        stmt = body.pop(0)
        module = stmt.module if isinstance(stmt, ast.ImportFrom) else None
        names = [a.name for a in stmt.names]
        if any(a.asname for a in stmt.names) or (isinstance(stmt, ast.ImportFrom) and stmt.level):
            raise Refused(f"import at line {stmt.lineno}")
        while expected and expected[0][0] != module:
            expected.pop(0)
        if not expected or not set(names) <= set(expected[0][1]):
            raise Refused(f"unexpected import at line {stmt.lineno}")
        expected.pop(0)
    if len(body) != 1 or not isinstance(body[0], ast.With):
        raise Refused("not one `with DAG(...) as dag:` after the imports")
    with_ = body[0]
    if len(with_.items) != 1 or not (isinstance(with_.items[0].optional_vars, ast.Name)
                                     and with_.items[0].optional_vars.id == "dag"):
        raise Refused("the `with` is not `with DAG(...) as dag`")
    tasks = {}
    _, dag = call(with_.items[0].context_expr, {"DAG"}, tasks)
    task_list, edges = [], []
    for stmt in with_.body:
        if isinstance(stmt, ast.Assign):
            if len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ast.Name):
                raise Refused(f"assignment at line {stmt.lineno}")
            var = stmt.targets[0].id
            if var in tasks or var in OPERATORS or var in ("DAG", "dag", "datetime"):
                raise Refused(f"`{var}` assigned twice or shadowing at line {stmt.lineno}")
            mapped = mapped_call(stmt.value, tasks)
            if mapped:
                cls, kwargs, items = mapped
                tasks[var] = kwargs.get("task_id")
                task_list.append({"var": var, "class": cls, "args": kwargs, "expand": items})
                continue
            cls, kwargs = call(stmt.value, OPERATORS, tasks)
            tasks[var] = kwargs.get("task_id")
            task_list.append({"var": var, "class": cls, "args": kwargs})
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.BinOp) \
                and isinstance(stmt.value.op, ast.RShift):
            a, b = stmt.value.left, stmt.value.right
            if not (isinstance(a, ast.Name) and isinstance(b, ast.Name) and a.id in tasks and b.id in tasks):
                raise Refused(f"`>>` of something else than tasks at line {stmt.lineno}")
            edges.append([tasks[a.id], tasks[b.id]])
        else:
            raise Refused(f"unexpected {type(stmt).__name__} in the DAG at line {stmt.lineno}")
    return {"docstring": docstring, "dag": dag, "tasks": task_list, "edges": edges}


def main():
    results = {}
    for dag in json.load(sys.stdin):
        try:
            results[dag["name"]] = check(dag["text"])
        except (SyntaxError, ValueError, Refused) as e:
            results[dag["name"]] = {"error": f"{type(e).__name__}: {e}"}
    print("CWS-RESULT " + json.dumps(results))


if __name__ == "__main__":
    main()
