/* SPDX-License-Identifier: MIT */
/*
 * nvme_probe - runs inside the check-vm guest against QEMU's emulated NVMe:
 * the sanitize module's calls on a real kernel and a real controller.
 * Usage: nvme_probe DEVICE [FILL]: FILL (default 0xa5) is the byte the
 * device holds when it starts. Prints "probe: KEY VALUE" lines on stdout; the
 * host (tests/vm/t_nvme.sh) asserts them. Destroys DEVICE's data.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispose/common.h"
#include "dispose/io.h"
#include "dispose/sanitize.h"

#define CHUNK (1024u * 1024u)

static const char *rc_name(int r)
{
	switch (r) {
	case 0: return "ok";
	case DSP_UNSUPPORTED: return "unsupported";
	case DSP_REFUSED: return "refused";
	case DSP_INVALID: return "invalid";
	case DSP_INTERRUPTED: return "interrupted";
	default: return r < 0 ? strerror(-r) : "other";
	}
}

/* Bytes of the whole device that differ from fill, and the first byte seen. */
static int scan(struct dsp_io *io, uint8_t fill, uint64_t *differ, int *first)
{
	uint8_t *buf = dsp_io_buf_alloc(CHUNK);
	uint64_t off;
	int r = 0;

	*differ = 0;
	*first = -1;
	if (!buf)
		return -ENOMEM;
	r = dsp_io_drop_cache(io, 0, io->size);
	for (off = 0; !r && off < io->size; off += CHUNK) {
		size_t n = io->size - off < CHUNK ? (size_t)(io->size - off) : CHUNK, i;

		r = dsp_io_read(io, buf, n, off, NULL);
		if (r)
			break;
		if (*first < 0)
			*first = buf[0];
		for (i = 0; i < n; i++)
			*differ += buf[i] != fill;
	}
	dsp_io_buf_free(buf);
	return r;
}

static void health(struct dsp_io *io, const char *when)
{
	struct json_object *h = NULL;
	int r = dsp_nvme_health(io, &h);

	printf("probe: health_%s_rc %s\n", when, rc_name(r));
	if (r == 0)
		printf("probe: health_%s %s\n", when,
		       json_object_to_json_string_ext(h, JSON_C_TO_STRING_PLAIN));
	json_object_put(h);
}

static void result(const char *what, int r, const struct dsp_san_result *res)
{
	printf("probe: %s_rc %s\n", what, rc_name(r));
	printf("probe: %s_status 0x%04x\n", what, res->nvme_status);
	printf("probe: %s_cdw10 0x%08" PRIx32 "\n", what, res->nvme_cdw10);
	printf("probe: %s_reason %s\n", what, res->reason[0] ? res->reason : "-");
}

