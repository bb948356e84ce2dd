"""CoWorks operators for Airflow 3, used by the DAGs that ``cws workflow build`` generates.

- :class:`CwsCallOperator` calls an entry of a tech service through the HTTP provider's ``HttpHook``
  (connection ``cws_<service>_<stage>``: host = the service's URL, password = its token). With
  ``async_call=True`` it uses the CoWorks async contract: ``InvocationType: Event`` plus
  ``X-CWS-S3Bucket`` / ``X-CWS-S3Key``, answered ``202``; the entry then writes one JSON result record
  to that S3 key.
- The Amazon provider's ``S3KeySensor`` waits for that record; :class:`CwsResultOperator` reads it
  through ``S3Hook`` and returns it like a synchronous call's result.
- :class:`CwsBranchOperator` chooses the ``on_success`` / ``on_failure`` / ``on_no_content`` tasks from a
  call's status.
- :class:`CwsWaitSensor` calls an entry at each poke until its answer meets a ``wait_until`` condition;
  with ``deferrable=True`` (``deferrable: true``) it defers to :class:`CwsWaitTrigger`
  (:mod:`.triggers`), which makes the calls from the triggerer.
- :class:`CwsItemsOperator` renders a ``for_each`` list; the task is a ``CwsCallOperator`` mapped over it
  (``.partial(...).expand(item=...)``, Airflow's dynamic task mapping; ``{{ item }}`` in its values).
- :class:`CwsPythonOperator` runs a ``python: module.function`` task (:mod:`.python_task`).
- :class:`CwsWhenOperator` chooses between a task and its ``else`` tasks by the task's ``when:``
  condition (the ``<id>__when`` branch before the task).
- :class:`CwsFailRunOperator` follows the workflow's run-level ``on_failure`` task (trigger rule
  ``one_failed``) and fails, so the run stays failed after the alert.

A task's result (its XCom) is ``{"status": int, "headers": {...}, "body": JSON or text}``. Workflow
templates (``{{ conf.key }}``, ``{{ tasks.<id>.body.field }}``) are resolved by :mod:`.templates`; a task's
``when:`` condition is evaluated by :mod:`.conditions` (a false one skips the call).
"""

from coworks_airflow.operators import (
    CwsBranchOperator,
    CwsCallOperator,
    CwsFailRunOperator,
    CwsItemsOperator,
    CwsPythonOperator,
    CwsResultOperator,
    CwsWaitSensor,
    CwsWhenOperator,
)
from coworks_airflow.templates import resolve
from coworks_airflow.triggers import CwsWaitTrigger

__all__ = [
    "CwsBranchOperator",
    "CwsCallOperator",
    "CwsFailRunOperator",
    "CwsItemsOperator",
    "CwsPythonOperator",
    "CwsResultOperator",
    "CwsWaitSensor",
    "CwsWaitTrigger",
    "CwsWhenOperator",
    "resolve",
]
