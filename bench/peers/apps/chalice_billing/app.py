"""The e-shop billing service written with Chalice 1.34 (Python), for the benchmark.

Same routes as `examples/eshop/services/billing`; the answers come from `billing_rules` so that they
equal the Rust service's (the benchmark checks it). The token is checked in the view, as the Rust
runtime does, rather than by a Chalice authorizer (which `chalice local` would run as an extra
step per request). Served by `chalice local`, and as a Lambda handler (`app.app`) under awslambdaric.
"""

import functools

import billing_rules as rules
from chalice import Chalice, Response

app = Chalice(app_name="billing")
# API Gateway sends binary answers base64-encoded to clients that accept them.
app.api.binary_types.append(rules.PDF)
billing = rules.Billing()


def _answer(status, body, content_type):
    return Response(
        body=body, status_code=status, headers={"Content-Type": content_type} if content_type else {}
    )


def entry(method, path, no_auth=False, **route):
    """A Chalice route for the view named after the Rust entry, with the runtime's checks around it:
    the token (unless `no_auth`), then unknown query keys."""

    def wrap(view):
        @functools.wraps(view)
        def checked(**params):
            req = app.current_request
            try:
                if not no_auth:
                    rules.check_token(req.headers.get("authorization"))
                query = req.query_params or {}
                pairs = [(k, v) for k in query for v in query.getlist(k)]
                return view(rules.check_query(view.__name__, pairs), **params)
            except rules.Rejection as r:
                return _answer(r.status, r.body, rules.JSON)

        return app.route(path, methods=[method], **route)(checked)

    return wrap


@entry("GET", "/invoice/{id}")
def get_invoice(_query, id):
    return _answer(200, billing.get_invoice(rules.path_u64("id", id)), rules.JSON)


@entry("GET", "/invoices")
def get_invoices(query):
    page = rules.query_u32("page", query.get("page"))
    return _answer(200, billing.get_invoices(page, query.get("customer")), rules.JSON)


@entry("POST", "/invoice", content_types=["application/json", "application/x-www-form-urlencoded"])
def post_invoice(_query):
    req = app.current_request
    new = rules.new_invoice(req.headers.get("content-type"), req.raw_body)
    return _answer(201, billing.post_invoice(*new), rules.JSON)


@entry("GET", "/invoice/pdf/{id}")
def get_invoice_pdf(_query, id):
    return _answer(200, billing.get_invoice_pdf(rules.path_u64("id", id)), rules.PDF)


@entry("DELETE", "/invoice/{id}")
def delete_invoice(_query, id):
    billing.delete_invoice(rules.path_u64("id", id))
    return _answer(204, "", None)


@entry("GET", "/health", no_auth=True)
def get_health(_query):
    return _answer(200, billing.get_health(), rules.TEXT)


if rules.stage() == "dev":

    @entry("GET", "/debug/state")
    def get_debug_state(_query):
        return _answer(200, billing.get_debug_state(), rules.TEXT)
