"""Runs one DAG of a DAGs directory with ``dag.test()`` (Airflow 3, in-process) and prints the run's
state, each task's state and each task's result (XCom ``return_value``) as JSON."""

import json
import sys
from pathlib import Path

from airflow.dag_processing.dagbag import BundleDagBag
from airflow.models.taskinstance import TaskInstance
from airflow.models.xcom import XComModel
from airflow.utils.session import create_session

dags = Path(sys.argv[1]).resolve()
dag_id, conf = sys.argv[2], json.loads(sys.argv[3])
bag = BundleDagBag(str(dags), bundle_path=dags)
if bag.import_errors:
    raise SystemExit(f"import errors: {bag.import_errors}")
dag = bag.get_dag(dag_id)
run = dag.test(run_conf=conf)

def state_of(ti):
    return str(ti.state.value if hasattr(ti.state, "value") else ti.state)


with create_session() as session:
    tis = session.query(TaskInstance).filter(TaskInstance.dag_id == dag_id, TaskInstance.run_id == run.run_id)
    by_task = {}
    for ti in tis:
        by_task.setdefault(ti.task_id, []).append((ti.map_index, state_of(ti)))
    # A mapped task (map indexes 0, 1...): failed when an item failed, success when all succeeded.
    states = {}
    for task_id, rows in by_task.items():
        found = [state for _, state in sorted(rows)]
        if len(found) == 1:
            states[task_id] = found[0]
        elif "failed" in found:
            states[task_id] = "failed"
        elif all(s == "success" for s in found):
            states[task_id] = "success"
        else:
            states[task_id] = next(s for s in found if s != "success")
    rows = session.query(XComModel).filter(
        XComModel.dag_id == dag_id, XComModel.run_id == run.run_id, XComModel.key == "return_value"
    )
    results, items = {}, {}
    for x in rows:
        value = XComModel.deserialize_value(x)
        value = json.loads(value) if isinstance(value, str) and value[:1] in "{[" else value
        if x.map_index >= 0:
            items.setdefault(x.task_id, []).append((x.map_index, value))
        else:
            results[x.task_id] = value
    # A mapped task's result as templates read it (the core's `run::gather`).
    for task_id, found in items.items():
        found = [v for _, v in sorted(found, key=lambda p: p[0])]
        results[task_id] = {
            "status": max(r["status"] for r in found),
            "headers": {},
            "body": [r.get("body") for r in found],
        }

state = run.state.value if hasattr(run.state, "value") else run.state
print("CWS-RESULT " + json.dumps({"state": str(state), "tasks": states, "results": results}, default=str))