int main(int argc, char **argv)
{
	struct dsp_io *io = NULL;
	struct dsp_san_caps caps;
	struct dsp_san_opts o;
	struct dsp_san_result res;
	uint64_t differ;
	int r, first;
	uint8_t fill = 0xa5;

	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: nvme_probe DEVICE [FILL]\n");
		return 2;
	}
	if (argc == 3)
		fill = (uint8_t)strtoul(argv[2], NULL, 0);
	setvbuf(stdout, NULL, _IOLBF, 0);
	r = dsp_io_open(argv[1], DSP_IO_WRITE | DSP_IO_EXCL | DSP_IO_DIRECT, &io);
	printf("probe: open %s\n", rc_name(r));
	if (r)
		return 1;
	printf("probe: size %" PRIu64 "\n", io->size);
	printf("probe: readmode %s\n", dsp_io_readmode_name(io->readmode));

	r = dsp_nvme_identify(io, &caps);
	printf("probe: identify_rc %s\n", rc_name(r));
	printf("probe: bus %s\n", dsp_san_bus_name(caps.bus));
	printf("probe: vendor %s\n", caps.vendor);
	printf("probe: model %s\n", caps.model);
	printf("probe: serial %s\n", caps.serial);
	printf("probe: firmware %s\n", caps.firmware);
	printf("probe: oacs 0x%04x\n", caps.nvme_oacs);
	printf("probe: sanicap 0x%08" PRIx32 "\n", caps.nvme_sanicap);
	printf("probe: fna 0x%02x\n", caps.nvme_fna);
	printf("probe: wwn %s\n", caps.wwn[0] ? caps.wwn : "-");
	printf("probe: nsid %" PRIu32 "\n", caps.nvme_nsid);
	printf("probe: active_ns %" PRIu32 "\n", caps.nvme_active_ns);
	printf("probe: flbas 0x%02x\n", caps.nvme_flbas);
	printf("probe: cap_sanitize_crypto %d\n", !!(caps.actions & DSP_SAN_CAP(DSP_SAN_CRYPTO)));
	printf("probe: cap_sanitize_block %d\n", !!(caps.actions & DSP_SAN_CAP(DSP_SAN_BLOCK)));
	printf("probe: cap_sanitize_overwrite %d\n", !!(caps.actions & DSP_SAN_CAP(DSP_SAN_OVERWRITE)));
	printf("probe: cap_format_user %d\n", !!(caps.actions & DSP_SAN_CAP(DSP_SAN_FORMAT_USER)));
	printf("probe: cap_format_crypto %d\n", !!(caps.actions & DSP_SAN_CAP(DSP_SAN_FORMAT_CRYPTO)));
	printf("probe: caps_reason %s\n", caps.reason[0] ? caps.reason : "-");
	if (r)
		goto out;

	health(io, "before");

	r = scan(io, fill, &differ, &first);
	printf("probe: before_scan %s first 0x%02x differ %" PRIu64 "\n", rc_name(r), first & 0xff,
	       differ);

	/* SANICAP 0: refused before anything is sent */
	memset(&o, 0, sizeof(o));
	o.action = DSP_SAN_CRYPTO;
	r = dsp_nvme_sanitize(io, &caps, &o, &res);
	result("sanitize_crypto", r, &res);
	o.action = DSP_SAN_BLOCK;
	r = dsp_nvme_sanitize(io, &caps, &o, &res);
	result("sanitize_block", r, &res);

	o.action = DSP_SAN_FORMAT_CRYPTO;
	r = dsp_nvme_format(io, &caps, &o, &res);
	result("format_crypto", r, &res);
	/* still intact after the refusals */
	r = scan(io, fill, &differ, &first);
	printf("probe: refused_scan %s first 0x%02x differ %" PRIu64 "\n", rc_name(r), first & 0xff,
	       differ);

	o.action = DSP_SAN_FORMAT_USER;
	o.format_timeout_ms = 600u * 1000u;
	r = dsp_nvme_format(io, &caps, &o, &res);
	result("format_user", r, &res);
	printf("probe: format_user_dealloc %d\n", res.dealloc);

	r = scan(io, 0x00, &differ, &first);
	printf("probe: after_scan %s first 0x%02x nonzero %" PRIu64 "\n", rc_name(r), first & 0xff,
	       differ);

	/* the namespace is still usable: write and read back one block */
	{
		uint8_t *b = dsp_io_buf_alloc(4096);

		if (b) {
			memset(b, 0x5a, 4096);
			r = dsp_io_write(io, b, 4096, 0, NULL);
			if (!r)
				r = dsp_io_flush(io);
			memset(b, 0, 4096);
			if (!r)
				r = dsp_io_drop_cache(io, 0, 4096);
			if (!r)
				r = dsp_io_read(io, b, 4096, 0, NULL);
			printf("probe: rewrite %s byte 0x%02x\n", rc_name(r), b[4095]);
			dsp_io_buf_free(b);
		}
	}
	health(io, "after");
out:
	dsp_io_close(io);
	printf("probe: done\n");
	return 0;
}
