"""Operators calling CoWorks tech services; see the package documentation."""

import json
import os
import time
from urllib.parse import quote, urlencode

from airflow.providers.http.hooks.http import HttpHook
from airflow.sdk import BaseBranchOperator, BaseOperator, BaseSensorOperator, PokeReturnValue
from airflow.sdk.exceptions import (
    AirflowException,
    AirflowFailException,
    AirflowSensorTimeout,
    AirflowSkipException,
)

from coworks_airflow import python_task
from coworks_airflow.conditions import holds
from coworks_airflow.templates import NO_ITEM, resolve, result_of
from coworks_airflow.triggers import CwsWaitTrigger, answer, wait_met, with_credentials

#: How much of an error body a failure message quotes.
_EXCERPT = 500


def _excerpt(body):
    text = body if isinstance(body, str) else json.dumps(body)
    return text if len(text) <= _EXCERPT else text[:_EXCERPT] + "..."


def _header_value(name, value):
    """A header's value as text (as templates render text), refused unless visible ASCII with spaces
    and tabs only inside (the core's ``header_value_problem``)."""
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"), sort_keys=True)
    visible = all(c in " \t" or 33 <= ord(c) <= 126 for c in text)
    if not visible or text != text.strip(" \t"):
        raise AirflowFailException(
            f"header `{name}`: header value {json.dumps(text)} is not visible ASCII text "
            "(spaces and tabs only inside, no line breaks)"
        )
    return text


def _query_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    return v


class _WhenMixin:
    """Skips the task when its ``when:`` condition (``coworks_airflow.conditions``) is false, before it
    does anything (calls, waits, renders its items, runs Python): the tasks after it are skipped by
    Airflow's trigger rules, as ``cws workflow run`` skips them (the core's ``run::condition_holds``).
    A condition that cannot be evaluated fails the task."""

    def _skip_unless_when(self, context):
        if self.when is not None and not holds(self.when, context, mapped=self.mapped):
            raise AirflowSkipException(f"`when: {self.when}` is false")


class _CallMixin:
    """Turns an error status into a task failure with a clear message."""

    def _check(self, result, call, conn_id):
        status = result["status"]
        if status in (401, 403):
            what = "is missing" if status == 401 else "was refused"
            raise AirflowFailException(
                f"{call} answered {status}: the token of connection `{conn_id}` {what}; set the "
                f"connection's password to the service's TOKEN for this stage"
            )
        if 200 <= status < 300:
            return result
        if self.handles_failure:
            self.log.warning("%s answered %s: taking the on_failure branch", call, status)
            return result
        raise AirflowException(f"{call} answered {status}: {_excerpt(result['body'])}")


