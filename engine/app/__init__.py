"""The application layer: the one way every front end runs a programme."""

from engine.app.mail import MailSettings, check_desk_url, open_queue
from engine.app.programme import (
    NewPoint,
    Programme,
    check_signing_key,
    checkpoint_store,
    generate_audit_keys,
    verify_store,
)

__all__ = [
    "MailSettings",
    "NewPoint",
    "Programme",
    "check_desk_url",
    "check_signing_key",
    "checkpoint_store",
    "generate_audit_keys",
    "open_queue",
    "verify_store",
]
