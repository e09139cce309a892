# tests/http/lib.bash: the helpers of the bats files that run erp-send
# --erp http against tests/http/server.py (load http/lib after lib).

# srv_up: the receiver, in $T/srv, at $URL; its pid in BG
srv_up() {
	mkdir -p "$T/srv"
	python3 tests/http/server.py "$T/srv" &
	BG="${BG:-} $!"
	for i in $(seq 1 100); do
		[ -f "$T/srv/port" ] && break
		sleep 0.05
	done
	URL=http://127.0.0.1:$(cat "$T/srv/port")/hook
}

# script LINE...: the receiver's next answers (server.py)
script() {
	printf '%s\n' "$@" >>"$T/srv/script"
}

# hs ARGS...: erp-send to the receiver, retries 1ms apart, rejects in $T/r
hs() {
	"$BIN/erp-send" --erp http --url "$URL" --retry-delay 1ms \
	    --rejects "$T/r" "$@"
}