class CwsCallOperator(_WhenMixin, _CallMixin, BaseOperator):
    """Calls one entry of a tech service.

    :param service: the service name (for messages).
    :param conn_id: the HTTP connection of the service in this stage (host = URL, password = token,
        extra ``api_key`` = the service's API key, sent as ``x-api-key``, when it requires one).
    :param method: the HTTP method.
    :param path: the path; may hold templates.
    :param query: query-string values (lists for repeated keys); may hold templates.
    :param headers: header names and values sent with the call; values may hold templates
        (``None`` leaves the header out).
    :param json: the JSON body; may hold templates.
    :param handles_failure: when true, an error status (other than 401/403) is the task's result
        (for an ``on_failure`` branch) instead of a failure.
    :param async_call: use the async contract; the result is ``{"status": 202, "bucket", "key"}``.
    :param results_bucket: the S3 bucket async results are written to (templated).
    :param results_prefix: the key prefix of async results.
    :param mapped: the tasks mapped over ``for_each`` (templates read their results as lists).
    :param has_item: the task is mapped over ``for_each``; ``item`` is its item (``{{ item }}``).
    :param when: the task's ``when:`` condition: when it is false the task is skipped (and the tasks
        after it, by Airflow's trigger rules).
    """

    template_fields = ("results_bucket",)
    ui_color = "#dbeafe"

    def __init__(
        self,
        *,
        service,
        conn_id,
        method,
        path,
        query=None,
        headers=None,
        json=None,
        handles_failure=False,
        async_call=False,
        results_bucket=None,
        results_prefix="",
        mapped=(),
        has_item=False,
        item=None,
        when=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.when = when
        self.mapped = list(mapped)
        self.item = item if has_item else NO_ITEM
        self.service = service
        self.conn_id = conn_id
        self.method = method
        self.path = path
        self.query = query or {}
        self.headers = headers or {}
        self.body = json
        self.handles_failure = handles_failure
        self.async_call = async_call
        self.results_bucket = results_bucket
        self.results_prefix = results_prefix

    def _resolve(self, value, context):
        return resolve(value, context, item=self.item, mapped=self.mapped)

    def execute(self, context):
        self._skip_unless_when(context)
        result, call = self._send(context)
        if self.async_call and result["status"] == 202:
            return {"status": 202, "bucket": self.results_bucket, "key": self._key}
        if self.async_call and 200 <= result["status"] < 300:
            raise AirflowFailException(
                f"{call} answered {result['status']} to an async call (expected 202): is it a CoWorks service?"
            )
        return self._check(result, call, self.conn_id)

    def _request(self, context):
        """The call's endpoint (path and query), headers (without the token and API key), body and
        description for messages, templates rendered."""
        path = str(self._resolve(self.path, context))
        endpoint = quote(path, safe="/:@-._~!$&'()*+,;=")
        query = {k: _query_value(v) for k, v in self._resolve(self.query, context).items() if v is not None}
        if query:
            endpoint += "?" + urlencode(query, doseq=True)
        call = f"{self.service} {self.method} {path}"
        headers = {"Accept": "application/json"}
        for name, value in self._resolve(self.headers, context).items():
            if value is not None:
                headers[name] = _header_value(name, value)
        data = None
        if self.body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(self._resolve(self.body, context))
        return endpoint, headers, data, call

    def _send(self, context):
        """Sends the call; its result and its description for messages."""
        endpoint, headers, data, call = self._request(context)
        hook = HttpHook(method=self.method, http_conn_id=self.conn_id)
        # The token and the service's API key (``api_key`` in the connection's extra, set by
        # ``cws workflow deploy`` for a service deployed with ``api_key``).
        headers = with_credentials(headers, hook.get_connection(self.conn_id))
        key = None
        if self.async_call:
            if not self.results_bucket:
                raise AirflowFailException(f"{call}: no results bucket for the async call")
            run_id = context["run_id"]
            key = f"{self.results_prefix}{self.dag_id}/{run_id}/{self.task_id}.json"
            headers.update(
                {"InvocationType": "Event", "X-CWS-S3Bucket": self.results_bucket, "X-CWS-S3Key": key}
            )
        self.log.info("%s%s", call, " (async)" if self.async_call else "")
        response = hook.run(endpoint, data=data, headers=headers, extra_options={"check_response": False})
        result = answer(response.status_code, response.headers, response.text)
        self.log.info("%s answered %s", call, result["status"])
        self._key = key
        return result, call


class CwsWaitSensor(BaseSensorOperator, CwsCallOperator):
    """Calls an entry at each poke until its answer meets the ``wait_until`` condition (the core's
    ``run::wait_met``): a status of ``until_status`` (any 2xx when empty) and, with ``until_field``,
    the value there equal to ``until_equals``. 401/403 fail at once; the sensor's ``timeout`` fails
    the task without retries. Returns the answer that met the condition.

    With ``deferrable=True`` the sensor makes no call itself: it renders the call and defers to
    :class:`~coworks_airflow.triggers.CwsWaitTrigger`, which calls every ``poke_interval`` seconds in
    the triggerer; :meth:`execute_complete` then returns the same answer, or fails as a poke would.
    """

    ui_color = "#dcfce7"

    def __init__(self, *, until_status=(), until_field=None, until_equals=None, deferrable=False, **kwargs):
        super().__init__(**kwargs)
        self.until_status = list(until_status)
        self.until_field = until_field
        self.until_equals = until_equals
        self.deferrable = deferrable

    def execute(self, context):
        self._skip_unless_when(context)
        if not self.deferrable:
            return super().execute(context)
        endpoint, headers, data, call = self._request(context)
        self.log.info("%s: deferring the wait to the triggerer", call)
        trigger = CwsWaitTrigger(
            conn_id=self.conn_id,
            method=self.method,
            endpoint=endpoint,
            headers=headers,
            data=data,
            call=call,
            until_status=self.until_status,
            until_field=self.until_field,
            until_equals=self.until_equals,
            interval=self.poke_interval,
            timeout=self.timeout,
            started=time.time(),
        )
        self.defer(trigger=trigger, method_name="execute_complete")

    def execute_complete(self, context, event):
        """The trigger's event as the task's outcome: the answer that met the condition, or the
        failure a poke would have raised."""
        outcome = event["outcome"]
        call = event["call"]
        if outcome == "met":
            return event["result"]
        if outcome == "refused":
            self._check(event["result"], call, self.conn_id)
        if outcome == "timeout":
            raise AirflowSensorTimeout(
                f"{call}: `wait_until` of task `{self.task_id}` not met within {self.timeout:g} s "
                f"(last status {event['status']})"
            )
        raise AirflowException(f"{call}: {event.get('message') or event}")

    def poke(self, context):
        result, call = self._send(context)
        status = result["status"]
        if status in (401, 403):
            self._check(result, call, self.conn_id)
        met = wait_met(result, self.until_status, self.until_field, self.until_equals)
        self.log.info("%s answered %s: %s", call, status, "condition met" if met else "waiting")
        return PokeReturnValue(is_done=met, xcom_value=result if met else None)


class CwsItemsOperator(_WhenMixin, BaseOperator):
    """Renders the ``for_each`` template of a mapped task: returns the list its task is mapped over
    (an empty list skips it).

    :param items: the template (``{{ conf.skus }}``, ``{{ tasks.x.body.items }}``).
    :param mapped: as for :class:`CwsCallOperator`.
    :param when: the mapped task's ``when:`` condition, decided once before the fan-out: when it is
        false this task is skipped, and the mapped task with it.
    """

    ui_color = "#f3e8ff"

    def __init__(self, *, items, mapped=(), when=None, **kwargs):
        super().__init__(**kwargs)
        self.items = items
        self.mapped = list(mapped)
        self.when = when

    def execute(self, context):
        self._skip_unless_when(context)
        found = resolve(self.items, context, mapped=self.mapped)
        if not isinstance(found, list):
            shown = json.dumps(found)
            shown = shown if len(shown) <= 200 else shown[:200] + "…"
            raise AirflowFailException(
                f"`for_each` of task `{self.task_id.removesuffix('__items')}`: `{self.items}` is {shown}, not a list"
            )
        self.log.info("%s items", len(found))
        return found


class CwsPythonOperator(_WhenMixin, BaseOperator):
    """Runs ``function`` of the project's ``workflows/<module>.py`` (copied next to the DAGs as
    ``coworks_workflows/<module>.py``) with the run's conf and the results of ``inputs``; returns
    ``{"status": 200, "headers": {}, "body": <what it returned>}`` (:mod:`.python_task`). With
    ``when``, skipped (the function not run) when the condition is false.
    """

    ui_color = "#fce7f3"

    def __init__(self, *, module, function, inputs=(), mapped=(), when=None, **kwargs):
        super().__init__(**kwargs)
        self.module = module
        self.function = function
        self.inputs = list(inputs)
        self.mapped = list(mapped)
        self.when = when

    def execute(self, context):
        self._skip_unless_when(context)
        folder = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "coworks_workflows")
        function = python_task.load(os.path.join(folder, f"{self.module}.py"), self.function)
        conf = getattr(context.get("dag_run"), "conf", None) or {}
        tasks = {}
        for task_id in self.inputs:
            found = result_of(context, task_id, self.mapped)
            if found is not None:
                tasks[task_id] = found
        self.log.info("running %s.%s", self.module, self.function)
        return python_task.call(function, conf, tasks)


