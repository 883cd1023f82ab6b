#!/bin/bash
# t_cert_host.sh - the certificate's host identity: hostname, /etc/machine-id
# and the DMI fields (read from a fake /sys/class/dmi/id through the test
# builds' DISPOSE_TEST_DMI_DIR / DISPOSE_TEST_MACHINE_ID), trimmed, placeholder
# values and unreadable fields null; tool.build_id is the binary's ELF build id.
. "$(dirname "$0")/lib.sh"
command -v openssl >/dev/null || skip "openssl missing"
command -v python3 >/dev/null || skip "python3 missing"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/sk.pem" \
	-out "$T/sc.pem" -days 30 -subj /CN=c4-host-test \
	-addext keyUsage=critical,digitalSignature >/dev/null 2>&1 || die "openssl req"
head -c 65536 /dev/urandom >"$T/victim"
"$DISPOSE" erase --yes --progress none --method zero --run-dir "$T/run" "$T/victim" >"$T/e" 2>&1 ||
	{ cat "$T/e"; die "erase"; }

# certify NAME: certify the run into $T/NAME.json with the fake DMI directory $T/dmi
certify() {
	DISPOSE_TEST_DMI_DIR=$T/dmi DISPOSE_TEST_MACHINE_ID=$T/machine-id \
		"$DISPOSE" certify --run-dir "$T/run" --key "$T/sk.pem" --cert "$T/sc.pem" \
		-o "$T/$1.json" >"$T/$1.out" 2>&1
	case $? in 0|3) ;; *) cat "$T/$1.out"; die "certify $1";; esac
}
# host NAME: the host object, one "key=value" line per member (dmi flattened, null as null)
host() {
	python3 - "$T/$1.json" <<'PY'
import json, sys
h = json.load(open(sys.argv[1]))["host"]
assert list(h)[:3] == ["hostname", "machine_id", "dmi"], list(h)
assert list(h["dmi"]) == ["sys_vendor", "product_name", "product_serial", "product_uuid",
                          "chassis_serial", "chassis_asset_tag", "board_serial"], list(h["dmi"])
print("hostname=%s" % h["hostname"])
print("machine_id=%s" % ("null" if h["machine_id"] is None else h["machine_id"]))
for k, v in h["dmi"].items():
    print("%s=%s" % (k, "null" if v is None else v))
PY
}

mkdir "$T/dmi"
printf '0123456789abcdef0123456789abcdef\n' >"$T/machine-id"
printf 'ACME Computers Inc.  \n' >"$T/dmi/sys_vendor"
printf 'Box 9000\n' >"$T/dmi/product_name"
printf '  SN123456\n' >"$T/dmi/product_serial"
printf '4c4c4544-0042-3510-8052-b4c04f4e3432\n' >"$T/dmi/product_uuid"
printf 'CH-77\n' >"$T/dmi/chassis_serial"
printf 'ASSET-0042\n' >"$T/dmi/chassis_asset_tag"
printf 'BRD-9\n' >"$T/dmi/board_serial"
certify real
host real >"$T/got1" || die "host object: $(cat "$T/real.json")"
cat >"$T/want1" <<EOF
hostname=$(hostname)
machine_id=0123456789abcdef0123456789abcdef
sys_vendor=ACME Computers Inc.
product_name=Box 9000
product_serial=SN123456
product_uuid=4c4c4544-0042-3510-8052-b4c04f4e3432
chassis_serial=CH-77
chassis_asset_tag=ASSET-0042
board_serial=BRD-9
EOF
diff "$T/want1" "$T/got1" >&2 || die "host fields differ (want < > got)"
ok "hostname, machine-id and every DMI field, trimmed, in the document's order"

# placeholders firmware leaves, an unreadable and a missing field: null, never the text
printf 'uninitialized\n' >"$T/machine-id"
printf 'To be filled by O.E.M.\n' >"$T/dmi/sys_vendor"
printf 'Default string\n' >"$T/dmi/product_name"
printf 'Not Specified\n' >"$T/dmi/product_serial"
printf '00000000-0000-0000-0000-000000000000\n' >"$T/dmi/product_uuid"
printf '   \n' >"$T/dmi/chassis_serial"
rm "$T/dmi/chassis_asset_tag"
rm "$T/dmi/board_serial"
mkdir "$T/dmi/board_serial"	# not a file that can be read
certify placeholders
host placeholders >"$T/got2" || die "host object"
cat >"$T/want2" <<EOF
hostname=$(hostname)
machine_id=null
sys_vendor=null
product_name=null
product_serial=null
product_uuid=null
chassis_serial=null
chassis_asset_tag=null
board_serial=null
EOF
diff "$T/want2" "$T/got2" >&2 || die "placeholders not null (want < > got)"
ok "placeholders (O.E.M., Default string, Not Specified, zero UUID, blank), unreadable and missing fields: null"

# tool.build_id: the binary's NT_GNU_BUILD_ID, as readelf prints it
if command -v readelf >/dev/null; then
	want=$(readelf -n "$DISPOSE" | awk '/Build ID:/ {print $3; exit}')
	got=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["tool"]["build_id"])' "$T/real.json")
	[ -n "$want" ] && [ "$got" = "$want" ] || die "build_id $got, readelf says $want"
	ok "tool.build_id is the ELF build id ($got)"
fi
