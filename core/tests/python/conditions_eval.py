"""Evaluates `when:` conditions with the DAGs' runtime (`coworks_airflow/conditions.py`), without
Airflow: the package's `__init__` (which imports the operators) is not run.

Usage: conditions_eval.py AIRFLOW_PACKAGE_PARENT; reads {"values": {path: value}, "cases": [text]}
from stdin and prints one JSON line `CWS-RESULT [true | false | {"error": message}, ...]`."""

import importlib
import json
import sys
import types

sys.path.insert(0, sys.argv[1])
package = types.ModuleType("coworks_airflow")
package.__path__ = [sys.argv[1] + "/coworks_airflow"]
sys.modules["coworks_airflow"] = package
conditions = importlib.import_module("coworks_airflow.conditions")

data = json.load(sys.stdin)
values = data["values"]


def read(path):
    if path not in values:
        raise conditions.ConditionError(f"no {path}")
    return values[path]


out = []
for text in data["cases"]:
    try:
        out.append(conditions.truthy(conditions._value(conditions.parse(text), read)))
    except conditions.ConditionError as e:
        out.append({"error": str(e)})
print("CWS-RESULT " + json.dumps(out))