class CwsResultOperator(_CallMixin, BaseOperator):
    """Reads the result record an async call wrote to S3 and returns it like a call's result.

    :param call_task_id: the task that made the async call (its XCom holds ``bucket`` and ``key``).
    :param aws_conn_id: the AWS connection reading S3.
    :param service: the service name (for messages).
    :param conn_id: the service's HTTP connection (for messages).
    :param call: the method and path called (for messages).
    :param handles_failure: as for :class:`CwsCallOperator`.
    """

    ui_color = "#e0e7ff"

    def __init__(
        self, *, call_task_id, aws_conn_id, service, conn_id="", call="", handles_failure=False, **kwargs
    ):
        super().__init__(**kwargs)
        self.call_task_id = call_task_id
        self.aws_conn_id = aws_conn_id
        self.service = service
        self.call_description = call
        self.conn_id = conn_id
        self.handles_failure = handles_failure

    def execute(self, context):
        from airflow.providers.amazon.aws.hooks.s3 import S3Hook

        where = context["ti"].xcom_pull(task_ids=self.call_task_id)
        text = S3Hook(aws_conn_id=self.aws_conn_id).read_key(where["key"], where["bucket"])
        try:
            record = json.loads(text)
        except ValueError as e:
            raise AirflowFailException(f"the result record s3://{where['bucket']}/{where['key']} is not JSON: {e}")
        body = record.get("body")
        headers = record.get("headers") or {}
        if isinstance(body, str):
            result = answer(int(record.get("status", 0)), headers, body)
        else:
            result = {"status": int(record.get("status", 0)), "headers": headers, "body": body}
        call = f"{self.service} {self.call_description}".strip()
        self.log.info("%s (async) answered %s", call, result["status"])
        return self._check(result, call, self.conn_id)


