#!/usr/bin/env bash
# sigv4_botocore.sh - flint's SigV4 headers (remote/sigv4.c, printed by
# $BUILD/tests/sigv4_sign) equal python3-botocore's SigV4Auth for the same
# requests, credentials and fixed times: AMP remote writes in several
# regions, with and without a session token, paths and queries that need
# canonicalizing, the credentials chain (config, environment, profiles),
# and role_arn through a fake STS on 127.0.0.1 (AWS_ENDPOINT_URL_STS). No
# network access to AWS. One line per case; last line `N passed, N failed`.
set -u
. "$(dirname "$0")/../paths.bash"
SIGNER=$BUILD/tests/sigv4_sign
if [ ! -x "$SIGNER" ] || ! /usr/bin/python3 -c 'import botocore' 2>/dev/null; then
	echo "FAIL setup: need $SIGNER (make build-asan) and Debian's python3-botocore (make deps)"
	echo "0 passed, 1 failed"
	exit 1
fi
exec timeout 600 /usr/bin/python3 "$FLINT_ROOT/tests/conformance/sigv4_botocore.py" "$SIGNER"
