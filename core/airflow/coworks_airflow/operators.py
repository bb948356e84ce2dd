"""Operators calling CoWorks tech services; see the package documentation."""

import json
from urllib.parse import quote, urlencode

from airflow.providers.http.hooks.http import HttpHook
from airflow.sdk import BaseBranchOperator, BaseOperator
from airflow.sdk.exceptions import AirflowException, AirflowFailException, AirflowSkipException

from coworks_airflow.conditions import holds
from coworks_airflow.templates import resolve

#: How much of an error body a failure message quotes.
_EXCERPT = 500


def _result(status, headers, body_text):
    """A call's result: status, headers, and the body parsed as JSON when it is JSON."""
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    body = body_text
    if body_text and "json" in content_type:
        try:
            body = json.loads(body_text)
        except ValueError:
            pass
    return {"status": status, "headers": dict(headers), "body": body}


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


class CwsCallOperator(_CallMixin, BaseOperator):
    """Calls one entry of a tech service.

    :param service: the service name (for messages).
    :param conn_id: the HTTP connection of the service in this stage (host = URL, password = token).
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
    :param when: the task's ``when:`` condition (``coworks_airflow.conditions``): when it is false
        the task is skipped (and the tasks after it, by Airflow's trigger rules).
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
        when=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
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
        self.when = when

    def execute(self, context):
        if self.when is not None and not holds(self.when, context):
            raise AirflowSkipException(f"`when: {self.when}` is false")
        path = str(resolve(self.path, context))
        endpoint = quote(path, safe="/:@-._~!$&'()*+,;=")
        query = {k: _query_value(v) for k, v in resolve(self.query, context).items() if v is not None}
        if query:
            endpoint += "?" + urlencode(query, doseq=True)
        call = f"{self.service} {self.method} {path}"
        hook = HttpHook(method=self.method, http_conn_id=self.conn_id)
        token = hook.get_connection(self.conn_id).password
        headers = {"Accept": "application/json"}
        for name, value in resolve(self.headers, context).items():
            if value is not None:
                headers[name] = _header_value(name, value)
        if token:
            headers["Authorization"] = token
        data = None
        if self.body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(resolve(self.body, context))
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
        result = _result(response.status_code, response.headers, response.text)
        self.log.info("%s answered %s", call, result["status"])
        if self.async_call and result["status"] == 202:
            return {"status": 202, "bucket": self.results_bucket, "key": key}
        if self.async_call and 200 <= result["status"] < 300:
            raise AirflowFailException(
                f"{call} answered {result['status']} to an async call (expected 202): is it a CoWorks service?"
            )
        return self._check(result, call, self.conn_id)


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
            result = _result(int(record.get("status", 0)), headers, body)
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
