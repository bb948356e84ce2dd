"""The trigger of a deferrable ``wait_until`` (``deferrable: true``), and what the call operators and it
share: a call's result, the stage's token and API key headers, the wait's condition.

:class:`CwsWaitTrigger` runs in Airflow's triggerer (``dag.test()`` runs it in line): it calls the
entry every ``interval`` seconds through the HTTP provider's ``HttpAsyncHook`` until the answer meets
the condition (:func:`wait_met`, the core's ``run::wait_met``), a ``401``/``403`` refuses the token,
or ``timeout`` seconds have passed since the first call, and yields one ``TriggerEvent`` saying which
(``CwsWaitSensor.execute_complete`` turns it into the same result or failure as a poke).

The stage's token and API key are not in the trigger's kwargs (which Airflow stores in its database
in clear): the trigger reads the connection itself (``BaseHook.aget_connection``, async), as the
sensor's ``HttpHook`` does in poke mode.
"""

import asyncio
import json
import time

from airflow.providers.http.hooks.http import HttpAsyncHook
from airflow.sdk import BaseHook
from airflow.triggers.base import BaseTrigger, TriggerEvent


def answer(status, headers, body_text):
    """A call's result: status, headers, and the body parsed as JSON when it is JSON."""
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    body = body_text
    if body_text and "json" in content_type:
        try:
            body = json.loads(body_text)
        except ValueError:
            pass
    return {"status": status, "headers": dict(headers), "body": body}


def with_credentials(headers, connection):
    """``headers`` with the connection's token (its password, as ``Authorization``) and the
    service's API key (``api_key`` in its extra, as ``x-api-key``). A task's own headers never hold
    either: CWS084 refuses ``Authorization`` and ``x-api-key`` (any case) in a workflow file, and a
    workflow with errors gets no DAG, so the credentials are the connection's alone."""
    headers = dict(headers)
    if connection.password:
        headers["Authorization"] = connection.password
    api_key = (connection.extra_dejson or {}).get("api_key")
    if api_key:
        headers["x-api-key"] = str(api_key)
    return headers


_MISSING = object()


def _field_value(result, field):
    """The value at a dotted path of a result (``body.state``), or ``_MISSING``."""
    found = result
    for name in field.split("."):
        if isinstance(found, dict) and name in found:
            found = found[name]
        elif isinstance(found, list) and name.isdigit() and int(name) < len(found):
            found = found[int(name)]
        else:
            return _MISSING
    return found


def _json_eq(a, b):
    """JSON equality, numbers by value (the core's ``json_eq``); ``True`` is not ``1``."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return float(a) == float(b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_json_eq(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_json_eq(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def wait_met(result, until_status, until_field, until_equals):
    """Whether an answer ends a wait (the core's ``run::wait_met``): its status is one of
    ``until_status`` (any 2xx when empty) and, with ``until_field``, the value there equals
    ``until_equals``."""
    status = result["status"]
    met = status in until_status if until_status else 200 <= status < 300
    if met and until_field is not None:
        found = _field_value(result, until_field)
        met = found is not _MISSING and _json_eq(found, until_equals)
    return met


class CwsWaitTrigger(BaseTrigger):
    """Calls an entry until its answer meets a ``wait_until`` condition; see the module.

    :param conn_id: the service's HTTP connection (URL, token, API key: read when the trigger runs).
    :param method: the HTTP method.
    :param endpoint: the path and query, templates already rendered by the sensor.
    :param headers: the task's headers, rendered (without the token and API key).
    :param data: the JSON body as text, or ``None``.
    :param call: the call's description for messages (``catalog GET /product/tea-1``).
    :param until_status: as for ``CwsWaitSensor``.
    :param until_field: as for ``CwsWaitSensor``.
    :param until_equals: as for ``CwsWaitSensor``.
    :param interval: seconds between two calls.
    :param timeout: seconds after the first call past which an answer not meeting the condition ends
        the wait.
    :param started: when the wait started (seconds since the epoch; set when the sensor defers, so
        that a trigger restarted by the triggerer keeps the same deadline).
    """

    def __init__(
        self,
        *,
        conn_id,
        method,
        endpoint,
        headers,
        data,
        call,
        until_status,
        until_field,
        until_equals,
        interval,
        timeout,
        started,
    ):
        super().__init__()
        self.conn_id = conn_id
        self.method = method
        self.endpoint = endpoint
        self.headers = dict(headers)
        self.data = data
        self.call = call
        self.until_status = list(until_status)
        self.until_field = until_field
        self.until_equals = until_equals
        self.interval = interval
        self.timeout = timeout
        self.started = started

    def serialize(self):
        return (
            "coworks_airflow.triggers.CwsWaitTrigger",
            {
                "conn_id": self.conn_id,
                "method": self.method,
                "endpoint": self.endpoint,
                "headers": self.headers,
                "data": self.data,
                "call": self.call,
                "until_status": self.until_status,
                "until_field": self.until_field,
                "until_equals": self.until_equals,
                "interval": self.interval,
                "timeout": self.timeout,
                "started": self.started,
            },
        )

    async def _once(self, hook, headers):
        async with hook.session() as http:
            response = await http.run(
                endpoint=self.endpoint, data=self.data, headers=headers, extra_options={"check_response": False}
            )
            text = await response.text()
            return answer(response.status, response.headers, text)

    async def run(self):
        try:
            connection = await BaseHook.aget_connection(self.conn_id)
            headers = with_credentials(self.headers, connection)
            hook = HttpAsyncHook(method=self.method, http_conn_id=self.conn_id)
            while True:
                result = await self._once(hook, headers)
                status = result["status"]
                if status in (401, 403):
                    yield TriggerEvent({"outcome": "refused", "call": self.call, "result": result})
                    return
                if wait_met(result, self.until_status, self.until_field, self.until_equals):
                    self.log.info("%s answered %s: condition met", self.call, status)
                    yield TriggerEvent({"outcome": "met", "call": self.call, "result": result})
                    return
                self.log.info("%s answered %s: waiting", self.call, status)
                if time.time() - self.started > self.timeout:
                    yield TriggerEvent({"outcome": "timeout", "call": self.call, "status": status})
                    return
                await asyncio.sleep(self.interval)
        except Exception as e:  # reported by the sensor: the attempt fails (and is retried)
            yield TriggerEvent({"outcome": "error", "call": self.call, "message": f"{type(e).__name__}: {e}"})
