# shellcheck shell=bash
# shellcheck disable=SC2154 # logs, pass, fail, boot and expect come from test.sh
# Several programs at once (el0.parallel=4, the kernel's runner) on four
# cores, at EL1 and under the EL2 layer: every program passes and every page
# is back at the end. The programs are the suite's own, except those that
# compare the machine-wide free-page or VMO counts themselves (with other
# programs running those counts are everyone's; assert_no_leak knows this
# and leaves its check to the end, a direct comparison cannot).
par_programs=$(manifest_suite | while read -r p; do
    grep -qE 'free_pages|FREE_PAGES|LIVE_VMOS|RECLAIMED_PAGES' "tests/el0/src/bin/$p.rs" || echo "$p"
done)
par_count=$(wc -l <<<"$par_programs")
par_initrd=build/parallel.cpio
# shellcheck disable=SC2086 # one program a line
bash scripts/mkinitrd.sh "$par_initrd" $(sed 's|^|build/el0/|' <<<"$par_programs") >/dev/null
for par_mode in el1 el2; do
    par_flags=()
    [ "$par_mode" = el2 ] && par_flags=(--el2)
    if boot "parallel-$par_mode" 0 "${par_flags[@]}" --smp 4 --initrd "$par_initrd" \
        --append "el0.parallel=4"; then
        expect "parallel-$par_mode: four at once" '^el0: up to 4 programs at once'
        expect "parallel-$par_mode: all $par_count programs passed" "^el0: $par_count passed, 0 failed"
        expect "parallel-$par_mode: every page back at the end" \
            '^free pages: ([0-9]+) before the programs, \1 after$'
    fi
done
