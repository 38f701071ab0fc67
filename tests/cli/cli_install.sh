#!/usr/bin/env bash
# cli_install.sh -- docs/writing-a-protocol.md's out-of-tree build, as written: `make
# install PREFIX=...` installs faultline, its header and a faultline.pc that is right for
# that prefix (it used to name the configured /usr/local), and the docs' example plugin
# builds through `pkg-config faultline` and runs on the installed binary.
source "$(dirname "$0")/lib/common.bash"

command -v pkg-config >/dev/null || { echo "cli_install: no pkg-config, skipped"; exit 0; }
awk '/^```c$/{on=1; next} /^```$/{on=0} on' "$SRC/docs/writing-a-protocol.md" >counter.c
awk '/^```sh$/{on=1; next} /^```$/{on=0} on' "$SRC/docs/writing-a-protocol.md" >steps.sh
grep -q '^make -C ~/src/faultline install PREFIX=' steps.sh && pass ||
  fail "the docs install with make install PREFIX=: $(head -1 steps.sh)"
# the docs' faultline checkout is this source tree, already built in $BUILD (-o build:
# do not rebuild it while other tests use it)
sed -i "s|^make -C ~/src/faultline install|make -s -C '$SRC' -o build FL_BUILD='$BUILD' install|" steps.sh
mkdir home
if HOME="$T/home" bash -e steps.sh >out 2>err; then pass; else
  fail "the docs' steps failed: $(tail -5 err)"
fi
[ -x home/.local/bin/faultline ] && [ -f home/.local/include/faultline.h ] &&
  [ -f home/.local/lib/pkgconfig/faultline.pc ] && pass || fail "make install put the files in place"
grep -q 'counter 1: tick 3' out && pass || fail "the plugin ran on the installed faultline: $(tail -3 out)"
cflags=$(PKG_CONFIG_PATH="$T/home/.local/lib/pkgconfig" pkg-config --cflags faultline)
case "$cflags" in
  *"$T/home/.local/lib/pkgconfig/../../include"*) pass ;;
  *) fail "faultline.pc points at the installed header: $cflags" ;;
esac
! grep -q '/usr/local' home/.local/lib/pkgconfig/faultline.pc && pass ||
  fail "faultline.pc names /usr/local: $(cat home/.local/lib/pkgconfig/faultline.pc)"
# moved elsewhere, the tree still finds its header
mv home/.local moved
PKG_CONFIG_PATH="$T/moved/lib/pkgconfig" pkg-config --cflags faultline | grep -q "$T/moved/lib/pkgconfig/../../include" &&
  pass || fail "a moved install still finds its header"
finish
