# tls.sh — an owner on TCP with TLS and a token (DESIGN §7), from the
# outside: REST over HTTPS (curl --cacert), plain HTTP refused; pulsora-cli
# --host/--port with --tls verify-full and the CA, require, and the
# refusals it reports (wrong or missing token, a plain client on the TLS
# port, an untrusted certificate) with the owner serving on; the refusals
# counted in /metrics.  Checked by test_rest.sh, which sources this file
# (its checks count in test_rest.sh's closing line) and calls tls_tests
# with its helpers (req, check, is, js, ok_envelope, start_owner,
# wait_for, gone, free_port, $TMP, $BUILD, $PULSORAD, PIDS).  The
# certificates are made here with openssl: a CA and a server certificate
# it signed for localhost and 127.0.0.1.

tls_make_certs() {	# $1 = directory
	(cd "$1" &&
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
			-keyout ca.key -out ca.crt -days 2 -subj /CN=pulsora-test-ca \
			-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign &&
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
			-keyout srv.key -out srv.csr -subj /CN=localhost &&
		printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >ext &&
		openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
			-out srv.crt -days 2 -extfile ext) >"$1/openssl.log" 2>&1
}

tls_tests() {
	echo "# TLS and tokens on TCP"
	local cli="$BUILD/pulsora-cli" certs="$TMP/certs" dir="$TMP/tlsdata" out rc
	local rport pport saved_base=$BASE
	mkdir -p "$certs"
	if ! tls_make_certs "$certs"; then
		fail "openssl makes a CA and a server certificate" "$(cat "$certs/openssl.log")"
		return
	fi
	rport=$(free_port)
	pport=$(free_port)
	mkdir -m 700 "$dir"
	printf '[server]\nport = %s\nauth_token = "tls-tok"\nprotocol_port = %s\ntls_cert_file = "%s"\ntls_key_file = "%s"\n' \
		"$rport" "$pport" "$certs/srv.crt" "$certs/srv.key" >"$dir/pulsora.toml"
	unset PULSORA_AUTH_TOKEN	# the file's token
	start_owner "$dir" "$TMP/tls-owner.log"
	local owner=$OWNER
	BASE="https://127.0.0.1:$rport"
	tls_up() { curl -s -o /dev/null --cacert "$certs/ca.crt" "$BASE/health"; }
	if ! wait_for tls_up; then
		fail "an owner with TLS starts" "$(cat "$TMP/tls-owner.log")"
		BASE=$saved_base
		return
	fi
	check "the start line names TLS, the token and https" \
		grep -q "TCP 127.0.0.1:$pport (TLS) with token; REST https://127.0.0.1:$rport" "$TMP/tls-owner.log"

	req GET /health --cacert "$certs/ca.crt"
	check "REST over HTTPS with curl --cacert" eval 'ok_envelope && is "d[\"data\"][\"status\"]" healthy'
	req GET /tables --cacert "$certs/ca.crt" -H 'Authorization: Bearer tls-tok'
	check "... and its token" ok_envelope
	STATUS=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$rport/health")
	check "plain HTTP to the HTTPS port gets no answer" [ "$STATUS" = 000 ]
	STATUS=$(curl -s -o /dev/null -w '%{http_code}' "https://127.0.0.1:$rport/health")
	check "HTTPS without the CA is refused by curl" [ "$STATUS" = 000 ]
	STATUS=$(curl -s -o /dev/null -w '%{http_code}' -k --tls-max 1.1 "https://127.0.0.1:$rport/health")
	check "TLS 1.1 is refused" [ "$STATUS" = 000 ]

	printf 'ts,sym,v\n2024-01-01T00:00:00Z,A,1\n2024-01-01T00:00:01Z,B,2\n2024-01-01T00:00:02Z,A,3\n' >"$TMP/tls.csv"
	local remote=(--host 127.0.0.1 --port "$pport" --tls verify-full --tls-ca "$certs/ca.crt")
	out=$(PULSORA_AUTH_TOKEN=tls-tok "$cli" "${remote[@]}" load t "$TMP/tls.csv" --no-progress 2>&1)
	check "pulsora-cli loads over TLS with the token from PULSORA_AUTH_TOKEN" \
		eval '[ "$out" = "rows_loaded=3 rows_rejected=0" ]'
	out=$("$cli" "${remote[@]}" --token tls-tok query t --series sym=A 2>&1)
	check "pulsora-cli queries over TLS with --token" \
		eval '[ "$out" = "$(printf "ts,sym,v\n2024-01-01T00:00:00Z,A,1\n2024-01-01T00:00:02Z,A,3")" ]'
	out=$("$cli" --host localhost --port "$pport" --tls require --token tls-tok count t 2>&1)
	check "pulsora-cli with --tls require (no CA) by host name" [ "$out" = 3 ]
	out=$("$cli" "${remote[@]}" --token wrong tables 2>&1)
	rc=$?
	check "a wrong token is refused, naming the owner" \
		eval '[ $rc = 1 ] && [ "$out" = "pulsora-cli: the owner at 127.0.0.1:$pport refused the token" ]'
	out=$("$cli" "${remote[@]}" tables 2>&1)
	check "a missing token is refused" eval 'echo "$out" | grep -q "refused the token (none was given)"'
	out=$("$cli" --host 127.0.0.1 --port "$pport" --token tls-tok tables 2>&1)
	check "a plain client on the TLS port is told to use TLS (loopback default: disable)" \
		eval 'echo "$out" | grep -q "accepts only TLS connections on 127.0.0.1:$pport"'
	out=$("$cli" --host 127.0.0.1 --port "$pport" --tls verify-full --tls-ca "$certs/srv.key" --token tls-tok tables 2>&1)
	check "a CA file holding no certificate is named" eval 'echo "$out" | grep -q "TLS CA file $certs/srv.key"'
	out=$("$cli" --host 127.0.0.1 --port "$pport" --tls verify-full --token tls-tok tables 2>&1)
	check "verify-full without our CA: not trusted (system CAs)" \
		eval 'echo "$out" | grep -q "certificate of 127.0.0.1:$pport not trusted"'
	out=$("$cli" -D "$dir" count t 2>&1)
	check "the Unix socket needs no token" [ "$out" = 3 ]
	out=$("$cli" -D "$dir" --host 127.0.0.1 --port "$pport" tables 2>&1)
	check "pulsora-cli refuses -D with --host" eval 'echo "$out" | grep -q "either -D DIR or --host"'
	out=$("$cli" --host 127.0.0.1 tables 2>&1)
	check "pulsora-cli --host needs --port" eval 'echo "$out" | grep -q -- "--host needs --port"'
	out=$("$cli" --host 127.0.0.1 --port "$pport" --tls sometimes tables 2>&1)
	check "pulsora-cli refuses an unknown --tls mode" eval 'echo "$out" | grep -q -- "--tls needs a value"'

	req GET /metrics --cacert "$certs/ca.crt" -H 'Authorization: Bearer tls-tok'
	check "refused tokens are counted in /metrics" grep -qx 'pulsora_protocol_auth_failures_total 2' "$TMP/body"
	check "failed TLS handshakes too (the plain client, the distrustful one)" \
		grep -qx 'pulsora_protocol_tls_failures_total 2' "$TMP/body"
	kill -TERM "$owner"
	wait_for gone "$owner"
	check "the TLS owner stops cleanly" grep -q "stopped" "$TMP/tls-owner.log"
	BASE=$saved_base
}
