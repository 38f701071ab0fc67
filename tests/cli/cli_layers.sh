#!/usr/bin/env bash
# cli_layers.sh -- the layering of DESIGN.md, checked on the built libraries: each
# folder's library calls only into itself and the layers below it, core knows nothing
# of SQLite or libevent, and a protocol builds with core/faultline.h alone.
source "$(dirname "$0")/lib/common.bash" "$@"

# lib : the libraries it may call (itself first)
LAYERS="fl_core:fl_core
fl_faults:fl_faults fl_core
fl_storage:fl_storage fl_core
fl_results:fl_results fl_storage fl_faults fl_core
fl_run:fl_run fl_results fl_storage fl_faults fl_core
fl_protocols:fl_protocols fl_core
fl_sim:fl_sim fl_run fl_protocols fl_results fl_storage fl_faults fl_core fl_serve"
# serve (issue 18): the web UI's server (sim/serve/) reads through results and storage,
# and is called by fl_sim's `serve` command only
LAYERS="$LAYERS
fl_serve:fl_serve fl_results fl_storage fl_faults fl_core"
# canonical-raft is its own library when libraft was found (it links libraft): a
# protocol like the others, and fl_sim may call it
if [ -f "$BUILD/libfl_proto_canonical_raft.a" ]; then
  LAYERS=$(printf '%s\n' "$LAYERS" | sed 's/^fl_sim:fl_sim fl_run fl_protocols/& fl_proto_canonical_raft/')
  LAYERS="$LAYERS
fl_proto_canonical_raft:fl_proto_canonical_raft fl_core"
  LIBS_EXTRA=fl_proto_canonical_raft
fi

defined() { nm --defined-only -g "$BUILD/lib$1.a" 2>/dev/null | awk 'NF == 3 {print $3}' | sort -u; }
undefined() { nm -u -g "$BUILD/lib$1.a" 2>/dev/null | awk '{print $NF}' | sort -u; }

for l in fl_core fl_faults fl_storage fl_results fl_run fl_protocols fl_sim fl_serve ${LIBS_EXTRA:-}; do
  [ -f "$BUILD/lib$l.a" ] || fail "no library $BUILD/lib$l.a"
  defined "$l" > "$T/def.$l"
done

while IFS=: read -r lib allowed; do
  : > "$T/ok"
  for a in $allowed; do cat "$T/def.$a" >> "$T/ok"; done
  sort -u -o "$T/ok" "$T/ok"
  # our own functions (fl_, fr_) must come from an allowed layer
  bad=$(undefined "$lib" | grep -E '^(fl_|fr_)' | comm -23 - "$T/ok" | tr '\n' ' ')
  if [ -n "$bad" ]; then fail "$lib calls up a layer (or sideways): $bad"; else pass; fi
done <<< "$LAYERS"

for lib in fl_core fl_faults fl_storage fl_results fl_run fl_protocols; do
  ev=$(undefined "$lib" | grep -E '^(event_|evhttp_|evutil_|bufferevent_)' | head -3 | tr '\n' ' ')
  [ -z "$ev" ] && pass || fail "$lib uses libevent: $ev"
done
for lib in fl_core fl_faults fl_protocols ${LIBS_EXTRA:-}; do
  sq=$(undefined "$lib" | grep -E '^sqlite3_' | head -3 | tr '\n' ' ')
  [ -z "$sq" ] && pass || fail "$lib uses SQLite: $sq"
done
# only the storage layer talks to SQLite directly
sq=$(undefined fl_results | grep -E '^sqlite3_' | head -3 | tr '\n' ' ')
[ -z "$sq" ] && pass || fail "fl_results calls SQLite directly: $sq"
sq=$(undefined fl_run | grep -E '^sqlite3_' | head -3 | tr '\n' ' ')
[ -z "$sq" ] && pass || fail "fl_run calls SQLite directly: $sq"
sq=$(undefined fl_serve | grep -E '^sqlite3_' | head -3 | tr '\n' ' ')
[ -z "$sq" ] && pass || fail "fl_serve calls SQLite directly: $sq"

# A protocol builds with core/faultline.h alone (plus cJSON).
mkdir -p "$T/inc/core"
cp "$SRC/core/faultline.h" "$T/inc/core/faultline.h"
cp "$SRC/core/faultline.h" "$T/inc/faultline.h"
cflags=$(pkg-config --cflags libcjson 2>/dev/null)
for src in "$SRC"/tests/plugins/*.c "$SRC"/sim/protocols/echo/echo.c; do
  # no -I into the source tree: the copied header is all there is
  if cc -std=c11 -D_GNU_SOURCE -fsyntax-only $cflags -I "$T/inc" "$src" 2>"$T/cc.err"; then
    pass
  else
    fail "$(basename "$src") does not build with core/faultline.h alone: $(head -c 300 "$T/cc.err")"
  fi
done
# Built-in protocols include nothing of faultline's but the public header (etcd-raft also
# the header go build generates for its Go half).
bad=$(grep -h '#include "' "$SRC"/sim/protocols/*/*.[ch] | grep -v -E '"core/faultline.h"|"sim/protocols/(raft|echo|canonical-raft|etcd-raft)/|"libfl_etcd_go.h"' | sort -u)
[ -z "$bad" ] && pass || fail "a built-in protocol includes internals: $bad"
finish
