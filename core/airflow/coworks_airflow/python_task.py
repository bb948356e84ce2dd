"""Runs the function of a ``python:`` workflow task (``python: module.function``): the same code for
the DAGs (:class:`coworks_airflow.operators.CwsPythonOperator`) and ``cws workflow run``, which runs
this file with ``python3 -c`` (no Airflow needed).

The function is ``def function(conf, tasks)`` at the top level of ``workflows/<module>.py``: ``conf``
is the run's conf, ``tasks`` the results (``{"status", "headers", "body"}``) of the tasks that run
before it, by id. What it returns (JSON: ``None``, booleans, numbers, text, lists, mappings) is the
body of the task's result, with status 200; an exception fails the task (retried like a call).
"""

import contextlib
import importlib.util
import json
import sys


def load(module_file, function):
    """The function ``function`` of the module file ``module_file``."""
    spec = importlib.util.spec_from_file_location("cws_workflow_module", module_file)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {module_file}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    found = getattr(module, function, None)
    if not callable(found):
        raise AttributeError(f"{module_file} has no function `{function}`")
    return found


def call(function, conf, tasks):
    """Calls ``function`` and returns the task's result; what it returns must be JSON."""
    returned = function(conf=conf, tasks=tasks)
    try:
        body = json.loads(json.dumps(returned, allow_nan=False))
    except (TypeError, ValueError) as e:
        raise TypeError(f"`{function.__name__}` returned a value that is not JSON: {e}") from None
    return {"status": 200, "headers": {}, "body": body}


if __name__ == "__main__":
    # python3 -c PYTHON_TASK MODULE_FILE FUNCTION, {"conf", "tasks"} on stdin; the result on the
    # last line of stdout (the function's own prints go to stderr).
    inputs = json.load(sys.stdin)
    with contextlib.redirect_stdout(sys.stderr):
        result = call(load(sys.argv[1], sys.argv[2]), inputs.get("conf") or {}, inputs.get("tasks") or {})
    print(json.dumps(result))
