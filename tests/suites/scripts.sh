# shellcheck shell=bash
# shellcheck disable=SC2154 # logs comes from test.sh
# Every script answers --help without doing any work (sourced by
# scripts/test.sh): with the tools a script could run replaced by stubs that
# record being called, `--help` must exit 0, print the script's own usage,
# call none of them and leave build/ and target/ as they were.

scripts_stubs=$(mktemp -d)
scripts_calls="$scripts_stubs/calls"
for tool in cargo rustup rustc qemu-system-aarch64 apt-get apt-cache dpkg dpkg-deb sudo dtc \
    mcopy mdir sfdisk mkfs.vfat fsck.fat cpio dd truncate tee gdb-multiarch socat; do
    printf '#!/bin/sh\necho %s "$@" >>"%s"\nexit 1\n' "$tool" "$scripts_calls" >"$scripts_stubs/$tool"
    chmod +x "$scripts_stubs/$tool"
done
scripts_state() { find build target -maxdepth 2 -newer "$scripts_stubs/cargo" -not -path 'build/test-logs*' 2>/dev/null | sort; }
for script in scripts/*.sh; do
    name=$(basename "$script")
    for flag in --help -h; do
        rm -f "$scripts_calls"
        before=$(scripts_state)
        help_out="$scripts_stubs/help-$name$flag.log"
        status=0
        PATH="$scripts_stubs:$PATH" timeout 10 bash "$script" "$flag" </dev/null >"$help_out" 2>&1 || status=$?
        after=$(scripts_state)
        if [ "$status" != 0 ]; then
            fail "$name $flag: exits 0" "status $status: $(head -3 "$help_out")"
        elif [ -s "$scripts_calls" ]; then
            fail "$name $flag: does no work" "it ran: $(tr '\n' ';' <"$scripts_calls")"
        elif [ "$before" != "$after" ]; then
            fail "$name $flag: does no work" "it changed: $after"
        elif ! grep -q "scripts/$name" "$help_out"; then
            fail "$name $flag: prints its usage" "no 'scripts/$name' line: $(head -3 "$help_out")"
        else
            pass "$name $flag: usage, exit 0, nothing run"
        fi
    done
done
rm -rf "$scripts_stubs"
