# shellcheck shell=bash
# shellcheck disable=SC2154 # logs, programs and out come from test.sh
# QEMU virt with several NUMA nodes (sourced by scripts/test.sh): QEMU then
# writes one /memory node per NUMA node, and the kernel must use every one of
# them, the one above 4 GiB included. The boot log's "memory:" lines are the
# tree's ranges, its "usable:" lines what the page allocator gets; every
# memory range must be usable apart from what the "taken:" lines name, and the
# free-page count must add up from them.

# hex_of LINE-PREFIX: the "0x..".."0x.." pairs of the log's lines with that
# prefix, one "START END" (decimal) per line.
numa_ranges() {
    sed -n "s/^$1 *0x\\([0-9a-f]*\\)\\.\\.0x\\([0-9a-f]*\\) .*/\\1 \\2/p" "$out" |
        while read -r a b; do echo "$((16#$a)) $((16#$b))"; done
}

if boot virt-numa 0 --numa 512M,512M,3G; then
    # Nodes laid out in order from 0x40000000; the tree lists them last first.
    expect "virt-numa: node 0's memory 0x40000000..0x60000000" '^memory: 0x0040000000\.\.0x0060000000 \(512 MiB\)$'
    expect "virt-numa: node 1's memory 0x60000000..0x80000000" '^memory: 0x0060000000\.\.0x0080000000 \(512 MiB\)$'
    expect "virt-numa: node 2's memory 0x80000000..0x140000000 (across 4 GiB)" '^memory: 0x0080000000\.\.0x0140000000 \(3072 MiB\)$'
    expect "virt-numa: all 4 GiB counted" '^ram 4194304 KiB = '
    suite_checks virt-numa

    # Every memory range: usable + taken inside it = the whole range (taken
    # ranges rounded out to pages, as the allocator aligns inward).
    numa_bad=""
    numa_n=0
    while read -r m_start m_end; do
        numa_n=$((numa_n + 1))
        used=0
        while read -r u_start u_end; do
            [ "$u_start" -ge "$m_start" ] && [ "$u_end" -le "$m_end" ] && used=$((used + u_end - u_start))
        done < <(numa_ranges usable:)
        taken=0
        while read -r t_start t_end; do
            t_start=$((t_start / 4096 * 4096)) t_end=$(((t_end + 4095) / 4096 * 4096))
            [ "$t_start" -lt "$m_start" ] && t_start=$m_start
            [ "$t_end" -gt "$m_end" ] && t_end=$m_end
            [ "$t_end" -gt "$t_start" ] && taken=$((taken + t_end - t_start))
        done < <(numa_ranges taken:)
        if [ "$used" -eq 0 ] || [ $((used + taken)) -ne $((m_end - m_start)) ]; then
            numa_bad="$numa_bad $(printf '%#x..%#x: usable %d + taken %d' "$m_start" "$m_end" "$used" "$taken")"
        fi
    done < <(numa_ranges memory:)
    if [ "$numa_n" = 3 ] && [ -z "$numa_bad" ]; then
        pass "virt-numa: each of the 3 memory ranges is usable except what is taken"
    else
        fail "virt-numa: each of the 3 memory ranges is usable except what is taken" "$numa_n ranges;$numa_bad"
    fi
    # Free pages = usable - heap.
    numa_usable=0
    while read -r a b; do numa_usable=$((numa_usable + b - a)); done < <(numa_ranges usable:)
    numa_heap=$(numa_ranges heap: | awk '{print $2 - $1; exit}')
    numa_free=$(sed -n 's/^free pages: \([0-9]*\) (.*/\1/p' "$out" | head -1)
    if [ -n "$numa_free" ] && [ -n "$numa_heap" ] && [ $((numa_free * 4096)) -eq $((numa_usable - numa_heap)) ]; then
        pass "virt-numa: free pages ($numa_free) = usable ranges - heap"
    else
        fail "virt-numa: free pages = usable ranges - heap" "free ${numa_free:-?} pages, usable $numa_usable, heap ${numa_heap:-?}"
    fi
    expect "virt-numa: pages above 4 GiB are usable" '^usable: 0x00[0-9a-f]{8}\.\.0x0140000000 '
fi

# As many nodes as the kernel keeps memory ranges (16) boot and are all used;
# one more stops the boot with the count, before any memory is handed out.
numa_sizes() { local s; s=$(printf '64M,%.0s' $(seq 1 "$1")); echo "${s%,}"; }
if boot virt-numa-16 0 --no-initrd --numa "$(numa_sizes 16)"; then
    numa_lines=$(grep -c '^memory: ' "$out")
    if [ "$numa_lines" = 16 ]; then pass "virt-numa-16: 16 memory ranges"; else fail "virt-numa-16: 16 memory ranges" "$numa_lines"; fi
    expect "virt-numa-16: all 1 GiB counted" '^ram 1048576 KiB = '
    expect "virt-numa-16: the last node is usable" '^usable: 0x007c000000\.\.0x0080000000 '
fi
if boot virt-numa-17 1 --no-initrd --numa "$(numa_sizes 17)"; then
    expect "virt-numa-17: the overflow stops the boot, with the count" \
        '^boot: too many memory ranges: 17 \(the kernel keeps at most 16\); stopping before any memory is handed out$'
    if grep -q '^free pages:' "$out"; then
        fail "virt-numa-17: no memory handed out" "the log has a free-pages line"
    else
        pass "virt-numa-17: no memory handed out"
    fi
fi
