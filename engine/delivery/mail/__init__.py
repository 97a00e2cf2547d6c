"""E-mail: building messages, keeping them durable, two transports, and a queue.

::

    headers      Address, the checks against header injection, Message-IDs, shared headers
    message      build_message (the MIME message from a notice), its bytes, file name, envelope
    durability   atomic file writes; a batch flushed to disk at once (syncfs, or fsync)
    transport    the Transport protocol and DeliveryFailed, the error every transport raises
    outbox       OutboxTransport: each message one .eml file in a folder
    smtp         SmtpTransport: one server, one reused connection, none/starttls/ssl, login
    queue        MailQueue: queue/ -> sent/, one flush per connection, backoff while down

Each module imports only those above it. The names below are the public ones; callers import
them from here.
"""

from engine.delivery.mail.durability import sync_files
from engine.delivery.mail.headers import Address
from engine.delivery.mail.message import (
    build_message,
    message_filename,
    read_message,
    stored_key,
)
from engine.delivery.mail.outbox import OutboxTransport
from engine.delivery.mail.queue import DEFAULT_BACKOFF, FlushResult, MailQueue
from engine.delivery.mail.smtp import SmtpTransport
from engine.delivery.mail.transport import (
    DeliveryFailed,
    LoginRefused,
    RecipientsRefused,
    Transport,
    TransportUnavailable,
)

__all__ = [
    "DEFAULT_BACKOFF",
    "Address",
    "DeliveryFailed",
    "FlushResult",
    "LoginRefused",
    "MailQueue",
    "OutboxTransport",
    "RecipientsRefused",
    "SmtpTransport",
    "Transport",
    "TransportUnavailable",
    "build_message",
    "message_filename",
    "read_message",
    "stored_key",
    "sync_files",
]