class CwsBranchOperator(BaseBranchOperator):
    """Follows the branches of a call from its status: ``on_no_content`` for 204 (when given),
    ``on_success`` for 2xx, ``on_failure`` otherwise.

    :param result_task_id: the task whose result decides.
    """

    ui_color = "#fef3c7"

    def __init__(self, *, result_task_id, on_success=(), on_failure=(), on_no_content=(), **kwargs):
        super().__init__(**kwargs)
        self.result_task_id = result_task_id
        self.on_success = list(on_success)
        self.on_failure = list(on_failure)
        self.on_no_content = list(on_no_content)

    def choose_branch(self, context):
        result = context["ti"].xcom_pull(task_ids=self.result_task_id) or {}
        status = int(result.get("status", 0))
        if status == 204 and self.on_no_content:
            chosen = self.on_no_content
        elif 200 <= status < 300:
            chosen = self.on_success
        else:
            chosen = self.on_failure
        self.log.info("`%s` answered %s: running %s", self.result_task_id, status, chosen or "nothing")
        return chosen


class CwsWhenOperator(BaseBranchOperator):
    """Chooses between a task and its ``else`` tasks by the task's ``when:`` condition (the core's
    ``Schedule`` view of ``else``): ``run`` when it holds, ``otherwise`` when it is false. A condition
    that cannot be evaluated chooses ``run``, whose operator evaluates it again and fails with the
    reason, as ``cws workflow run`` fails the task.

    :param when: the task's condition.
    :param run: the task's first operator.
    :param otherwise: the entry operators of its ``else`` tasks.
    :param mapped: as for :class:`CwsCallOperator`.
    """

    ui_color = "#fef3c7"

    def __init__(self, *, when, run, otherwise=(), mapped=(), **kwargs):
        super().__init__(**kwargs)
        self.when = when
        self.run = run
        self.otherwise = list(otherwise)
        self.mapped = list(mapped)

    def choose_branch(self, context):
        try:
            met = holds(self.when, context, mapped=self.mapped)
        except Exception as e:  # the task reports it, evaluating its condition again
            self.log.warning("`when: %s` cannot be evaluated (%s): running %s to fail it", self.when, e, self.run)
            return [self.run]
        chosen = [self.run] if met else self.otherwise
        self.log.info("`when: %s` is %s: running %s", self.when, "true" if met else "false", chosen or "nothing")
        return chosen


class CwsFailRunOperator(BaseOperator):
    """Fails when it runs: it follows the run's ``on_failure`` task, so that the DAG run stays failed
    once the alert has been sent (Airflow judges a run by its last tasks), and is skipped with it.

    :param failure_task_id: the run's ``on_failure`` task (for the message).
    """

    ui_color = "#fee2e2"

    def __init__(self, *, failure_task_id, **kwargs):
        super().__init__(**kwargs)
        self.failure_task_id = failure_task_id

    def execute(self, context):
        raise AirflowFailException(f"a task of the run failed; the on_failure task `{self.failure_task_id}` ran")
