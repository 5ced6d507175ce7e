#!/usr/bin/env bash
# End-to-end check of a running `scripts/mailstack start DIR`: SMTP in (Postfix), LMTP across,
# IMAP out (Dovecot), APPEND, IDLE, CREATE and UID MOVE. Exits non-zero on any failure.
#   tests/mailstack_smoke.sh DIR
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
DIR=$1
[ -f "$DIR/mailstack.env" ] || { echo "$0: $DIR/mailstack.env missing: is the stack started?" >&2; exit 1; }
# shellcheck disable=SC1091
. "$DIR/mailstack.env"
export IMAP_PORT SMTP_PORT LMTP_PORT

python3 - <<'PY'
import imaplib, os, re, smtplib, socket, sys, time, uuid
from email.message import EmailMessage

HOST = "127.0.0.1"
IMAP_PORT, SMTP_PORT = int(os.environ["IMAP_PORT"]), int(os.environ["SMTP_PORT"])
TOKEN = uuid.uuid4().hex[:12]  # makes reruns against the same DIR independent

def step(msg):
    print(f"smoke: {msg}", flush=True)

def send(to, subject, body="Hallo\n"):
    m = EmailMessage()
    m["From"] = "tester@example.org"
    m["To"] = to
    m["Subject"] = subject
    m.set_content(body)
    with smtplib.SMTP(HOST, SMTP_PORT, timeout=10) as s:
        refused = s.send_message(m)
        assert not refused, f"refused recipients: {refused}"

def login(user):
    m = imaplib.IMAP4(HOST, IMAP_PORT, timeout=10)
    m.login(user, "test")
    return m

def find(m, mailbox, subject, timeout=20.0):
    """UIDs in mailbox whose subject contains `subject`, waiting for delivery."""
    deadline = time.time() + timeout
    while True:
        typ, _ = m.select(mailbox)
        assert typ == "OK", f"select {mailbox}: {typ}"
        typ, data = m.uid("SEARCH", None, "SUBJECT", f'"{subject}"')
        assert typ == "OK", (typ, data)
        uids = data[0].split()
        if uids or time.time() > deadline:
            return uids
        time.sleep(0.3)

# 1. SMTP to two foreign domains, read over IMAP as the local parts.
for user, addr in (("sabine", "sabine@posteo.de"), ("buergerbuero", "buergerbuero@hochheim.de")):
    subject = f"smoke {TOKEN} to {user}"
    send(addr, subject)
    m = login(user)
    uids = find(m, "INBOX", subject)
    assert uids, f"{addr}: message not delivered to {user}'s INBOX"
    typ, data = m.uid("FETCH", uids[0], "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert subject.encode() in data[0][1], data
    m.logout()
    step(f"SMTP -> {addr} -> IMAP {user}/INBOX ok")

# 2. APPEND.
m = login("buergerbuero")
subject = f"smoke {TOKEN} appended"
raw = f"From: a@b.c\r\nTo: buergerbuero@hochheim.de\r\nSubject: {subject}\r\n\r\nappended\r\n".encode()
typ, data = m.append("INBOX", None, None, raw)
assert typ == "OK", (typ, data)
assert find(m, "INBOX", subject, timeout=0), "appended message not found"
m.logout()
step("APPEND ok")

# 3. CREATE Processed (and Quarantine) and UID MOVE one message there.
m = login("buergerbuero")
for box in ("Processed", "Quarantine"):
    typ, data = m.create(box)
    assert typ == "OK" or b"ALREADYEXISTS" in data[0] or b"exists" in data[0], (box, typ, data)
uids = find(m, "INBOX", subject, timeout=0)
typ, data = m.uid("MOVE", uids[0], "Processed")
assert typ == "OK", (typ, data)
assert not find(m, "INBOX", subject, timeout=0), "moved message still in INBOX"
assert find(m, "Processed", subject, timeout=0), "moved message not in Processed"
m.logout()
step("CREATE + UID MOVE ok")

# 4. IDLE (imaplib has none): a raw connection idles on INBOX, new mail must be announced.
def line(f):
    l = f.readline()
    if not l:
        raise AssertionError("IMAP connection closed")
    return l.decode(errors="replace").rstrip("\r\n")

sock = socket.create_connection((HOST, IMAP_PORT), timeout=15)
f = sock.makefile("rb")
assert line(f).startswith("* OK"), "no IMAP greeting"
sock.sendall(b"a1 LOGIN buergerbuero test\r\n")
while not (l := line(f)).startswith("a1 "): pass
assert l.startswith("a1 OK"), l
sock.sendall(b"a2 SELECT INBOX\r\n")
while not (l := line(f)).startswith("a2 "): pass
assert l.startswith("a2 OK"), l
sock.sendall(b"A1 IDLE\r\n")
assert line(f).startswith("+"), "IDLE not accepted"
t0 = time.time()
send("buergerbuero@hochheim.de", f"smoke {TOKEN} idle")
while True:
    l = line(f)  # socket timeout (15 s) fails the test if nothing comes
    if re.match(r"\* \d+ EXISTS", l):
        break
step(f"IDLE announced new mail after {time.time() - t0:.2f}s ({l})")
sock.sendall(b"DONE\r\n")
while not (l := line(f)).startswith("A1 "): pass
assert l.startswith("A1 OK"), l
sock.sendall(b"a3 LOGOUT\r\n")
sock.close()

step("all ok")
PY
