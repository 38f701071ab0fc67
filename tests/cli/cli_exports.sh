#!/usr/bin/env bash
# The executable exports exactly the protocol API of core/faultline.h and defines none of
# canonical/raft's API names, so that a plugin with its own raft_apply (or one linked
# against libraft) gets its own: see cmake/fl_exports.cmake for why.
source "$(dirname "$0")/lib/common.bash"

# The functions the header declares, as the compiler sees them (GCC's -aux-info lists
# every prototype with its file), so this does not share the build's own parsing.  A
# compiler without -aux-info (clang): declarations at column 0, the header's style.
printf '#include "faultline.h"\n' >decl.c
if cc -std=c11 -fsyntax-only -aux-info aux.txt -I"$SRC/core" $(pkg-config --cflags libcjson) \
  decl.c 2>/dev/null; then
  # static inline helpers (the client op encoding) are the plugin's own copies: not exported
  grep '/faultline\.h:[0-9]*:' aux.txt | grep ' extern ' |
    sed -E 's|^/\*[^*]*\*/ extern [^(]*[ *]([A-Za-z_][A-Za-z0-9_]*) \(.*|\1|' | sort -u >api
else
  grep -oE '^[A-Za-z][^;(]*[ *]fl_[a-z0-9_]+\(' "$SRC/core/faultline.h" | grep -v '^static' |
    grep -oE 'fl_[a-z0-9_]+\($' | tr -d '(' | sort -u >api
fi
[ "$(wc -l <api)" -ge 20 ] && pass || fail "found only $(wc -l <api) declarations in faultline.h"
grep -qx fl_send api && grep -qx fl_cluster_metric_set api && pass ||
  fail "the header's declarations were not read (fl_send, fl_cluster_metric_set missing)"

# What the executable exports.  A name@VERSION is a copy relocation of a shared
# library's data (stdout@GLIBC_2.2.5): the object is the library's, copied into our
# .bss, and the library's version node is what a plugin binds to; none is ours.
nm -D --defined-only "$FL" | awk '{print $NF}' | grep -v '@' | sort -u >exported
if nm -D "$FL" | grep -q ' U __asan_init'; then
  # ASan's runtime asks the executable to export its interceptors; not ours either.
  grep -vE '^(__asan|__lsan|__ubsan|__sanitizer|__interceptor)' exported >exported.f
  mv exported.f exported
fi
for name in $(comm -23 api exported); do fail "declared in faultline.h but not exported: $name"; done
for name in $(comm -13 api exported); do fail "exported but not in faultline.h: $name"; done
cmp -s api exported && pass

# cJSON, which plugins also call, is libcjson's: we link it, never define it.
nm --defined-only "$FL" | grep -q ' cJSON_' && fail "the executable defines cJSON symbols" ||
  pass
readelf -d "$FL" | grep -q 'NEEDED.*libcjson' && pass || fail "the executable does not need libcjson"

