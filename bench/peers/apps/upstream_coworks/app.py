"""The e-shop billing service written with upstream CoWorks 0.9.4 (Python, Flask), for the benchmark.

Same routes as `examples/eshop/services/billing`, by CoWorks' own naming rule (`get_invoice(self, id)`
-> `GET /invoice/<id>`, ...); the answers come from `billing_rules` so that they equal the Rust
service's (the benchmark checks it). Served by `flask run`, by gunicorn through `wsgi.py`, and as a
Lambda handler (`app.app`) under awslambdaric.
"""

import billing_rules as rules
from coworks import TechMicroService, entry, request
from flask import jsonify, make_response
from werkzeug.exceptions import Forbidden, UnprocessableEntity


def _answer(status, body, content_type):
    resp = make_response((body, status))
    if content_type:
        resp.headers["Content-Type"] = content_type
    else:
        resp.headers.remove("Content-Type")
    return resp


def _json(status, value):
    resp = jsonify(value)
    resp.status_code = status
    return resp


class BillingMicroService(TechMicroService):
    """Invoices of the e-shop: create, list, fetch and print them."""

    def __init__(self):
        super().__init__("billing")
        self.billing = rules.Billing()
        # After CoWorks' own token check (registered by TechMicroService): unknown query keys.
        self.before_request(self._check_query)
        self.register_error_handler(rules.Rejection, lambda r: _json(r.status, r.body))
        self.register_error_handler(Forbidden, self._refused)
        self.register_error_handler(UnprocessableEntity, self._unprocessable)

    def token_authorizer(self, token):
        """CoWorks passes the raw `Authorization` value; accept it raw or as `Bearer <token>`."""
        token = rules.token_of(token)
        return token is not None and rules.token_allowed(token)

    @staticmethod
    def _check_query():
        if request.endpoint:
            rules.check_query(request.endpoint, list(request.args.items(multi=True)))

    @staticmethod
    def _refused(_error):
        # CoWorks answers every refused token 403; the runtime says 401 when there is none.
        try:
            rules.check_token(request.headers.get("Authorization"))
        except rules.Rejection as r:
            return _json(r.status, r.body)
        return _json(403, {"error": "invalid token"})

    @staticmethod
    def _unprocessable(error):
        # CoWorks reads a JSON body into keyword arguments itself and answers 422 with its own
        # message when that fails: answer the runtime's 422 for the same body instead.
        if request.endpoint == "post_invoice":
            try:
                rules.new_invoice(request.content_type, request.get_data())
            except rules.Rejection as r:
                return _json(r.status, r.body)
        return _json(422, {"error": "invalid parameter", "message": error.description})

    @entry
    def get_invoice(self, id):
        """One invoice by its number."""
        return _json(200, self.billing.get_invoice(rules.path_u64("id", id)))

    @entry
    def get_invoices(self, page=None, customer=None):
        """A page of invoices, optionally of one customer."""
        return _json(200, self.billing.get_invoices(rules.query_u32("page", page), customer))

    @entry
    def post_invoice(self, **_body):
        """Creates an invoice (JSON or form body)."""
        if request.is_form_urlencoded:
            new = rules.new_invoice_form(list(request.form.items(multi=True)))
        else:
            new = rules.new_invoice(request.content_type, request.get_data())
        return _json(201, self.billing.post_invoice(*new))

    @entry(binary_headers={"content-type": rules.PDF})
    def get_invoice_pdf(self, id):
        """The invoice printed as PDF."""
        return _answer(200, self.billing.get_invoice_pdf(rules.path_u64("id", id)), rules.PDF)

    @entry
    def delete_invoice(self, id):
        """Cancels an invoice."""
        self.billing.delete_invoice(rules.path_u64("id", id))
        return _answer(204, b"", None)

    @entry(no_auth=True)
    def get_health(self):
        """Liveness probe for load balancers: no token needed."""
        return _answer(200, self.billing.get_health(), rules.TEXT)

    @entry(stage="dev")
    def get_debug_state(self):
        """Internal state, for developers only."""
        return _answer(200, self.billing.get_debug_state(), rules.TEXT)


app = BillingMicroService()
