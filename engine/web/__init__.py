"""The desk: a web front end where units see what they owe and submit, the coordinating
office decides, and auditors read the record.

A Starlette application (served by uvicorn; ``docflow web``), rendered on the server with
Jinja2, in Simplified Chinese, usable without JavaScript. Like every front end it goes
through ``engine.app``: each action is one use case of a ``Programme`` opened on the desk's
store with the signed-in person as 经办人.

===================  =========================================================================
``desk``             the open programmes, the store, the clock; who may read which unit and item
``pages``            rendering templates, the error pages
``security``         sessions, CSRF tokens, the signed-in account and role checks
``routes_auth``      sign in and out, the one-time set-password link, the home page
``routes_unit``      a unit's page, an item's history, uploads and receipts, downloads
``recurring``        recurring reports on the pages: a unit's periods, each period's 上报率
``routes_reports``   filing one period of a recurring report from a unit's page
``routes_office``    the coordinating office: the decision queue, decisions, the status matrix,
                     items stuck, 催报 by hand, the 通报
``routes_audit``     the trail with filters, ``audit verify``, the report, accounts and sign-ins,
                     account administration
``routes_calendar``  each unit's iCalendar at an address with its own token
``application``      :func:`create_app`: the routes and middleware put together
===================  =========================================================================
"""

from engine.web.application import create_app, run
from engine.web.desk import Desk

__all__ = ["Desk", "create_app", "run"]
