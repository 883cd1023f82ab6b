#!/bin/sh
# t_nvme.sh - make check-vm: the sanitize module and dispose against QEMU's
# emulated NVMe controller, on a Debian kernel under TCG. The disk is an
# image file this test makes; the host's disks are never given to qemu.
# Env: DISPOSE (the dispose the guest runs; make check-vm: the ASan+UBSan
# build), DISPOSE_VM_PROBE (nvme_probe),
# DISPOSE_VM_CACHE (kernel cache), DISPOSE_VM_OUT (logs), DISPOSE_VM_TIMEOUT (s).
set -u
src=$(cd "$(dirname "$0")/../.." && pwd)
dispose=${DISPOSE:-${DISPOSE_REL:?set DISPOSE to the dispose binary}}
probe=${DISPOSE_VM_PROBE:?set DISPOSE_VM_PROBE to nvme_probe}
cache=${DISPOSE_VM_CACHE:-$src/build/vm/cache}
out=${DISPOSE_VM_OUT:-$src/build/vm}
tmo=${DISPOSE_VM_TIMEOUT:-600}
mkdir -p "$out"
log=$out/serial.log
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
finish() {
	echo "$pass passed, $fail failed"
	[ "$fail" = 0 ]
	exit
}
t0=$(date +%s)
work=$(mktemp -d "${TMPDIR:-/tmp}/dispose-vm.XXXXXX")
qpid=""
cleanup() {	# the guest first (timeout passes the signal on to qemu), then the files
	[ -n "$qpid" ] && kill "$qpid" 2>/dev/null && wait "$qpid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'cleanup; trap - EXIT; exit 130' INT
trap 'cleanup; trap - EXIT; exit 143' TERM

kroot=$("$src/scripts/vm/kernel.sh" "$cache") || { bad "kernel: fetch and unpack"; finish; }
ver=$(ls "$kroot/lib/modules" | head -n 1)
kernel=$kroot/boot/vmlinuz-$ver
"$src/scripts/vm/initramfs.sh" "$work/initrd.gz" "$kroot" "$src/tests/vm/guest-init.sh" \
	"$dispose" "$probe" "$src/profiles/methods/one.json=/etc/dispose/one.json" \
	"$src/profiles/methods/sanitize-crypto.json=/etc/dispose/sanitize-crypto.json" \
	"$src/profiles/methods/sanitize-block.json=/etc/dispose/sanitize-block.json" \
	"$src/profiles/methods/format-user-data.json=/etc/dispose/format-user-data.json" \
	"$src/profiles/methods/format-crypto.json=/etc/dispose/format-crypto.json" ||
	{ bad "initramfs"; finish; }

# 32 MiB of 0xa5: the guest's erase, the format and the rewrite are then visible here
# namespace 2 (8 MiB of 0x3c) is a bystander: nothing may touch it
img=$work/nvme.img
head -c $((32 << 20)) /dev/zero | tr '\0' '\245' >"$img"
img2=$work/nvme2.img
head -c $((8 << 20)) /dev/zero | tr '\0' '<' >"$img2"	# < is 0x3c
cp "$img2" "$work/ns2.orig"
t1=$(date +%s)
"$src/scripts/vm/qemu.sh" "$kernel" "$work/initrd.gz" "$log" "$tmo" "$img" "$img2" &
qpid=$!
wait "$qpid"
rc=$?
qpid=""
t2=$(date +%s)
echo "check-vm: kernel $ver, guest ran $((t2 - t1)) s (qemu exit $rc), log $log"
[ "$rc" = 0 ] && ok "qemu exited by itself (rc 0)" || bad "qemu exit $rc (124: timeout ${tmo}s)"

# the value of "probe: KEY ..." / "guest: KEY ..." (serial lines end in CR)
val() { tr -d '\r' <"$log" | sed -n "s/^.*$1 //p" | head -n 1 | sed 's/ *$//'; }
line() {	# line NAME TEXT: TEXT is a whole line of the console
	tr -d '\r' <"$log" | sed 's/^.*\(guest:\|probe:\)/\1/' | grep -qxF -- "$2" && ok "$1" ||
		bad "$1: no line '$2'"
}
is() {	# is NAME KEY EXPECTED
	v=$(val "$2")
	[ "$v" = "$3" ] && ok "$1" || bad "$1: '$2' is '$v', expected '$3'"
}
has() {	# has NAME KEY PATTERN (grep -E on the value)
	v=$(val "$2")
	printf '%s\n' "$v" | grep -Eq -- "$3" && ok "$1" || bad "$1: '$2' is '$v', not /$3/"
}

line "guest reached its end" "guest: end"
has "the kernel found the emulated namespace" "guest: device" "^/dev/nvme0n1 "
line "the kernel found namespace 2" "guest: ns2 /dev/nvme0n2"
is "kernel sees serial dsp-vm-1" "guest: sysfs_serial" "dsp-vm-1"
has "dispose runs in the guest" "guest: dispose_version" "^dispose [0-9]"
has "dispose erase (overwrite, verified) on the NVMe namespace" "guest: dispose_erase_exit" "^0 "
for m in sanitize-crypto sanitize-block format-crypto; do
	is "dispose erase -m $m: exit 5 (unsupported)" "guest: dispose_${m}_exit" "5"
	has "dispose erase -m $m: one 'dispose: ' line" "guest: ${m}_out" "^dispose: [^ ].*: "
done
has "dispose erase -m sanitize-crypto: names the device and SANICAP 0" "guest: sanitize-crypto_out" \
	"^dispose: /dev/nvme0n1: the device does not support sanitize crypto erase \(SANICAP 0\); try format-user-data or auto"
has "dispose erase -m format-crypto: FNA 0" "guest: format-crypto_out" \
	"^dispose: /dev/nvme0n1: the device does not support Format NVM cryptographic erase \(FNA 0\)"
# --category purge -m format-user-data: the check refuses (Clear at most), nothing recorded or sent;
# "erase left all 0xff" below: the namespace's bytes unchanged
is "--category purge -m format-user-data: exit 5" "guest: dispose_fud_purge_exit" "5"
has "--category purge -m format-user-data: the device and why" "guest: fudp_out" \
	"^dispose: /dev/nvme0n1: purge requested, but a Format NVM user data erase is Clear"
is "--category purge -m format-user-data: refused at the check (no run record)" "guest: fudp_record" "[]"
# dispose erase -m format-user-data (after the probe): Format NVM SES 1 through dispose
has "dispose erase -m format-user-data: exit 0" "guest: dispose_format_user_data_exit" "^0 "
has "format-user-data record: target, sanitize_sent, sanitize_end, target_end in order" \
	"guest: fud_events" "target sanitize_sent sanitize_end target_end"
is "format-user-data record: status success" "guest: fud_status" '"status":"success"'
is "format-user-data record: technique sanitize" "guest: fud_technique" '"technique":"sanitize"'
is "format-user-data record: action" "guest: fud_action" '"action":"format-user-data"'
is "format-user-data record: NIST Clear" "guest: fud_nist_category" '"nist_category":"clear"'
is "format-user-data record: clear requested" "guest: fud_category_requested" '"category_requested":"clear"'
is "format-user-data record: health before" "guest: fud_health_before" '"health_before":{"critical_warning":0'
is "format-user-data record: health after" "guest: fud_health_after" '"health_after":{"critical_warning":0'
is "format-user-data record: health in sanitize_sent" "guest: fud_sent_health" '"health_before":{"critical_warning":0'
has "format-user-data record: the command (Format NVM, SES 1, nsid 1)" "guest: fud_command" \
	'"command":"nvme admin opcode 0x80 \(Format NVM\) nsid 1 cdw10 0x00000200"'
has "format-user-data: the namespace reads back zeros in the guest" "guest: fud_readback" "EOF on /dev/nvme0n1"
is "format-user-data --verify all: exit 0" "guest: dispose_fud_verify_exit" "0"
is "format-user-data --verify all: every byte read back as zeros" "guest: fudv_verification" \
	'"verification":"read back every byte (33554432) and compared it with zeros"'
is "format-user-data --verify all: bytes_verified" "guest: fudv_bytes_verified" '"bytes_verified":33554432'
is "format-user-data --verify all: no mismatch" "guest: fudv_mismatches" '"mismatches":0'
is "probe opened the namespace O_EXCL" "probe: open" "ok"
is "identify: ok" "probe: identify_rc" "ok"
is "identify: bus" "probe: bus" "nvme"
is "identify: serial dsp-vm-1" "probe: serial" "dsp-vm-1"
is "identify: model" "probe: model" "QEMU NVMe Ctrl"
is "identify: vendor (Red Hat, QEMU)" "probe: vendor" "0x1b36"
is "identify: namespace 1" "probe: nsid" "1"
# QEMU's EUI-64 for namespace 1 (qemu.sh). The kernel ignores QEMU's namespace
# IDs (NVME_QUIRK_BOGUS_NID), so its wwid is the nvme.VID-SERIAL-MODEL-NSID form
is "identify: namespace EUI-64 as wwn" "probe: wwn" "eui.0102030405060701"
has "kernel wwid (fallback form: IDs ignored for QEMU)" "guest: sysfs_wwid" "^(nvme|eui|uuid)\."
is "erase record: target serial dsp-vm-1" "guest: record_serial" '"serial":"dsp-vm-1"'
is "erase record: target model" "guest: record_model" '"model":"QEMU NVMe Ctrl"'
w=$(val "guest: sysfs_wwid")
is "erase record: target wwn is the kernel's wwid" "guest: record_wwn" "\"wwn\":\"$w\""
is "identify: two active namespaces" "probe: active_ns" "2"
is "SANICAP 0" "probe: sanicap" "0x00000000"
is "FNA 0" "probe: fna" "0x00"
is "no sanitize action in caps" "probe: cap_sanitize_crypto" "0"
is "Format NVM in caps (OACS bit 1)" "probe: cap_format_user" "1"
is "no cryptographic format in caps" "probe: cap_format_crypto" "0"
is "erase left all 0xff (the sanitize refusals wrote nothing)" "probe: before_scan" "ok first 0xff differ 0"
is "sanitize crypto: unsupported" "probe: sanitize_crypto_rc" "unsupported"
has "sanitize crypto: reason names SANICAP" "probe: sanitize_crypto_reason" "SANICAP 0x00000000"
is "sanitize block: unsupported" "probe: sanitize_block_rc" "unsupported"
is "Format SES 2: unsupported (FNA)" "probe: format_crypto_rc" "unsupported"
is "nothing was sent: data intact" "probe: refused_scan" "ok first 0xff differ 0"
is "Format NVM SES 1: ok" "probe: format_user_rc" "ok"
is "Format NVM SES 1: completion status 0" "probe: format_user_status" "0x0000"
is "Format NVM SES 1: CDW10 (SES 1, LBAF 0)" "probe: format_user_cdw10" "0x00000200"
is "after Format the namespace reads zeros" "probe: after_scan" "ok first 0x00 nonzero 0"
is "namespace usable after Format" "probe: rewrite" "ok byte 0x5a"
for when in before after; do
	is "health $when: read" "probe: health_${when}_rc" "ok"
	h=$(val "probe: health_$when")
	miss=""
	for f in critical_warning power_on_hours media_errors percentage_used available_spare \
		data_units_read unsafe_shutdowns failing; do
		printf '%s' "$h" | grep -q "\"$f\":" || miss="$miss $f"
	done
	[ -z "$miss" ] && ok "health $when: fields present" || bad "health $when: missing$miss in '$h'"
	has "health $when: no critical warning" "probe: health_$when" '"critical_warning":0,'
done
# QEMU counts host reads: the probe's scans show in the log afterwards
b=$(val "probe: health_before" | sed -n 's/.*"data_units_read":\([0-9]*\).*/\1/p')
a=$(val "probe: health_after" | sed -n 's/.*"data_units_read":\([0-9]*\).*/\1/p')
[ -n "$b" ] && [ -n "$a" ] && [ "$a" -gt "$b" ] && ok "health: data_units_read grew ($b -> $a)" ||
	bad "health: data_units_read '$b' -> '$a'"
line "probe finished" "probe: done"
if tr -d '\r' <"$log" | grep -Eq 'ERROR: (Address|Leak)Sanitizer|runtime error:'; then
	bad "a sanitizer report in the guest: $(tr -d '\r' <"$log" | grep -Em1 'Sanitizer|runtime error:')"
else
	ok "no sanitizer report in the guest"
fi
has "probe exit 0" "guest: probe_exit" "^0 "

# the image on the host: the probe's Format zeroed it and rewrote 4 KiB of 0x5a;
# dispose erase -m format-user-data then zeroed every byte (the 0x5a too)
if cmp -s "$img" /dev/zero -n $((32 << 20)); then
	ok "image: every byte zero after dispose's Format NVM SES 1 (the probe's 0x5a gone)"
else
	bad "image: not all zero: $(od -An -tx1 "$img" | sort | uniq -c | head -n 3)"
fi
# FNA 0: Format NVM and the erase act on namespace 1 alone
if cmp -s "$img2" "$work/ns2.orig"; then
	ok "image: namespace 2 untouched"
else
	bad "image: namespace 2 changed: $(cmp "$img2" "$work/ns2.orig" 2>&1 | head -n 1)"
fi
echo "check-vm: $(($(date +%s) - t0)) s in all"
finish
