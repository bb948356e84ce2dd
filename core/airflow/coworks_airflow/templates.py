"""Workflow templates: ``{{ conf.a.b }}`` reads the run's conf, ``{{ tasks.<id>.body.x }}`` an upstream
task's result. A text that is exactly one template takes the value with its JSON type; a template
inside other text is replaced by the value's text (``null`` as nothing; numbers, booleans, lists and
mappings as compact JSON with sorted keys). Same grammar and rendering as the core
(``core/src/workflow/template.rs``, ``core/src/workflow/run.rs``), which ``cws workflow run`` uses."""

import json
import re

_TEMPLATE = re.compile(r"\{\{(.*?)\}\}")


class TemplateError(ValueError):
    """A template that cannot be resolved in this run."""


#: What a task not mapped over ``for_each`` has as its item.
NO_ITEM = object()


def resolve(value, context, item=NO_ITEM, mapped=()):
    """``value`` (text, list, mapping, scalar) with every template replaced; ``item`` is the item of a
    task mapped over ``for_each``, ``mapped`` the tasks whose results are lists."""
    if isinstance(value, str):
        return _resolve_text(value, context, item, mapped)
    if isinstance(value, list):
        return [resolve(v, context, item, mapped) for v in value]
    if isinstance(value, dict):
        return {k: resolve(v, context, item, mapped) for k, v in value.items()}
    return value


def result_of(context, task_id, mapped=()):
    """The result of a task (``None`` when it has none): for a task mapped over ``for_each``, its items'
    bodies as a list, the highest status and no headers (the core's ``run::gather``)."""
    found = context["ti"].xcom_pull(task_ids=task_id)
    if task_id not in mapped or found is None:
        return found
    results = [found] if isinstance(found, dict) else [r for r in found if r is not None]
    return {
        "status": max((r["status"] for r in results), default=200),
        "headers": {},
        "body": [r.get("body") for r in results],
    }


def _resolve_text(text, context, item, mapped):
    whole = _TEMPLATE.fullmatch(text)
    if whole and "}}" not in whole.group(1):
        return lookup(whole.group(1), context, item, mapped)

    def text_of(match):
        found = lookup(match.group(1), context, item, mapped)
        if found is None:
            return ""
        if isinstance(found, (dict, list, bool)):
            return json.dumps(found, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
        return str(found)

    return _TEMPLATE.sub(text_of, text)


def lookup(expr, context, item=NO_ITEM, mapped=()):
    """The value an expression (``conf.a`` / ``tasks.t.body.x`` / ``item.x``) names in this run."""
    expr = expr.strip()
    parts = expr.split(".")
    if parts[0] == "item":
        if item is NO_ITEM:
            raise TemplateError(f"{{{{ {expr} }}}}: only a task mapped over `for_each` has an `item`")
        found, path, where = item, parts[1:], "the item"
    elif parts[0] == "conf" and len(parts) >= 2:
        dag_run = context.get("dag_run")
        found, path = (getattr(dag_run, "conf", None) or {}), parts[1:]
        where = "the run's conf"
    elif parts[0] == "tasks" and len(parts) >= 3:
        found, path = result_of(context, parts[1], mapped), parts[2:]
        if found is None:
            raise TemplateError(f"{{{{ {expr} }}}}: task `{parts[1]}` has no result in this run")
        where = f"the result of task `{parts[1]}`"
    else:
        raise TemplateError(f"{{{{ {expr} }}}}: templates read `conf.<key>` or `tasks.<id>.<status|headers|body>`")
    for name in path:
        if isinstance(found, dict) and name in found:
            found = found[name]
        elif isinstance(found, list) and name.isdigit() and int(name) < len(found):
            found = found[int(name)]
        else:
            raise TemplateError(f"{{{{ {expr} }}}}: {where} has no `{name}` (it is {json.dumps(found)[:200]})")
    return found
