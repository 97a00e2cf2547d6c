"""The application layer: the one way every front end runs a programme."""

from engine.app.mail import MailSettings, open_queue
from engine.app.programme import NewPoint, Programme, verify_store

__all__ = ["MailSettings", "NewPoint", "Programme", "open_queue", "verify_store"]
