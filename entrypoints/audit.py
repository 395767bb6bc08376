"""The audit log: one line per sign-in, failed sign-in, token made or revoked and account
change, with the account, who did it and from where; never a secret."""

from __future__ import annotations

import json
import logging

from domain.accounts import Actor

audit_logger = logging.getLogger("users_service.audit")


def audit(event: str, account: str, actor: Actor) -> None:
    audit_logger.info(
        "%s account=%s by=%s address=%s",
        event,
        json.dumps(account),
        json.dumps(actor.name),
        json.dumps(actor.address),
    )
