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

with create_session() as session:
    tis = session.query(TaskInstance).filter(TaskInstance.dag_id == dag_id, TaskInstance.run_id == run.run_id)
    states = {ti.task_id: str(ti.state.value if hasattr(ti.state, "value") else ti.state) for ti in tis}
    rows = session.query(XComModel).filter(
        XComModel.dag_id == dag_id, XComModel.run_id == run.run_id, XComModel.key == "return_value"
    )
    results = {}
    for x in rows:
        value = XComModel.deserialize_value(x)
        results[x.task_id] = json.loads(value) if isinstance(value, str) and value[:1] in "{[" else value

state = run.state.value if hasattr(run.state, "value") else run.state
print("CWS-RESULT " + json.dumps({"state": str(state), "tasks": states, "results": results}, default=str))
