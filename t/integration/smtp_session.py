#!/usr/bin/env python3
"""Run one SMTP session step by step and print every reply.

Usage: smtp_session.py HOST PORT STEP...

Steps:
  mail:ADDR       MAIL FROM:<ADDR> (an empty ADDR sends MAIL FROM:<>)
  rcpt:ADDR       RCPT TO:<ADDR>
  data:ID         DATA, then a short message whose Message-ID is <ID>
  data-cut:ID     DATA, half of that message, then close the connection
                  without the final "." (the session ends there)
  rset            RSET
  quit            QUIT (sent at the end unless the session was cut)

Each step prints one line: the step, the reply code, the reply text with
lines joined by " / ", and "ms=N", the milliseconds from sending the
command to reading the whole reply.  For data the time covers the final
"." only.  A DATA command that does not get 354 prints that reply.
"""

import smtplib
import sys
import time

TIMEOUT_S = 30


def message_text(message_id: str, sender: str, recipients: list) -> str:
    return (
        f"From: <{sender}>\r\n"
        f"To: {', '.join('<' + r + '>' for r in recipients) or '<>'}\r\n"
        f"Subject: rampart test {message_id}\r\n"
        f"Message-ID: <{message_id}>\r\n"
        "\r\n"
        f"Body of {message_id}.\r\n"
    )


def timed(call):
    start = time.monotonic()
    code, text = call()
    elapsed_ms = (time.monotonic() - start) * 1000
    return code, text, elapsed_ms


def report(step: str, code: int, text, elapsed_ms: float) -> None:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    text = " / ".join(text.splitlines())
    print(f"{step} {code} {text} ms={elapsed_ms:.0f}", flush=True)


class Session:
    def __init__(self, host: str, port: int):
        self.smtp = smtplib.SMTP(timeout=TIMEOUT_S)
        self.smtp.connect(host, port)
        self.smtp.ehlo("client.rampart.test")
        self.sender = ""
        self.recipients = []
        self.open = True

    def run(self, step: str) -> None:
        name, _, arg = step.partition(":")
        handler = getattr(self, "step_" + name.replace("-", "_"), None)
        if handler is None:
            raise SystemExit(f"smtp_session.py: unknown step {step!r}")
        handler(step, arg)

    def step_mail(self, step: str, arg: str) -> None:
        self.sender = arg
        self.recipients = []
        report(step, *timed(lambda: self.smtp.docmd(f"MAIL FROM:<{arg}>")))

    def step_rcpt(self, step: str, arg: str) -> None:
        code, text, ms = timed(lambda: self.smtp.docmd(f"RCPT TO:<{arg}>"))
        if code // 100 == 2:
            self.recipients.append(arg)
        report(step, code, text, ms)

    def start_data(self, step: str) -> bool:
        code, text = self.smtp.docmd("DATA")
        if code != 354:
            report(step, code, text, 0)
            return False
        return True

    def step_data(self, step: str, arg: str) -> None:
        if not self.start_data(step):
            return
        body = message_text(arg, self.sender, self.recipients)
        payload = smtplib.quotedata(body).encode() + b"\r\n.\r\n"
        report(step, *timed(lambda: self.send_final(payload)))

    def send_final(self, payload: bytes):
        self.smtp.send(payload)
        return self.smtp.getreply()

    def step_data_cut(self, step: str, arg: str) -> None:
        if not self.start_data(step):
            return
        body = message_text(arg, self.sender, self.recipients)
        self.smtp.send(body[: len(body) // 2].encode())
        self.smtp.close()
        self.open = False
        print(f"{step} cut", flush=True)

    def step_rset(self, step: str, arg: str) -> None:
        report(step, *timed(lambda: self.smtp.docmd("RSET")))

    def step_quit(self, step: str, arg: str) -> None:
        report(step, *timed(lambda: self.smtp.docmd("QUIT")))
        self.smtp.close()
        self.open = False


def main(argv: list) -> int:
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    session = Session(argv[1], int(argv[2]))
    for step in argv[3:]:
        if not session.open:
            raise SystemExit(f"smtp_session.py: step {step!r} after the "
                             "session ended")
        session.run(step)
    if session.open:
        session.run("quit")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
