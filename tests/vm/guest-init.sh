#!/bin/busybox sh
# /init of the check-vm guest: load the nvme driver, wait for the emulated
# namespace, run the tests on it, print everything on the serial console
# (lines "guest: ..." and the probe's "probe: ..."), then leave qemu.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
echo "guest: kernel $(uname -r)"
while read -r m; do
	insmod "/$m" || echo "guest: insmod $m failed"
done </modules.list
dev=/dev/nvme0n1
i=0
while [ ! -b $dev ] && [ $i -lt 120 ]; do
	sleep 1
	i=$((i + 1))
done
if [ -b $dev ]; then
	echo "guest: device $dev after ${i}s"
	[ -b /dev/nvme0n2 ] && echo "guest: ns2 /dev/nvme0n2"
	echo "guest: sysfs_serial $(cat /sys/class/nvme/nvme0/serial 2>/dev/null)"
	echo "guest: sysfs_model $(cat /sys/class/nvme/nvme0/model 2>/dev/null)"
	echo "guest: sysfs_wwid $(cat /sys/block/nvme0n1/wwid 2>/dev/null)"
	echo "guest: dispose_version $(/bin/dispose --version 2>&1 | head -n 1)"
	# an ordinary overwrite first (method "one", verified by dispose), then the probe
	t0=$(date +%s)
	/bin/dispose erase -y --progress none --run-dir /tmp/run -m /etc/dispose/one.json $dev \
		>/tmp/erase.out 2>&1
	echo "guest: dispose_erase_exit $? in $(($(date +%s) - t0))s"
	sed 's/^/guest: erase_out /' /tmp/erase.out
	# the record's identity of the target, as dispose found it in sysfs
	for k in serial model wwn; do
		echo "guest: record_$k $(cat /tmp/run/* 2>/dev/null | grep -o "\"$k\": *\"[^\"]*\"" | head -n 1)"
	done
	ls /tmp/run | sed 's/^/guest: record_file /'
	# the device's sanitize through dispose: QEMU has none (SANICAP 0), so exit 5 and nothing written
	for m in sanitize-crypto sanitize-block; do
		/bin/dispose erase -y --progress none --run-dir /tmp/run-$m -m /etc/dispose/$m.json $dev \
			>/tmp/$m.out 2>&1
		echo "guest: dispose_${m}_exit $?"
		sed "s/^/guest: ${m}_out /" /tmp/$m.out
	done
	/bin/dispose erase -y --progress none --run-dir /tmp/run-format-crypto \
		-m /etc/dispose/format-crypto.json $dev >/tmp/format-crypto.out 2>&1
	echo "guest: dispose_format-crypto_exit $?"
	sed "s/^/guest: format-crypto_out /" /tmp/format-crypto.out
	# --category purge: a user data format reaches Clear only; refused at the check
	# (exit 5), before any record or command (the probe's scan then shows the bytes)
	/bin/dispose erase -y --progress none --run-dir /tmp/run-fudp --category purge \
		-m /etc/dispose/format-user-data.json $dev >/tmp/fudp.out 2>&1
	echo "guest: dispose_fud_purge_exit $?"
	sed 's/^/guest: fudp_out /' /tmp/fudp.out
	echo "guest: fudp_record [$(cat /tmp/run-fudp/events.jsonl 2>/dev/null |
		sed -n 's/.*"event":"\([a-z_]*\)".*/\1/p' | tr '\n' ' ')]"
	t0=$(date +%s)
	/bin/nvme_probe $dev 0xff
	echo "guest: probe_exit $? in $(($(date +%s) - t0))s"
	# dispose's own Format NVM SES 1 after the probe's rewrite: the record, then zeros
	t0=$(date +%s)
	/bin/dispose erase -y --progress none --run-dir /tmp/run-fud -m /etc/dispose/format-user-data.json \
		$dev >/tmp/fud.out 2>&1
	echo "guest: dispose_format_user_data_exit $? in $(($(date +%s) - t0))s"
	sed 's/^/guest: fud_out /' /tmp/fud.out
	ev=/tmp/run-fud/events.jsonl
	echo "guest: fud_events $(sed -n 's/.*"event":"\([a-z_]*\)".*/\1/p' $ev | tr '\n' ' ')"
	end=$(grep '"event":"target_end"' $ev)
	for k in status technique action nist_category category_requested; do
		echo "guest: fud_$k $(printf '%s' "$end" | grep -o "\"$k\":\"[^\"]*\"" | head -n 1)"
	done
	for k in health_before health_after; do
		echo "guest: fud_$k $(printf '%s' "$end" | grep -o "\"$k\":{\"critical_warning\":[0-9]*" | head -n 1)"
	done
	echo "guest: fud_command $(grep '"event":"sanitize_sent"' $ev | grep -o '"command":"[^"]*"')"
	echo "guest: fud_sent_health $(grep '"event":"sanitize_sent"' $ev | grep -o '"health_before":{"critical_warning":[0-9]*')"
	sync
	echo 3 >/proc/sys/vm/drop_caches
	echo "guest: fud_readback $(cmp $dev /dev/zero 2>&1 | head -n 1)"
	# again with dispose's own read-back of every byte through the I/O seam
	/bin/dispose erase -y --progress none --run-dir /tmp/run-fudv --verify all \
		-m /etc/dispose/format-user-data.json $dev >/tmp/fudv.out 2>&1
	echo "guest: dispose_fud_verify_exit $?"
	sed 's/^/guest: fudv_out /' /tmp/fudv.out
	end=$(grep '"event":"target_end"' /tmp/run-fudv/events.jsonl)
	for k in verification bytes_verified mismatches; do
		echo "guest: fudv_$k $(printf '%s' "$end" | grep -o "\"$k\":\"*[^\",]*\"*" | head -n 1)"
	done
else
	echo "guest: no $dev"
	ls /dev
fi
echo "guest: end"
sync
# with -no-reboot qemu exits instead of rebooting
reboot -f
