#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""
NAME
	gen-seeds.py - write the fuzz seed corpora, named by intent

SYNOPSIS
	fuzz/tools/gen-seeds.py [--out DIR] [--target NAME]... [--list]

DESCRIPTION
	Seeds come from two places:
	  - corpus/transcripts/{auth,policy}/*.tr: every C:/S: line that is
	    plain text once its escapes, variables ({id}, {pid}, ${user},
	    ${password}: fixed sample values) and {b64:...} parts are
	    rendered; lines holding a "*" wildcard or a regex are skipped.
	    Auth client lines feed fuzz_dvauth_client_line, server lines
	    fuzz_dvauth_server_line, a policy transcript's C: lines one
	    request stream (fuzz_policy_request), its S: lines one reply;
	    the auth streams also feed fuzz_linebuf and the stateful targets,
	    and the {b64:} payloads fuzz_base64;
	  - the hand-written, intent-named inputs below: every production of
	    each grammar, the bounds at N-1/N/N+1, and the malformed shapes
	    the peers treat specially (protocols.md).
	Files are named <intent> or tr_<transcript>_<n>; each target gets a
	directory DIR/<target>/ (default corpus/fuzz), emptied first.
	Targets whose fuzz/targets/<target>.c does not exist are skipped.

	The result is minimized with afl-cmin by fuzz/tools/minimize-seeds, which
	keeps the names of the inputs it keeps.

DIAGNOSTICS
	Exit 0; an unreadable transcript is named on stderr and skipped;
	an unknown --target is an error (exit 2).
"""
import argparse
import base64
import os
import re
import shutil
import sys

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VARS = {"user": b"alice", "password": b"secret", "pid": b"4242", "id": b"1"}
MAX_LINE = 16384          # DVAUTH_MAX_LINE, LF included
POLICY_MAX_LINE = 4 * 2048


def render(text, tr_vars):
    """Render transcript text to bytes, or None when it is a pattern."""
    out = bytearray()
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\":
            if i + 1 >= len(text):
                return None
            n = text[i + 1]
            simple = {"t": b"\t", "r": b"\r", "n": b"\n", "s": b" ", "\\": b"\\",
                      "{": b"{", "}": b"}", "$": b"$", "*": b"*"}
            if n in simple:
                out += simple[n]
                i += 2
            elif n == "x":
                out.append(int(text[i + 2:i + 4], 16))
                i += 4
            elif n.isdigit():
                m = re.match(r"[0-7]{1,3}", text[i + 1:])
                out.append(int(m.group(0), 8) & 0xFF)
                i += 1 + len(m.group(0))
            else:
                return None
        elif c == "*":
            return None
        elif text.startswith("${", i):
            j = text.index("}", i)
            name = text[i + 2:j]
            if name not in tr_vars:
                return None
            out += tr_vars[name]
            i = j + 1
        elif text.startswith("{b64:", i):
            depth, j = 1, i + 5
            while j < len(text) and depth:
                if text[j] == "\\":
                    j += 2
                    continue
                depth += {"{": 1, "}": -1}.get(text[j], 0)
                j += 1
            inner = render(text[i + 5:j - 1], tr_vars)
            if inner is None:
                return None
            out += base64.b64encode(bytes(inner))
            i = j
        elif c == "{":
            j = text.index("}", i)
            name = text[i + 1:j]
            if name not in tr_vars:
                return None
            out += tr_vars[name]
            i = j + 1
        else:
            out += c.encode()
            i += 1
    return bytes(out)


def b64_payloads(text, tr_vars):
    """The rendered contents of every {b64:...} in text."""
    res = []
    for m in re.finditer(r"\{b64:((?:[^{}\\]|\\.|\$\{[a-z]+\})*)\}", text):
        r = render(m.group(1), tr_vars)
        if r is not None:
            res.append(r)
    return res


def read_transcripts(proto):
    """[(name, client_lines, server_lines, b64_raw)] for one protocol."""
    res = []
    d = os.path.join(TOP, "corpus", "transcripts", proto)
    for fn in sorted(os.listdir(d)) if os.path.isdir(d) else []:
        if not fn.endswith(".tr"):
            continue
        try:
            with open(os.path.join(d, fn), encoding="utf-8", errors="surrogateescape") as f:
                lines = f.read().split("\n")
        except OSError as e:
            print("gen-seeds: %s: %s" % (fn, e), file=sys.stderr)
            continue
        tr_vars = dict(VARS)
        cl, sl, raw = [], [], []
        for ln in lines:
            m = re.match(r"default\s+(\w+)\s+(\S+)", ln)
            if m:
                tr_vars.setdefault(m.group(1), m.group(2).encode())
            m = re.match(r"(C|C-|S|S\?):( ?)(.*)$", ln)
            if not m:
                continue
            r = render(m.group(3), tr_vars)
            raw += b64_payloads(m.group(3), tr_vars)
            if r is None:
                continue
            (cl if m.group(1).startswith("C") else sl).append(r)
        res.append((fn[:-3].replace("-", "_"), cl, sl, raw))
    return res


# --- hand-written seeds, by target ------------------------------------------

HANDSHAKE_23 = (b"VERSION\t1\t2\nMECH\tPLAIN\tplaintext\nMECH\tLOGIN\tplaintext\n"
                b"MECH\tCRAM-MD5\tdictionary\tactive\nSPID\t4242\nCUID\t7\n"
                b"COOKIE\t0123456789abcdef0123456789abcdef\nDONE\n")
CLIENT_HELLO = b"VERSION\t1\t0\nCPID\t4242\n"
PLAIN_RESP = base64.b64encode(b"\0alice\0secret")


def seeds_dvauth_server_line():
    s = {
        "version": b"VERSION\t1\t2",
        "version_24": b"VERSION\t1\t4",
        "version_minor_missing": b"VERSION\t1",
        "version_bare": b"VERSION",
        "version_major_2": b"VERSION\t2\t0",
        "version_minor_overflow": b"VERSION\t1\t4294967296",
        "version_sign": b"VERSION\t+1\t2",
        "mech_plain_plaintext": b"MECH\tPLAIN\tplaintext",
        "mech_plain_private": b"MECH\tPLAIN\tprivate",
        "mech_all_flags": (b"MECH\tSCRAM-SHA-256\tprivate\tanonymous\tplaintext\tdictionary"
                           b"\tactive\tforward-secrecy\tmutual-auth\tchannel-binding"),
        "mech_flag_upper": b"MECH\tLOGIN\tPLAINTEXT",
        "mech_flag_unknown": b"MECH\tX-TRUST\tfuture-flag",
        "mech_name_empty": b"MECH\t",
        "mech_bare": b"MECH",
        "mech_token": b"MECH\tDOVECOT-TOKEN",
        "spid": b"SPID\t4242",
        "spid_empty": b"SPID\t",
        "spid_extra": b"SPID\t1\t2",
        "cuid": b"CUID\t7",
        "cookie": b"COOKIE\t0123456789abcdef0123456789abcdef",
        "cookie_nonhex": b"COOKIE\txyz",
        "done": b"DONE",
        "done_extra": b"DONE\tx",
        "ok_user": b"OK\t1\tuser=alice",
        "ok_no_params": b"OK\t1",
        "ok_many_params": b"OK\t1\tuser=alice\tnopassword\tproxy\thost=127.0.0.1\tuser=bob",
        "ok_user_escaped": b"OK\t1\tuser=a\x01tb\x01nc",
        "ok_id_zero": b"OK\t0\tuser=alice",
        "ok_id_missing": b"OK",
        "fail_reason": b"FAIL\t1\treason=Password mismatch",
        "fail_temp": b"FAIL\t1\ttemp\treason=try again",
        "fail_code": b"FAIL\t1\tcode=temp_fail\tuser=alice",
        "cont_challenge": b"CONT\t1\tVXNlcm5hbWU6",
        "cont_empty": b"CONT\t1\t",
        "cont_no_data": b"CONT\t1",
        "cont_channel_binding": b"CONT\t1\tdGVzdA==\tchannel_binding=tls-unique",
        "cancelled": b"CANCELLED\t1",
        "unknown_word": b"NOTICE\tx",
        "lowercase_word": b"ok\t1",
        "empty": b"",
        "tab_only": b"\t",
        "cr_at_end": b"DONE\r",
        "nul_in_user": b"OK\t1\tuser=al\0ice",
        "fields_255": b"OK\t1" + b"\tx" * 253,
        "fields_256": b"OK\t1" + b"\tx" * 254,
        "fields_257": b"OK\t1" + b"\tx" * 255,
        "line_16383": b"OK\t1\tuser=" + b"a" * (MAX_LINE - 1 - 10),
    }
    return s


def seeds_dvauth_client_line():
    return {
        "version": b"VERSION\t1\t0",
        "version_minor_missing": b"VERSION\t1",
        "version_extra": b"VERSION\t1\t0\t0",
        "cpid": b"CPID\t4242",
        "cpid_zero": b"CPID\t0",
        "cpid_empty": b"CPID\t",
        "auth_plain_resp": b"AUTH\t1\tPLAIN\tservice=smtp\tnologin\tlip=127.0.0.1\trip=127.0.0.1\tresp=" + PLAIN_RESP,
        "auth_plain_noresp": b"AUTH\t1\tPLAIN\tservice=smtp\tnologin\tlip=127.0.0.1\trip=127.0.0.1",
        "auth_resp_empty": b"AUTH\t1\tPLAIN\tservice=smtp\tresp=",
        "auth_resp_bare": b"AUTH\t1\tPLAIN\tservice=smtp\tresp",
        "auth_resp_not_last": b"AUTH\t1\tPLAIN\tresp=AGEAYg==\tservice=smtp",
        "auth_secured": b"AUTH\t2\tLOGIN\tservice=smtp\tnologin\tsecured\tlip=::1\trip=::1",
        "auth_id_zero": b"AUTH\t0\tPLAIN\tservice=smtp",
        "auth_mech_missing": b"AUTH\t1",
        "auth_mech_empty": b"AUTH\t1\t\tservice=smtp",
        "auth_escaped_param": b"AUTH\t1\tPLAIN\tservice=smtp\tsession=a\x01tb\x011\x01",
        "auth_params_253": b"AUTH\t1\tPLAIN" + b"\tp" * 253,
        "auth_params_254": b"AUTH\t1\tPLAIN" + b"\tp" * 254,
        "cont": b"CONT\t1\t" + base64.b64encode(b"alice"),
        "cont_empty": b"CONT\t1\t",
        "cont_no_data": b"CONT\t1",
        "cont_extra": b"CONT\t1\tYQ==\tx",
        "cont_id_zero": b"CONT\t0\tYQ==",
        "cancel": b"CANCEL\t1",
        "cancel_extra": b"CANCEL\t1\t2",
        "unknown_word": b"HELLO",
        "empty": b"",
        "cr_at_end": b"CPID\t4242\r",
        "id_overflow": b"AUTH\t4294967296\tPLAIN",
        "line_16383": b"AUTH\t1\tPLAIN\tservice=smtp\tresp=" + b"A" * (MAX_LINE - 1 - 30),
    }


def seeds_dvauth_unescape():
    return {
        "plain": b"alice",
        "all_escapes": b"\x010\x011\x01t\x01r\x01n",
        "escape_other": b"a\x01xb",
        "lone_esc_end": b"abc\x01",
        "double_esc": b"\x01\x01\x01\x01",
        "raw_specials": b"a\tb\rc\nd\0e\x01",
        "backslash": b"a\\tb\\\\",
        "empty": b"",
        "binary": bytes(range(256)),
    }


def policy_request(attrs, end=b"\n"):
    return b"".join(b"%s=%s\n" % (k, v) for k, v in attrs) + end


POSTFIX37 = [
    (b"request", b"smtpd_access_policy"), (b"protocol_state", b"RCPT"),
    (b"protocol_name", b"ESMTP"), (b"client_address", b"127.0.0.1"),
    (b"client_name", b"localhost"), (b"client_port", b"36952"),
    (b"reverse_client_name", b"localhost"), (b"server_address", b"127.0.0.1"),
    (b"server_port", b"10025"), (b"helo_name", b"client.test"),
    (b"sender", b"test1@test.invalid"), (b"recipient", b"bob@example.com"),
    (b"recipient_count", b"0"), (b"queue_id", b""), (b"instance", b"419e.6b02af7b.eb52e.0"),
    (b"size", b"0"), (b"etrn_domain", b""), (b"stress", b""), (b"sasl_method", b"PLAIN"),
    (b"sasl_username", b"test1"), (b"sasl_sender", b""), (b"ccert_subject", b""),
    (b"ccert_issuer", b""), (b"ccert_fingerprint", b""), (b"ccert_pubkey_fingerprint", b""),
    (b"encryption_protocol", b""), (b"encryption_cipher", b""), (b"encryption_keysize", b"0"),
    (b"policy_context", b""),
]


def seeds_policy_request():
    minimal = [(b"request", b"smtpd_access_policy"), (b"protocol_state", b"RCPT")]
    s = {
        "postfix37_rcpt": policy_request(POSTFIX37),
        "minimal": policy_request(minimal),
        "two_requests": policy_request(minimal) * 2,
        "empty_block": b"\n",
        "unterminated": policy_request(minimal, end=b""),
        "crlf_lines": b"request=smtpd_access_policy\r\nprotocol_state=RCPT\r\n\r\n\n",
        "line_without_eq": b"request=smtpd_access_policy\nnoequals\n\n",
        "empty_name": b"=value\nrequest=smtpd_access_policy\n\n",
        "value_with_eq": b"request=smtpd_access_policy\nsender=a=b@c\n\n",
        "duplicate_attr": b"request=smtpd_access_policy\nrecipient=a@b\nrecipient=c@d\n\n",
        "nul_in_value": b"request=smtpd_access_policy\nsender=a\0b\n\n",
        "states": b"".join(policy_request([(b"request", b"smtpd_access_policy"),
                                           (b"protocol_state", st)])
                           for st in (b"CONNECT", b"EHLO", b"HELO", b"MAIL", b"RCPT",
                                      b"DATA", b"END-OF-MESSAGE", b"VRFY", b"ETRN")),
        "line_8192": b"request=smtpd_access_policy\nsender=" + b"a" * (POLICY_MAX_LINE - 7) + b"\n\n",
        "line_8193": b"request=smtpd_access_policy\nsender=" + b"a" * (POLICY_MAX_LINE - 6) + b"\n\n",
        "attrs_1024": b"x=1\n" * 1024 + b"\n",
        "attrs_1025": b"x=1\n" * 1025 + b"\n",
        "bad_lines_17": b"bad\n" * 17 + b"\n",
    }
    return s


def seeds_policy_reply():
    return {
        "dunno": b"action=DUNNO\n\n",
        "reject_text": b"action=REJECT 5.7.1 Relay access denied\n\n",
        "defer_if_permit": b"action=defer_if_permit Service temporarily unavailable\n\n",
        "prepend": b"action=PREPEND X-Policy: checked\n\n",
        "missing_action": b"\n",
        "unknown_then_action": b"foo=bar\naction=OK\n\n",
        "two_actions": b"action=DUNNO\naction=REJECT\n\n",
        "action_without_eq": b"action\n\n",
        "action_case": b"Action=REJECT\naction=DUNNO\n\n",
        "crlf": b"action=DUNNO\r\n\r\n",
        "nul_in_action": b"action=REJ\0ECT\n\n",
        "nul_in_name": b"action\0x=REJECT\n\n",
        "unterminated": b"action=DUNNO\n",
        "empty_action": b"action=\n\n",
        "trailing_bytes": b"action=DUNNO\n\nextra",
        "long_action": b"action=REJECT " + b"x" * 4096 + b"\n\n",
    }


def seeds_base64():
    s = {
        "empty": b"",
        "plain_resp": PLAIN_RESP,
        "pad1": b"YWI=",
        "pad2": b"YQ==",
        "nopad": b"YWJj",
        "missing_padding": b"YQ",
        "pad_bits_nonzero": b"YR==",
        "data_after_padding": b"YQ==YQ==",
        "misplaced_padding": b"Y===",
        "spaces_dovecot": b"YW Jj\r\nZA==",
        "tab_inside": b"YW\tJj",
        "invalid_char": b"YW*j",
        "url_safe": b"-_-_",
        "binary_roundtrip": bytes(range(256)),
        "username_challenge": b"VXNlcm5hbWU6",
    }
    return s


def linebuf_input(flags, seed, stream):
    return bytes([flags, seed]) + stream


# linebuf header byte: bit 0 = STRIP, bits 1-3 index into maxes[]
# {1, 2, 3, 8, 64, 512, 2048, 16384}
def seeds_linebuf():
    keep16k, strip16k = 7 << 1, (7 << 1) | 1
    return {
        "handshake_keep": linebuf_input(keep16k, 0, HANDSHAKE_23),
        "handshake_strip_crlf": linebuf_input(strip16k, 3, HANDSHAKE_23.replace(b"\n", b"\r\n")),
        "cr_cr_lf_strip": linebuf_input(strip16k, 1, b"a\r\r\nb\rc\n\r\n"),
        "max_1_lf_only": linebuf_input(0 << 1, 0, b"\n\n\n"),
        "max_3_exact": linebuf_input(2 << 1, 0, b"ab\nab\nabc\n"),
        "max_8_overflow": linebuf_input(3 << 1, 9, b"1234567\n12345678\n"),
        "max_8_crlf_overflow": linebuf_input((3 << 1) | 1, 9, b"123456\r\n1234567\r\n"),
        "line_16383": linebuf_input(keep16k, 5, b"a" * 16383 + b"\n"),
        "line_16384": linebuf_input(keep16k, 5, b"a" * 16384 + b"\n"),
        "nul_bytes": linebuf_input(keep16k, 2, b"a\0b\n\0\n"),
        "no_final_lf": linebuf_input(5 << 1, 7, b"DONE\nVERSION\t1"),
        "policy_block": linebuf_input(6 << 1, 4, policy_request(POSTFIX37)),
    }


def as_stream(lines):
    return b"".join(l + b"\n" for l in lines)


def build(targets_wanted):
    out = {t: {} for t in targets_wanted}

    def put(t, name, data):
        if t in out:
            out[t].setdefault(name, data)

    hand = {
        "fuzz_dvauth_server_line": seeds_dvauth_server_line,
        "fuzz_dvauth_client_line": seeds_dvauth_client_line,
        "fuzz_dvauth_unescape": seeds_dvauth_unescape,
        "fuzz_policy_request": seeds_policy_request,
        "fuzz_policy_reply": seeds_policy_reply,
        "fuzz_base64": seeds_base64,
        "fuzz_linebuf": seeds_linebuf,
    }
    for t, fn in hand.items():
        for name, data in fn().items():
            put(t, name, data)

    for name, cl, sl, raw in read_transcripts("auth"):
        for i, l in enumerate(cl):
            put("fuzz_dvauth_client_line", "tr_%s_%d" % (name, i), l)
        for i, l in enumerate(sl):
            put("fuzz_dvauth_server_line", "tr_%s_%d" % (name, i), l)
        for i, r in enumerate(raw):
            put("fuzz_base64", "tr_%s_%d" % (name, i), base64.b64encode(r))
            put("fuzz_dvauth_unescape", "tr_%s_%d" % (name, i), r)
        if cl:
            put("fuzz_linebuf", "tr_%s_client" % name, linebuf_input(7 << 1, 0, as_stream(cl)))
        if sl:
            put("fuzz_linebuf", "tr_%s_server" % name, linebuf_input(15, 0, as_stream(sl)))
    for name, cl, sl, raw in read_transcripts("policy"):
        if cl:
            put("fuzz_policy_request", "tr_%s" % name, as_stream(cl))
        if sl:
            put("fuzz_policy_reply", "tr_%s" % name, as_stream(sl))

    # stateful and later targets take their seeds from extra generators
    for t, fn in EXTRA.items():
        if t in out:
            for name, data in fn().items():
                put(t, name, data)
    return out


EXTRA = {}

# --- SASL: messages computed for the targets' fixed parameters ---------------
# fuzz_sasl_server / fuzz_sasl_client: byte 0 = enum sasl_mech (PLAIN 0, LOGIN
# 1, CRAM-MD5 2, SCRAM-SHA-1 3, SCRAM-SHA-256 4, ANONYMOUS 5, EXTERNAL 6) plus
# flag bits (see the targets' headers); then one message per line.
import hashlib
import hmac

SASL_USER, SASL_PW = b"alice", b"secret"
CRAM_CHALLENGE = b"<fuzzNonce0123456.1700000000@mx.fuzz.test>"
SCRAM_SALT = b"fuzz-salt-16byte"
SCRAM_CNONCE, SCRAM_SNONCE = b"fuzzcnonce", b"fuzzNonce0123456789"
SCRAM_ITER = 1          # FUZZ_SCRAM_ITER in fuzzing builds


def cram_response(challenge, pw=SASL_PW):
    return SASL_USER + b" " + hmac.new(pw, challenge, hashlib.md5).hexdigest().encode()


def scram(hname, iter_=SCRAM_ITER, pw=SASL_PW, gs2=b"n,,", cnonce=SCRAM_CNONCE,
          snonce=SCRAM_SNONCE):
    """(client_first, server_first, client_final, server_final)"""
    h = getattr(hashlib, hname)
    salted = hashlib.pbkdf2_hmac(hname, pw, SCRAM_SALT, iter_)
    ck = hmac.new(salted, b"Client Key", h).digest()
    sk = hmac.new(salted, b"Server Key", h).digest()
    stored = h(ck).digest()
    cfb = b"n=" + SASL_USER + b",r=" + cnonce
    sf = b"r=" + cnonce + snonce + b",s=" + base64.b64encode(SCRAM_SALT) + b",i=%d" % iter_
    cfwp = b"c=" + base64.b64encode(gs2) + b",r=" + cnonce + snonce
    am = cfb + b"," + sf + b"," + cfwp
    sig = hmac.new(stored, am, h).digest()
    proof = bytes(a ^ b for a, b in zip(ck, sig))
    cf = cfwp + b",p=" + base64.b64encode(proof)
    sfin = b"v=" + base64.b64encode(hmac.new(sk, am, h).digest())
    return gs2 + cfb, sf, cf, sfin


def seeds_sasl_server():
    s = {}
    for m, hname in ((3, "sha1"), (4, "sha256")):
        cf1, _, cf2, _ = scram(hname)
        tag = "scram_sha1" if m == 3 else "scram_sha256"
        # without final-resp-ok the server-final goes out as a CONT that the
        # client answers with an empty message
        s[tag + "_success"] = bytes([m]) + cf1 + b"\n" + cf2 + b"\n\n"
        s[tag + "_final_resp_ok"] = bytes([m | 0x10]) + cf1 + b"\n" + cf2 + b"\n"
        s[tag + "_wrong_password"] = bytes([m]) + cf1 + b"\n" + scram(hname, pw=b"wrong")[2] + b"\n"
        s[tag + "_gs2_y"] = bytes([m]) + b"y" + cf1[1:] + b"\n"
        s[tag + "_gs2_p"] = bytes([m]) + b"p=tls-unique" + cf1[1:] + b"\n"
        s[tag + "_unknown_user"] = bytes([m | 0x40]) + cf1 + b"\n" + cf2 + b"\n"
    s.update({
        "plain_success": b"\x00\x00alice\x00secret",
        "plain_authzid_same": b"\x00alice\x00alice\x00secret",
        "plain_authzid_other": b"\x00bob\x00alice\x00secret",
        "plain_wrong_password": b"\x00\x00alice\x00wrong",
        "plain_one_nul": b"\x00alice\x00",
        "plain_three_nuls": b"\x00\x00alice\x00secret\x00",
        "plain_empty_authcid": b"\x00\x00\x00secret",
        "plain_no_initial": b"\x08\x00alice\x00secret",
        "login_success": b"\x01alice\nsecret",
        "login_no_initial": b"\x09alice\nsecret",
        "login_nul_user": b"\x01al\x00ice\nsecret",
        "login_extra_message": b"\x01alice\nsecret\nmore",
        "cram_success": b"\x0a" + cram_response(CRAM_CHALLENGE),
        "cram_plaintext_creds": b"\x8a" + cram_response(CRAM_CHALLENGE),
        "cram_wrong_password": b"\x0a" + cram_response(CRAM_CHALLENGE, b"wrong"),
        "cram_no_space": b"\x0aalice",
        "cram_short_hex": b"\x0aalice 0123",
        "cram_unknown_user": b"\x4a" + cram_response(CRAM_CHALLENGE),
        "anonymous_trace": b"\x05trace@example.com",
        "anonymous_empty": b"\x05",
        "external_known": b"\x26\n",
        "external_authzid": b"\x26alice",
        "external_unknown": b"\x06",
    })
    return s


def seeds_sasl_client():
    s = {
        "plain": b"\x00",
        "plain_authzid": b"\x08",
        "login": b"\x01Username:\nPassword:",
        "login_extra": b"\x01Username:\nPassword:\nmore",
        "cram": b"\x02" + CRAM_CHALLENGE,
        "cram_empty": b"\x02",
        "anonymous": b"\x05",
        "external": b"\x06",
        "external_challenge": b"\x06x",
    }
    for m, hname in ((3, "sha1"), (4, "sha256")):
        _, sf, _, sfin = scram(hname)
        tag = "scram_sha1" if m == 3 else "scram_sha256"
        s[tag + "_success"] = bytes([m]) + sf + b"\n" + sfin + b"\n"
        s[tag + "_bad_signature"] = bytes([m]) + sf + b"\nv=" + base64.b64encode(b"x" * 20) + b"\n"
        s[tag + "_server_error"] = bytes([m]) + sf + b"\ne=invalid-proof\n"
        s[tag + "_wrong_nonce"] = bytes([m]) + b"r=othernonce,s=" + base64.b64encode(SCRAM_SALT) + b",i=1\n"
        s[tag + "_extension"] = bytes([m]) + b"m=ext," + sf + b"\n"
        s[tag + "_iter_zero"] = bytes([m]) + sf.replace(b",i=1", b",i=0") + b"\n"
        s[tag + "_authzid"] = bytes([m | 8]) + sf + b"\n"
    return s


EXTRA["fuzz_sasl_server"] = seeds_sasl_server
EXTRA["fuzz_sasl_client"] = seeds_sasl_client

# --- passwd-file, transcripts, patterns ----------------------------------------
def seeds_authd_passdb():
    s = {
        "plain": b"alice:{PLAIN}secret\n",
        "plain_full_fields": b"alice:{PLAIN}secret:1000:1000::/home/alice::userdb_quota=1G\n",
        "default_scheme_crypt": b"alice:$1$salt$hash\n",
        "comment_and_blank": b"# users\n\nalice:{PLAIN}secret\n",
        "duplicate_user": b"alice:{PLAIN}a\nalice:{PLAIN}b\n",
        "no_colon": b"alice\n",
        "empty_user": b":{PLAIN}secret\n",
        "unknown_scheme": b"alice:{ROT13}frperg\n",
        "scheme_unterminated": b"alice:{PLAIN\n",
        "sha256_b64": b"alice:{SHA256}K7gNU3sdo+OL0wNhqoVWhr3g6s1xYv72ol/pe/Unols=\n",
        "sha1_hex": b"alice:{SHA1.HEX}e5e9fa1ba31ecd1ae84f75caaa474f3a663f05f4\n",
        "ssha_short": b"alice:{SSHA}AAAA\n",
        "cram_md5": b"bob:{CRAM-MD5}cd3ba7deaad6e5ca23448ba42e379747a9e0f7f1fbc00c8a81bbaac395731b56\n",
        "cram_md5_short": b"bob:{CRAM-MD5}cd3b\n",
        "no_final_lf": b"alice:{PLAIN}secret",
        "crlf": b"alice:{PLAIN}secret\r\n",
        "nul_in_name": b"al\x00ice:{PLAIN}secret\n",
        "user_256": b"u" * 256 + b":{PLAIN}x\n",
        "scram_sha256_bad_iter": b"alice:{SCRAM-SHA-256}0,c2FsdA==,AAAA,AAAA\n",
    }
    salted = hashlib.pbkdf2_hmac("sha256", SASL_PW, SCRAM_SALT, 1)
    ck = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    sk = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    s["scram_sha256"] = b"alice:{SCRAM-SHA-256}1,%s,%s,%s\n" % (
        base64.b64encode(SCRAM_SALT), base64.b64encode(hashlib.sha256(ck).digest()),
        base64.b64encode(sk))
    users = os.path.join(TOP, "corpus", "demo", "users")
    if os.path.isfile(users):
        with open(users, "rb") as f:
            # the crypt line would make every run slow: keep the cheap ones
            s["demo_users"] = b"".join(l for l in f.read().splitlines(True)
                                       if b"CRYPT}" not in l)
    return s


def seeds_transcript():
    s = {
        "minimal_auth": b"protocol auth\nhandshake\n",
        "minimal_policy": b"protocol policy\npolicy\nexpect action DUNNO\n",
        "no_protocol": b"C: VERSION\\t1\\t0\n",
        "protocol_twice": b"protocol auth\nprotocol auth\n",
        "anyorder": b"protocol auth\nanyorder\nS: MECH\\tPLAIN*\nS? MECH\\tLOGIN*\nend\n",
        "brace_group": b"protocol auth\nS{\nS: SPID\\t*\n}\n",
        "unterminated_group": b"protocol auth\nanyorder\nS: x\n",
        "regex": b"protocol auth\nS~ /^VERSION\\t1\\t[0-9]+$/\n",
        "regex_bad": b"protocol auth\nS~ /([/\n",
        "captures": b"protocol auth\nS: CONT\\t{id}\\t{chal}\nC: CONT\\t{id}\\t{b64:${user}}\n",
        "escapes": b"protocol auth\nC: \\x41\\101\\t\\r\\n\\s\\\\\\{\\}\\$\\*\n",
        "default_var": b"default user bob\nprotocol auth\nauth PLAIN ${user} pw expect 235\n",
        "durations": b"protocol auth\nsleep 500ms\nexpect silence 1s\nexpect silence 601s\n",
        "expect_smtp": b"protocol auth\nauth LOGIN u p resp secured expect 535\nexpect smtp 334\ncont {b64:x}\n",
        "policy_args": b'protocol policy\npolicy sender="a b" -recipient client_address=192.0.2.1\nexpect action REJECT*\n',
        "reconnect_close": b"protocol auth\nexpect close\nreconnect\nhandshake nosend\n",
        "nolf_send": b"protocol auth\nC-: VERSION\n",
    }
    for proto in ("auth", "policy"):
        d = os.path.join(TOP, "corpus", "transcripts", proto)
        for fn in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            if fn.endswith(".tr"):
                with open(os.path.join(d, fn), "rb") as f:
                    s["tr_" + fn[:-3].replace("-", "_")] = f.read()
    return s


def seeds_transcript_match():
    # byte 0: bit 0 TPAT_GLOB, bit 1 TPAT_TEXT; pattern LF line
    return {
        "literal": b"\x01OK\\t1\nOK\t1",
        "star_middle": b"\x01OK\\t*\\tuser=alice\nOK\t1\tx\tuser=alice",
        "capture": b"\x01CONT\\t{id}\\t{chal}\nCONT\t7\tVXNlcm5hbWU6",
        "capture_then_star": b"\x01{a}*\nabc",
        "two_captures": b"\x01{a}{b}\nabc",
        "ref_set": b"\x01user=${user}\nuser=alice",
        "ref_unset": b"\x01${nope}\nx",
        "b64": b"\x01CONT\\t1\\t{b64:${user}}\nCONT\t1\tYWxpY2U=",
        "b64_capture": b"\x01{b64:{secret}}\nc2VjcmV0",
        "text_mode": b"\x02AUTH\\t{id}\\tPLAIN\\tresp={b64:\\0${user}\\0pw}\n",
        "text_star_refused": b"\x02a*b\n",
        "many_stars": b"\x01" + b"*a" * 60 + b"\n" + b"a" * 200,
        "escapes": b"\x01\\x41\\101\\t\\s\\\\\\*\nAA\t \\*",
        "name_too_long": b"\x01{" + b"n" * 64 + b"}\nx",
    }


EXTRA["fuzz_authd_passdb"] = seeds_authd_passdb
EXTRA["fuzz_transcript"] = seeds_transcript
EXTRA["fuzz_transcript_match"] = seeds_transcript_match

# --- whole ref-authd connections -----------------------------------------------
# fuzz_authd_session: byte 0 flags (bit 0 2.4 handshake, bit 1 late passdb
# answers, bit 2 faults in byte 1, bit 3 max 4 pending, bits 4-5 clock step),
# byte 1 faults, then the client's bytes. RAND_bytes gives 0x66 bytes there.
SESSION_CRAM = b"<2222222222222222.1700000000@mx.fuzz.test>"
SESSION_SNONCE = base64.b64encode(b"\x66" * 18)


def b64(x):
    return base64.b64encode(x)


def seeds_authd_session():
    hello = CLIENT_HELLO
    svc = b"\tservice=smtp\tnologin\tlip=127.0.0.1\trip=127.0.0.1"
    plain = b"AUTH\t1\tPLAIN" + svc + b"\tresp=" + b64(b"\0alice\0secret") + b"\n"
    s = {
        "plain_ok": b"\0\0" + hello + plain,
        "plain_ok_late_answer": b"\x02\0" + hello + plain + b"CPID\t1\n",
        "plain_wrong": b"\0\0" + hello + b"AUTH\t1\tPLAIN" + svc + b"\tresp=" + b64(b"\0alice\0nope") + b"\n",
        "plain_noresp_cont": b"\0\0" + hello + b"AUTH\t1\tPLAIN" + svc + b"\nCONT\t1\t" + b64(b"\0alice\0secret") + b"\n",
        "login_rounds": b"\0\0" + hello + b"AUTH\t2\tLOGIN" + svc + b"\nCONT\t2\t" + b64(b"alice") + b"\nCONT\t2\t" + b64(b"secret") + b"\n",
        "cram_ok": b"\0\0" + hello + b"AUTH\t3\tCRAM-MD5" + svc + b"\nCONT\t3\t" + b64(cram_response(SESSION_CRAM).replace(b"alice", b"bob")) + b"\n",
        "anonymous": b"\0\0" + hello + b"AUTH\t4\tANONYMOUS" + svc + b"\tresp=" + b64(b"trace") + b"\n",
        "external_no_user": b"\0\0" + hello + b"AUTH\t5\tEXTERNAL" + svc + b"\tresp=\n",
        "handshake_24": b"\x01\0VERSION\t1\t3\nCPID\t42\n" + plain,
        "no_version": b"\0\0CPID\t42\n",
        "version_major_2": b"\0\0VERSION\t2\t0\nCPID\t42\n",
        "cpid_zero": b"\0\0VERSION\t1\t0\nCPID\t0\n",
        "auth_before_cpid": b"\0\0VERSION\t1\t0\n" + plain,
        "unknown_mech": b"\0\0" + hello + b"AUTH\t1\tX-NOPE" + svc + b"\n",
        "no_service": b"\0\0" + hello + b"AUTH\t1\tPLAIN\tresp=" + b64(b"\0alice\0secret") + b"\n",
        "param_after_resp": b"\0\0" + hello + b"AUTH\t1\tPLAIN\tresp=AA==\tservice=smtp\n",
        "duplicate_id": b"\x08\0" + hello + b"AUTH\t1\tLOGIN" + svc + b"\nAUTH\t1\tLOGIN" + svc + b"\n",
        "too_many_pending": b"\x08\0" + hello + b"".join(b"AUTH\t%d\tLOGIN%s\n" % (i, svc) for i in range(1, 7)),
        "invalid_base64": b"\0\0" + hello + b"AUTH\t1\tPLAIN" + svc + b"\tresp=!!!\n",
        "cont_unknown_id": b"\0\0" + hello + b"CONT\t9\tAA==\n",
        "cont_no_data": b"\0\0" + hello + b"AUTH\t1\tLOGIN" + svc + b"\nCONT\t1\n",
        "cancel": b"\0\0" + hello + b"AUTH\t1\tLOGIN" + svc + b"\nCANCEL\t1\nCONT\t1\tAA==\n",
        "expired_request": b"\x30\0" + hello + b"AUTH\t1\tLOGIN" + svc + b"\nCPID\t1\nCONT\t1\t" + b64(b"alice") + b"\n",
        "crlf_lines": b"\0\0" + hello.replace(b"\n", b"\r\n") + plain.replace(b"\n", b"\r\n"),
        "line_16384": b"\0\0" + hello + b"AUTH\t1\tPLAIN" + svc + b"\tresp=" + b"A" * 16384 + b"\n",
        "faults_all": b"\x04\xff" + hello + plain,
        "empty_resp_minor_0": b"\0\0" + hello + b"AUTH\t1\tPLAIN" + svc + b"\tresp=\n",
        "resp_eq_empty": b"\0\0" + hello + b"AUTH\t1\tPLAIN" + svc + b"\tresp==\n",
    }
    for m, user, hname, mech in ((3, b"dave", "sha1", b"SCRAM-SHA-1"),
                                 (4, b"carol", "sha256", b"SCRAM-SHA-256")):
        global SASL_USER
        saved, SASL_USER = SASL_USER, user
        cf1, _, cf2, _ = scram(hname, snonce=SESSION_SNONCE)
        SASL_USER = saved
        tag = mech.lower().replace(b"-", b"_").decode()
        s[tag + "_ok"] = (b"\0\0" + hello + b"AUTH\t6\t" + mech + svc + b"\tresp=" + b64(cf1) +
                          b"\nCONT\t6\t" + b64(cf2) + b"\nCONT\t6\t\n")
        s[tag + "_final_resp_ok"] = (b"\0\0" + hello + b"AUTH\t6\t" + mech + svc +
                                     b"\tfinal-resp-ok\tresp=" + b64(cf1) + b"\nCONT\t6\t" + b64(cf2) + b"\n")
    for name, cl, _, _ in read_transcripts("auth"):
        if cl:
            s["tr_" + name] = b"\0\0" + as_stream(cl)
    return s


EXTRA["fuzz_authd_session"] = seeds_authd_session


# fuzz_authd_userdb: byte 0 bit 0 = Dovecot 2.4's dialect, then the client's
# lines on an auth-userdb connection (the target's passwd-file users)
def seeds_authd_userdb():
    v = b"VERSION\t1\t0\n"
    svc, proto = b"\tservice=lmtp", b"\tprotocol=lmtp"
    long_user = b"u" * (1023 - len(b"USER\t1\t" + svc))
    return {
        "users_23": b"\0" + v + b"".join(b"USER\t%d\t%s%s\n" % (i, u, svc) for i, u in
                                        enumerate((b"alice", b"nobody", b"sys", b"tf", b"tab",
                                                   b"empty", b"zero", b"bare", b"ALICE"), 1)),
        "users_24": b"\1" + v + b"".join(b"USER\t%d\t%s%s\n" % (i, u, proto) for i, u in
                                        enumerate((b"alice", b"empty", b"sys"), 1)),
        "pass_list": b"\0" + v + b"PASS\t1\talice" + svc + b"\nLIST\t2\nUSER\t3\ttab" + svc + b"\n",
        "no_service": b"\0" + v + b"USER\t1\talice\n",
        "bare_user_23": b"\0" + v + b"USER\n",
        "bare_user_24": b"\1" + v + b"USER\n",
        "empty_line_24": b"\1" + v + b"\n",
        "no_version": b"\0USER\t1\talice" + svc + b"\n",
        "version_major_2": b"\1VERSION\t2\t0\nUSER\t1\talice" + proto + b"\n",
        "escapes_crlf": b"\0" + v.replace(b"\n", b"\r\n") + b"USER\t1\tal\1tice" + svc +
                        b"\r\nUSER\t4294967296\ta" + svc + b"\n",
        "escaped_nul_user": b"\0" + v + b"USER\t1\talice\x010x" + svc + b"\n",
        "line_1023": b"\0" + v + b"USER\t1\t" + long_user + svc + b"\n",
        "line_1024": b"\0" + v + b"USER\t1\t" + long_user + b"u" + svc + b"\n",
    }


EXTRA["fuzz_authd_userdb"] = seeds_authd_userdb

# --- the Postfix oracle ---------------------------------------------------------
# fuzz_pf_auth: byte 0 = version index (2.11 3.0 3.4 3.7.11 3.9-20231112 3.11
# 3.12-20260710), then the server's lines. fuzz_pf_policy: byte 0 = version
# index (2.1 2.6 2.11 3.0 3.7.11 3.11 3.12-20260710) | 0x80 for EOF, byte 1 =
# state (0-7) | 8 smtputf8 | 0x10 relay_ok | 0x20 mynetworks | 0x40 tls |
# 0x80 authenticated, then the reply.
def seeds_pf_auth():
    hs = HANDSHAKE_23
    s = {
        "handshake_done_ok": b"\x03" + hs + b"OK\t1\tuser=alice\n",
        "handshake_cont_fail": b"\x03" + hs + b"CONT\t1\tVXNlcm5hbWU6\nFAIL\t1\treason=Password mismatch\n",
        "fail_temp": b"\x03" + hs + b"FAIL\t1\ttemp\treason=try later\n",
        "fail_code_temp": b"\x05" + hs + b"FAIL\t1\tcode=temp_fail\n",
        "wrong_id_then_ok": b"\x03" + hs + b"OK\t2\tuser=mallory\nOK\t1\tuser=alice\n",
        "ok_without_user": b"\x03" + hs + b"OK\t1\n",
        "ok_user_utf8": b"\x05" + hs + "OK\t1\tuser=j\u00fcrgen\n".encode(),
        "ok_user_escaped_tab": b"\x03" + hs + b"OK\t1\tuser=a\x01tb\n",
        "spid_before_mech": b"\x03VERSION\t1\t2\nSPID\t1\nMECH\tPLAIN\nDONE\n",
        "bare_version_crash": b"\x03VERSION\nMECH\tPLAIN\nSPID\t1\nDONE\n",
        "bare_version_fixed": b"\x06VERSION\nMECH\tPLAIN\nSPID\t1\nDONE\n",
        "version_major_2": b"\x03VERSION\t2\t0\nMECH\tPLAIN\nDONE\n",
        "version_overflow": b"\x03VERSION\t4294967297\t0\nMECH\tPLAIN\nSPID\t1\nDONE\n",
        "mech_private": b"\x03VERSION\t1\t2\nMECH\tPLAIN\tprivate\nMECH\tLOGIN\tplaintext\nSPID\t1\nDONE\n",
        "mech_anonymous": b"\x03VERSION\t1\t2\nMECH\tANONYMOUS\tanonymous\nSPID\t1\nDONE\n" + b"OK\t1\tuser=anonymous\n",
        "mech_duplicate": b"\x03VERSION\t1\t2\nMECH\tPLAIN\nMECH\tPLAIN\nSPID\t1\nDONE\n",
        "crlf_handshake": b"\x03" + hs.replace(b"\n", b"\r\n"),
        "done_with_fields": b"\x01VERSION\t1\t2\nMECH\tPLAIN\nSPID\t1\nDONE\tx\n",
        "old_postfix_535": b"\x00" + hs + b"FAIL\t1\treason=x\n",
        "reason_long": b"\x03" + hs + b"FAIL\t1\treason=" + b"r" * 1200 + b"\n",
        "cont_no_tab": b"\x03" + hs + b"CONT\nOK\t1\tuser=alice\n",
    }
    for name, _, sl, _ in read_transcripts("auth"):
        if sl:
            s["tr_" + name] = b"\x03" + as_stream(sl)
    return s


def seeds_pf_policy():
    rcpt = 4
    s = {}
    for name, data in seeds_policy_reply().items():
        s[name] = bytes([4, rcpt]) + data
    s.update({
        "reject_code_421": bytes([4, rcpt]) + b"action=421 4.7.0 go away\n\n",
        "defer_if_permit": bytes([4, rcpt]) + b"action=DEFER_IF_PERMIT try later\n\n",
        "restriction_list": bytes([4, rcpt | 0x10]) + b"action=permit_auth_destination, reject\n\n",
        "restriction_sasl": bytes([4, rcpt | 0x80]) + b"action=permit_sasl_authenticated reject\n\n",
        "plaintext": bytes([4, rcpt]) + b"action=reject_plaintext_session\n\n",
        "unknown_restriction": bytes([4, rcpt]) + b"action=no_such_restriction\n\n",
        "hangup_old_version": bytes([1, rcpt]) + b"action=HANGUP\n\n",
        "info_3_0": bytes([3, rcpt]) + b"action=INFO noted\n\n",
        "bcc": bytes([4, rcpt]) + b"action=BCC audit@example.com\n\n",
        "filter": bytes([4, rcpt]) + b"action=FILTER smtp:[127.0.0.1]:10025\n\n",
        "redirect": bytes([4, rcpt]) + b"action=REDIRECT x@example.com\n\n",
        "discard_eom": bytes([4, 6]) + b"action=DISCARD\n\n",
        "utf8_bad": bytes([4, rcpt | 8]) + b"action=REJECT \xff\xfe\n\n",
        "eof_midway": bytes([0x84, rcpt]) + b"action=DUN",
        "sleep": bytes([4, rcpt]) + b"action=sleep 1, dunno\n\n",
        "check_policy_service": bytes([4, rcpt]) + b"action=check_policy_service inet:127.0.0.1:9\n\n",
        "reply_clamp_510": bytes([4, rcpt]) + b"action=550 " + b"x" * 600 + b"\n\n",
    })
    return s


EXTRA["fuzz_pf_auth"] = seeds_pf_auth
EXTRA["fuzz_pf_policy"] = seeds_pf_policy


# --- ref-policyd: rule files, actions, whole connections -------------------------
# fuzz_policyd_rules: the input is a rule file. fuzz_policyd_action: byte 0 =
# states (0 any, n = bit n-1: 7 END-OF-MESSAGE), then the action text.
# fuzz_policyd_session: byte 0 flags (bit 0 dup last, bit 1 faults in byte 1,
# bit 2 colon-action, bit 3 small bounds, bits 4-5 networks() answer: in, not
# in, odd user length, database error), byte 1 faults, then the client's bytes.
def seeds_policyd_rules():
    s = {}
    try:
        with open(os.path.join(TOP, "reference", "policyd", "sample.rules"), "rb") as f:
            s["sample_rules"] = f.read()
    except OSError as e:
        print("gen-seeds: sample.rules: %s" % e, file=sys.stderr)
    s.update({
        "empty_file": b"",
        "comment_only": b"# nothing\n\n",
        "always": b"always => DUNNO\n",
        "named_scoped": b"rule r1: at RCPT, MAIL sender == a => REJECT no\n",
        "continuation": b"rule c: at RCPT\n\tsasl_username nonempty\n\t=> REJECT 5.7.1 x\n",
        "every_test": (b"rule eq: sender == \"exact@example.com\" => REJECT eq\n"
                       b"rule ne: sender != x => REJECT ne\n"
                       b"rule ieq: sender ~= CI@EXAMPLE.COM => REJECT ieq\n"
                       b"rule glob: sender glob \"*@glob.example\" => REJECT glob\n"
                       b"rule iglob: sender iglob \"*@IGLOB.example\" => REJECT iglob\n"
                       b"rule re: helo_name =~ /^mail[0-9]+\\.re\\.example$/ => REJECT re\n"
                       b"rule rei: helo_name =~ /^RE-I$/i => REJECT rei\n"
                       b"rule nre: helo_name !~ /./ and helo_name present => REJECT nre\n"
                       b"rule lt: size < 10 => OK\nrule le: size <= 10 => OK\n"
                       b"rule gt: size > 1000000 => OK\nrule ge: recipient_count >= 50 => OK\n"
                       b"rule num: size == 42 => OK\nrule miss: sasl_username missing => OK\n"
                       b"rule emp: sasl_username empty => OK\nrule ne2: sasl_username nonempty => OK\n"
                       b"always => DUNNO\n"),
        "networks": b"client_address in [192.0.2.0/24, 2001:db8::/32, 198.51.100.7] => OK\n"
                    b"client_address not in 10.0.0.0/8 => REJECT x\n",
        "networks_db": b"at RCPT client_address not in networks(sasl_username) => REJECT net\n",
        "boolean": b"at VRFY (sender == a or sender == b) and not (recipient == c) => OK\n",
        "nested_64": b"(" * 64 + b"sender == a" + b")" * 64 + b" => OK\n",
        "nested_65": b"(" * 65 + b"sender == a" + b")" * 65 + b" => OK\n",
        "not_chain": b"not " * 70 + b"sender == a => OK\n",
        "slots_64": b"".join(b"a%d present => OK\n" % i for i in range(63)),
        "slots_65": b"".join(b"a%d present => OK\n" % i for i in range(65)),
        "name_64": b"rule " + b"n" * 64 + b": always => OK\n",
        "name_65": b"rule " + b"n" * 65 + b": always => OK\n",
        "every_state": b"at CONNECT, EHLO, HELO, MAIL, RCPT, DATA, END-OF-MESSAGE, VRFY, ETRN always => DUNNO\n",
        "prepend_eom": b"at END-OF-MESSAGE always => PREPEND X: y\n",
        "bad_state": b"at FOO always => OK\n",
        "bad_action": b"sender == a => FOO\n",
        "colon_action": b"sender == a => hash:/x\n",
        "restriction_list": b"always => permit_mynetworks, reject_unauth_destination\n",
        "cidr_129": b"client_address in [2001:db8::/129] => OK\n",
        "regex_unbalanced": b"helo_name =~ /a(/ => OK\n",
        "regex_unterminated": b"helo_name =~ /abc => OK\n",
        "quote_unterminated": b"sender == \"abc => OK\n",
        "escaped_quote": b"sender == \"a\\\"b\\\\\" => OK\n",
        "missing_arrow": b"sender == a\n",
        "missing_action": b"sender == a =>\n",
        "leading_continuation": b"  sender == a => OK\n",
        "nul_byte": b"a present => OK\n\0",
        "crlf": b"always => DUNNO\r\n",
        "number_overflow": b"size > 18446744073709551616 => OK\n",
        "number_max": b"size > 18446744073709551615 => OK\n",
    })
    return s


def seeds_policyd_action():
    acts = [b"DUNNO", b"OK", b"RELAY", b"12345", b"REJECT", b"REJECT 5.7.1 no",
            b"DEFER try later", b"DEFER_IF_PERMIT x", b"DEFER_IF_REJECT x",
            b"450 4.7.1 wait", b"550 5.7.1 no", b"421 bye", b"599", b"4NN x", b"HOLD",
            b"HOLD why", b"DISCARD", b"FILTER smtp:[127.0.0.1]:10025", b"FILTER nocolon",
            b"REDIRECT a@example.com", b"REDIRECT nobody", b"BCC audit@example.com",
            b"PREPEND X-Header: v", b"PREPEND bad header", b"INFO noted", b"WARN noted",
            b"HANGUP", b"permit_mynetworks, reject", b"reject_unauth_destination",
            b"check_client_access hash:/etc/postfix/access", b"NO_SUCH_ACTION",
            b"dunno", b"Reject\tx", b"", b" ", b"REJECT " + b"x" * 2000]
    s = {}
    for a in acts:
        name = "act_" + (a[:24].decode(errors="replace").replace(" ", "_").replace("/", "_")
                         .replace("\t", "_").replace(":", "_") or "empty")
        s[name + "_%d" % len(a)] = b"\0" + a
    s["prepend_eom"] = b"\x07PREPEND X-Header: v"
    s["prepend_rcpt"] = b"\x05PREPEND X-Header: v"
    return s


def seeds_policyd_session():
    minimal = [(b"request", b"smtpd_access_policy"), (b"protocol_state", b"RCPT")]
    def req(**kw):
        a = [(b"request", b"smtpd_access_policy")]
        a += [(k.encode(), v.encode()) for k, v in kw.items()]
        return policy_request(a)
    s = {
        "postfix37_rcpt": b"\0\0" + policy_request(POSTFIX37),
        "minimal": b"\0\0" + policy_request(minimal),
        "pipelined_states": b"\0\0" + b"".join(
            req(protocol_state=st) for st in ("CONNECT", "EHLO", "HELO", "MAIL", "RCPT",
                                              "DATA", "END-OF-MESSAGE", "VRFY", "ETRN")),
        "user_network_in": b"\0\0" + req(protocol_state="RCPT", sasl_username="alice",
                                          client_address="192.0.2.9"),
        "user_network_notin": b"\x10\0" + req(protocol_state="RCPT", sasl_username="alice",
                                               client_address="192.0.2.9"),
        "user_network_dberror": b"\x30\0" + req(protocol_state="RCPT", sasl_username="alice",
                                                 client_address="2001:db8::1"),
        "forged_sender": b"\0\0" + req(protocol_state="MAIL", sasl_username="",
                                        sender="x@EXAMPLE.com", client_address="203.0.113.1"),
        "bogus_helo": b"\0\0" + req(protocol_state="RCPT", helo_name="[127.0.0.1]"),
        "big_eom": b"\0\0" + req(protocol_state="END-OF-MESSAGE", size="60000000"),
        "many_rcpts": b"\0\0" + req(protocol_state="DATA", recipient_count="100"),
        "dup_first": b"\0\0" + req(protocol_state="RCPT") .replace(b"\n\n", b"\nsender=exact@example.com\nsender=b\n\n"),
        "dup_last": b"\x01\0" + req(protocol_state="RCPT") .replace(b"\n\n", b"\nsender=b\nsender=exact@example.com\n\n"),
        "no_request": b"\0\0protocol_state=RCPT\n\n",
        "empty_request": b"\0\0\n",
        "crlf": b"\0\0request=smtpd_access_policy\r\nprotocol_state=RCPT\r\n\r\n",
        "small_bounds_long_line": b"\x08\0" + req(protocol_state="RCPT", sender="a" * 80),
        "small_bounds_attrs": b"\x08\0" + b"x=1\n" * 9 + b"\n",
        "line_8192": b"\0\0request=smtpd_access_policy\nsender=" + b"a" * (POLICY_MAX_LINE - 7) + b"\n\n",
        "line_8193": b"\0\0request=smtpd_access_policy\nsender=" + b"a" * (POLICY_MAX_LINE - 6) + b"\n\n",
        "nul_in_value": b"\0\0request=smtpd_access_policy\nsender=exact@example.com\0x\n\n",
        "unterminated": b"\0\0" + policy_request(minimal, end=b""),
    }
    faults = {"crlf": 1, "no_action": 2, "action_case": 4, "extra_empty": 8,
              "close_after": 0x10, "early_reply": 0x20, "no_terminator": 0x40,
              "bad_action": 0x80}
    two = policy_request(minimal) * 2
    for name, bit in faults.items():
        s["fault_" + name] = b"\x02" + bytes([bit]) + two
    s["fault_colon_action"] = b"\x06\0" + two
    for name, cl, _, _ in read_transcripts("policy"):
        if cl:
            s["tr_" + name] = b"\0\0" + as_stream(cl)
    return s


EXTRA["fuzz_policyd_rules"] = seeds_policyd_rules
EXTRA["fuzz_policyd_action"] = seeds_policyd_action
EXTRA["fuzz_policyd_session"] = seeds_policyd_session


# --- fake-smtpd's auth client against a hostile server ---------------------------
# fuzz_client_auth_session: byte 0 = version index (bits 0-2: 2.11 3.0 3.4
# 3.7.11 3.9-20231112 3.11 3.12-20260710) | first mechanism << 4 (PLAIN 0,
# LOGIN 1, CRAM-MD5 2, SCRAM-SHA-1 3, SCRAM-SHA-256 4, ANONYMOUS 5, EXTERNAL
# 6), then the server's lines. The client is alice/secret, SCRAM client nonce
# "fuzzcnonce"; requests 1, 2, ... take the next mechanisms in turn.
def seeds_client_auth_session():
    all_mechs = (b"VERSION\t1\t2\nMECH\tPLAIN\tplaintext\nMECH\tLOGIN\tplaintext\n"
                 b"MECH\tCRAM-MD5\tdictionary\tactive\nMECH\tSCRAM-SHA-1\nMECH\tSCRAM-SHA-256\n"
                 b"MECH\tANONYMOUS\tanonymous\nMECH\tEXTERNAL\nSPID\t4242\nCUID\t7\n"
                 b"COOKIE\t0123456789abcdef0123456789abcdef\nDONE\n")
    v = 3                           # 3.7.11
    chal = b64(CRAM_CHALLENGE)
    s = {
        "plain_ok": bytes([v]) + all_mechs + b"OK\t1\tuser=alice\n",
        "plain_fail_then_login_ok": bytes([v]) + all_mechs + b"FAIL\t1\treason=nope\n"
            b"CONT\t2\t" + b64(b"Username:") + b"\nCONT\t2\t" + b64(b"Password:") + b"\nOK\t2\tuser=alice\n",
        "login_rounds": bytes([v | 0x10]) + all_mechs + b"CONT\t1\t" + b64(b"Username:") +
            b"\nCONT\t1\t" + b64(b"Password:") + b"\nOK\t1\tuser=alice\n",
        "cram_ok": bytes([v | 0x20]) + all_mechs + b"CONT\t1\t" + chal + b"\nOK\t1\tuser=alice\n",
        "cram_empty_challenge": bytes([v | 0x20]) + all_mechs + b"CONT\t1\t\nFAIL\t1\n",
        "challenge_not_base64": bytes([v | 0x10]) + all_mechs + b"CONT\t1\t!!!\n",
        "wrong_id_skipped": bytes([v]) + all_mechs + b"OK\t9\tuser=mallory\nOK\t1\tuser=alice\n",
        "fail_temp": bytes([v]) + all_mechs + b"FAIL\t1\ttemp\treason=later\n",
        "eof_after_auth": bytes([v]) + all_mechs,
        "endless_cont": bytes([v | 0x10]) + all_mechs + (b"CONT\t1\t" + b64(b"Username:") + b"\n") * 40,
        "anonymous_filtered": bytes([v | 0x50]) + all_mechs + b"OK\t2\tuser=x\n",
        "external": bytes([v | 0x60]) + all_mechs + b"OK\t1\tuser=alice\n",
        "plain_not_offered": bytes([v]) + b"VERSION\t1\t2\nMECH\tLOGIN\nSPID\t1\nDONE\n" +
            b"CONT\t1\t" + b64(b"Username:") + b"\n",
        "handshake_fail_version": bytes([v]) + b"VERSION\t2\t0\nMECH\tPLAIN\nDONE\n",
        "handshake_spid_first": bytes([v]) + b"VERSION\t1\t2\nSPID\t1\nMECH\tPLAIN\nDONE\n",
        "bare_version_new": bytes([6]) + b"VERSION\nMECH\tPLAIN\nSPID\t1\nDONE\nOK\t1\n",
        "crlf": bytes([v]) + all_mechs.replace(b"\n", b"\r\n") + b"OK\t1\tuser=alice\r\n",
        "old_postfix": bytes([0]) + all_mechs + b"FAIL\t1\treason=x\n",
    }
    for m, hname in ((3, "sha1"), (4, "sha256")):
        _, sf, _, sfin = scram(hname)
        s["scram_%s_ok" % hname] = (bytes([v | (m << 4)]) + all_mechs + b"CONT\t1\t" + b64(sf) +
                                    b"\nCONT\t1\t" + b64(sfin) + b"\nOK\t1\tuser=alice\n")
        s["scram_%s_final_in_ok" % hname] = (bytes([v | (m << 4)]) + all_mechs + b"CONT\t1\t" +
                                             b64(sf) + b"\nOK\t1\tuser=alice\n")
        s["scram_%s_bad_signature" % hname] = (bytes([v | (m << 4)]) + all_mechs + b"CONT\t1\t" +
                                               b64(sf) + b"\nCONT\t1\t" + b64(b"v=AAAA") + b"\n")
        s["scram_%s_wrong_nonce" % hname] = (bytes([v | (m << 4)]) + all_mechs + b"CONT\t1\t" +
                                             b64(sf.replace(b"r=fuzzcnonce", b"r=other")) + b"\n")
    for name, _, sl, _ in read_transcripts("auth"):
        if sl:
            s["tr_" + name] = bytes([v]) + as_stream(sl)
    return s


EXTRA["fuzz_client_auth_session"] = seeds_client_auth_session


def main():
    ap = argparse.ArgumentParser(description="write fuzz seed corpora")
    ap.add_argument("--out", default=os.path.join(TOP, "corpus", "fuzz"))
    ap.add_argument("--target", action="append", default=[])
    ap.add_argument("--list", action="store_true", help="print counts only")
    a = ap.parse_args()
    have = sorted(f[:-2] for f in os.listdir(os.path.join(TOP, "fuzz", "targets"))
                  if f.startswith("fuzz_") and f.endswith(".c"))
    for t in a.target:
        if t not in have:
            print("gen-seeds: unknown target %s" % t, file=sys.stderr)
            return 2
    wanted = a.target or have
    seeds = build(wanted)
    for t in wanted:
        if a.list:
            print("%s: %d seeds" % (t, len(seeds[t])))
            continue
        d = os.path.join(a.out, t)
        if os.path.isdir(d):
            shutil.rmtree(d)
        os.makedirs(d)
        for name, data in sorted(seeds[t].items()):
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
        print("%s: %d seeds" % (t, len(seeds[t])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
