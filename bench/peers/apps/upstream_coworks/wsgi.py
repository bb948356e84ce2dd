"""The upstream CoWorks billing app for a production WSGI server (gunicorn: `wsgi:application`).

CoWorks 0.9.4 decides between Flask and Lambda with `inspect.isfunction(start_response)`: Flask's
development server passes a function, gunicorn a bound method, which CoWorks would take for a Lambda
context. This wrapper hands it a function; it costs one Python call per request.
"""

from app import app as billing

# CoWorks 0.9.4 adds its routes on the first request, with no lock (`TechMicroService._init_app`):
# two threads of a gthread worker starting together could both add them, and the second would fail
# with "Duplicate route". Build them once, at import.
billing.app_context()


def application(environ, start_response):
    """The WSGI entry point."""

    def start(status, headers, exc_info=None):
        return start_response(status, headers, exc_info)

    return billing(environ, start)
