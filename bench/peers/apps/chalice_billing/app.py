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


def entry(name, no_auth=False):
    """The runtime's checks around a view: token (unless `no_auth`), then unknown query keys."""

    def wrap(view):
        @functools.wraps(view)
        def checked(**path):
            req = app.current_request
            try:
                if not no_auth:
                    rules.check_token(req.headers.get("authorization"))
                query = req.query_params or {}
                pairs = [(k, v) for k in query for v in query.getlist(k)]
                return view(rules.check_query(name, pairs), **path)
            except rules.Rejection as r:
                return _answer(r.status, r.body, rules.JSON)

        return checked

    return wrap


@app.route("/invoice/{id}", methods=["GET"])
@entry("get_invoice")
def get_invoice(_query, id):
    return _answer(200, billing.get_invoice(rules.path_u64("id", id)), rules.JSON)


@app.route("/invoices", methods=["GET"])
@entry("get_invoices")
def get_invoices(query):
    return _answer(
        200,
        billing.get_invoices(rules.query_u32("page", query.get("page")), query.get("customer")),
        rules.JSON,
    )


@app.route(
    "/invoice", methods=["POST"], content_types=["application/json", "application/x-www-form-urlencoded"]
)
@entry("post_invoice")
def post_invoice(_query):
    req = app.current_request
    new = rules.new_invoice(req.headers.get("content-type"), req.raw_body)
    return _answer(201, billing.post_invoice(*new), rules.JSON)


@app.route("/invoice/pdf/{id}", methods=["GET"])
@entry("get_invoice_pdf")
def get_invoice_pdf(_query, id):
    return _answer(200, billing.get_invoice_pdf(rules.path_u64("id", id)), rules.PDF)


@app.route("/invoice/{id}", methods=["DELETE"])
@entry("delete_invoice")
def delete_invoice(_query, id):
    billing.delete_invoice(rules.path_u64("id", id))
    return _answer(204, "", None)


@app.route("/health", methods=["GET"])
@entry("get_health", no_auth=True)
def get_health(_query):
    return _answer(200, billing.get_health(), rules.TEXT)


if rules.stage() == "dev":

    @app.route("/debug/state", methods=["GET"])
    @entry("get_debug_state")
    def get_debug_state(_query):
        return _answer(200, billing.get_debug_state(), rules.TEXT)
