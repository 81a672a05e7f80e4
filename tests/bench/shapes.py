#!/usr/bin/env python3
# tests/bench/shapes.py: line shapes that stress one path each, for `make bench-shapes`.
# SPDX-License-Identifier: Apache-2.0
#
# Writes DIR/<shape>.log, MB megabytes each, from a fixed seed (the same bytes on
# every machine). No corpus needed. Every shape is a kind of log users run through
# logscrub where most or all lines are candidates: a keyword on every line, a
# secret on every line, or escapes the decoded view and the log4j check must read.
# The secrets are random and fake.
import json
import random
import sys

SHAPES = {}


def shape(fn):
    SHAPES[fn.__name__] = fn
    return fn


def rs(r, k, a="abcdefghijklmnopqrstuvwxyz0123456789"):
    return "".join(r.choice(a) for _ in range(k))


B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"


@shape
def sshd_failed_password(r):  # OpenSSH auth log: the keyword on every line, no secret
    return "sshd[%d]: Failed password for invalid user %s from 10.0.%d.%d port %d ssh2" % (
        r.randint(1, 99999), rs(r, 6), r.randint(0, 255), r.randint(0, 255), r.randint(1024, 65535))


@shape
def nginx_access_token(r):  # access log, an OAuth token in every query string
    return ('10.0.%d.%d - - [22/Nov/2026:10:00:00 +0000] "GET /api/v1/items?page=%d&access_token=%s'
            '&sort=asc HTTP/1.1" 200 %d "-" "Mozilla/5.0"' % (
                r.randint(0, 255), r.randint(0, 255), r.randint(1, 99), rs(r, 40), r.randint(100, 9999)))


@shape
def bearer_headers(r):  # header dumps, a JWT-shaped bearer token on every line
    return ('request headers: {"Host":"api.acme.io","Authorization":"Bearer '
            'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.%s.%s","X-Request-Id":"%s"}' % (
                rs(r, 60, B64URL), rs(r, 43, B64URL), rs(r, 16)))


@shape
def logfmt_secrets(r):  # logfmt with four secret fields on every line
    return ('ts=2026-11-22T10:00:00Z level=info msg="user login" user=%s session_id=%s password=%s '
            'api_key=%s token=%s duration=%dms' % (rs(r, 6), rs(r, 24), rs(r, 12), rs(r, 32),
                                                   rs(r, 40), r.randint(1, 999)))


@shape
def k8s_audit(r):  # Kubernetes audit events (authorization.k8s.io on every line)
    return json.dumps({
        "kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata", "auditID": rs(r, 36),
        "stage": "ResponseComplete", "requestURI": "/api/v1/namespaces/default/pods/%s" % rs(r, 10),
        "verb": "get", "user": {"username": "system:serviceaccount:kube-system:%s" % rs(r, 8)},
        "sourceIPs": ["10.0.0.%d" % r.randint(1, 254)], "userAgent": "kubelet/v1.29.0",
        "annotations": {"authorization.k8s.io/decision": "allow",
                        "authorization.k8s.io/reason": "RBAC: allowed by ClusterRoleBinding \"%s\"" %
                        rs(r, 8)}})


@shape
def java_stack(r):  # stack traces: '$' of inner classes on every line
    return "\tat com.acme.%s.Service$%d.run(Service.java:%d) ~[app.jar:?] $%s" % (
        rs(r, 6), r.randint(1, 9), r.randint(1, 999), rs(r, 4))


@shape
def json_windows_paths(r):  # JSON with escaped backslashes, quotes and \u escapes
    return ('{"msg":"path C:\\\\Users\\\\%s\\\\AppData\\\\%s \\"quoted\\" \\u00e9t\\u00e9","lvl":"info"}' %
            (rs(r, 6), rs(r, 8)))


@shape
def url_encoded(r):  # percent-encoded query strings
    return ("GET /search?q=%s%%20%s%%3D%s&redirect=https%%3A%%2F%%2Fexample.com%%2Fcb%%3Fx%%3D%s "
            "HTTP/1.1 200" % (rs(r, 8), rs(r, 6), rs(r, 5), rs(r, 10)))


@shape
def html_entities(r):  # HTML entities, some of which spell "${"
    return "&#x24;&#123;%s&#125; &amp; &lt;tag&gt; &#%d;" % (rs(r, 5), r.randint(30, 120))


def main():
    out, mb = sys.argv[1], float(sys.argv[2])
    names = sys.argv[3:] or sorted(SHAPES)
    for name in names:
        r = random.Random(name)
        limit = int(mb * 1000000)
        with open("%s/%s.log" % (out, name), "w") as f:
            n = 0
            while n < limit:
                line = SHAPES[name](r) + "\n"
                f.write(line)
                n += len(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
