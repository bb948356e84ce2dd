"""Loads a DAGs directory the way Airflow 3's DAG processor does (a bundle on sys.path) and prints
its import errors and each DAG's tasks and edges as JSON."""

import json
import sys
from pathlib import Path

from airflow.dag_processing.dagbag import BundleDagBag

dags = Path(sys.argv[1]).resolve()
bag = BundleDagBag(str(dags), bundle_path=dags)
out = {
    "import_errors": {str(k): v for k, v in bag.import_errors.items()},
    "dags": {
        dag_id: {
            "tasks": sorted(dag.task_dict),
            "edges": sorted([t.task_id, d] for t in dag.tasks for d in t.downstream_task_ids),
            "trigger_rules": {t.task_id: str(t.trigger_rule) for t in dag.tasks},
            "tags": sorted(dag.tags),
            "schedule": str(dag.schedule) if dag.schedule is not None else None,
        }
        for dag_id, dag in bag.dags.items()
    },
}
print("CWS-RESULT " + json.dumps(out))