# None of canonical/raft's public API is defined, not even as a local symbol: the
# authority is /usr/include/raft.h (and raft/*.h) when libraft-dev is installed; the
# list below, taken from its include/raft.h, raft/fixture.h and raft/uv.h, is for
# machines without it (a name too many costs nothing: any raft_ symbol fails below).
cat >libraft.api <<'NAMES'
raft_strerror raft_configuration_init raft_configuration_close raft_configuration_add
raft_configuration_encode raft_digest raft_init raft_close raft_bootstrap raft_recover
raft_start raft_set_election_timeout raft_set_heartbeat_timeout
raft_set_install_snapshot_timeout raft_set_snapshot_threshold raft_set_pre_vote
raft_set_snapshot_trailing raft_set_max_catch_up_rounds raft_set_max_catch_up_round_duration
raft_errmsg raft_state raft_leader raft_last_index raft_last_applied raft_apply
raft_barrier raft_add raft_assign raft_remove raft_transfer raft_malloc raft_free
raft_calloc raft_realloc raft_aligned_alloc raft_aligned_free raft_heap_set
raft_heap_set_default raft_version_number raft_version_string raft_role_name
raft_state_name raft_fixture_init raft_fixture_close raft_fixture_configuration
raft_fixture_bootstrap raft_fixture_start raft_fixture_grow raft_fixture_n
raft_fixture_time raft_fixture_get raft_fixture_alive raft_fixture_leader_index
raft_fixture_voted_for raft_fixture_step raft_fixture_step_n raft_fixture_step_until
raft_fixture_step_until_elapsed raft_fixture_step_until_has_leader
raft_fixture_step_until_has_no_leader raft_fixture_step_until_applied
raft_fixture_step_until_state_is raft_fixture_step_until_term_is
raft_fixture_step_until_voted_for raft_fixture_step_until_delivered
raft_fixture_elect raft_fixture_depose raft_fixture_hook raft_fixture_saturated
raft_fixture_disconnect raft_fixture_reconnect raft_fixture_kill raft_fixture_revive
raft_fixture_set_randomized_election_timeout raft_fixture_set_network_delay
raft_fixture_set_disk_latency raft_fixture_set_term raft_fixture_set_snapshot
raft_fixture_add_entry raft_fixture_append_fault raft_fixture_vote_fault
raft_fixture_term_fault raft_fixture_send_fault raft_fixture_n_send raft_fixture_n_recv
raft_io_stub_init raft_io_stub_close raft_uv_init raft_uv_close
raft_uv_set_segment_size raft_uv_set_block_size raft_uv_set_snapshot_compression
raft_uv_set_connect_retry_delay raft_uv_set_auto_recovery raft_uv_set_tracer
raft_uv_tcp_init raft_uv_tcp_close raft_uv_tcp_set_bind_address
NAMES
tr -s ' \n' '\n\n' <libraft.api | sed '/^$/d' >names
for h in /usr/include/raft.h /usr/include/raft/*.h; do
  [ -f "$h" ] && grep -oE '\braft_[a-z0-9_]+[[:space:]]*\(' "$h" | tr -d ' (\t' >>names
done
sort -u names -o names
nm --defined-only "$FL" | awk '{print $NF}' | sort -u >defined
grep -qx fl_send defined && pass || fail "nm sees no symbols in $FL (stripped?): cannot check"
if "$FL" protocols 2>/dev/null | grep -qx canonical-raft; then
  # canonical-raft links libraft statically: its functions are in the executable, but
  # local to it -- none is exported, so a plugin's raft_apply is still its own
  grep -qx raft_apply defined && pass || fail "canonical-raft is built in, but raft_apply is not defined"
  for name in $(comm -12 names exported); do fail "libraft's $name is exported by the executable"; done
  for name in $(grep -E '^raft_' exported); do fail "a raft_ symbol is exported: $name"; done
else
  for name in $(comm -12 names defined); do fail "libraft's $name is defined in the executable"; done
  # Our Raft's prefix is fr_ throughout; no raft_ symbol at all, static or not.
  for name in $(grep -E '^raft_' defined); do fail "a raft_ symbol is defined: $name"; done
fi
pass

# A plugin defining its own raft_apply and raft_step gets its own.  Its calls are
# PLT calls (relocations against the names), i.e. resolved at load time, so an exported
# raft_apply in the executable would be the one that ran.
plugin="$BUILD/plugins/libown_raft_apply.so"
if [ -e "$plugin" ]; then
  readelf -rW "$plugin" | grep -qw raft_apply && pass ||
    fail "the plugin binds raft_apply locally: the test would prove nothing"
  expect_exit 0 "plugin with its own raft_apply" -- "$FL" run --protocol "$plugin" --seed 1 \
    --set nodes=3 --set run.until=100ms --trace
  for id in 1 2 3; do
    grep -qF "own_raft_apply $id: own raft_apply($id) = $((4242000 + id)), raft_step = $((1000 * id + 3))" out &&
      pass || fail "node $id did not run the plugin's own raft_apply / raft_step"
  done
  grep -q '^outcome:  ok' out && pass || fail "the plugin run is not ok: $(grep outcome out)"
else
  fail "test plugin libown_raft_apply.so was not built"
fi
finish
