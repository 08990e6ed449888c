"""An aiosmtpd handler for the email tests: Maildir delivery, like
aiosmtpd.handlers.Mailbox, except that recipients whose address starts with
"refused" get a permanent 550, as a real server answers for a mailbox that
does not exist."""
from aiosmtpd.handlers import Mailbox


class Refusing(Mailbox):
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower().startswith("refused"):
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"
